/**
 * What can be checked of the installers on a machine that cannot download Electron: the
 * configuration passes electron-builder's own validation; every file the packaged app loads
 * at run time (main, preload, renderer, trainer, the packages they import, the wasm binaries)
 * is taken by its `files` patterns (with electron-builder's own matcher and default
 * exclusions), the native and wasm files are unpacked from the asar; the fuses of a shipped
 * build are set; and the paths the main process computes resolve in a source checkout and in
 * a packaged app. Needs the build (`npm run build`), as `npm test` makes it first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackedPath } from '../../../src/core/engine/asar';
import {
  NATIVE_FOLDER,
  NATIVE_VERSION_FILE,
  SQLITE_BINARY,
  sqliteBinding,
  sqliteBindingProblem,
  trainerScript,
  windowIcon,
} from '../../../src/main/layout';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const require = createRequire(import.meta.url);

type Stat = ReturnType<typeof statSync>;
type Filter = (file: string, stat: Stat) => boolean;
interface Matcher {
  createFilter(): Filter;
}
interface Configuration {
  appId?: string;
  productName?: string;
  files?: unknown;
  asarUnpack?: string[];
  extraResources?: Array<{ from: string; to: string }>;
  electronFuses?: Record<string, boolean>;
  linux?: { target?: unknown; icon?: string };
  mac?: { target?: unknown; icon?: string };
  win?: { target?: unknown; icon?: string };
  npmRebuild?: boolean;
  [key: string]: unknown;
}

// electron-builder's own modules (app-builder-lib: what `electron-builder` runs).
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<Configuration>;
  validateConfiguration(config: Configuration, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => { isEnabled: boolean } };
const fileMatcher = require('app-builder-lib/out/fileMatcher.js') as {
  FileMatcher: new (from: string, to: string, expand: (p: string) => string, patterns?: string[]) => Matcher;
  getMainFileMatchers(...args: unknown[]): Matcher[];
  getNodeModuleFileMatcher(...args: unknown[]): Matcher;
};

let config: Configuration;
beforeAll(async () => {
  config = await getConfig(root, join(root, 'electron-builder.yml'), null);
});

/** The packager's view electron-builder's matchers read (no platform packager can be made without Electron's binary). */
function fakePackager() {
  return {
    info: { isPrepackedAppAsar: false, projectDir: root, buildResourcesDir: 'resources', config, debugLogger: new DebugLogger(false) },
    config,
  };
}
const same = (p: string) => p;

function filters(): { app: Filter; modules: Filter } {
  const packager = fakePackager();
  const [main] = fileMatcher.getMainFileMatchers(root, '/app', same, {}, packager, join(root, 'dist'), false);
  const modules = fileMatcher.getNodeModuleFileMatcher(root, '/app', same, {}, packager.info);
  return { app: main.createFilter(), modules: modules.createFilter() };
}

/** A file and every folder above it (up to the app) pass the filter: electron-builder walks folders and skips a refused one whole. */
function packed(filter: Filter, file: string): boolean {
  const top = root.replace(/[\\/]$/, '');
  // node_modules itself is the dependency copier's business, not the filter's.
  const stop = new Set([top, join(top, 'node_modules')]);
  const chain: string[] = [];
  for (let p = file; p.startsWith(top) && !stop.has(p); p = dirname(p)) chain.unshift(p);
  return chain.every((p) => filter(p, statSync(p)));
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

/** Packages the built main process and trainer import (bare specifiers in out/), which Node resolves from node_modules at run time. */
function importedPackages(): string[] {
  const names = new Set<string>();
  const code = [...filesUnder(join(root, 'out', 'main')), ...filesUnder(join(root, 'out', 'trainer'))].filter((f) => f.endsWith('.js'));
  for (const file of code) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:require\(|import\(|from\s*)["']([^"'./][^"']*)["']/g)) {
      const spec = m[1];
      if (spec.startsWith('node:') || spec === 'electron') continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return [...names].sort();
}

/** Every file Node loads to import `packages` (CommonJS's require.cache, in a fresh process). */
function filesLoadedBy(packages: string[]): string[] {
  const script = `for (const p of ${JSON.stringify(packages)}) require(p); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as string[];
}

/** The production dependencies, transitively: electron-builder packs these node_modules and no others. */
function productionPackages(): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    // Found as Node finds a package (the nearest node_modules up from the dependent), without require.resolve: some packages do not export ./package.json.
    let manifest: string | null = null;
    for (let dir = from; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name, 'package.json');
      if (existsSync(candidate)) {
        manifest = candidate;
        break;
      }
      if (dirname(dir) === dir) break;
    }
    if (manifest === null) return; // an optional dependency that is not installed here
    if (seen.has(manifest)) return;
    seen.add(manifest);
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep, dirname(manifest));
  };
  const app = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  for (const dep of Object.keys({ ...app.dependencies, ...app.optionalDependencies })) visit(dep, root);
  return new Set([...seen].map((m) => dirname(m)));
}

describe('the installers (electron-builder.yml)', () => {
  it("pass electron-builder's own validation, which refuses an option it does not know", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    await expect(
      validateConfiguration({ ...config, linux: { ...config.linux, iconz: 'x' } as Configuration['linux'] }, new DebugLogger(false)),
    ).rejects.toThrow(/configuration\.linux/);
  });

  it('build AppImage and deb, dmg and nsis for Layerlab, with the icons in resources/', () => {
    expect(config.appId).toBe('org.layerlab.app');
    expect(config.productName).toBe('Layerlab');
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.mac?.target).toBe('dmg');
    expect(config.win?.target).toBe('nsis');
    for (const icon of [config.linux!.icon!, config.mac!.icon!, config.win!.icon!]) expect(existsSync(join(root, icon)), icon).toBe(true);
  });

  it('set the fuses of a shipped build', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('pack every file the app loads at run time, and unpack the native and wasm ones', () => {
    expect(existsSync(join(root, 'out', 'trainer', 'trainer-process.js')), 'the build is missing: run `npm run build`').toBe(true);
    const { app, modules } = filters();
    // The app's own code: main, preload, renderer, the trainer bundle.
    const own = ['main', 'preload', 'renderer', 'trainer'].flatMap((d) => filesUnder(join(root, 'out', d))).filter((f) => !f.endsWith('.map'));
    expect(own.some((f) => f.endsWith(join('out', 'renderer', 'index.html')))).toBe(true);
    const refused = own.filter((f) => !packed(app, f)).map((f) => relative(root, f));
    expect(refused, 'out/ files electron-builder would leave out').toEqual([]);
    expect(packed(app, join(root, 'package.json'))).toBe(true);
    // Source, tests and benches stay out.
    for (const f of [
      'src/main/index.ts',
      'test/unit/packaging/electron-builder.test.ts',
      'bench/train-epoch.ts',
      'out/trainer/trainer-process.js.map',
    ]) {
      expect(packed(app, join(root, f)), f).toBe(false);
    }

    // The packages out/ imports, every file Node loads for them, and the wasm backend's binaries.
    const packages = importedPackages();
    expect(packages).toEqual(expect.arrayContaining(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'better-sqlite3']));
    const wasm = readdirSync(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'))
      .filter((f) => f.endsWith('.wasm'))
      .map((f) => join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', f));
    expect(wasm.length).toBeGreaterThanOrEqual(3);
    const loaded = [...filesLoadedBy(packages).filter((f) => f.startsWith(join(root, 'node_modules') + sep)), ...wasm];
    expect(loaded.length).toBeGreaterThan(50);
    const production = productionPackages();
    const outside = loaded.filter((f) => ![...production].some((dir) => f.startsWith(dir + sep))).map((f) => relative(root, f));
    expect(outside, 'loaded from packages that are not production dependencies (electron-builder leaves devDependencies out)').toEqual([]);
    const dropped = loaded.filter((f) => !packed(modules, f)).map((f) => relative(root, f));
    expect(dropped, 'node_modules files the app loads but the files patterns leave out').toEqual([]);
    // Left out on purpose: better-sqlite3's C sources and its build for Node's ABI.
    expect(packed(modules, join(root, 'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c'))).toBe(false);

    const unpack = new fileMatcher.FileMatcher(root, '/app', same, config.asarUnpack).createFilter();
    for (const f of wasm) expect(unpack(f, statSync(f)), relative(root, f)).toBe(true);
    expect(
      unpack(join(root, 'node_modules/better-sqlite3/lib/database.js'), statSync(join(root, 'node_modules/better-sqlite3/lib/database.js'))),
    ).toBe(false);
  });

  it('ship the Electron build of better-sqlite3 and the window icon where the main process looks for them', () => {
    expect(config.npmRebuild).toBe(false);
    const resources = config.extraResources ?? [];
    const native = resources.find((r) => r.to === `native/${SQLITE_BINARY}`);
    expect(native?.from).toBe(`${NATIVE_FOLDER.split(sep).join('/')}/${SQLITE_BINARY}`);
    // scripts/electron-native.mjs writes exactly there.
    const script = readFileSync(join(root, 'scripts/electron-native.mjs'), 'utf8');
    expect(script).toContain("join(root, '.native', 'electron')");
    expect(script).toContain(`'${SQLITE_BINARY}'`);
    expect(script).toContain(`'${NATIVE_VERSION_FILE}'`);
    expect(resources.find((r) => r.to === 'icon.png')?.from).toBe('resources/icon.png');
  });
});

describe('the paths the main process computes', () => {
  let base: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'layerlab-layout-'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const touch = (file: string, text = '') => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };

  it('resolve in a source checkout (npm start)', () => {
    const checkout = join(base, 'checkout');
    const layout = {
      packaged: false,
      appPath: checkout,
      resourcesPath: '/usr/lib/electron/resources',
      mainDir: join(checkout, 'out/main'),
      electronVersion: '45.5.0',
    };
    touch(join(checkout, 'out/main/trainer.js'));
    expect(trainerScript(layout)).toBe(join(checkout, 'out/main/trainer.js'));
    touch(join(checkout, 'out/trainer/trainer-process.js'));
    expect(trainerScript(layout)).toBe(join(checkout, 'out/trainer/trainer-process.js'));

    const read = (f: string) => readFileSync(f, 'utf8');
    expect(sqliteBindingProblem(layout, undefined, read)).toMatch(/npm run native:electron/);
    touch(sqliteBinding(layout));
    touch(join(checkout, NATIVE_FOLDER, NATIVE_VERSION_FILE), '44.0.0\n');
    expect(sqliteBindingProblem(layout, undefined, read)).toMatch(/built for Electron 44\.0\.0, this is Electron 45\.5\.0.*--force/);
    touch(join(checkout, NATIVE_FOLDER, NATIVE_VERSION_FILE), '45.5.0\n');
    expect(sqliteBindingProblem(layout, undefined, read)).toBeNull();
    expect(sqliteBinding(layout)).toBe(join(checkout, '.native/electron/better_sqlite3.node'));
    expect(windowIcon(layout)).toBe(join(checkout, 'resources/icon.png'));
    // The real checkout has the icon the window shows.
    expect(existsSync(windowIcon({ ...layout, appPath: root }))).toBe(true);

    const wasmDir = join(checkout, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
    expect(unpackedPath(wasmDir)).toBe(wasmDir);
  });

  it('resolve in a packaged app (app.asar, app.asar.unpacked, resources/)', () => {
    const resources = join(base, 'Layerlab', 'resources');
    const asar = join(resources, 'app.asar');
    const layout = { packaged: true, appPath: asar, resourcesPath: resources, mainDir: join(asar, 'out/main'), electronVersion: '45.5.0' };
    touch(join(asar, 'out/trainer/trainer-process.js'));
    expect(trainerScript(layout)).toBe(join(asar, 'out/trainer/trainer-process.js'));
    expect(sqliteBindingProblem(layout)).toMatch(/incomplete.*Reinstall/);
    touch(join(resources, 'native', 'better_sqlite3.node'));
    expect(sqliteBindingProblem(layout)).toBeNull();
    expect(windowIcon(layout)).toBe(join(resources, 'icon.png'));

    // tfjs-backend-wasm resolves inside the asar; its .wasm files are read from the unpacked copy.
    const inAsar = join(asar, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
    expect(unpackedPath(inAsar)).toBe(inAsar); // not unpacked (yet): unchanged
    mkdirSync(join(resources, 'app.asar.unpacked/node_modules/@tensorflow/tfjs-backend-wasm/dist'), { recursive: true });
    expect(unpackedPath(inAsar)).toBe(join(resources, 'app.asar.unpacked/node_modules/@tensorflow/tfjs-backend-wasm/dist'));
    // A folder merely named like it is left alone.
    expect(unpackedPath(join(base, 'app.asarx', 'dist'), () => true)).toBe(join(base, 'app.asarx', 'dist'));
  });
});
