/**
 * The layering lint rule, run through ESLint with the project's own config: each
 * forbidden import is refused with a message naming the layer, and the imports the
 * code really uses pass. (`npm run lint` applies the same rule to every file.)
 */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The layer-rule messages ESLint gives `code` as if it were the file at `path`. */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, path) });
  return result.messages.filter((m) => m.ruleId === 'layerlab/layers').map((m) => m.message);
}

describe('import layers (lint rule)', () => {
  it.each([
    ['src/core/runs/x.ts', "import { app } from 'electron';", /src\/core may not import 'electron'/],
    ['src/core/store/x.ts', "import * as tf from '@tensorflow/tfjs';", /src\/core may not import '@tensorflow\/tfjs'.*tfjs only in the trainer/],
    ['src/core/engine/x.ts', "import { openDatabase } from '../store/database';", /trainer process .* may not import 'src\/core\/store\/database'/],
    ['src/core/engine/x.ts', "import Database from 'better-sqlite3';", /trainer process .* may not import 'better-sqlite3'/],
    ['src/core/x.ts', "import { buildMenu } from '../main/menu';", /src\/core may not import 'src\/main\/menu'/],
    ['src/shared/model/x.ts', "import { readFileSync } from 'node:fs';", /src\/shared may not import 'node:fs'/],
    ['src/shared/model/x.ts', "import { readFileSync } from 'fs';", /src\/shared may not import 'node:fs'/],
    ['src/shared/x.ts', "import { forkTrainer } from '../core/runs/node-trainer';", /src\/shared may not import 'src\/core\/runs\/node-trainer'/],
    ['src/renderer/lib/stores/x.ts', "import Database from 'better-sqlite3';", /renderer stores may not import 'better-sqlite3'/],
    ['src/renderer/lib/stores/x.ts', "import { openLayerlab } from '../../../core/app';", /renderer stores may not import 'src\/core\/app'/],
    [
      'src/renderer/components/runs/X.svelte',
      '<script lang="ts">import { api } from \'../../lib/transport/api\';</script>',
      /renderer components may not import 'src\/renderer\/lib\/transport\/api'.*only through the stores/,
    ],
    [
      'src/renderer/lib/format2.ts',
      "import { runs } from './stores/runs.svelte';",
      /renderer helpers may not import 'src\/renderer\/lib\/stores\/runs.svelte'/,
    ],
    ['src/renderer/lib/transport/x.ts', "import { problems } from '../stores/errors.svelte';", /renderer transport may not import/],
    ['src/preload/x.ts', "import { dispatch } from '../core/dispatch';", /preload bridge may not import 'src\/core\/dispatch'/],
    ['src/cli/x.ts', "const m = await import('electron');", /the CLI may not import 'electron'/],
  ])('%s: %s is refused', async (path, code, message) => {
    const errors = await layerErrors(path, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it.each([
    [
      'src/core/engine/x.ts',
      "import * as tf from '@tensorflow/tfjs';\nimport { loadFashionMnist } from '../data/fashion-mnist';\nimport type { ModelSpec } from '../../shared/model/model-spec';",
    ],
    [
      'src/core/store/x.ts',
      "import Database from 'better-sqlite3';\nimport { join } from 'node:path';\nimport { UserError } from '../../shared/contract/api';",
    ],
    ['src/main/x.ts', "import { app } from 'electron';\nimport { openLayerlab } from '../core/app';"],
    ['src/preload/x.ts', "import { contextBridge } from 'electron';\nimport { API_METHODS } from '../shared/contract/api';"],
    ['src/shared/model/x.ts', "import { z } from 'zod';\nimport type { RunSummary } from '../contract/runs';"],
    [
      'src/renderer/components/runs/X.svelte',
      "<script lang=\"ts\">import { runs } from '../../lib/stores/runs.svelte';\nimport { formatCount } from '../../lib/format';\nimport { untrack } from 'svelte';</script>",
    ],
    ['src/renderer/lib/stores/x.ts', "import { api } from '../transport/api';\nimport { formatCount } from '../format';"],
  ])('%s: the imports its layer allows pass', async (path, code) => {
    expect(await layerErrors(path, code)).toEqual([]);
  });

  it('tests, benches and scripts may import anything', async () => {
    expect(
      await layerErrors('test/unit/x.test.ts', "import { app } from 'electron';\nimport { api } from '../../src/renderer/lib/transport/api';"),
    ).toEqual([]);
  });
});
