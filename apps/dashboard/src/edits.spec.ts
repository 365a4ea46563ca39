import { configChange, formationChange, draftFromFormation, rowForKey, rowsFromConfig, type ConfigRow } from './edits';

const row = (id: string, key: string, value: string, extra: Partial<ConfigRow> = {}): ConfigRow => ({ id, key, value, removed: false, ...extra });

describe('configChange', () => {
  const saved = { A: '1', B: '2' };

  it('sends nothing when nothing changed', () => {
    expect(configChange(saved, rowsFromConfig(saved))).toEqual({ patch: {}, problems: {} });
  });

  it('sets changed and new vars and unsets removed ones, in one patch', () => {
    const rows = rowsFromConfig(saved).map((r) => (r.key === 'A' ? { ...r, value: 'one' } : { ...r, removed: true }));
    rows.push(row('n1', 'C', 'three'), row('n2', '', ''));
    expect(configChange(saved, rows)).toEqual({ patch: { A: 'one', B: null, C: 'three' }, problems: {} });
  });

  it('lets a removed var be added again under the same name', () => {
    const rows = rowsFromConfig(saved).map((r) => (r.key === 'B' ? { ...r, removed: true } : r));
    rows.push(row('n1', 'B', 'new'));
    expect(configChange(saved, rows).patch).toEqual({ B: 'new' });
  });

  it('refuses a value without a name and a name given twice', () => {
    const rows = [...rowsFromConfig(saved), row('n1', '', 'orphan'), row('n2', 'A', 'again'), row('n3', 'D', 'x'), row('n4', 'D', 'y')];
    expect(configChange(saved, rows).problems).toEqual({
      n1: expect.stringContaining('name'),
      n2: expect.stringContaining('already set'),
      n4: expect.stringContaining('already set'),
    });
  });

  it('finds the row a server error names', () => {
    const rows = [...rowsFromConfig(saved), row('n1', '1BAD', 'x')];
    expect(rowForKey(rows, '1BAD')).toBe('n1');
    expect(rowForKey(rows, 'A')).toBe('saved:A');
  });
});

describe('formationChange', () => {
  const saved = { web: { quantity: 1, memoryMb: 256, cpu: 0.5, pidsLimit: 256, diskMb: 1024 }, worker: { quantity: 0, memoryMb: 128, cpu: 0.25, pidsLimit: 128, diskMb: 1024, command: 'node worker.js' } };

  it('sends only the fields that changed, as numbers', () => {
    const draft = draftFromFormation(saved);
    draft.web.quantity = '3';
    draft.worker.cpu = '0.5';
    draft.worker.diskMb = '2048';
    expect(formationChange(saved, draft)).toEqual({ patch: { web: { quantity: 3 }, worker: { cpu: 0.5, diskMb: 2048 } }, problems: {} });
  });

  it('names fields that are not numbers the way the API does', () => {
    const draft = draftFromFormation(saved);
    draft.web.quantity = '1.5';
    draft.web.memoryMb = 'lots';
    expect(formationChange(saved, draft).problems).toEqual({ 'web.quantity': 'must be a whole number', 'web.memoryMb': 'must be a number, zero or more' });
  });
});
