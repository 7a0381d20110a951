/**
 * The type check that `npm test` runs catches a type error wherever it is added:
 * a Svelte component, a renderer store, a core service. Each probe file is written
 * into the source tree for one run of the project's own `typecheck` steps, then removed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const probes: string[] = [];

function probe(relativePath: string, text: string): string {
  const file = join(root, relativePath);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  probes.push(file);
  return relativePath;
}

function run(command: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const svelteCheck = () => run(bin('svelte-check'), ['--tsconfig', './tsconfig.web.json', '--fail-on-warnings', '--output', 'machine']);
const tscNode = () => run(bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']);

afterEach(() => {
  for (const file of probes.splice(0)) rmSync(file, { force: true });
  rmSync(join(root, 'src/renderer/components/zz-type-guard-probe'), { recursive: true, force: true });
});

describe('the type check guards every file', () => {
  it('a string assigned to a number and a missing store method in a .svelte component, and a type error in a .svelte.ts store, fail it', () => {
    const component = probe(
      'src/renderer/components/zz-type-guard-probe/Probe.svelte',
      [
        '<script lang="ts">',
        "  import { runs } from '../../lib/stores/runs.svelte';",
        "  let count: number = $state('three');",
        '  runs.noSuchMethod();',
        '</script>',
        '',
        '<p>{count}</p>',
        '',
      ].join('\n'),
    );
    const store = probe('src/renderer/lib/stores/zz-type-guard-probe.svelte.ts', "export const n: number = $state('x');\n");
    const { status, output } = svelteCheck();
    expect(status).not.toBe(0);
    const lines = output.split('\n');
    const about = (file: string) => lines.filter((l) => l.includes(file)).join('\n');
    expect(about(component)).toMatch(/not assignable to (type|parameter of type) 'number'/);
    expect(about(component)).toMatch(/Property 'noSuchMethod' does not exist/);
    expect(about(store)).toMatch(/not assignable to (type|parameter of type) 'number'/);
  });

  it('a type error in a core service fails it', () => {
    const file = probe(
      'src/core/zz-type-guard-probe.ts',
      "import { UserError } from '../shared/contract/api';\nexport const e: UserError = 'not an error';\n",
    );
    const { status, output } = tscNode();
    expect(status).not.toBe(0);
    expect(output).toContain(file);
  });
});
