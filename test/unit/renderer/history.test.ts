import { describe, expect, it } from 'vitest';
import { History } from '../../../src/renderer/lib/history';

const step = (before: number, after: number, label = `${before}→${after}`) => ({ label, before, after });

describe('editor history (undo/redo)', () => {
  it('undoes and redoes steps in order', () => {
    const h = new History<number>();
    h.record(step(0, 1));
    h.record(step(1, 2));
    expect(h.undo()?.before).toBe(1);
    expect(h.undo()?.before).toBe(0);
    expect(h.undo()).toBeNull();
    expect(h.redo()?.after).toBe(1);
    expect(h.redo()?.after).toBe(2);
    expect(h.redo()).toBeNull();
  });

  it('keeps at least 200 steps', () => {
    const h = new History<number>();
    for (let i = 0; i < 250; i++) h.record(step(i, i + 1));
    let undone = 0;
    while (h.undo()) undone++;
    expect(undone).toBeGreaterThanOrEqual(200);
    expect(undone).toBe(250);
  });

  it('drops the oldest steps past its limit, never the newest', () => {
    const h = new History<number>(3);
    for (let i = 0; i < 5; i++) h.record(step(i, i + 1));
    expect(h.undoLabels).toEqual(['2→3', '3→4', '4→5']);
  });

  it('a new edit after undo drops what could have been redone', () => {
    const h = new History<number>();
    h.record(step(0, 1));
    h.undo();
    h.record(step(0, 5));
    expect(h.canRedo).toBe(false);
    expect(h.undo()?.after).toBe(5);
  });

  it('typing into one field is one step until the field is left', () => {
    const h = new History<string>();
    h.record({ label: 'units', before: '6', after: '64' }, { merge: 'units' });
    h.record({ label: 'units', before: '64', after: '640' }, { merge: 'units' });
    h.seal();
    h.record({ label: 'units', before: '640', after: '64' }, { merge: 'units' });
    expect(h.undo()).toMatchObject({ before: '640', after: '64' });
    expect(h.undo()).toMatchObject({ before: '6', after: '640' });
    expect(h.canUndo).toBe(false);
  });
});
