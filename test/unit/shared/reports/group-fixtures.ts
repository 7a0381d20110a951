/** Groups of recorded runs for the group tests, built with fixtureRun. */
import type { RunDetail } from '../../../../src/shared/contract/runs';
import { fixtureRun, type FixtureOptions } from './run-fixtures';

/** A repeat's runs, one per seed in order: ids from `firstId` on, repeatIndex 0, 1, …, all in group `groupId`. */
export function repeatRuns(groupId: number, firstId: number, seeds: Omit<FixtureOptions, 'id' | 'groupId' | 'repeatIndex'>[]): RunDetail[] {
  return seeds.map((o, i) => fixtureRun({ ...o, id: firstId + i, groupId, repeatIndex: i }));
}
