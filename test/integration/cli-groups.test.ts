/**
 * Repeats, sweeps, the queue and pause/resume from the command line, as a user runs
 * them: a CLI child process per command, a real SQLite file, real Fashion-MNIST
 * (600 images, 1 epoch a run), a real trainer.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliHarness, expectRefused, json, lines } from './cli-harness';
import { formatMeanStd } from '../../src/shared/reports/groups';
import { openLayerlab } from '../../src/core/app';
import { forkTrainer } from '../../src/core/runs/node-trainer';
import { findPreset } from '../../src/shared/model/presets';

let root: string;
let home: string;
const { startCli, cli, killLeftovers } = cliHarness(() => home);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'layerlab-cli-groups-'));
  home = join(root, 'home');
  mkdirSync(home);
});
afterEach(killLeftovers);
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dbCounter = 0;
const newDb = (label: string) => join(root, `${label}-${++dbCounter}.db`);

const TINY = ['--preset', 'seed-model-3', '--limit', '600', '--epochs', '1'];

/** Mean and sample standard deviation (n − 1), computed here without the code under test. */
function byHand(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, std };
}

async function ok(args: string[]) {
  const r = await cli(args);
  expect(r.code, `layerlab ${args.join(' ')}\nstderr:\n${r.stderr}`).toBe(0);
  return r;
}

describe('train --repeat 3', () => {
  let db: string;
  let stdout: string;
  let group: any;
  let shown: any[];

  beforeAll(async () => {
    db = newDb('repeat');
    const r = await ok(['train', ...TINY, '--seed', '11', '--repeat', '3', '--db', db]);
    stdout = r.stdout;
    const groups = json<any[]>(await ok(['groups', '--json', '--db', db]));
    expect(groups).toHaveLength(1);
    group = groups[0];
    shown = [];
    for (const id of group.run_ids) shown.push(json(await ok(['show', String(id), '--json', '--db', db])));
  });

  it('makes one group of 3 runs with seeds s, s+1, s+2, all completed', () => {
    expect(group).toMatchObject({ kind: 'repeat', name: 'seed-model-3 × 3 seeds', repeat: 3, seed: 11, axes: [], runs_total: 3, runs_completed: 3 });
    expect(shown.map((r) => r.config.seed)).toEqual([11, 12, 13]);
    expect(shown.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
    // The same network and settings otherwise.
    expect(new Set(shown.map((r) => JSON.stringify({ ...r.config, seed: 0 }))).size).toBe(1);
    expect(new Set(shown.map((r) => JSON.stringify(r.model))).size).toBe(1);
    // Different seeds, different results: the spread below is a real one.
    expect(new Set(shown.map((r) => r.epochs[0].val_loss)).size).toBe(3);
  });

  it('prints mean ± std equal to the figures computed from the three runs’ records', () => {
    const figure = (label: string) => {
      const line = lines(stdout).find((l) => l.startsWith(label));
      expect(line, `no "${label}" line in:\n${stdout}`).toBeDefined();
      return line!;
    };
    const check = (label: string, values: number[]) => {
      const { mean, std } = byHand(values);
      expect(figure(label)).toContain(formatMeanStd(mean, std, 3, 4));
      expect(figure(label)).toMatch(/± \d\.\d{4} \(n=3\)/);
    };
    check(
      'Best val accuracy',
      shown.map((r) => Math.max(...r.epochs.map((e: any) => e.val_accuracy))),
    );
    check(
      'Best val loss',
      shown.map((r) => Math.min(...r.epochs.map((e: any) => e.val_loss))),
    );
    check(
      'Final val accuracy',
      shown.map((r) => r.epochs[r.epochs.length - 1].val_accuracy),
    );
    check(
      'Test accuracy',
      shown.map((r) => r.test.accuracy),
    );
    // Each run is listed with its seed.
    for (const r of shown) expect(stdout).toMatch(new RegExp(`^\\s*${r.id}\\s+${r.config.seed}\\s+completed`, 'm'));
  });
});

describe('sweep 2×2 with --repeat 2', () => {
  let db: string;
  let out: any;
  let listed: any[];

  beforeAll(async () => {
    db = newDb('sweep');
    const r = await ok([
      'sweep',
      ...TINY,
      '--seed',
      '3',
      '--set',
      'lr=0.001,0.01',
      '--set',
      'optimizer=sgd,adam',
      '--repeat',
      '2',
      '--db',
      db,
      '--json',
    ]);
    out = json(r);
    listed = json<any[]>(await ok(['runs', '--group', String(out.group.id), '--json', '--db', db]));
  });

  it('creates 8 runs in one group, every combination over seeds 3 and 4, all completed', () => {
    expect(out.group).toMatchObject({ kind: 'sweep', name: 'Sweep lr × optimizer (×2 seeds)', repeat: 2, seed: 3, runs_total: 8, runs_completed: 8 });
    expect(out.group.run_ids).toHaveLength(8);
    expect(listed.map((r) => r.id).sort((a, b) => a - b)).toEqual([...out.group.run_ids].sort((a, b) => a - b));
    expect(listed.every((r) => r.status === 'completed')).toBe(true);
    const combos = out.runs.map((r: any) => `${r.learning_rate} ${r.optimizer} ${r.seed}`);
    expect(combos).toEqual(['0.001 sgd 3', '0.001 sgd 4', '0.001 adam 3', '0.001 adam 4', '0.01 sgd 3', '0.01 sgd 4', '0.01 adam 3', '0.01 adam 4']);
  });

  it('ranks the four settings by mean best validation loss over their two runs, lowest first', () => {
    const ranking = out.ranking;
    expect(ranking.map((r: any) => r.rank)).toEqual([1, 2, 3, 4]);
    const byId = new Map(listed.map((r) => [r.id, r]));
    for (const row of ranking) {
      expect(row).toMatchObject({ runs: 2, completed: 2 });
      const runs = row.run_ids.map((id: number) => byId.get(id));
      // The runs of a row are the ones with its values, one per seed.
      for (const r of runs) expect([r.learning_rate, r.optimizer]).toEqual([row.values.learningRate, row.values.optimizer]);
      const { mean, std } = byHand(runs.map((r: any) => r.best_val_loss));
      expect(row.best_val_loss.mean).toBeCloseTo(mean, 12);
      expect(row.best_val_loss.std).toBeCloseTo(std, 12);
      expect(row.best_val_loss.n).toBe(2);
    }
    const means = ranking.map((r: any) => r.best_val_loss.mean);
    expect(means).toEqual([...means].sort((a, b) => a - b));
    expect(new Set(ranking.map((r: any) => r.label))).toEqual(
      new Set(['lr=0.001 optimizer=sgd', 'lr=0.001 optimizer=adam', 'lr=0.01 optimizer=sgd', 'lr=0.01 optimizer=adam']),
    );
  });

  it('groups lists it with its runs done', async () => {
    const r = await ok(['groups', '--db', db]);
    expect(r.stdout).toMatch(new RegExp(`^${out.group.id}\\s+sweep\\s+Sweep lr × optimizer \\(×2 seeds\\)\\s+8/8\\s+8 completed`, 'm'));
  });
});

describe('the queue, pause and resume across processes', () => {
  it('runs --status queued shows the queue in order; pause of another process’s run names it; Ctrl+C cancels the group', async () => {
    const db = newDb('queue');
    // Three runs, the first still training while the commands below look (20 epochs of 6,000 images; cancelled long before the end).
    const s = startCli(['train', '--preset', 'seed-model-3', '--limit', '6000', '--epochs', '20', '--repeat', '3', '--db', db], {
      processGroup: true,
    });
    await s.waitFor('stderr', /^run \d+ \(1\/3\) epoch 1: /m);
    const queued = json<any[]>(await ok(['runs', '--status', 'queued', '--json', '--db', db]));
    expect(queued.map((r) => r.queue_position)).toEqual([1, 2]);
    const text = await ok(['runs', '--status', 'queued,running', '--db', db]);
    expect(text.stdout).toMatch(new RegExp(`^${queued[0].id}\\s.*queued \\(next\\)`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^${queued[1].id}\\s.*queued \\(position 2\\)`, 'm'));
    expect(text.stdout).toMatch(/\srunning\s/);

    const paused = await cli(['pause', String(queued[1].id), '--db', db]);
    expectRefused(paused, new RegExp(`Run ${queued[1].id} .* is queued in another Layerlab process \\(pid ${s.child.pid}\\); pause it there`));

    process.kill(-s.child.pid!, 'SIGINT');
    const r = await s.done;
    expect(r.code, r.stderr).toBe(130);
    const after = json<any[]>(await ok(['runs', '--json', '--db', db]));
    expect(after.map((x) => x.status).sort()).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('a run paused by another process is listed where it stopped; resume ID finishes it here', async () => {
    const db = newDb('paused');
    // The window's side: a service in this process trains a run and pauses it in epoch 1.
    const app = openLayerlab({ shell: 'browser', launchTrainer: forkTrainer, databasePath: db, dataDir: home });
    const preset = findPreset('seed-model-3')!;
    const run = app.runs.start({ presetId: preset.id, model: preset.model, config: { ...preset.config, limit: 6000, epochs: 2 } });
    let pausing = false;
    const off = app.events.subscribe((e) => {
      if (e.type === 'run-progress' && e.progress.runId === run.id && e.progress.batch >= 20 && !pausing) {
        pausing = true;
        app.runs.pause(run.id);
      }
    });
    await app.runs.whenDone(run.id);
    off();
    const paused = app.runs.get(run.id);
    await app.close();
    expect(paused.status).toBe('paused');
    const at = paused.checkpoint!;
    expect(at.epoch).toBe(1);
    expect(at.batch).toBeGreaterThanOrEqual(20);

    const listed = await ok(['runs', '--status', 'paused', '--db', db]);
    expect(listed.stdout).toMatch(new RegExp(`^${run.id}\\s.*paused \\(at epoch 1, batch ${at.batch}\\)`, 'm'));
    const again = await ok(['pause', String(run.id), '--db', db]);
    expect(again.stdout).toContain(`is already paused (at epoch 1, batch ${at.batch}); \`layerlab resume ${run.id}\` continues it`);

    const r = await ok(['resume', String(run.id), '--db', db, '--json']);
    expect(r.stderr).toContain(`Resuming run ${run.id} "${run.name}" at epoch 1, batch ${at.batch}`);
    const done = json(r);
    expect(done.status).toBe('completed');
    expect(done.epochs.map((e: any) => e.epoch)).toEqual([1, 2]);
  });

  it('resume of a run that is not paused says why', async () => {
    const db = newDb('resume');
    const trained = json(await ok(['train', ...TINY, '--json', '--db', db]));
    expectRefused(
      await cli(['resume', String(trained.id), '--db', db]),
      /is completed; only a paused run, or a crashed one with a checkpoint, can be resumed/,
    );
    expectRefused(await cli(['pause', String(trained.id), '--db', db]), /is completed; only a training or queued run can be paused/);
  });
});

describe('refusals, before anything is queued', () => {
  let db: string;
  beforeAll(() => {
    db = newDb('refused');
  });
  it.each([
    [['sweep', '--preset', 'seed-model-3'], /sweep needs at least one --set KEY=V1,V2/],
    [['sweep', '--preset', 'seed-model-3', '--set', 'lr=abc'], /lr=abc: a learning rate is a number like 0\.001/],
    [['sweep', '--preset', 'seed-model-3', '--set', 'layer9.units=64,128'], /layer9\.units: the network has 7 layers/],
    [['sweep', '--preset', 'seed-model-3', '--set', 'colour=red'], /"colour" is not a setting a sweep can vary/],
    [['sweep', '--preset', 'seed-model-3', '--set', 'layer7.units=5'], /layer7\.units=5: this network cannot be trained/],
    [
      ['sweep', '--preset', 'seed-model-3', '--set', 'lr=0.1,0.2', '--set', 'batch=16,32,64,128,256', '--repeat', '21'],
      /makes 210 runs; at most 200/,
    ],
    [['train', '--preset', 'seed-model-3', '--repeat', 'two'], /--repeat two: give a whole number of seeds/],
    [['train', '--preset', 'seed-model-3', '--repeat', '51'], /at most 50 repeats/],
    [['runs', '--status', 'waiting'], /--status waiting: give one or more of queued, running, paused/],
    [['pause'], /pause needs one run id/],
    [['resume', 'x'], /"x" is not a run id/],
  ])('%j', async (args, reason) => {
    expectRefused(await cli([...args, '--db', db]), reason);
  });

  it('recorded nothing', async () => {
    expect(json<any[]>(await ok(['runs', '--json', '--db', db]))).toEqual([]);
    expect(json<any[]>(await ok(['groups', '--json', '--db', db]))).toEqual([]);
  });
});
