/**
 * `layerlab/layers`: where code may run, as allow-lists. Each layer names the files
 * it covers and everything those files may import: our own files (path globs from
 * the repository root) and packages (names, `@scope/*`, `node:*` for Node's
 * built-ins). An import that no allow-list entry covers is an error that names the
 * layer and its rule, so a wrong import fails `npm test` instead of a review.
 */
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';

/**
 * @typedef {object} Layer
 * @property {string} name What the messages call it.
 * @property {string[]} files Globs of the files it covers.
 * @property {string[]} imports Globs of our own files they may import.
 * @property {string[]} packages Packages they may import: a name, `@scope/*`, or `node:*`.
 * @property {string} why The reason, for the message.
 */

/**
 * '**' any folders, '*' any name within one folder; everything else literal.
 * @param {string} glob
 */
export function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** @type {(globs: string[], path: string) => boolean} */
const matchesAny = (globs, path) => globs.some((g) => globToRegExp(g).test(path));

/**
 * 'svelte/internal' → 'svelte', '@tensorflow/tfjs/dist' → '@tensorflow/tfjs', 'fs' → 'node:fs'.
 * @param {string} spec
 */
export function packageName(spec) {
  if (spec.startsWith('node:')) return spec;
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtinModules.includes(name) ? `node:${name}` : name;
}

/** @type {(allowed: string[], name: string) => boolean} */
function packageAllowed(allowed, name) {
  return allowed.some((p) => p === name || (p.endsWith('/*') && name.startsWith(p.slice(0, -1))) || (p === 'node:*' && name.startsWith('node:')));
}

/**
 * Which rule an import breaks, or null when it is allowed.
 * `file` and the result's paths are relative to `root`.
 * @param {Layer[]} layers
 * @param {string} root
 * @param {string} file
 * @param {string} spec
 * @returns {{ layer: Layer, what: string } | null}
 */
export function checkImport(layers, root, file, spec) {
  const layer = layers.find((l) => matchesAny(l.files, file));
  if (!layer) return null;
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const target = relative(root, resolve(root, dirname(file), spec));
    if (matchesAny(layer.imports ?? [], target) || matchesAny(layer.imports ?? [], `${target}.ts`)) return null;
    return { layer, what: target };
  }
  const name = packageName(spec);
  return packageAllowed(layer.packages ?? [], name) ? null : { layer, what: name };
}

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Each layer of Layerlab imports only what its allow-list names' },
    schema: [{ type: 'object', properties: { root: { type: 'string' }, layers: { type: 'array' } }, required: ['root', 'layers'] }],
    messages: { forbidden: "{{layer}} may not import '{{what}}': {{why}}" },
  },
  create(context) {
    const { root, layers } = context.options[0];
    const file = relative(root, context.physicalFilename);
    /** @param {import('estree').Node | null | undefined} node */
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const broken = checkImport(layers, root, file, node.value);
      if (broken) context.report({ node, messageId: 'forbidden', data: { layer: broken.layer.name, what: broken.what, why: broken.layer.why } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export default { rules: { layers: layersRule } };
