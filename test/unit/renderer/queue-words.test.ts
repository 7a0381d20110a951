/**
 * What the window says about the queue and paused runs, and which of two views of a
 * run it keeps when answers and pushed events cross (a run now goes back from paused to queued).
 */
import { describe, expect, it } from 'vitest';
import type { RunStatus, RunSummary } from '../../../src/shared/contract/runs';
import { canResume, ordinal, placeInLine, resumeLabel, runSettings, stoppedAt } from '../../../src/renderer/lib/queue';
import { supersedes } from '../../../src/renderer/lib/run-merge';
import { fixtureRun } from '../shared/reports/run-fixtures';

function run(id: number, status: RunStatus, extra: Partial<RunSummary> = {}): RunSummary {
  return { ...fixtureRun({ id, epochs: [[1, 0.5, 1, 0.5, 1]], config: { epochs: 5 } }), status, ...extra };
}

describe('the queue in words', () => {
  it('says places in line as a person would', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '101st',
      '111th',
    ]);
  });

  it('names the run a queued run waits for: the one ahead of it, or the one training', () => {
    const training = run(12, 'running');
    const queue = [run(13, 'queued', { queuePosition: 1 }), run(14, 'queued', { queuePosition: 2 })];
    expect(placeInLine(queue[1], queue, training)).toBe('2nd in line, starts after run #13');
    expect(placeInLine(queue[0], queue, training)).toBe('1st in line, starts after run #12');
    expect(placeInLine(queue[0], queue, null)).toBe('1st in line, starts next');
  });

  it('says what a run trains and where a paused run stopped', () => {
    const paused = run(3, 'paused', { checkpoint: { epoch: 2, batch: 17 } });
    expect(runSettings(paused)).toBe('seed-model-3 · adam · lr 0.001 · 5 epochs');
    expect(stoppedAt(paused, 75)).toBe('epoch 2 of 5, batch 17 of 75');
    expect(stoppedAt(paused, null)).toBe('epoch 2 of 5, batch 17');
    expect(resumeLabel(paused)).toBe('Resume from epoch 2, batch 17');
    // Paused while still queued: nothing to continue from, it starts afresh.
    const held = run(4, 'paused', { checkpoint: null });
    expect(stoppedAt(held, 75)).toBeNull();
    expect(resumeLabel(held)).toBe('Resume');
  });

  it('offers Resume for a paused run and a crashed one with a checkpoint, nothing else', () => {
    expect(canResume(run(1, 'paused'))).toBe(true);
    expect(canResume(run(1, 'crashed', { checkpoint: { epoch: 2, batch: 0 } }))).toBe(true);
    expect(canResume(run(1, 'crashed', { checkpoint: null }))).toBe(false);
    expect(canResume(run(1, 'completed'))).toBe(false);
    expect(canResume(run(1, 'running'))).toBe(false);
  });
});

describe('which view of a run is kept', () => {
  it('follows a run through pause and resume', () => {
    expect(supersedes(run(1, 'running', { epochsDone: 1 }), run(1, 'paused', { epochsDone: 1 }))).toBe(true);
    expect(supersedes(run(1, 'paused', { epochsDone: 1 }), run(1, 'queued', { epochsDone: 1 }))).toBe(true);
    expect(supersedes(run(1, 'queued', { epochsDone: 1 }), run(1, 'running', { epochsDone: 1 }))).toBe(true);
    expect(supersedes(run(1, 'queued'), run(1, 'queued', { queuePosition: 3 }))).toBe(true);
  });

  it('ignores an answer that arrives after the events it predates', () => {
    // pauseRun answers "running"; the "paused" event can come first.
    expect(supersedes(run(1, 'paused', { epochsDone: 2 }), run(1, 'running', { epochsDone: 2 }))).toBe(false);
    // startRun and resumeRun answer "queued"; the run may already be training.
    expect(supersedes(run(1, 'running'), run(1, 'queued'))).toBe(false);
    expect(supersedes(run(1, 'running', { epochsDone: 3 }), run(1, 'running', { epochsDone: 2 }))).toBe(false);
    expect(supersedes(run(1, 'completed'), run(1, 'running'))).toBe(false);
    expect(supersedes(run(1, 'cancelled'), run(1, 'paused'))).toBe(false);
  });

  it('lets a crashed run be queued again only when it left a checkpoint', () => {
    expect(supersedes(run(1, 'crashed', { checkpoint: { epoch: 3, batch: 0 } }), run(1, 'queued'))).toBe(true);
    expect(supersedes(run(1, 'crashed', { checkpoint: null }), run(1, 'queued'))).toBe(false);
  });
});
