/** What every bench script reads from its command line and reports: options, pauses, percentiles. */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `--name N` from the command line, a whole number of at least 1, or `fallback`. */
export function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1`);
  return value;
}

/** The p-th percentile (nearest rank) of `values`; null when there are none. */
export const percentile = (values: number[], p: number): number | null => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
