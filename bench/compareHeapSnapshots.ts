/**
 * Compares two V8 heap snapshots (e.g. the gateway's from `subscriptionFanOut.ts --heap-snapshots`):
 * objects by type and constructor, sorted by growth in retained self size, so what accumulates
 * between two points of a run stands out. With `--retainers NAME` it also lists what holds the
 * objects of that constructor in the second snapshot (retaining node and edge name), one level up.
 *
 *   node bench/compareHeapSnapshots.ts A.heapsnapshot B.heapsnapshot [--top 25] [--retainers NAME]
 *
 * Hand-rolled reader: a 10,000-connection gateway writes snapshots of several hundred MB, and the
 * published readers JSON.parse the whole file, which passes V8's largest string; this one scans the
 * number arrays byte by byte and parses only the string table as JSON.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface HeapSnapshot {
  nodeFields: string[];
  nodeTypes: string[];
  edgeFields: string[];
  edgeTypes: string[];
  nodes: Uint32Array;
  /** Only read when retainers are asked for. */
  edges: Uint32Array | null;
  strings: string[];
}

/** Reads the integers of the JSON array that starts at `from` (just after its `[`); returns them and the index after its `]`. */
function readIntegers(buffer: Buffer, from: number, count: number): { values: Uint32Array; end: number } {
  const values = new Uint32Array(count);
  let index = 0;
  let current = 0;
  let inNumber = false;
  let position = from;
  for (; position < buffer.length; position += 1) {
    const byte = buffer[position]!;
    if (byte >= 48 && byte <= 57) {
      current = current * 10 + (byte - 48);
      inNumber = true;
    } else {
      if (inNumber) {
        values[index] = current;
        index += 1;
        current = 0;
        inNumber = false;
      }
      if (byte === 93) break; // ]
    }
  }
  if (index !== count) throw new Error(`expected ${count} numbers, read ${index}`);
  return { values, end: position + 1 };
}

function readSnapshot(path: string, withEdges: boolean): HeapSnapshot {
  const buffer = readFileSync(path);
  const nodesKey = buffer.indexOf('"nodes":[');
  if (nodesKey < 0) throw new Error(`${path}: no "nodes" array; not a V8 heap snapshot?`);
  const header = JSON.parse(`${buffer.toString('utf8', 0, nodesKey).trim().replace(/,$/, '')}}`) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] }; node_count: number; edge_count: number };
  };
  const { meta, node_count: nodeCount, edge_count: edgeCount } = header.snapshot;
  const nodes = readIntegers(buffer, nodesKey + '"nodes":['.length, nodeCount * meta.node_fields.length);
  let edges: Uint32Array | null = null;
  let after = nodes.end;
  if (withEdges) {
    const edgesKey = buffer.indexOf('"edges":[', after);
    const read = readIntegers(buffer, edgesKey + '"edges":['.length, edgeCount * meta.edge_fields.length);
    edges = read.values;
    after = read.end;
  }
  const stringsKey = buffer.indexOf('"strings":[', after);
  const stringsEnd = buffer.lastIndexOf(']');
  const strings = JSON.parse(buffer.toString('utf8', stringsKey + '"strings":'.length, stringsEnd + 1)) as string[];
  return { nodeFields: meta.node_fields, nodeTypes: meta.node_types[0], edgeFields: meta.edge_fields, edgeTypes: meta.edge_types[0], nodes: nodes.values, edges, strings };
}

/** A node's group: its type, and for objects, closures and natives its constructor or function name. */
function groupOf(snapshot: HeapSnapshot, node: number): string {
  const width = snapshot.nodeFields.length;
  const type = snapshot.nodeTypes[snapshot.nodes[node * width + snapshot.nodeFields.indexOf('type')]!] ?? '?';
  const name = snapshot.strings[snapshot.nodes[node * width + snapshot.nodeFields.indexOf('name')]!] ?? '?';
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' || type === 'bigint') return type;
  return `${type} ${name.length > 70 ? `${name.slice(0, 70)}…` : name}`;
}

function countByGroup(snapshot: HeapSnapshot): Map<string, { count: number; bytes: number }> {
  const width = snapshot.nodeFields.length;
  const sizeField = snapshot.nodeFields.indexOf('self_size');
  const groups = new Map<string, { count: number; bytes: number }>();
  for (let node = 0; node < snapshot.nodes.length / width; node += 1) {
    const key = groupOf(snapshot, node);
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += snapshot.nodes[node * width + sizeField]!;
    groups.set(key, group);
  }
  return groups;
}

/** What holds the nodes of group `target`: (retainer group, edge name) → edges. */
function retainersOf(snapshot: HeapSnapshot, target: string): Map<string, number> {
  const width = snapshot.nodeFields.length;
  const edgeWidth = snapshot.edgeFields.length;
  const edgeCountField = snapshot.nodeFields.indexOf('edge_count');
  const typeField = snapshot.edgeFields.indexOf('type');
  const nameField = snapshot.edgeFields.indexOf('name_or_index');
  const toField = snapshot.edgeFields.indexOf('to_node');
  const edges = snapshot.edges!;
  const result = new Map<string, number>();
  let edge = 0;
  for (let node = 0; node < snapshot.nodes.length / width; node += 1) {
    const edgeCount = snapshot.nodes[node * width + edgeCountField]!;
    for (let each = 0; each < edgeCount; each += 1, edge += 1) {
      const to = edges[edge * edgeWidth + toField]! / width;
      if (!groupOf(snapshot, to).endsWith(target)) continue;
      const edgeType = snapshot.edgeTypes[edges[edge * edgeWidth + typeField]!] ?? '?';
      if (edgeType === 'weak') continue;
      const rawName = edges[edge * edgeWidth + nameField]!;
      const edgeName = edgeType === 'element' || edgeType === 'hidden' ? `[${edgeType}]` : (snapshot.strings[rawName] ?? '?');
      const key = `${groupOf(snapshot, node)} .${edgeName}`;
      result.set(key, (result.get(key) ?? 0) + 1);
    }
  }
  return result;
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, retainers: { type: 'string' } } });
if (positionals.length !== 2) {
  process.stderr.write('Usage: node compareHeapSnapshots.ts A.heapsnapshot B.heapsnapshot [--top N] [--retainers NAME]\n');
  process.exit(2);
}
const top = Number(values.top);
const [pathA, pathB] = positionals as [string, string];
const before = countByGroup(readSnapshot(pathA, false));
const second = readSnapshot(pathB, values.retainers !== undefined);
const after = countByGroup(second);
const total = (groups: Map<string, { count: number; bytes: number }>) => [...groups.values()].reduce((sum, group) => ({ count: sum.count + group.count, bytes: sum.bytes + group.bytes }), { count: 0, bytes: 0 });
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
const totalA = total(before);
const totalB = total(after);
process.stdout.write(`A ${pathA}: ${totalA.count} objects, ${mb(totalA.bytes)} MB\nB ${pathB}: ${totalB.count} objects, ${mb(totalB.bytes)} MB\n\n`);
const rows = [...new Set([...before.keys(), ...after.keys()])].map((key) => {
  const a = before.get(key) ?? { count: 0, bytes: 0 };
  const b = after.get(key) ?? { count: 0, bytes: 0 };
  return { key, a, b, deltaBytes: b.bytes - a.bytes, deltaCount: b.count - a.count };
});
const table = (title: string, sorted: typeof rows) => {
  process.stdout.write(`${title}\n${'Δ MB'.padStart(9)} ${'Δ count'.padStart(9)} ${'B MB'.padStart(9)} ${'B count'.padStart(9)}  group\n`);
  for (const row of sorted.slice(0, top)) {
    process.stdout.write(`${mb(row.deltaBytes).padStart(9)} ${String(row.deltaCount).padStart(9)} ${mb(row.b.bytes).padStart(9)} ${String(row.b.count).padStart(9)}  ${row.key}\n`);
  }
  process.stdout.write('\n');
};
table('Largest growth (A → B), by self size', [...rows].sort((x, y) => y.deltaBytes - x.deltaBytes));
table('Largest growth (A → B), by count', [...rows].sort((x, y) => y.deltaCount - x.deltaCount));
table('Largest in B, by self size', [...rows].sort((x, y) => y.b.bytes - x.b.bytes));
if (values.retainers) {
  const retainers = [...retainersOf(second, values.retainers)].sort(([, x], [, y]) => y - x).slice(0, top);
  process.stdout.write(`What holds "${values.retainers}" in B (retainer group .edge: edges)\n`);
  for (const [key, count] of retainers) process.stdout.write(`${String(count).padStart(9)}  ${key}\n`);
}
