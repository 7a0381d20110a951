/**
 * Where code may run, checked instead of remembered: Electron only in the shell,
 * the renderer only on shared code and its own, shared code on nothing platform-specific.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|svelte)$/.test(name) ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) found.push(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) found.push(m[1]);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]);
  return found;
}

const area = (file: string) => relative(join(root, 'src'), file).split('/')[0];

function violations(dir: string, allowed: (spec: string, file: string) => boolean): string[] {
  return files(join(root, 'src', dir)).flatMap((file) =>
    imports(file)
      .filter((spec) => !allowed(spec, file))
      .map((spec) => `${relative(root, file)} imports ${spec}`),
  );
}

describe('import boundaries', () => {
  it('finds the imports it checks (the scanner works)', () => {
    expect(imports(join(root, 'src/preload/index.ts'))).toContain('electron');
  });

  it('only src/main and src/preload import electron', () => {
    const all = ['shared', 'core', 'cli', 'renderer'].flatMap((d) => violations(d, (spec) => spec !== 'electron' && !spec.startsWith('electron/')));
    expect(all).toEqual([]);
  });

  it('src/shared imports nothing platform-specific', () => {
    const bad = violations('shared', (spec) => spec.startsWith('./') || spec === 'zod');
    expect(bad).toEqual([]);
  });

  it('the renderer imports only src/shared, its own files and browser libraries', () => {
    const bad = violations('renderer', (spec, file) => {
      if (spec.startsWith('.')) {
        const target = area(resolve(dirname(file), spec));
        return target === 'renderer' || target === 'shared';
      }
      return !spec.startsWith('node:') && !['better-sqlite3', 'ws', 'electron'].includes(spec) && !spec.startsWith('@tensorflow/tfjs-node');
    });
    expect(bad).toEqual([]);
  });

  it('core services do not reach into the shell, the CLI or the renderer', () => {
    const bad = violations('core', (spec, file) => {
      if (!spec.startsWith('.')) return true;
      return ['core', 'shared'].includes(area(resolve(dirname(file), spec)));
    });
    expect(bad).toEqual([]);
  });
});
