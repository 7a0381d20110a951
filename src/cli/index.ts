/**
 * Layerlab's command line: the same core services and database as the desktop
 * app, for scripts and terminals. Usage: see HELP below.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../shared/contract/api';
import { summarizeModel } from '../shared/model/model-math';
import { PRESETS } from '../shared/model/presets';
import { describeIssues } from '../shared/model/schemas';
import { MAX_GROUP_RUNS, runIdSchema, startRunSchema, type StartGroupRequest, type StartRunRequest } from '../shared/contract/requests';
import { openLayerlab, type Layerlab } from '../core/app';
import { forkTrainer } from '../core/runs/node-trainer';
import { isLoopbackHost, startBrowserServer } from '../core/server/browser-server';
import { evaluateCommand } from './evaluate';
import { exportCommand, importCommand } from './export';
import { runJson, runText, summaryJsonOf, summaryText } from './format';
import {
  checkGroupRequest,
  epochLine,
  groupsCommand,
  listedRunJson,
  pauseCommand,
  progressLine,
  repeatCount,
  resumeCommand,
  runsListText,
  selectRuns,
  statusFilter,
  sweepAxes,
  trainGroup,
} from './groups';
import { resolveModelSource } from './model-source';
import { DEFAULT_DATASET_ID, DEFAULT_EARLY_STOPPING } from '../shared/model/training-config';
import { datasetFitRefusal } from '../core/runs/run-service';
import { datasetCommand, datasetsCommand, downloadCommand } from './datasets';

const HELP = `Layerlab — design, train, record and compare neural networks.

Usage:
  layerlab summary (--preset ID | --design NAME|FILE | --keras FILE) [--db PATH] [--json]
  layerlab train (--preset ID | --design NAME|FILE | --keras FILE) [--epochs N] [--batch-size N] [--optimizer sgd|adam|rmsprop|adagrad]
                 [--lr X] [--momentum X] [--validation-split F] [--limit N] [--seed N] [--name S]
                 [--early-stop val_loss|val_accuracy [--patience N] [--min-delta X] [--keep-final]] [--probe-every N]
                 [--repeat N] [--dataset ID|NAME] [--db PATH] [--json]
  layerlab sweep (--preset ID | --design NAME|FILE | --keras FILE) --set KEY=V1,V2,… [--set …] [--repeat N]
                 [the training options of train] [--db PATH] [--json]
  layerlab datasets [--db PATH] [--json]
  layerlab dataset import FOLDER [--name NAME] [--size HxW] [--channels 1|3] [--test-split F] [--db PATH] [--json]
  layerlab dataset reimport ID|NAME [--db PATH] [--json]
  layerlab dataset remove ID|NAME [--db PATH] [--json]
  layerlab download [ID] [--db PATH] [--json]
  layerlab runs [--status S[,S…]] [--group ID] [--db PATH] [--json]
  layerlab groups [--db PATH] [--json]
  layerlab show ID [--db PATH] [--json]
  layerlab pause ID [--db PATH] [--json]
  layerlab resume ID [--db PATH] [--json]
  layerlab evaluate ID [--split test|validation] [--db PATH] [--json]
  layerlab evaluate A --diff B [--split test|validation] [--db PATH] [--json]
  layerlab export ID... --format csv|json|layer-stats|html|bundle|model --out PATH [--smoothing X] [--baseline] [--title S] [--db PATH] [--json]
  layerlab import FILE [--db PATH] [--json]
  layerlab serve [--port N] [--host ADDR [--allow-remote]] [--db PATH]

Repeats and sweeps (each makes a group of runs, trained one after another by this command):
  train … --repeat N   the same network and settings over N seeds (the run's seed, seed+1, …),
                  then each figure as mean ± sample standard deviation (n − 1) over the completed runs;
                  --json: {group, runs, summary}
  sweep … --set KEY=V1,V2,…   every combination of the values (the first --set changes slowest), each over
                  --repeat N seeds, then the settings ranked by mean best validation loss (mean ± std, n);
                  --json: {group, runs, ranking}. KEY: lr, optimizer, batch-size, epochs, momentum, or
                  layer<N>.<field> for the N-th layer (numbered from 1, as the editor and summary number them),
                  e.g. --set layer3.units=64,128 --set layer2.activation=relu,sigmoid. At most ${MAX_GROUP_RUNS} runs.
                  --name S names the runs "S · lr=0.001 · seed 43"; without it they are named by what varies.
  groups          the groups, newest first: kind, name, runs done/total, swept settings, seeds

Datasets:
  datasets        every dataset: the built-in ones (fashion-mnist, mnist, kmnist, cifar-10) and the folders you
                  imported, with shape (HxWxC), classes, train/test counts and status: available, to download
                  (\`layerlab download ID\`), or source changed (re-import it)
  dataset import FOLDER   FOLDER/<class>/<image> (or FOLDER/train/<class>/ and FOLDER/test/<class>/): PNG, JPEG and WebP
                  images resized to --size (default 32x32), --channels 3 (RGB, the default) or 1 (grayscale), and
                  --test-split of each class kept for testing (default 0.2) when there are no train/ and test/.
                  --name defaults to the folder's name. Prints what was skipped and why; Ctrl+C cancels
  dataset reimport ID   imports the dataset's folder again with the same settings (after its files changed)
  dataset remove ID     removes an imported dataset's images (never its source folder); refused while a run uses it
  download [ID]   a built-in dataset into the app's cache, each file checked (Fashion-MNIST when no ID is given)
  train … --dataset ID|NAME   trains on that dataset (sweep and --repeat too); the network must fit its image
                  shape and class count. Without it: Fashion-MNIST. \`runs\` and \`show\` say which dataset a run used

Queue, pause and resume:
  runs --status queued,paused   only runs with these statuses (queued, running, paused, completed, failed,
                  cancelled, crashed); queued runs in queue order with their position; --group ID keeps one group's
  pause ID        a run is paused by the process that trains it: a CLI command owns no run but its own, so a run
                  queued or training in the window, browser mode or another CLI is paused there (this says which
                  process, by pid). Ctrl+C in train, sweep and resume cancels (the finished epochs are kept).
  resume ID       continues a paused run, or a crashed one from its last checkpoint (written at each epoch's end),
                  exactly where it stopped, trained by this command: progress and the run as train prints them

Evaluate:
  evaluate ID     the completed run's saved model on the 10,000 test images (or its own validation split):
                  the 10×10 confusion matrix (rows: true class), precision, recall, F1 and support per class,
                  and the most confused pairs in words; computed once, then read from the database.
                  --json: {run_id, split, accuracy, top2_accuracy, confusion, per_class, confused_pairs}
  --diff B        which images both runs get right, only A, only B, neither, and B's recall minus A's per class;
                  --json: {both_right, only_a, only_b, neither, per_class_recall_delta}

Export formats:
  csv     the curves' data, tidy: run_id,run,epoch,seconds,metric,value,smoothed
          (--baseline adds epoch 0, measured before the first step)
  json    the same data with each run's label, settings, baseline and layer_stats
  layer-stats  the per-layer training signals: run_id,run,epoch,batch,layer,name,grad_norm,bias_grad_norm,
          weight_norm,update_ratio,act_mean,act_std,dead_fraction,saturated_fraction,nonfinite
  html    a comparison report in one file (charts, summary, settings, architecture, and the predictions of
          runs evaluated with \`layerlab evaluate\`), readable offline
  bundle  the runs (network, settings, metrics, layer signals) to import into another database with \`layerlab import\`
  model   one completed run's trained model for tf.loadLayersModel: PATH is a folder for model.json and its weights
  --smoothing X  TensorBoard's smoothing weight from 0 (raw, the default) up to 1, for csv, json and html

Presets: ${PRESETS.map((p) => p.id).join(', ')}
Database: --db PATH, else $LAYERLAB_DB, else the desktop app's file in the per-user data folder.`;

const common = {
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

const sourceOptions = {
  preset: { type: 'string' },
  design: { type: 'string' },
  keras: { type: 'string' },
} satisfies ParseArgsConfig['options'];

const summaryOptions = { ...common, ...sourceOptions } satisfies ParseArgsConfig['options'];

const trainOptions = {
  ...common,
  ...sourceOptions,
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  'validation-split': { type: 'string' },
  limit: { type: 'string' },
  seed: { type: 'string' },
  name: { type: 'string' },
  'early-stop': { type: 'string' },
  patience: { type: 'string' },
  'min-delta': { type: 'string' },
  'keep-final': { type: 'boolean' },
  'probe-every': { type: 'string' },
  repeat: { type: 'string' },
  dataset: { type: 'string' },
} satisfies ParseArgsConfig['options'];

const sweepOptions = {
  ...trainOptions,
  set: { type: 'string', multiple: true },
} satisfies ParseArgsConfig['options'];

const runsOptions = {
  ...common,
  status: { type: 'string' },
  group: { type: 'string' },
} satisfies ParseArgsConfig['options'];

const serveOptions = {
  ...common,
  port: { type: 'string' },
  host: { type: 'string' },
  'allow-remote': { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

/** A number from the command line; anything else stays as it is so the schema can say what is wrong. */
const num = (s: string | undefined) => (s === undefined ? undefined : s.trim() === '' ? s : Number(s));

function open(db: string | undefined): Layerlab {
  return openLayerlab({ shell: 'browser', launchTrainer: forkTrainer, databasePath: db });
}

type TrainValues = ReturnType<typeof parseArgs<{ args: string[]; options: typeof trainOptions; strict: true }>>['values'];

/**
 * The run `train` and `sweep` start from: the network of --preset/--design/--keras with
 * the training options applied, checked. Opens the database only when a design needs
 * it (returned, for the caller to use or close); closes it on a refusal.
 */
async function runRequest(values: TrainValues): Promise<{ request: StartRunRequest; app: Layerlab | null }> {
  let app: Layerlab | null = null;
  const source = resolveModelSource(values, () => (app ??= open(values.db)).designs);
  for (const w of source.warnings) process.stderr.write(`warning: ${w}\n`);
  const config = { ...source.config };
  const overrides: Record<string, unknown> = {
    epochs: num(values.epochs),
    batchSize: num(values['batch-size']),
    optimizer: values.optimizer,
    learningRate: num(values.lr),
    momentum: num(values.momentum),
    validationSplit: num(values['validation-split']),
    limit: num(values.limit),
    seed: num(values.seed),
    probeEveryBatches: num(values['probe-every']),
  };
  // Early stopping: --early-stop names what it watches; the other three tune it (Keras's defaults otherwise).
  const tuning = values.patience !== undefined || values['min-delta'] !== undefined || values['keep-final'];
  if (tuning && values['early-stop'] === undefined) {
    await (app as Layerlab | null)?.close();
    throw new UserError('--patience, --min-delta and --keep-final go with --early-stop val_loss|val_accuracy');
  }
  if (values['early-stop'] !== undefined) {
    overrides.earlyStopping = {
      ...DEFAULT_EARLY_STOPPING,
      monitor: values['early-stop'],
      ...(values.patience !== undefined ? { patience: num(values.patience) } : {}),
      ...(values['min-delta'] !== undefined ? { minDelta: num(values['min-delta']) } : {}),
      restoreBest: !values['keep-final'],
    };
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (config as Record<string, unknown>)[k] = v;
  let datasetId: string | undefined;
  if (values.dataset !== undefined) {
    const ll: Layerlab = (app ??= open(values.db));
    try {
      datasetId = (await ll.datasets.find(values.dataset)).id;
    } catch (e) {
      await ll.close();
      throw e;
    }
  }
  const parsed = startRunSchema.safeParse({ name: values.name, presetId: source.presetId, datasetId, model: source.model, config });
  if (!parsed.success) {
    await (app as Layerlab | null)?.close();
    throw new UserError(describeIssues(parsed.error).replace(/config\./g, ''));
  }
  if (datasetId === undefined || datasetId === DEFAULT_DATASET_ID) {
    const problems = summarizeModel(source.model).problems;
    if (problems.length) {
      await (app as Layerlab | null)?.close();
      throw new UserError(`The ${source.label} cannot be trained: ${problems.map((p) => p.message).join('; ')}`);
    }
  } else {
    const ll = app as unknown as Layerlab;
    let refusal: string | null;
    try {
      refusal = datasetFitRefusal(source.model, ll.datasets.fitTarget(datasetId));
    } catch (e) {
      await ll.close();
      throw e;
    }
    if (refusal) {
      await ll.close();
      throw new UserError(refusal.replace('This network', `The ${source.label}`));
    }
  }
  return { request: parsed.data, app };
}

/** A group of runs from the training options, checked before anything is queued; a refusal closes the database. */
async function startGroupOf(values: TrainValues, repeat: number, axes: StartGroupRequest['axes']): Promise<number> {
  const { request, app } = await runRequest(values);
  let group: StartGroupRequest;
  try {
    group = checkGroupRequest({ run: request, repeat, axes });
  } catch (e) {
    await (app as Layerlab | null)?.close();
    throw e;
  }
  return trainGroup(app ?? open(values.db), group, { json: values.json });
}

async function train(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: trainOptions, strict: true });
  // --repeat N: the same network and settings over seeds seed, seed+1, …, as a group summarised as mean ± std.
  if (values.repeat !== undefined) return startGroupOf(values, repeatCount(values.repeat), []);
  const { request, app } = await runRequest(values);
  const ll: Layerlab = app ?? open(values.db);
  const showBar = process.stderr.isTTY;
  const unsubscribe = ll.events.subscribe((e) => {
    if (e.type === 'run-progress' && showBar) process.stderr.write(`\r${progressLine(e.progress)}`);
    if (e.type === 'run-epoch') {
      const line = epochLine(e.epoch);
      process.stderr.write(showBar ? `\r\x1b[2K${line}\n` : `${line}\n`);
    }
  });
  const run = ll.runs.start(request);
  process.stderr.write(`Run ${run.id} "${run.name}" → ${ll.databasePath}\n`);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nCancelling (press Ctrl+C again to quit at once)…\n');
    ll.runs.cancel(run.id);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await ll.runs.whenDone(run.id);
  unsubscribe();
  const detail = ll.runs.get(run.id);
  await ll.close();
  if (showBar) process.stderr.write('\r\x1b[2K');
  if (values.json) process.stdout.write(`${JSON.stringify(runJson(detail), null, 2)}\n`);
  else process.stdout.write(`${runText(detail)}\n`);
  if (detail.status === 'completed') return 0;
  process.stderr.write(`Run ${detail.id} ${detail.status}${detail.error ? `: ${detail.error}` : ''}\n`);
  return detail.status === 'cancelled' ? 130 : 1;
}

/** `sweep`: every combination of the --set values (each over --repeat seeds) as one group, ranked when done. */
async function sweep(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: sweepOptions, strict: true });
  return startGroupOf(values, repeatCount(values.repeat), sweepAxes(values.set));
}

async function summary(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: summaryOptions, strict: true });
  let app: Layerlab | null = null;
  try {
    const source = resolveModelSource(values, () => (app ??= open(values.db)).designs);
    for (const w of source.warnings) process.stderr.write(`warning: ${w}\n`);
    const s = summarizeModel(source.model);
    process.stdout.write(values.json ? `${JSON.stringify(summaryJsonOf(s), null, 2)}\n` : `${summaryText(source.label, source.model, s)}\n`);
  } finally {
    await (app as Layerlab | null)?.close();
  }
  return 0;
}

async function runs(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: runsOptions, strict: true });
  const status = statusFilter(values.status);
  let group: number | undefined;
  if (values.group !== undefined) {
    group = Number(values.group);
    if (!Number.isInteger(group) || group < 1) throw new UserError(`--group ${values.group}: a group id is a whole number (see \`layerlab groups\`)`);
  }
  const app = open(values.db);
  let list;
  let datasetOf: (id: number) => { id: string; name: string };
  try {
    list = selectRuns(app.runs.list(), { status, group });
    const ids = app.store.datasetIds();
    datasetOf = (runId) => {
      const id = ids.get(runId) ?? DEFAULT_DATASET_ID;
      return { id, name: app.datasets.nameOf(id) ?? id };
    };
  } finally {
    await app.close();
  }
  const none = status || group !== undefined ? 'No runs match.' : 'No runs yet.';
  process.stdout.write(
    values.json
      ? `${JSON.stringify(list.map(listedRunJson), null, 2)}\n`
      : `${list.length ? runsListText(list, (r) => datasetOf(r.id).name) : none}\n`,
  );
  return 0;
}

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: common, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new UserError('show needs one run id, e.g. `layerlab show 3`');
  const id = runIdSchema.safeParse(Number(positionals[0]));
  if (!id.success) throw new UserError(`"${positionals[0]}" is not a run id`);
  const app = open(values.db);
  try {
    const run = app.runs.get(id.data);
    const datasetId = app.runs.datasetIdOf(run.id);
    const dataset = { id: datasetId, name: run.dataset?.name ?? app.datasets.nameOf(datasetId) ?? datasetId };
    process.stdout.write(values.json ? `${JSON.stringify(runJson(run), null, 2)}\n` : `${runText(run, dataset)}\n`);
  } finally {
    await app.close();
  }
  return 0;
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: serveOptions, strict: true });
  const remote = values.host !== undefined && !isLoopbackHost(values.host);
  if (remote && !values['allow-remote']) {
    throw new UserError(
      `--host ${values.host} is not a loopback address: other machines could reach Layerlab, and the token and all traffic would travel in clear text; add --allow-remote to do it anyway`,
    );
  }
  const staticDir = fileURLToPath(new URL('../../out/renderer', import.meta.url));
  if (!existsSync(`${staticDir}/index.html`)) {
    throw new UserError(`The UI is not built (${staticDir} is missing): run \`npm run build\` first, or use \`npm run serve\``);
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be a whole number from 0 to 65535`);
  const app = open(values.db);
  if (remote) {
    process.stderr.write(
      `warning: listening on ${values.host}, not loopback: the token URL and all traffic (your runs, models and data) travel in clear text over the network, readable by anyone on the path\n`,
    );
  }
  const server = await startBrowserServer({ service: app.service, events: app.events, staticDir, port, host: values.host, allowRemote: remote });
  // Listen for Ctrl+C / SIGTERM before printing the URL: a script that stops the server as soon as it reads it
  // (stdout to a pipe is written synchronously) must not kill it before the handlers exist.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write(`Layerlab is serving ${app.databasePath}\nOpen ${server.url}\n`);
  await stopped;
  await server.close();
  await app.close();
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${HELP}\n`);
      return command ? 0 : 1;
    }
    switch (command) {
      case 'summary':
        return await summary(rest);
      case 'train':
        return await train(rest);
      case 'sweep':
        return await sweep(rest);
      case 'runs':
        return await runs(rest);
      case 'groups':
        return await groupsCommand(rest, open);
      case 'pause':
        return await pauseCommand(rest, open);
      case 'resume':
        return await resumeCommand(rest, open);
      case 'show':
        return await show(rest);
      case 'evaluate':
        return await evaluateCommand(rest, open);
      case 'export':
        return await exportCommand(rest, open);
      case 'import':
        return await importCommand(rest, open);
      case 'serve':
        return await serve(rest);
      case 'datasets':
        return await datasetsCommand(rest, open);
      case 'dataset':
        return await datasetCommand(rest, open);
      case 'download':
        return await downloadCommand(rest, open);
      default:
        throw new UserError(
          `Unknown command "${command}"; try summary, train, sweep, runs, groups, show, pause, resume, evaluate, export, import, datasets, dataset, download or serve (--help lists them)`,
        );
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    // parseArgs errors (unknown option, missing value) are the user's to fix too.
    const message =
      e instanceof UserError || err.code?.startsWith('ERR_PARSE_ARGS')
        ? err.message.replace(/\s*\n\s*/g, ' ')
        : `Unexpected error: ${String(err.stack ?? err).split('\n')[0]}`;
    process.stderr.write(`layerlab: ${message}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
