import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FromTrainer } from '../engine/protocol';
import type { LaunchTrainer, TrainerHandle } from './trainer-launcher';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The source checkout this file is in (src/core/runs → the top), when it runs from source. */
const checkout = resolve(here, '../../..');

/**
 * The trainer's entry points, bundled together from a source checkout to out/trainer/<out>.js:
 * the trainer process itself, and the script of its helper thread for two-core training,
 * found beside the trainer's own file as electron-vite's build has it (out/main). An entry
 * whose source is not there is left out.
 */
export const TRAINER_SOURCES: readonly { in: string; out: string }[] = [
  { in: 'src/core/engine/trainer-process.ts', out: 'trainer-process' },
  { in: 'src/core/engine/parallel/worker.ts', out: 'parallel-worker' },
];

/** Where the trainer bundled from a source checkout goes (ignored by git with the rest of out/). */
export const trainerBundleFolder = (root = checkout): string => join(root, 'out', 'trainer');

const BUNDLE = 'trainer-process.js';
/** The source files the last bundle was made of (esbuild's metafile inputs), to tell when it is stale. */
const INPUTS = 'inputs.json';

/**
 * Whether the bundle in `folder` is missing or older than any file it was built from (or
 * one of those is gone). Cheap: one stat per source file, about a hundred.
 */
export function trainerBundleStale(root = checkout): boolean {
  const folder = trainerBundleFolder(root);
  let built: number;
  let inputs: string[];
  try {
    built = statSync(join(folder, BUNDLE)).mtimeMs;
    inputs = JSON.parse(readFileSync(join(folder, INPUTS), 'utf8')) as string[];
  } catch {
    return true;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return true;
  for (const input of inputs) {
    try {
      if (statSync(join(root, input)).mtimeMs > built) return true;
    } catch {
      return true;
    }
  }
  return false;
}

interface Esbuild {
  buildSync(options: Record<string, unknown>): {
    metafile?: { inputs: Record<string, unknown> };
    outputFiles?: { path: string; contents: Uint8Array }[];
  };
}

/**
 * Bundles the trainer's sources into one CommonJS file per entry with esbuild (packages stay
 * external: tfjs, its wasm backend and zod load from node_modules as before). CommonJS, as
 * tfjs's packages are: an ES module importing them has Node scan their exports first,
 * which measured about three times slower to start than require(); a package.json in the
 * folder says that its .js files are CommonJS. Written
 * to temporary files and renamed, inputs list last: two processes building at once
 * leave one whole bundle, and a half-written one is never taken for current.
 */
export function buildTrainerBundle(root = checkout): string {
  const esbuild = require('esbuild') as Esbuild;
  const folder = trainerBundleFolder(root);
  // A source saved while esbuild reads it must still count as newer than the bundle.
  const began = new Date();
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: TRAINER_SOURCES.filter((entry) => existsSync(join(root, entry.in))),
    outdir: folder,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // What import.meta.url would be (backend.ts resolves the wasm files from it).
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__bundleUrl' },
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  mkdirSync(folder, { recursive: true });
  const tag = `${process.pid}-${Date.now()}`;
  const write = (path: string, contents: string | Uint8Array, mtime?: Date) => {
    const tmp = `${path}.${tag}.tmp`;
    writeFileSync(tmp, contents);
    if (mtime) utimesSync(tmp, mtime, mtime);
    renameSync(tmp, path);
  };
  write(join(folder, 'package.json'), '{ "type": "commonjs" }\n');
  for (const file of result.outputFiles ?? []) write(file.path, file.contents, began);
  write(join(folder, INPUTS), JSON.stringify(Object.keys(result.metafile?.inputs ?? {})));
  return join(folder, BUNDLE);
}

/** The bundle from a source checkout, built first when stale; null when it cannot be (no esbuild, a read-only checkout). */
function currentBundle(root: string): string | null {
  try {
    return trainerBundleStale(root) ? buildTrainerBundle(root) : join(trainerBundleFolder(root), BUNDLE);
  } catch (error) {
    process.stderr.write(`The trainer could not be bundled (${error instanceof Error ? error.message : String(error)}); running it through tsx.\n`);
    try {
      unlinkSync(join(trainerBundleFolder(root), INPUTS));
    } catch {
      // Nothing to forget.
    }
    return null;
  }
}

/**
 * Where the trainer's entry is. From a build: out/main/trainer.js beside this file. From
 * a source checkout (the CLI, tests, the browser mode run through tsx): built JavaScript
 * too, the bundle of the current sources in out/trainer (rebuilt when a source changed),
 * since starting through tsx costs about a second of compiling on every run; through tsx
 * only when no bundle can be made.
 */
export function trainerEntry(): { file: string; execArgv: string[] } {
  const source = resolve(here, '../engine/trainer-process.ts');
  if (existsSync(source)) {
    const bundle = currentBundle(checkout);
    if (bundle) return { file: bundle, execArgv: [] };
    // Absolute, so the child finds tsx whatever the working folder.
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    return { file: source, execArgv: ['--import', tsx] };
  }
  return { file: join(here, 'trainer.js'), execArgv: [] };
}

/** The trainer as a plain Node child process (CLI and browser mode). */
export const forkTrainer: LaunchTrainer = () => {
  const { file, execArgv } = trainerEntry();
  const child = fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle: TrainerHandle = {
    pid: child.pid ?? null,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', (m) => listener(m as FromTrainer)),
    onExit: (listener) => child.once('exit', (code, signal) => listener(code, signal)),
    kill: () => child.kill('SIGKILL'),
  };
  return handle;
};
