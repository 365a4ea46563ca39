/** Git branch names we accept (a practical subset of git-check-ref-format). */
export function branchProblem(branch: string): string | null {
  if (typeof branch !== 'string' || branch.length === 0) return 'is required';
  if (branch.length > 200) return 'must be at most 200 characters';
  if (!/^[A-Za-z0-9._\/-]+$/.test(branch)) return 'may contain only letters, digits, ".", "_", "/" and "-"';
  if (branch.startsWith('-') || branch.startsWith('/') || branch.endsWith('/') || branch.endsWith('.') || branch.includes('..') || branch.includes('//') || branch.endsWith('.lock')) {
    return 'is not a valid git branch name';
  }
  return null;
}
