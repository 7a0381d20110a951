/** The inspector's fields of each layer type: labels, kinds, defaults, and one-field checks. */
import type { z } from 'zod';
import { ACTIVATIONS, INITIALIZERS, LAYER_TYPES, PADDINGS, type LayerSpec, type LayerType } from './model-spec';
import { l1, l2, layerFieldSchemas } from './schemas';

/** How the inspector edits a field: whole number, number, choice, switch, (rows, cols) pair, or a list of sizes. */
export type LayerFieldKind = 'int' | 'number' | 'select' | 'bool' | 'pair' | 'shape';

export interface LayerField {
  /** Property of the layer spec; 'kernelRegularizer.l1' / '.l2' reach into the regularizer. */
  field: string;
  /** What the inspector calls it. */
  label: string;
  kind: LayerFieldKind;
  /** The choices of a 'select' field. */
  options?: readonly string[];
  /** The value when the spec leaves the field out (Keras's default); null strides mean "the pool size". */
  default: number | boolean | string | readonly number[] | null;
}

const unitsField: LayerField = { field: 'units', label: 'Units', kind: 'int', default: 64 };
const activationField: LayerField = { field: 'activation', label: 'Activation', kind: 'select', options: ACTIVATIONS, default: 'relu' };
const useBiasField: LayerField = { field: 'useBias', label: 'Use bias', kind: 'bool', default: true };
const initializerField: LayerField = {
  field: 'kernelInitializer',
  label: 'Kernel initializer',
  kind: 'select',
  options: INITIALIZERS,
  default: 'glorot_uniform',
};
const l1Field: LayerField = { field: 'kernelRegularizer.l1', label: 'L1 regularization', kind: 'number', default: 0 };
const l2Field: LayerField = { field: 'kernelRegularizer.l2', label: 'L2 regularization', kind: 'number', default: 0 };
const paddingField: LayerField = { field: 'padding', label: 'Padding', kind: 'select', options: PADDINGS, default: 'valid' };

/** The inspector's fields for each layer type, in the order they are shown. */
export const LAYER_FIELDS: Record<LayerType, readonly LayerField[]> = {
  Flatten: [],
  Dense: [unitsField, activationField, useBiasField, initializerField, l1Field, l2Field],
  Dropout: [{ field: 'rate', label: 'Dropout rate', kind: 'number', default: 0.25 }],
  BatchNormalization: [
    { field: 'momentum', label: 'Momentum', kind: 'number', default: 0.99 },
    { field: 'epsilon', label: 'Epsilon', kind: 'number', default: 0.001 },
  ],
  Activation: [activationField],
  Conv2D: [
    { field: 'filters', label: 'Filters', kind: 'int', default: 32 },
    { field: 'kernelSize', label: 'Kernel size', kind: 'pair', default: [3, 3] },
    { field: 'strides', label: 'Strides', kind: 'pair', default: [1, 1] },
    paddingField,
    activationField,
    useBiasField,
    initializerField,
    l1Field,
    l2Field,
  ],
  MaxPooling2D: [
    { field: 'poolSize', label: 'Pool size', kind: 'pair', default: [2, 2] },
    { field: 'strides', label: 'Strides', kind: 'pair', default: null },
    paddingField,
  ],
  Reshape: [{ field: 'targetShape', label: 'Target shape', kind: 'shape', default: [28, 28, 1] }],
};

/** A new layer of a type, as the palette adds it. */
export function defaultLayer(type: LayerType): LayerSpec {
  switch (type) {
    case 'Flatten':
      return { type };
    case 'Dense':
      return { type, units: 64, activation: 'relu' };
    case 'Dropout':
      return { type, rate: 0.25 };
    case 'BatchNormalization':
      return { type };
    case 'Activation':
      return { type, activation: 'relu' };
    case 'Conv2D':
      return { type, filters: 32, kernelSize: [3, 3], activation: 'relu' };
    case 'MaxPooling2D':
      return { type, poolSize: [2, 2] };
    case 'Reshape':
      return { type, targetShape: [28, 28, 1] };
  }
}

/**
 * Check one inspector field of one layer type; returns the message to show,
 * or null when the value is fine. Leaving out an optional field is fine.
 */
export function checkLayerField(type: LayerType, field: string, value: unknown): string | null {
  const fields = layerFieldSchemas[type] as Record<string, z.ZodType> | undefined;
  if (!fields) return `layer type must be one of ${LAYER_TYPES.join(', ')}`;
  const [name, part] = field.split('.');
  let schema = fields[name];
  if (schema && name === 'kernelRegularizer' && part) schema = part === 'l1' ? l1 : part === 'l2' ? l2 : (undefined as never);
  if (!schema) return `${type} has no field '${field}'`;
  const r = schema.safeParse(value);
  return r.success ? null : r.error.issues[0].message;
}

/** A field's value on a layer, or its default when the spec leaves it out. */
export function getLayerField(layer: LayerSpec, field: string): unknown {
  const spec = LAYER_FIELDS[layer.type].find((x) => x.field === field);
  const [name, part] = field.split('.');
  const raw = (layer as unknown as Record<string, unknown>)[name];
  const value = part ? (raw as Record<string, unknown> | null | undefined)?.[part] : raw;
  return value ?? spec?.default ?? null;
}

/**
 * The layer with one field set (a copy; the layer given is not changed).
 * Setting both regularization parts to 0 removes the regularizer.
 */
export function setLayerField(layer: LayerSpec, field: string, value: unknown): LayerSpec {
  const [name, part] = field.split('.');
  const next = { ...layer } as Record<string, unknown>;
  if (name === 'kernelRegularizer' && part) {
    const current = (next.kernelRegularizer as { l1: number; l2: number } | null | undefined) ?? { l1: 0, l2: 0 };
    const reg = { ...current, [part]: value };
    if (reg.l1 === 0 && reg.l2 === 0) delete next.kernelRegularizer;
    else next.kernelRegularizer = reg;
  } else {
    next[name] = value;
  }
  return next as unknown as LayerSpec;
}
