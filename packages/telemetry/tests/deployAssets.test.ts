import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics, exportedSeriesNames } from '../src/index.ts';

const deploy = (path: string) => fileURLToPath(new URL(`../../../deploy/${path}`, import.meta.url));

/** Runs promtool; its exit code and output. Missing promtool fails the test (`.ci/run` installs it). */
function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}${error && !stdout && !stderr ? error.message : ''}` });
    });
  });
}

const promqlWords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/** The metric names a PromQL expression reads (functions, keywords, labels and strings left out). */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (!name || call || promqlWords.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** Every series name some NovaCron process exports: the catalog, the Node defaults, and Prometheus's own `up`. */
async function exportedNames(): Promise<Set<string>> {
  const names = exportedSeriesNames();
  const scrape = await createMetrics({ service: 'names' }).scrape();
  for (const line of scrape.split('\n')) {
    const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1];
    if (name && !line.startsWith('#')) names.add(name);
  }
  names.add('up');
  return names;
}

interface Dashboard {
  title: string;
  panels: { title: string; targets?: { expr: string }[] }[];
}

describe('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const result = await promtool('check', 'rules', deploy('prometheus/alerts.yml'));
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('pass their unit tests (promtool test rules)', async () => {
    const result = await promtool('test', 'rules', deploy('prometheus/alerts.test.yml'));
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('ship a Prometheus configuration that scrapes the targets npm start lists', async () => {
    const result = await promtool('check', 'config', deploy('prometheus/prometheus.yml'));
    expect(result.code, result.output).toBe(0);
    expect(readFileSync(deploy('prometheus/prometheus.yml'), 'utf8')).toContain('.novacron/prometheus-targets.json');
  });

  it('alert on the operation p95 per provider computed from summed bucket rates', () => {
    const rules = readFileSync(deploy('prometheus/alerts.yml'), 'utf8');
    expect(rules).toContain('histogram_quantile(0.95, sum by (le, provider) (rate(novacron_operation_duration_seconds_bucket[5m])))');
  });

  it('read only metrics the processes export', async () => {
    const exported = await exportedNames();
    const rules = readFileSync(deploy('prometheus/alerts.yml'), 'utf8');
    const recorded = new Set([...rules.matchAll(/record:\s*(\S+)/g)].map((match) => match[1] as string));
    const expressions = [...rules.matchAll(/expr:\s*(\|\n(?:\s{10,}.*\n)+|.*)/g)].map((match) => match[1] as string);
    expect(expressions.length).toBeGreaterThanOrEqual(7);
    const unknown = expressions.flatMap(metricNamesIn).filter((name) => !exported.has(name) && !recorded.has(name));
    expect(unknown).toEqual([]);
  });
});

describe('docs/operations.md', () => {
  it('describes every metric NovaCron exports', () => {
    const docs = readFileSync(fileURLToPath(new URL('../../../docs/operations.md', import.meta.url)), 'utf8');
    const families = new Set([...exportedSeriesNames()].map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    expect([...families].filter((family) => !docs.includes(`\`${family}\``))).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(deploy('grafana/novacron.json'), 'utf8')) as Dashboard;

  it('finds metric names in PromQL, and so would catch a misspelt one', () => {
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le, provider) (rate(novacron_operation_duration_seconds_bucket{provider="aws"}[5m])))')).toEqual(['novacron_operation_duration_seconds_bucket']);
    expect(metricNamesIn('sum(rate(novacron_vm_operation_total[5m])) / on(job) group_left sum(up)')).toEqual(['novacron_vm_operation_total', 'up']);
  });

  it('names in its panels only metrics some NovaCron process exports', async () => {
    const exported = await exportedNames();
    expect(dashboard.panels.length).toBeGreaterThan(10);
    const unknown: string[] = [];
    for (const panel of dashboard.panels) {
      expect(panel.targets?.length, `panel "${panel.title}" has a query`).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) for (const name of metricNamesIn(target.expr)) if (!exported.has(name)) unknown.push(`${panel.title}: ${name}`);
    }
    expect(unknown).toEqual([]);
  });

  it('shows every NovaCron metric somewhere', () => {
    const shown = new Set(dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNamesIn(target.expr))));
    const families = [...exportedSeriesNames()].map((name) => name.replace(/_(bucket|sum|count)$/, ''));
    const missing = [...new Set(families)].filter((family) => ![...shown].some((name) => name === family || name.startsWith(`${family}_`)));
    expect(missing).toEqual([]);
  });
});
