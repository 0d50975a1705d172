#!/usr/bin/env node
/** The `novacron` binary: runs one command and exits with its code. */
import { run } from '../src/buildProgram.ts';

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
