/**
 * `layerlab export` and `layerlab import`: the comparison's data, report, bundles
 * and trained models as files, with the same shared code the app uses.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../shared/contract/api';
import { BundleError, parseBundle } from '../shared/reports/bundle';
import { chartDataJson, layerStatsCsv, tidyCsv } from '../shared/reports/export-data';
import { comparisonReportHtml } from '../shared/reports/report';
import { defaultSmoothing } from '../shared/reports/compare';
import type { RunSummary } from '../shared/contract/runs';
import { runIdSchema } from '../shared/contract/requests';
import type { Layerlab } from '../core/app';
import { defaultDatabasePath } from '../core/paths';
import { importedText, summaryJson } from './format';

export const EXPORT_FORMATS = ['csv', 'json', 'layer-stats', 'html', 'bundle', 'model'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

const common = {
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

const exportOptions = {
  ...common,
  format: { type: 'string', short: 'f' },
  out: { type: 'string', short: 'o' },
  smoothing: { type: 'string' },
  title: { type: 'string' },
  baseline: { type: 'boolean', default: false },
} satisfies ParseArgsConfig['options'];

type Open = (db: string | undefined) => Layerlab;

/** Why a file operation failed, in the user's words. */
function reason(e: unknown, path: string): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
    case 'EEXIST': // mkdir -p when a part of the path is a file
      return 'a part of the path is a file, not a folder';
    case 'ENOENT':
      return `the folder ${dirname(path)} does not exist`;
    case 'EISDIR':
      return 'it is a folder';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return err?.message ?? String(e);
  }
}

/**
 * Write a whole file or nothing: into a temporary file beside it, then renamed
 * over the target, so a failure never leaves a half-written file or destroys
 * the one that was there.
 */
function writeFileAtomic(path: string, data: string | Buffer): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`Cannot write ${path}: it is a folder; give a file name`);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing was written */
    }
    throw new UserError(`Cannot write ${path}: ${reason(e, path)}`);
  }
}

function parseIds(positionals: string[]): number[] {
  const ids = positionals.map((p) => {
    const id = runIdSchema.safeParse(Number(p));
    if (!/^\s*\d+\s*$/.test(p) || !id.success) throw new UserError(`"${p}" is not a run id`);
    return id.data;
  });
  return [...new Set(ids)];
}

/** The weight asked for; null when none was (raw for csv and json, automatic by the curves' length for html). */
function parseSmoothing(s: string | undefined): number | null {
  if (s === undefined) return null;
  const x = s.trim() === '' ? NaN : Number(s);
  if (!Number.isFinite(x) || x < 0 || x >= 1)
    throw new UserError(`--smoothing must be a number from 0 (raw) up to but not including 1, e.g. 0.6; got "${s}"`);
  return x;
}

/** The database must exist to export from it; opening a missing one would create an empty one. */
function requireDatabase(db: string | undefined): void {
  const path = db ?? defaultDatabasePath();
  if (!existsSync(path)) throw new UserError(`There is no database at ${path}; choose one with --db or LAYERLAB_DB`);
}

export async function exportCommand(argv: string[], open: Open): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: exportOptions, strict: true, allowPositionals: true });
  if (!positionals.length) throw new UserError('export needs at least one run id, e.g. `layerlab export 3 4 --format csv --out runs.csv`');
  const ids = parseIds(positionals);
  if (!values.format) throw new UserError(`export needs --format, one of ${EXPORT_FORMATS.join(', ')}`);
  if (!(EXPORT_FORMATS as readonly string[]).includes(values.format)) {
    throw new UserError(`Unknown export format "${values.format}"; use one of ${EXPORT_FORMATS.join(', ')}`);
  }
  const format = values.format as ExportFormat;
  if (!values.out) throw new UserError(`export needs --out PATH (${format === 'model' ? 'a folder' : 'a file'} to write)`);
  const out = resolve(values.out);
  if (values.smoothing !== undefined && !['csv', 'json', 'html'].includes(format)) {
    throw new UserError('--smoothing applies to the csv, json and html exports only');
  }
  const smoothing = parseSmoothing(values.smoothing);
  if (values.baseline && format !== 'csv') throw new UserError('--baseline applies to the csv export only (the json export always has it)');
  if (format === 'model' && ids.length !== 1)
    throw new UserError('export --format model takes exactly one run id (each model is a folder of its own)');
  requireDatabase(values.db);

  const app = open(values.db);
  let written: string[];
  try {
    written = await writeExport(app, format, ids, out, { smoothing, title: values.title, baseline: values.baseline });
  } finally {
    await app.close();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ format, runs: ids, written }, null, 2)}\n`);
  } else {
    const what = format === 'model' ? `the trained model of run ${ids[0]}` : `${ids.length} run${ids.length === 1 ? '' : 's'} as ${format}`;
    process.stdout.write(`Exported ${what}:\n${written.map((w) => `  ${w}`).join('\n')}\n`);
  }
  return 0;
}

async function writeExport(
  app: Layerlab,
  format: ExportFormat,
  ids: number[],
  out: string,
  o: { smoothing: number | null; title?: string; baseline: boolean },
): Promise<string[]> {
  switch (format) {
    case 'csv':
      writeFileAtomic(out, tidyCsv(app.runs.getMany(ids), { smoothing: o.smoothing ?? 0, baseline: o.baseline }));
      return [out];
    case 'layer-stats':
      writeFileAtomic(out, layerStatsCsv(app.runs.getMany(ids)));
      return [out];
    case 'json':
      writeFileAtomic(out, `${JSON.stringify(chartDataJson(app.runs.getMany(ids), { smoothing: o.smoothing ?? 0 }), null, 2)}\n`);
      return [out];
    case 'html': {
      const runs = app.runs.getMany(ids);
      writeFileAtomic(
        out,
        comparisonReportHtml(runs, {
          // As the Compare view does until the user picks a weight: none below 10 epochs, more the longer the curves.
          smoothing: o.smoothing ?? defaultSmoothing(Math.max(0, ...runs.map((r) => r.epochs.length))),
          title: o.title,
          generatedAt: new Date().toISOString(),
          // The predictions of runs evaluated before (`layerlab evaluate`); exporting never evaluates.
          evaluations: ids
            .flatMap((id) => (['test', 'validation'] as const).map((split) => app.evaluation.cached(id, split)))
            .filter((e) => e !== null),
        }),
      );
      return [out];
    }
    case 'bundle': {
      const bundle = await app.service.exportRuns(ids);
      writeFileAtomic(out, `${JSON.stringify(bundle, null, 2)}\n`);
      return [out];
    }
    case 'model': {
      const model = await app.service.exportModel(ids[0]);
      const weights = model.weightsFileName;
      // The name comes from model.json on disk: it must stay inside the folder.
      if (!weights || weights !== basename(weights) || weights === '.' || weights === '..' || weights === 'model.json') {
        throw new UserError(`The saved model of run ${ids[0]} names an unusable weights file "${weights}"`);
      }
      if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`Cannot write ${out}: it is a file; --format model writes a folder`);
      try {
        mkdirSync(out, { recursive: true });
      } catch (e) {
        throw new UserError(`Cannot write ${out}: ${reason(e, out)}`);
      }
      const files = [join(out, 'model.json'), join(out, weights)];
      writeFileAtomic(files[1], Buffer.from(model.weightsBase64, 'base64'));
      writeFileAtomic(files[0], `${JSON.stringify(model.modelJson)}\n`);
      return files;
    }
  }
}

export async function importCommand(argv: string[], open: Open): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: common, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new UserError('import needs one bundle file, e.g. `layerlab import runs.layerlab.json`');
  const path = resolve(positionals[0]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot read ${path}: ${code === 'ENOENT' ? 'there is no such file' : reason(e, path)}`);
  }
  // Judge the file before touching any database: a bad file changes nothing.
  let sourceIds: number[];
  let bundle: unknown;
  try {
    const parsed = parseBundle(text);
    sourceIds = parsed.runs.map((r) => r.sourceId);
    bundle = parsed;
  } catch (e) {
    if (e instanceof BundleError) throw new UserError(`Cannot import ${path}: ${e.message.charAt(0).toLowerCase()}${e.message.slice(1)}`);
    throw e;
  }
  const app = open(values.db);
  let imported: RunSummary[];
  try {
    imported = (await app.service.importRuns(bundle)).imported;
  } finally {
    await app.close();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ imported: imported.map((r, i) => ({ ...summaryJson(r), source_id: sourceIds[i] })) }, null, 2)}\n`);
  } else {
    process.stdout.write(`${importedText(imported, sourceIds, app.databasePath)}\n`);
  }
  return 0;
}
