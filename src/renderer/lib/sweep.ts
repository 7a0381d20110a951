/**
 * The Sweep dialog's helpers: which settings of a network and its training
 * settings a sweep can vary (keys as the contract names them: "learningRate",
 * "layer3.units"), the values typed for each, checked by the same planner the
 * core queues from (shared/model/sweep), and how many runs a group will be. Pure.
 */
import type { StartGroupRequest, StartRunRequest } from '../../shared/contract/requests';
import type { SweepAxis } from '../../shared/contract/runs';
import { getLayerField } from '../../shared/model/layer-fields';
import { expandGroup, SWEEP_CONFIG_KEYS, sweepableFields } from '../../shared/model/sweep';
import { OPTIMIZERS } from '../../shared/model/training-config';
import { sentence } from './format';

/** Most settings one sweep varies (the contract's limit). */
export const MAX_AXES = 4;
/** Most values per swept setting (the contract's limit). */
export const MAX_VALUES = 20;

export interface SweepSetting {
  /** The contract's key: "learningRate", "layer3.units". */
  key: string;
  /** In words: "Learning rate", "Layer 3 (Dense): units". */
  label: string;
  /** The allowed words of a choice; absent for numbers, switches and pairs. */
  choices?: readonly string[];
  /** The value the network and settings have now, as text (the dialog's starting point). */
  current: string;
}

const CONFIG_LABELS: Record<(typeof SWEEP_CONFIG_KEYS)[number], string> = {
  learningRate: 'Learning rate',
  optimizer: 'Optimizer',
  batchSize: 'Batch size',
  epochs: 'Epochs',
  momentum: 'Momentum',
};

const valueText = (v: unknown) => (Array.isArray(v) ? v.join('x') : v === null || v === undefined ? '' : String(v));

/** Every setting of this request that a sweep can vary: training settings first, then each layer's fields. */
export function sweepSettings(request: Pick<StartRunRequest, 'model' | 'config'>): SweepSetting[] {
  const settings: SweepSetting[] = SWEEP_CONFIG_KEYS.map((key) => ({
    key,
    label: CONFIG_LABELS[key],
    choices: key === 'optimizer' ? OPTIMIZERS : undefined,
    current: valueText(request.config[key]),
  }));
  request.model.layers.slice(0, 99).forEach((layer, i) => {
    for (const f of sweepableFields(layer.type)) {
      settings.push({
        key: `layer${i + 1}.${f.field}`,
        label: `Layer ${i + 1} (${layer.type}): ${f.label.toLowerCase()}`,
        choices: f.kind === 'select' ? f.options : f.kind === 'bool' ? ['true', 'false'] : undefined,
        current: valueText(getLayerField(layer, f.field)),
      });
    }
  });
  return settings;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The message of a planning error, as a sentence. */
function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // "lr=fast: …" names the value as typed: kept as it is rather than capitalised.
  return `${/^[\w.]+=/.test(text) ? text : sentence(text)}${/[.!?]$/.test(text) ? '' : '.'}`;
}

export type ParsedValues = { ok: true; values: (string | number)[] } | { ok: false; message: string };

/**
 * "0.1, 0.01, 0.001" → the values (numbers where they read as numbers), each checked
 * against the network and settings as the core will check them; the first problem otherwise.
 */
export function parseValues(base: StartRunRequest, setting: SweepSetting, text: string): ParsedValues {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.every((p) => p === '')) return { ok: false, message: `Type one or more values for ${setting.label.toLowerCase()}, separated by commas.` };
  if (parts.some((p) => p === '')) return { ok: false, message: 'A value is empty (two commas, or a comma at an end).' };
  if (parts.length > MAX_VALUES) return { ok: false, message: `At most ${MAX_VALUES} values per setting (${parts.length} typed).` };
  const values = parts.map((p) => (NUMBER.test(p) ? Number(p) : setting.choices ? p.toLowerCase() : p));
  if (setting.choices && !setting.key.endsWith('useBias')) {
    const wrong = values.find((v) => !setting.choices!.includes(String(v)));
    if (wrong !== undefined) return { ok: false, message: `“${wrong}” is not one of ${setting.choices.join(', ')}.` };
  }
  try {
    expandGroup({ run: base, repeat: 1, axes: [{ key: setting.key, values }] });
  } catch (err) {
    return { ok: false, message: messageOf(err) };
  }
  return { ok: true, values };
}

/** Why the whole group cannot be queued (too many runs, a combination that cannot train…), or null. */
export function groupProblem(request: StartGroupRequest): string | null {
  try {
    expandGroup(request);
    return null;
  } catch (err) {
    return messageOf(err);
  }
}

/** How many runs a group queues: every combination of the axes' values, each `repeat` times. */
export function groupRunCount(repeat: number, axes: Pick<SweepAxis, 'values'>[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1) * repeat;
}

/** "8 runs (2 × 2 settings × 2 seeds)", "3 runs (3 seeds)", "4 runs (4 settings × 1 seed)". */
export function describeGroup(repeat: number, axes: Pick<SweepAxis, 'values'>[]): string {
  const total = groupRunCount(repeat, axes);
  const seeds = `${repeat} ${repeat === 1 ? 'seed' : 'seeds'}`;
  const runs = `${total} ${total === 1 ? 'run' : 'runs'}`;
  if (axes.length === 0) return `${runs} (${seeds})`;
  return `${runs} (${axes.map((a) => a.values.length).join(' × ')} settings × ${seeds})`;
}
