#!/usr/bin/env node
// better-sqlite3 for Electron's ABI, beside the Node build in node_modules that the tests, the
// CLI and browser mode use: @electron/rebuild (electron-builder's own rebuilder) builds a copy
// of the package in .native/electron/ (a prebuilt binary where one exists, else compiled
// against Electron's headers), and the binary is kept as .native/electron/better_sqlite3.node
// with the Electron version it is for. The desktop app loads it through better-sqlite3's
// `nativeBinding` option (src/main/layout.ts); electron-builder.yml ships it in the installers.
// Needs the internet. Run by `npm start` and `npm run dist`; `--force` builds again.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');

const electronVersion = require('electron/package.json').version;
const folder = join(root, '.native', 'electron');
const binary = join(folder, 'better_sqlite3.node');
const stamp = join(folder, 'electron-version.txt');
const built = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (existsSync(binary) && built === electronVersion && !force) process.exit(0);

const source = dirname(require.resolve('better-sqlite3/package.json'));
const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
// A package of its own whose only dependency is better-sqlite3 (its sources, not the Node build).
const stage = join(folder, 'stage');
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'node_modules'), { recursive: true });
writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: 'layerlab-native', private: true, dependencies: { 'better-sqlite3': version } }));
cpSync(source, join(stage, 'node_modules', 'better-sqlite3'), { recursive: true, filter: (p) => !p.startsWith(join(source, 'build')) });

console.log(`Building better-sqlite3 ${version} for Electron ${electronVersion}…`);
try {
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({ buildPath: stage, electronVersion, arch: process.arch, onlyModules: ['better-sqlite3'], force: true, mode: 'sequential' });
  copyFileSync(join(stage, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), binary);
  writeFileSync(stamp, `${electronVersion}\n`);
} catch (error) {
  console.error(
    `Could not build better-sqlite3 for Electron ${electronVersion} (${error instanceof Error ? error.message : String(error)}).\n` +
      'The desktop app needs it (internet access, and a C++ toolchain where no prebuilt binary exists); the CLI and browser mode (npm run serve) work without it.',
  );
  process.exit(1);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
console.log(`Wrote ${binary}`);
