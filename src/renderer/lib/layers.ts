/** How layers read on screen, and the small parsing the editor's text fields need. */
import type { LayerSpec, ModelSpec } from '../../shared/model/model-spec';
import { LAYER_FIELDS } from '../../shared/model/layer-fields';
import { formatCount } from './format';

const pair = (p: [number, number] | null | undefined) => (p ? `${p[0]}×${p[1]}` : '');

/** The settings that tell two layers of one type apart, in a few words: "128, relu", "8 × 3×3, relu". */
export function layerSettings(layer: LayerSpec): string {
  switch (layer.type) {
    case 'Dense':
      return `${formatCount(layer.units)}, ${layer.activation}${layer.useBias === false ? ', no bias' : ''}`;
    case 'Dropout':
      return `rate ${layer.rate}`;
    case 'Activation':
      return layer.activation;
    case 'Conv2D': {
      const strides = layer.strides && (layer.strides[0] !== 1 || layer.strides[1] !== 1) ? `, stride ${pair(layer.strides)}` : '';
      const padding = layer.padding === 'same' ? ', same' : '';
      return `${formatCount(layer.filters)} × ${pair(layer.kernelSize)}${strides}${padding}, ${layer.activation}`;
    }
    case 'MaxPooling2D': {
      const strides = layer.strides ? `, stride ${pair(layer.strides)}` : '';
      return `${pair(layer.poolSize)}${strides}${layer.padding === 'same' ? ', same' : ''}`;
    }
    case 'Reshape':
      return `to (${layer.targetShape.join(', ')})`;
    case 'BatchNormalization':
    case 'Flatten':
      return '';
  }
}

/** "28, 28, 1" → [28, 28, 1]; also accepts "28x28", "(28, 28)", "[28,28]". Anything not a number becomes NaN for the checker to name. */
export function parseNumberList(text: string): number[] {
  const inner = text.trim().replace(/^[([]\s*|\s*[)\]]$/g, '');
  if (inner === '') return [];
  return inner.split(/\s*[,x×*]\s*|\s+/i).map((part) => (part.trim() === '' ? Number.NaN : Number(part)));
}

export const numberListText = (list: readonly number[] | null | undefined) => (list ? list.join(', ') : '');

/** Key-order-independent JSON, so two equal specs compare equal whoever wrote them. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** A layer without the settings that are at their defaults, so "left out" and "set to the default" compare equal. */
function withoutDefaults(layer: LayerSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { ...layer };
  for (const f of LAYER_FIELDS[layer.type]) {
    if (f.field.includes('.')) continue;
    if (JSON.stringify(out[f.field]) === JSON.stringify(f.default)) delete out[f.field];
  }
  const reg = out.kernelRegularizer as { l1: number; l2: number } | null | undefined;
  if (reg === null || (reg && reg.l1 === 0 && reg.l2 === 0)) delete out.kernelRegularizer;
  return out;
}

/** True when both specs describe the same network (the same layers with the same settings). */
export function sameNetwork(a: ModelSpec, b: ModelSpec): boolean {
  const key = (m: ModelSpec) => JSON.stringify(canonical({ inputShape: m.inputShape, layers: m.layers.map(withoutDefaults) }));
  return key(a) === key(b);
}
