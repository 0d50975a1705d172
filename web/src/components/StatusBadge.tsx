/** A VM or operation status as a coloured, readable badge (the word carries the meaning, not only the colour). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status.toLowerCase()}`}>{status}</span>;
}
