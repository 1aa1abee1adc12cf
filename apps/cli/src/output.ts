/** Where a command writes: the process's streams in main.ts, buffers in tests. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Rows as aligned columns under a header: what an operator reads in a terminal. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)];
}
