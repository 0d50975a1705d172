import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { DateTime, Labels } from '@novacron/subgraph-kit';
import { Budget } from './Budget.ts';
import { BudgetAlert } from './BudgetAlert.ts';
import { CostAnomaly } from './CostAnomaly.ts';
import { CostBucket, CostReport } from './CostReport.ts';
import { Money } from './Money.ts';
import { Mutation } from './Mutation.ts';
import { Query } from './Query.ts';
import { VM } from './VM.ts';

/** Every resolver of the billing subgraph; each type's file is thin and calls domain code. */
export const resolvers: Resolvers = { DateTime, Labels, Money, Query, Mutation, VM, Budget, BudgetAlert, CostAnomaly, CostReport, CostBucket };
