/** The benchmarks' command-line flags: `--name value` or `--name=value`. */

/** The flag's value, or `fallback` when it is absent (or given without a value). */
export function flag(name: string, fallback: string): string {
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : fallback;
}

/** A numeric flag. */
export const numberFlag = (name: string, fallback: number): number => Number(flag(name, String(fallback)));

/** Whether a switch (a flag without a value) is given. */
export const has = (name: string): boolean => process.argv.includes(`--${name}`);
