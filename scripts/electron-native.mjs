#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .native/electron-<version>/, beside
// the Node build in node_modules that the tests, the CLI and browser mode use.
// The desktop app loads it through better-sqlite3's `nativeBinding` option.
// Needs the internet (prebuilt binary, or Electron's headers to compile); run by
// `npm start`, and again by hand with `npm run native:electron -- --force`.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');

const electronVersion = require('electron/package.json').version;
const target = join(root, '.native', `electron-${electronVersion}`, 'better_sqlite3.node');
if (existsSync(target) && !force) process.exit(0);

const source = dirname(require.resolve('better-sqlite3/package.json'));
const work = mkdtempSync(join(tmpdir(), 'layerlab-native-'));
const pkg = join(work, 'better-sqlite3');
cpSync(source, pkg, { recursive: true, filter: (p) => !p.includes(`${source}/build`) });

/** @type {(cmd: string, args: string[]) => boolean} */
const run = (cmd, args) => spawnSync(cmd, args, { cwd: pkg, stdio: 'inherit', env: process.env }).status === 0;
const built = join(pkg, 'build', 'Release', 'better_sqlite3.node');
const common = [`--runtime=electron`, `--target=${electronVersion}`, `--arch=${process.arch}`, `--platform=${process.platform}`];

console.log(`Building better-sqlite3 for Electron ${electronVersion}…`);
let ok = false;
try {
  const prebuild = require.resolve('prebuild-install/bin.js', { paths: [source] });
  ok = run(process.execPath, [prebuild, ...common]) && existsSync(built);
} catch {
  ok = false;
}
if (!ok) {
  console.log('No prebuilt binary; compiling against Electron headers (needs a C++ toolchain)…');
  ok =
    run('npx', [
      '--yes',
      'node-gyp',
      'rebuild',
      '--release',
      `--target=${electronVersion}`,
      `--arch=${process.arch}`,
      '--dist-url=https://electronjs.org/headers',
    ]) && existsSync(built);
}
if (!ok) {
  rmSync(work, { recursive: true, force: true });
  console.error(
    `Could not build better-sqlite3 for Electron ${electronVersion}. The desktop app needs it; the CLI and browser mode (npm run serve) work without it.`,
  );
  process.exit(1);
}
mkdirSync(dirname(target), { recursive: true });
copyFileSync(built, target);
rmSync(work, { recursive: true, force: true });
console.log(`Wrote ${target}`);
