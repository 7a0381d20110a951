/**
 * The CLI's repeats, sweeps, queue and pause/resume: `train --repeat N`, `sweep`,
 * `groups`, `runs --status`, `pause ID` and `resume ID`. Training waits in this process
 * and prints progress on stderr, as `train` does; the result goes to stdout.
 */
import { parseArgs } from 'node:util';
import { UserError } from '../shared/contract/api';
import { runIdSchema, startGroupSchema, type StartGroupRequest } from '../shared/contract/requests';
import {
  isTerminal,
  RUN_STATUSES,
  type EpochMetrics,
  type RunDetail,
  type RunGroup,
  type RunProgress,
  type RunStatus,
  type RunSummary,
} from '../shared/contract/runs';
import { describeIssues } from '../shared/model/schemas';
import { expandGroup, parseSetArgument, SweepError, sweepKeyLabel } from '../shared/model/sweep';
import { filterRuns } from '../shared/reports/run-filter';
import { groupSummary, meanStdText, sweepRanking, type GroupSummaryRow, type MeanStd, type SweepRankingRow } from '../shared/reports/groups';
import type { Layerlab } from '../core/app';
import { duration, runJson, runsTable, runText, summaryJson } from './format';

type Open = (db: string | undefined) => Layerlab;

// ───────────────────────────── progress ─────────────────────────────

/** The progress bar of one run: "[####----] 42% epoch 1/3 batch 30/75 loss 0.6123 elapsed 0:12 ETA 0:16". */
export function progressLine(p: RunProgress): string {
  const total = p.epochs * p.batches;
  const done = (p.epoch - 1) * p.batches + p.batch;
  const width = 24;
  const filled = Math.max(0, Math.min(width, Math.round((done / total) * width)));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor((done / total) * 100)}% epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} elapsed ${duration(p.elapsedSeconds)} ETA ${duration(p.etaSeconds)}`;
}

export function epochLine(m: EpochMetrics): string {
  return `epoch ${m.epoch}: loss ${m.loss.toFixed(4)} accuracy ${m.accuracy.toFixed(4)} val_loss ${m.valLoss?.toFixed(4)} val_accuracy ${m.valAccuracy?.toFixed(4)} (${m.seconds.toFixed(1)} s)`;
}

/**
 * Progress of these runs on stderr: a bar on a terminal, a line per epoch, a line when
 * each run ends. `label(id)` prefixes a run's lines in a group ("run 12 (2/8)"). Returns the unsubscribe.
 */
function followRuns(ll: Layerlab, ids: number[], label: (id: number) => string): () => void {
  const showBar = process.stderr.isTTY;
  const mine = new Set(ids);
  const ended = new Set<number>();
  const write = (line: string) => process.stderr.write(showBar ? `\r\x1b[2K${line}\n` : `${line}\n`);
  const unsubscribe = ll.events.subscribe((e) => {
    if (e.type === 'run-progress' && showBar && mine.has(e.progress.runId)) {
      process.stderr.write(`\r\x1b[2K${label(e.progress.runId)}${progressLine(e.progress)}`);
    }
    if (e.type === 'run-epoch' && mine.has(e.runId)) write(`${label(e.runId)}${epochLine(e.epoch)}`);
    if (e.type === 'run-updated' && mine.has(e.run.id) && ids.length > 1 && isTerminal(e.run.status) && !ended.has(e.run.id)) {
      ended.add(e.run.id);
      write(`${label(e.run.id)}${e.run.status}${e.run.error ? `: ${e.run.error}` : ''}`);
    }
  });
  return () => {
    unsubscribe();
    if (showBar) process.stderr.write('\r\x1b[2K');
  };
}

/**
 * Ctrl+C (or SIGTERM) cancels these runs, the queued ones first so none starts;
 * a second Ctrl+C quits at once. Returns whether it was pressed, and the cleanup.
 */
function cancelOnSignal(ll: Layerlab, ids: () => number[]): { interrupted: () => boolean; remove: () => void } {
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nCancelling (press Ctrl+C again to quit at once)…\n');
    const runs = ids().map((id) => ll.runs.get(id));
    const order = [...runs.filter((r) => r.status !== 'running'), ...runs.filter((r) => r.status === 'running')];
    for (const r of order) if (!isTerminal(r.status)) ll.runs.cancel(r.id);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    interrupted: () => interrupted,
    remove: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

// ───────────────────────────── repeats and sweeps ─────────────────────────────

/**
 * Check a group before anything is queued: the contract's schema, then every run it
 * makes (values, networks, size); a problem is the user's to fix.
 */
export function checkGroupRequest(request: StartGroupRequest): StartGroupRequest {
  const parsed = startGroupSchema.safeParse(request);
  if (!parsed.success) throw new UserError(describeIssues(parsed.error).replace(/run\.config\.|config\./g, ''));
  try {
    expandGroup(parsed.data);
  } catch (e) {
    if (e instanceof SweepError) throw new UserError(e.message);
    throw e;
  }
  return parsed.data;
}

/** `--set KEY=V1,V2` arguments as the group's axes. */
export function sweepAxes(sets: string[] | undefined): StartGroupRequest['axes'] {
  if (!sets?.length) {
    throw new UserError(
      'sweep needs at least one --set KEY=V1,V2,… (e.g. --set lr=0.0001,0.001,0.01); for the same settings over seeds use train --repeat N',
    );
  }
  try {
    return sets.map(parseSetArgument);
  } catch (e) {
    if (e instanceof SweepError) throw new UserError(e.message);
    throw e;
  }
}

/** `--repeat N`: a whole number from 1; the schema says the upper bound. */
export function repeatCount(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new UserError(`--repeat ${text}: give a whole number of seeds, 1 or more (e.g. --repeat 3)`);
  return n;
}

/**
 * Queue the group (a repeat or a sweep), wait for every run, print the result: for a
 * repeat each run and the mean ± std of the summary figures, for a sweep the settings
 * ranked. Exit code 0 when every run completed, 130 when cancelled, 1 otherwise.
 */
export async function trainGroup(ll: Layerlab, request: StartGroupRequest, o: { json: boolean }): Promise<number> {
  const { group, runs } = ll.runs.startGroup(request);
  const ids = runs.map((r) => r.id);
  const position = new Map(ids.map((id, i) => [id, i + 1]));
  const label = (id: number) => (ids.length > 1 ? `run ${id} (${position.get(id)}/${ids.length}) ` : '');
  process.stderr.write(
    `Group ${group.id} "${group.name}": ${ids.length} run${ids.length === 1 ? '' : 's'} (${ids[0]}–${ids[ids.length - 1]}) → ${ll.databasePath}\n`,
  );
  const stopFollowing = followRuns(ll, ids, label);
  const signals = cancelOnSignal(ll, () => ids);
  try {
    for (const id of ids) await ll.runs.whenDone(id);
  } finally {
    signals.remove();
    stopFollowing();
  }
  const details = ids.map((id) => ll.runs.get(id));
  const finalGroup = ll.runs.listGroups().find((g) => g.id === group.id) ?? group;
  await ll.close();

  const completed = details.filter((r) => r.status === 'completed');
  if (group.axes.length === 0) {
    const summary = groupSummary(completed);
    if (o.json)
      process.stdout.write(
        `${JSON.stringify({ group: groupJson(finalGroup, details), runs: details.map(groupRunJson), summary: summary.map(summaryRowJson) }, null, 2)}\n`,
      );
    else process.stdout.write(`${repeatText(finalGroup, details, summary)}\n`);
  } else {
    const ranking = sweepRanking(finalGroup, details);
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({ group: groupJson(finalGroup, details), runs: details.map(groupRunJson), ranking: ranking.map(rankingJson) }, null, 2)}\n`,
      );
    } else process.stdout.write(`${sweepText(finalGroup, details, ranking)}\n`);
  }
  if (completed.length === details.length) return 0;
  const failed = details.filter((r) => r.status !== 'completed');
  process.stderr.write(
    `${failed.length} of ${details.length} runs did not complete: ${failed.map((r) => `run ${r.id} ${r.status}${r.error ? ` (${r.error})` : ''}`).join('; ')}\n`,
  );
  return signals.interrupted() || failed.every((r) => r.status === 'cancelled') ? 130 : 1;
}

function table(header: string[], rows: string[][], rightAligned: number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const fixed = (x: number | null, digits = 4) => (x === null ? '—' : x.toFixed(digits));

function groupHeading(group: RunGroup, runs: RunSummary[]): string {
  const completed = runs.filter((r) => r.status === 'completed').length;
  const seeds = group.repeat > 1 ? `seeds ${group.seed}–${group.seed + group.repeat - 1}` : `seed ${group.seed}`;
  return `Group ${group.id}: ${group.name} (${group.kind}, ${seeds}; ${completed}/${runs.length} runs completed)`;
}

function repeatText(group: RunGroup, runs: RunDetail[], summary: GroupSummaryRow[]): string {
  const rows = runs.map((r) => [
    String(r.id),
    String(r.config.seed),
    r.status,
    fixed(r.bestValLoss),
    fixed(r.bestValAccuracy),
    fixed(r.testAccuracy),
  ]);
  const completed = runs.filter((r) => r.status === 'completed').length;
  return [
    groupHeading(group, runs),
    '',
    table(['run', 'seed', 'status', 'best val loss', 'best val acc', 'test acc'], rows, [0, 1, 3, 4, 5]),
    '',
    ...(completed === 0
      ? ['No run completed: there is nothing to summarise.']
      : [
          `Over the ${completed} completed run${completed === 1 ? '' : 's'}: mean ± sample standard deviation (n runs)`,
          table(
            ['figure', 'mean ± std (n)', 'min', 'max'],
            summary.map((s) => [s.label, meanStdText(s, s.digits), fixed(s.min, s.digits), fixed(s.max, s.digits)]),
          ),
        ]),
  ].join('\n');
}

function sweepText(group: RunGroup, runs: RunSummary[], ranking: SweepRankingRow[]): string {
  const keys = group.axes.map((a) => a.key);
  const header = ['rank', ...keys.map(sweepKeyLabel), 'runs', 'best val loss', 'best val acc', 'test acc'];
  const rows = ranking.map((r) => [
    r.rank === null ? '—' : String(r.rank),
    ...keys.map((k) => String(r.values[k])),
    `${r.completed}/${r.n}`,
    meanStdText(r.bestValLoss),
    meanStdText(r.bestValAccuracy),
    meanStdText(r.testAccuracy),
  ]);
  const best = ranking[0]?.rank === 1 ? ranking[0] : null;
  return [
    groupHeading(group, runs),
    '',
    'Settings ranked by mean best validation loss (lowest first) over their completed runs: mean ± sample standard deviation (n runs)',
    table(header, rows),
    '',
    best ? `Best: ${best.label} (best val loss ${meanStdText(best.bestValLoss)})` : 'No setting has a completed run yet.',
  ].join('\n');
}

const statJson = (s: MeanStd) => ({ mean: s.mean, std: s.std, n: s.n, min: s.min, max: s.max });

function summaryRowJson(s: GroupSummaryRow) {
  return { key: s.key, label: s.label, ...statJson(s) };
}

function rankingJson(r: SweepRankingRow) {
  return {
    rank: r.rank,
    values: r.values,
    label: r.label,
    run_ids: r.runIds,
    runs: r.n,
    completed: r.completed,
    best_val_loss: statJson(r.bestValLoss),
    best_val_accuracy: statJson(r.bestValAccuracy),
    test_accuracy: statJson(r.testAccuracy),
  };
}

/** A group as --json prints it. */
function groupJson(g: RunGroup, runs: RunSummary[]) {
  const statuses: Partial<Record<RunStatus, number>> = {};
  for (const r of runs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    id: g.id,
    kind: g.kind,
    name: g.name,
    created_at: g.createdAt,
    repeat: g.repeat,
    seed: g.seed,
    axes: g.axes,
    run_ids: g.runIds,
    runs_total: runs.length,
    runs_completed: statuses.completed ?? 0,
    statuses,
  };
}

/** A run of a group: the runs list's fields (its group, sweep values and repeat index among them) and its seed. */
function groupRunJson(r: RunDetail) {
  return { ...summaryJson(r), seed: r.config.seed };
}

// ───────────────────────────── groups ─────────────────────────────

/** `groups [--json]`: every repeat and sweep, newest first, with how many of its runs are done. */
export async function groupsCommand(argv: string[], open: Open): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { db: { type: 'string' }, json: { type: 'boolean', default: false } }, strict: true });
  const ll = open(values.db);
  let groups: RunGroup[];
  let runs: RunSummary[];
  try {
    groups = ll.runs.listGroups();
    runs = ll.runs.list();
  } finally {
    await ll.close();
  }
  const byId = new Map(runs.map((r) => [r.id, r]));
  const runsOf = (g: RunGroup) => g.runIds.map((id) => byId.get(id)).filter((r): r is RunSummary => r !== undefined);
  const ordered = [...groups].sort((a, b) => b.id - a.id);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        ordered.map((g) => groupJson(g, runsOf(g))),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  if (!ordered.length) {
    process.stdout.write('No groups yet: `train … --repeat N` or `sweep … --set KEY=V1,V2` makes one.\n');
    return 0;
  }
  const rows = ordered.map((g) => {
    const rs = runsOf(g);
    const done = rs.filter((r) => isTerminal(r.status)).length;
    const counts = RUN_STATUSES.map((s) => [s, rs.filter((r) => r.status === s).length] as const).filter(([, n]) => n > 0);
    return [
      String(g.id),
      g.kind,
      g.name,
      `${done}/${rs.length}`,
      counts.map(([s, n]) => `${n} ${s}`).join(', ') || '—',
      g.axes.map((a) => `${sweepKeyLabel(a.key)}: ${a.values.join(', ')}`).join('; ') || '—',
      g.repeat > 1 ? `${g.seed}–${g.seed + g.repeat - 1}` : String(g.seed),
      g.createdAt,
    ];
  });
  process.stdout.write(`${table(['id', 'kind', 'name', 'done', 'runs', 'swept', 'seeds', 'created'], rows)}\n`);
  return 0;
}

// ───────────────────────────── runs --status ─────────────────────────────

/** `--status queued,paused`: the statuses to keep. */
export function statusFilter(text: string | undefined): RunStatus[] | undefined {
  if (text === undefined) return undefined;
  const wanted = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = wanted.filter((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (!wanted.length || unknown.length) {
    throw new UserError(`--status ${text}: give one or more of ${RUN_STATUSES.join(', ')}, separated by commas`);
  }
  return wanted as RunStatus[];
}

/** The status as the runs list shows it: where a queued run stands, where a paused (or resumable crashed) one stopped. */
export function statusWords(r: RunSummary): string {
  if (r.status === 'queued' && r.queuePosition !== null) return r.queuePosition === 1 ? 'queued (next)' : `queued (position ${r.queuePosition})`;
  if (r.checkpoint && (r.status === 'paused' || r.status === 'crashed')) {
    const at = `epoch ${r.checkpoint.epoch}, batch ${r.checkpoint.batch}`;
    return r.status === 'paused' ? `paused (at ${at})` : `crashed (resumable at ${at})`;
  }
  return r.status;
}

/**
 * The runs to list: newest first, or in queue order when only queued runs are asked for;
 * `group` keeps one group's runs.
 */
export function selectRuns(all: RunSummary[], o: { status?: RunStatus[]; group?: number }): RunSummary[] {
  let runs = filterRuns(all, { status: o.status });
  if (o.group !== undefined) runs = runs.filter((r) => r.groupId === o.group);
  if (o.status?.length === 1 && o.status[0] === 'queued')
    runs = [...runs].sort((a, b) => (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity));
  return runs;
}

/** The runs table with each status in words (queue position, checkpoint). */
export function runsListText(runs: RunSummary[], datasetName?: (r: RunSummary) => string): string {
  // runsTable prints the status as it is given: hand it the words.
  return runsTable(
    runs.map((r) => ({ ...r, status: statusWords(r) as RunStatus })),
    datasetName,
  );
}

/** A run in `runs --json`: the list's fields, with its place in the queue (1 = trains next) and where a resume would continue. */
export function listedRunJson(r: RunSummary) {
  return { ...summaryJson(r), queue_position: r.queuePosition, checkpoint: r.checkpoint };
}

// ───────────────────────────── pause and resume ─────────────────────────────

function parseRunId(command: string, positionals: string[]): number {
  if (positionals.length !== 1) throw new UserError(`${command} needs one run id, e.g. \`layerlab ${command} 3\``);
  const id = runIdSchema.safeParse(Number(positionals[0]));
  if (!id.success) throw new UserError(`"${positionals[0]}" is not a run id`);
  return id.data;
}

/**
 * `pause ID`. A run is paused by the process that trains it, and each CLI command is a
 * process of its own that owns no run when it starts (start-up has already marked the
 * runs of processes that are gone): a queued or training run belongs to another live
 * Layerlab process (the window, browser mode, another CLI), and the service refuses
 * in words that name it by pid. A paused run is left as it is.
 */
export async function pauseCommand(argv: string[], open: Open): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { db: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: true,
  });
  const id = parseRunId('pause', positionals);
  const ll = open(values.db);
  try {
    const already = ll.runs.get(id).status === 'paused';
    const run = ll.runs.pause(id);
    if (values.json) process.stdout.write(`${JSON.stringify(listedRunJson(run), null, 2)}\n`);
    else if (already) process.stdout.write(`Run ${id} "${run.name}" is already ${statusWords(run)}; \`layerlab resume ${id}\` continues it.\n`);
    else process.stdout.write(`Run ${id} "${run.name}" is ${statusWords(run)}; \`layerlab resume ${id}\` continues it.\n`);
    return 0;
  } finally {
    await ll.close();
  }
}

/**
 * `resume ID`: a paused run, or a crashed one with a checkpoint, continues where it
 * stopped, trained by this process; waits and prints progress and the run as `train` does.
 */
export async function resumeCommand(argv: string[], open: Open): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { db: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: true,
  });
  const id = parseRunId('resume', positionals);
  const ll = open(values.db);
  let resumed: RunSummary;
  let at: RunSummary['checkpoint'];
  try {
    // Where it will continue, read before the run is queued again.
    at = ll.runs.get(id).checkpoint;
    resumed = ll.runs.resume(id);
  } catch (e) {
    await ll.close();
    throw e;
  }
  process.stderr.write(`Resuming run ${id} "${resumed.name}"${at ? ` at epoch ${at.epoch}, batch ${at.batch}` : ''} → ${ll.databasePath}\n`);
  const stopFollowing = followRuns(ll, [id], () => '');
  const signals = cancelOnSignal(ll, () => [id]);
  try {
    await ll.runs.whenDone(id);
  } finally {
    signals.remove();
    stopFollowing();
  }
  const detail = ll.runs.get(id);
  await ll.close();
  process.stdout.write(values.json ? `${JSON.stringify(runJson(detail), null, 2)}\n` : `${runText(detail)}\n`);
  if (detail.status === 'completed') return 0;
  process.stderr.write(`Run ${detail.id} ${detail.status}${detail.error ? `: ${detail.error}` : ''}\n`);
  return detail.status === 'cancelled' ? 130 : 1;
}
