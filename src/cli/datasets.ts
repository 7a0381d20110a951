/**
 * The CLI's datasets: `datasets` lists them, `dataset import|reimport|remove` manages the
 * imported folders, `download [ID]` fetches a built-in one. Progress goes to stderr (a bar on
 * a terminal), the result to stdout; --json prints one document.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../shared/contract/api';
import type { DatasetSummary, DownloadProgress, ImportProgress, ImportResult, SkippedFile } from '../shared/contract/dataset';
import { importDatasetSchema } from '../shared/contract/requests';
import { describeIssues } from '../shared/model/schemas';
import { DEFAULT_DATASET_ID } from '../shared/model/training-config';
import type { Layerlab } from '../core/app';
import { textTable } from './format';

type Open = (db: string | undefined) => Layerlab;

const common = {
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
} satisfies ParseArgsConfig['options'];

const importOptions = {
  ...common,
  name: { type: 'string' },
  size: { type: 'string' },
  channels: { type: 'string' },
  'test-split': { type: 'string' },
} satisfies ParseArgsConfig['options'];

const count = (n: number) => n.toLocaleString('en-US');
const shapeText = (s: readonly number[]) => s.join('x');

/** What a user can do with a dataset, in a few words. */
export function datasetStatusText(d: DatasetSummary): string {
  if (!d.available) return d.source === 'builtin' ? `download with \`layerlab download ${d.id}\`` : 'images missing: re-import';
  if (d.imported?.state === 'changed') return `source changed: re-import with \`layerlab dataset reimport ${d.id}\``;
  if (d.imported?.state === 'missing') return 'available (source folder gone)';
  return 'available';
}

/** A dataset in --json: the documented snake_case fields. */
export function datasetJson(d: DatasetSummary) {
  return {
    id: d.id,
    name: d.name,
    source: d.source,
    shape: d.shape,
    class_names: d.classNames,
    classes: d.classNames.length,
    train_count: d.trainCount,
    test_count: d.testCount,
    available: d.available,
    status: datasetStatusText(d),
    location: d.location,
    hash: d.hash,
    download_size: d.downloadSize,
    imported: d.imported
      ? {
          folder: d.imported.folder,
          state: d.imported.state,
          size: d.imported.size,
          channels: d.imported.channels,
          test_split: d.imported.testSplit,
          skipped: d.imported.skipped,
          imported_at: d.imported.importedAt,
        }
      : null,
    message: d.message,
  };
}

export function datasetsTable(list: DatasetSummary[]): string {
  const header = ['id', 'name', 'shape', 'classes', 'train', 'test', 'status'];
  const rows = list.map((d) => [
    d.id,
    d.name,
    shapeText(d.shape),
    String(d.classNames.length),
    count(d.trainCount),
    count(d.testCount),
    datasetStatusText(d),
  ]);
  return textTable(header, rows);
}

/** `datasets`: every dataset, built in and imported. */
export async function datasetsCommand(argv: string[], open: Open): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: common, strict: true, allowPositionals: true });
  if (positionals.length) throw new UserError(`datasets takes no arguments (got ${positionals.join(' ')}); see \`layerlab dataset --help\``);
  const app = open(values.db);
  let list: DatasetSummary[];
  try {
    list = await app.datasets.list();
  } finally {
    await app.close();
  }
  process.stdout.write(values.json ? `${JSON.stringify(list.map(datasetJson), null, 2)}\n` : `${datasetsTable(list)}\n`);
  return 0;
}

/** A progress bar on a terminal's stderr: "[####----] 42% label". */
function bar(fraction: number, label: string): string {
  const width = 24;
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${label}`;
}

/** Ctrl+C runs `stop` once; a second quits at once. Returns the cleanup. */
function onInterrupt(stop: () => void): () => void {
  let interrupted = false;
  const handler = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('\nCancelling (press Ctrl+C again to quit at once)…\n');
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

function skippedLines(skipped: SkippedFile[]): string[] {
  if (!skipped.length) return ['Nothing was skipped.'];
  return [`Skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}:`, ...skipped.map((s) => `  ${s.file}: ${s.reason}`)];
}

function importedText(verb: string, r: ImportResult): string {
  const d = r.dataset;
  const classes = d.classNames.length;
  return [
    `${verb} "${d.name}" as ${d.id}: ${shapeText(d.shape)} images, ${classes} classes (${d.classNames.join(', ')}), ${count(d.trainCount)} train / ${count(d.testCount)} test`,
    `  from ${d.imported?.folder ?? '—'}`,
    `  into ${d.location ?? '—'}`,
    ...skippedLines(r.skipped),
  ].join('\n');
}

/** Runs an import with its progress on stderr and Ctrl+C cancelling it. */
async function withImportProgress(app: Layerlab, work: (onProgress: (p: ImportProgress) => void) => Promise<ImportResult>): Promise<ImportResult> {
  const showBar = process.stderr.isTTY;
  let said = false;
  const remove = onInterrupt(() => app.datasets.cancelImport());
  try {
    return await work((p) => {
      if (showBar) process.stderr.write(`\r\x1b[2K${bar(p.total ? p.done / p.total : 1, `${count(p.done)}/${count(p.total)} images ${p.file}`)}`);
      else if (!said) {
        said = true;
        process.stderr.write(`Reading ${count(p.total)} images from ${p.folder}…\n`);
      }
    });
  } finally {
    remove();
    if (showBar) process.stderr.write('\r\x1b[2K');
  }
}

function parseSize(text: string | undefined): [number, number] | string {
  if (text === undefined) return [32, 32];
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(text);
  if (m) return [Number(m[1]), Number(m[2])];
  if (/^\s*\d+\s*$/.test(text)) return [Number(text), Number(text)];
  return text;
}

const num = (s: string | undefined) => (s === undefined ? undefined : s.trim() === '' ? s : Number(s));

async function importFolder(argv: string[], open: Open): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: importOptions, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new UserError('dataset import needs one folder, e.g. `layerlab dataset import ~/photos --name Photos`');
  const folder = positionals[0];
  const size = parseSize(values.size);
  if (typeof size === 'string') throw new UserError(`--size ${size}: give the height and width as HxW, e.g. 32x32`);
  const request = importDatasetSchema.safeParse({
    folder,
    name:
      values.name ??
      folder
        .replace(/[\\/]+$/, '')
        .split(/[\\/]/)
        .pop() ??
      folder,
    size,
    channels: values.channels === undefined ? 3 : num(values.channels),
    ...(values['test-split'] === undefined ? {} : { testSplit: num(values['test-split']) }),
  });
  if (!request.success) throw new UserError(describeIssues(request.error));
  const app = open(values.db);
  try {
    const result = await withImportProgress(app, (onProgress) => app.datasets.import(request.data, { onProgress }));
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ dataset: datasetJson(result.dataset), skipped: result.skipped }, null, 2)}\n`
        : `${importedText('Imported', result)}\n`,
    );
  } finally {
    await app.close();
  }
  return 0;
}

async function reimport(argv: string[], open: Open): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: common, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new UserError('dataset reimport needs one dataset id or name (see `layerlab datasets`)');
  const app = open(values.db);
  try {
    const { id } = await app.datasets.find(positionals[0]);
    const result = await withImportProgress(app, (onProgress) => app.datasets.reimport(id, { onProgress }));
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ dataset: datasetJson(result.dataset), skipped: result.skipped }, null, 2)}\n`
        : `${importedText('Imported again', result)}\n`,
    );
  } finally {
    await app.close();
  }
  return 0;
}

async function remove(argv: string[], open: Open): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: common, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new UserError('dataset remove needs one dataset id or name (see `layerlab datasets`)');
  const app = open(values.db);
  try {
    const d = await app.datasets.find(positionals[0]);
    const list = await app.service.deleteDataset(d.id);
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ removed: d.id, datasets: list.map(datasetJson) }, null, 2)}\n`
        : `Removed "${d.name}" (${d.id}); its source folder ${d.imported?.folder ?? ''} was not touched.\n`,
    );
  } finally {
    await app.close();
  }
  return 0;
}

/** `dataset import|reimport|remove`. */
export async function datasetCommand(argv: string[], open: Open): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'import':
      return importFolder(rest, open);
    case 'reimport':
      return reimport(rest, open);
    case 'remove':
      return remove(rest, open);
    default:
      throw new UserError(
        `dataset ${sub ?? ''}: give import FOLDER, reimport ID or remove ID (\`layerlab datasets\` lists them)`.replace('dataset :', 'dataset:'),
      );
  }
}

/** `download [ID]`: a built-in dataset into the app's cache (Fashion-MNIST when none is named). */
export async function downloadCommand(argv: string[], open: Open): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: common, strict: true, allowPositionals: true });
  if (positionals.length > 1) throw new UserError('download takes one dataset id, e.g. `layerlab download cifar-10`');
  const app = open(values.db);
  const showBar = process.stderr.isTTY;
  const unsubscribe = app.events.subscribe((e) => {
    if (e.type !== 'dataset-progress' || !showBar) return;
    const p: DownloadProgress = e.progress;
    const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
    process.stderr.write(`\r\x1b[2K${bar(p.fraction, `${p.file} ${mb(p.receivedBytes)}${p.totalBytes ? ` of ${mb(p.totalBytes)}` : ''}`)}`);
  });
  const removeInterrupt = onInterrupt(() => void app.service.cancelDownload());
  try {
    const id = positionals.length ? (await app.datasets.find(positionals[0])).id : DEFAULT_DATASET_ID;
    const status = await app.service.downloadDataset(id);
    if (showBar) process.stderr.write('\r\x1b[2K');
    const d = await app.datasets.find(id);
    if (values.json) process.stdout.write(`${JSON.stringify({ dataset: datasetJson(d), status }, null, 2)}\n`);
    else process.stdout.write(status.available ? `${d.name} is in ${status.folder}\n` : `${status.message}\n`);
    return status.available ? 0 : 1;
  } finally {
    removeInterrupt();
    unsubscribe();
    await app.close();
  }
}
