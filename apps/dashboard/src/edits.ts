// Turning what a person typed into the one PATCH body each editor sends. Pure, so the rules
// are unit-tested (edits.spec.ts) rather than clicked through.
import type { ConfigPatch, ConfigVars, Formation, FormationField, FormationPatch } from './api';

export interface ConfigRow {
  /** Stable id for React; new rows get fresh ones. */
  id: string;
  key: string;
  value: string;
  /** The key as saved on the server; absent for rows added in this edit. */
  savedKey?: string;
  removed: boolean;
}

export const rowsFromConfig = (vars: ConfigVars): ConfigRow[] =>
  Object.keys(vars)
    .sort()
    .map((key) => ({ id: `saved:${key}`, key, value: vars[key], savedKey: key, removed: false }));

export interface ConfigChange {
  patch: ConfigPatch;
  /** Problems found before asking the server, by row id. */
  problems: Record<string, string>;
}

/**
 * Set what was added or changed, unset what was removed. A saved row's name cannot change
 * (remove it and add the new name); a blank new row is ignored.
 */
export function configChange(saved: ConfigVars, rows: ConfigRow[]): ConfigChange {
  const patch: ConfigPatch = {};
  const problems: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const row of rows) {
    if (row.savedKey !== undefined) {
      if (row.removed) patch[row.savedKey] = null;
      else if (row.value !== saved[row.savedKey]) patch[row.savedKey] = row.value;
      if (!row.removed) seen.set(row.savedKey, row.id);
    }
  }
  for (const row of rows) {
    if (row.savedKey !== undefined || row.removed) continue;
    const key = row.key.trim();
    if (!key && !row.value) continue;
    if (!key) {
      problems[row.id] = 'Give this variable a name, or remove the row.';
      continue;
    }
    if (seen.has(key)) {
      problems[row.id] = `${key} is already set above; change its value there instead.`;
      continue;
    }
    seen.set(key, row.id);
    patch[key] = row.value;
  }
  return { patch, problems };
}

/** Which row a server error about `key` belongs to. */
export function rowForKey(rows: ConfigRow[], key: string): string | undefined {
  return rows.find((row) => !row.removed && (row.savedKey ?? row.key.trim()) === key)?.id ?? rows.find((row) => row.savedKey === key)?.id;
}

export type FormationDraft = Record<string, Record<FormationField, string>>;
export const FORMATION_FIELDS: FormationField[] = ['quantity', 'memoryMb', 'cpu', 'pidsLimit', 'diskMb'];

export function draftFromFormation(formation: Formation): FormationDraft {
  return Object.fromEntries(
    Object.entries(formation).map(([type, process]) => [
      type,
      {
        quantity: String(process.quantity),
        memoryMb: String(process.memoryMb),
        cpu: String(process.cpu),
        pidsLimit: String(process.pidsLimit),
        diskMb: String(process.diskMb),
      },
    ]),
  );
}

export interface FormationChange {
  patch: FormationPatch;
  /** Problems by "<type>.<field>", the way the API names fields. */
  problems: Record<string, string>;
}

/** Only the fields that changed, as numbers; anything that is not a number is a problem. */
export function formationChange(saved: Formation, draft: FormationDraft): FormationChange {
  const patch: FormationPatch = {};
  const problems: Record<string, string> = {};
  for (const [type, fields] of Object.entries(draft)) {
    const before = saved[type];
    for (const field of FORMATION_FIELDS) {
      const text = fields[field].trim();
      const value = Number(text);
      if (text === '' || !Number.isFinite(value) || value < 0) {
        problems[`${type}.${field}`] = 'must be a number, zero or more';
        continue;
      }
      if (field !== 'cpu' && !Number.isInteger(value)) {
        problems[`${type}.${field}`] = 'must be a whole number';
        continue;
      }
      if (before?.[field] !== value) (patch[type] ??= {})[field] = value;
    }
  }
  return { patch, problems };
}
