import type { LayerSpec, ModelSpec } from './model-spec';

const runs = <T>(xs: T[], same: (a: T, b: T) => boolean): T[][] =>
  xs.reduce<T[][]>((acc, x) => {
    const last = acc[acc.length - 1];
    if (last && same(last[last.length - 1], x)) last.push(x);
    else acc.push([x]);
    return acc;
  }, []);

function layerWord(l: LayerSpec): string {
  switch (l.type) {
    case 'Conv2D':
      return `Conv ${l.filters}`;
    case 'MaxPooling2D':
      return 'MaxPool';
    case 'Dropout':
      return `Dropout ${l.rate}`;
    case 'BatchNormalization':
      return 'BatchNorm';
    case 'Activation':
      return l.activation;
    case 'Reshape':
      return `Reshape ${l.targetShape.join('×')}`;
    default:
      return l.type;
  }
}

/**
 * A network in a few words for the runs table: "Dense 64-128-256-128-64 relu"
 * (the hidden layers; the output layer and Flatten go without saying).
 */
export function architectureSummary(spec: ModelSpec): string {
  const layers = spec.layers.filter((l) => l.type !== 'Flatten');
  const hidden = layers.length > 1 && layers[layers.length - 1].type === 'Dense' ? layers.slice(0, -1) : layers;
  if (hidden.length === 0) return layers.length ? 'Dense output only' : 'empty';
  const groups = runs(hidden, (a, b) => a.type === 'Dense' && b.type === 'Dense');
  return groups
    .map((g) => {
      if (g[0].type !== 'Dense') return layerWord(g[0]);
      const dense = g as Extract<LayerSpec, { type: 'Dense' }>[];
      const acts = runs(
        dense.map((d) => d.activation),
        (a, b) => a === b,
      ).map((r) => (r.length > 1 ? `${r[0]}×${r.length}` : r[0]));
      return `Dense ${dense.map((d) => d.units).join('-')} ${acts.length === 1 ? dense[0].activation : acts.join(', ')}`;
    })
    .join(' → ');
}
