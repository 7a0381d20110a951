/**
 * Chaos: SIGKILL at random moments (seeded; LAYERLAB_CHAOS_SEED picks another
 * sequence) of the trainer and of the CLI that owns it while training, and of the
 * CLI during `import` and `export`. After each kill: the database passes
 * `PRAGMA integrity_check`, every epoch the CLI reported is in it, no run is left
 * `running` once Layerlab starts again, and no export file is half-written.
 * Bounded: small runs (2,000 images, 3 epochs), a few kills of each kind.
 */
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openLayerlab } from '../../src/core/app';
import { forkTrainer } from '../../src/core/runs/node-trainer';
import { sameProcessAlive } from '../../src/core/runs/process-identity';
import { cliHarness, type RunningCli } from '../integration/cli-harness';
import { tempDir } from '../helpers';

const SEED = Number(process.env.LAYERLAB_CHAOS_SEED ?? 20261130);
const KILLS_EACH = 4;

/** mulberry32: a small seeded generator, so a failing sequence can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));

let t: ReturnType<typeof tempDir>;
const { startCli, cli, killLeftovers } = cliHarness(() => t.dir);
let dbCounter = 0;
const newDb = () => join(t.dir, `chaos-${++dbCounter}.db`);

beforeAll(() => (t = tempDir('layerlab-chaos-')));
afterEach(() => killLeftovers());
afterAll(() => t.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (check: () => boolean, what: string, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (chaos seed ${SEED})`);
    await sleep(20);
  }
};

function query<T>(db: string, sql: string): T[] {
  const raw = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return raw.prepare(sql).all() as T[];
  } finally {
    raw.close();
  }
}

function expectIntact(db: string): void {
  // Read-write, so a WAL left by the killed process is checked with the database.
  const raw = new Database(db);
  try {
    expect(raw.pragma('integrity_check', { simple: true }), `integrity_check (chaos seed ${SEED})`).toBe('ok');
  } finally {
    raw.close();
  }
}

/** Layerlab starting again on the database: within 5 s no run is `running` any more. */
async function expectNoRunningAfterRestart(db: string): Promise<void> {
  const app = openLayerlab({ shell: 'browser', launchTrainer: forkTrainer, dataDir: t.dir, databasePath: db });
  try {
    await until(() => app.runs.list().every((r) => r.status !== 'running' && r.status !== 'queued'), 'no run left running');
  } finally {
    await app.close();
  }
}

/** The epochs the CLI said were done ("epoch k: …" on stderr): each was committed before it was printed. */
const acknowledgedEpochs = (c: RunningCli) => [...c.stderr().matchAll(/^epoch (\d+):/gm)].map((m) => Number(m[1]));

/** A random moment of training: after a random number of reported epochs (0–2), then up to 400 ms more. */
async function randomMomentOfTraining(train: RunningCli): Promise<void> {
  const epochs = between(0, 2);
  if (epochs > 0) await train.waitFor('stderr', new RegExp(`^epoch ${epochs}:`, 'm'));
  await sleep(between(0, 400));
}

function startTraining(db: string): RunningCli {
  return startCli(['train', '--preset', 'seed-model-3', '--epochs', '3', '--limit', '2000', '--seed', String(between(1, 1000)), '--db', db]);
}

/** The trainer's PID and start time once the run is training. */
async function trainerOf(db: string): Promise<{ pid: number; started: string | null }> {
  let trainer: { pid: number; started: string | null } | null = null;
  await until(() => {
    if (!existsSync(db)) return false;
    try {
      const [row] = query<{ trainer_pid: number | null; trainer_started: string | null }>(
        db,
        `SELECT trainer_pid, trainer_started FROM runs WHERE status = 'running'`,
      );
      trainer = row?.trainer_pid ? { pid: row.trainer_pid, started: row.trainer_started } : null;
    } catch {
      return false; // the CLI is still creating the database
    }
    return trainer !== null;
  }, 'the trainer to start');
  return trainer!;
}

function expectAcknowledgedKept(db: string, acknowledged: number[]): void {
  const recorded = query<{ epoch: number }>(db, `SELECT epoch FROM epochs ORDER BY epoch`).map((r) => r.epoch);
  for (const e of acknowledged) expect(recorded, `epoch ${e} was reported but is missing (chaos seed ${SEED})`).toContain(e);
}

describe(`chaos (seed ${SEED})`, () => {
  it(`SIGKILL of the trainer at a random moment of training, ${KILLS_EACH} times`, async () => {
    let crashed = 0;
    for (let i = 0; i < KILLS_EACH; i++) {
      const db = newDb();
      const train = startTraining(db);
      const { pid } = await trainerOf(db);
      await randomMomentOfTraining(train);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* it had finished */
      }
      const result = await train.done;
      expect(result.signal).toBeNull(); // the CLI itself survives its trainer
      expectIntact(db);
      expectAcknowledgedKept(db, acknowledgedEpochs(train));
      const [run] = query<{ status: string }>(db, `SELECT status FROM runs`);
      expect(['crashed', 'completed']).toContain(run.status);
      crashed += run.status === 'crashed' ? 1 : 0;
      await expectNoRunningAfterRestart(db);
    }
    // Most kills land while it trains (one may come after the last epoch).
    expect(crashed, `runs the kill ended (chaos seed ${SEED})`).toBeGreaterThanOrEqual(KILLS_EACH - 1);
  });

  it(`SIGKILL of the CLI at a random moment of training, ${KILLS_EACH} times; its trainer dies with it`, async () => {
    for (let i = 0; i < KILLS_EACH; i++) {
      const db = newDb();
      const train = startTraining(db);
      const trainer = await trainerOf(db);
      await randomMomentOfTraining(train);
      train.child.kill('SIGKILL');
      await train.done;
      const acknowledged = acknowledgedEpochs(train);
      // On its own: the restart below would stop a trainer still dying.
      await until(() => !sameProcessAlive(trainer.pid, trainer.started), 'the trainer to die with its CLI');
      await expectNoRunningAfterRestart(db);
      expectIntact(db);
      expectAcknowledgedKept(db, acknowledged);
    }
  });

  describe('import and export', () => {
    let source: string;
    let bundle: string;
    let runsInBundle: number;
    /** A database holding the bundle's runs, to export many runs from. */
    let full: string;

    beforeAll(async () => {
      source = newDb();
      const trained = await cli(['train', '--preset', 'seed-model-3', '--epochs', '1', '--limit', '1000', '--db', source]);
      expect(trained.code, trained.stderr).toBe(0);
      const one = join(t.dir, 'one.bundle.json');
      const exported = await cli(['export', '1', '--format', 'bundle', '--out', one, '--db', source]);
      expect(exported.code, exported.stderr).toBe(0);
      // Many copies of the run, so an import takes long enough to be caught in the middle.
      const parsed = JSON.parse(readFileSync(one, 'utf8'));
      parsed.runs = Array.from({ length: 1_500 }, (_, i) => ({ ...parsed.runs[0], sourceId: i + 1, name: `copy ${i + 1}` }));
      runsInBundle = parsed.runs.length;
      bundle = join(t.dir, 'many.bundle.json');
      writeFileSync(bundle, JSON.stringify(parsed));
      full = newDb();
      const imported = await cli(['import', bundle, '--db', full]);
      expect(imported.code, imported.stderr).toBe(0);
    });

    it(`SIGKILL during import, ${KILLS_EACH * 2} times: all of the bundle's runs or none`, async () => {
      const db = newDb();
      let before = 0;
      for (let i = 0; i < KILLS_EACH * 2; i++) {
        const running = startCli(['import', bundle, '--db', db]);
        await sleep(between(500, 1_500));
        running.child.kill('SIGKILL');
        await running.done;
        if (!existsSync(db)) continue; // killed before it opened the database
        expectIntact(db);
        // Killed before its schema was created, the database is a file without tables: no runs.
        const made = query<{ n: number }>(db, `SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'runs'`)[0].n === 1;
        const n = made ? query<{ n: number }>(db, `SELECT count(*) AS n FROM runs`)[0].n : 0;
        expect([before, before + runsInBundle], `runs after a killed import (chaos seed ${SEED})`).toContain(n);
        before = n;
        await expectNoRunningAfterRestart(db);
      }
    });

    it(`SIGKILL during export, ${KILLS_EACH * 2} times: the file is whole or absent`, async () => {
      const formats = ['bundle', 'json', 'csv', 'html'] as const;
      for (let i = 0; i < KILLS_EACH * 2; i++) {
        const format = formats[between(0, formats.length - 1)];
        const out = join(t.dir, `export-${i}.${format}`);
        const ids = Array.from({ length: runsInBundle }, (_, k) => String(k + 1));
        const running = startCli(['export', ...ids, '--format', format, '--out', out, '--db', full]);
        await sleep(between(500, 1_800));
        running.child.kill('SIGKILL');
        const result = await running.done;
        expectIntact(full);
        if (!existsSync(out)) {
          expect(result.signal, 'no file only when it was killed').toBe('SIGKILL');
          continue;
        }
        const text = readFileSync(out, 'utf8');
        if (format === 'bundle' || format === 'json') expect(() => JSON.parse(text), `${out} is half-written`).not.toThrow();
        if (format === 'csv') expect(text.endsWith('\n'), `${out} is half-written`).toBe(true);
        if (format === 'html') expect(text.trimEnd().endsWith('</html>'), `${out} is half-written`).toBe(true);
      }
      // Whatever was left behind is a hidden temporary, never a file under the name asked for.
      for (const name of readdirSync(t.dir).filter((n) => n.startsWith('export-'))) expect(name).not.toMatch(/\.tmp$/);
    });
  });
});
