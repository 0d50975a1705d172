import Table from 'cli-table3';
import { createColors } from 'picocolors';
import { isInteractive, type Io } from './Io.ts';

/** Colours for people at a terminal; plain text otherwise (NO_COLOR, pipes). */
export function colorsFor(io: Io) {
  return createColors(isInteractive(io));
}

/** Prints rows as a table for people, or the value as JSON for scripts. */
export function printRows(io: Io, options: { json: boolean; value: unknown; head: string[]; rows: (string | number | null | undefined)[][] }): void {
  if (options.json) {
    io.stdout.write(`${JSON.stringify(options.value, null, 2)}\n`);
    return;
  }
  if (options.rows.length === 0) {
    io.stdout.write('(none)\n');
    return;
  }
  const colors = colorsFor(io);
  const table = new Table({
    head: options.head.map((title) => colors.bold(title)),
    style: { head: [], border: [] },
    ...(isInteractive(io) ? {} : { chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' } }),
  });
  for (const row of options.rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  io.stdout.write(`${table.toString()}\n`);
}

/** Colours a status by what it means. */
export function statusText(io: Io, status: string): string {
  const colors = colorsFor(io);
  if (['RUNNING', 'SUCCEEDED'].includes(status)) return colors.green(status);
  if (['FAILED', 'ERROR', 'CANCELLED'].includes(status)) return colors.red(status);
  if (['STOPPED', 'DELETED'].includes(status)) return colors.dim(status);
  return colors.yellow(status);
}
