import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../shared/contract/api';
import { parseDesignFile } from '../shared/model/design-file';
import { importKerasModel } from '../shared/model/keras-import';
import type { ModelSpec } from '../shared/model/model-spec';
import { findPreset, PRESETS } from '../shared/model/presets';
import { DEFAULT_CONFIG, type TrainingConfig } from '../shared/model/training-config';
import type { DesignStore } from '../core/store/design-store';

/** The network a command works on, and the settings that came with it. */
export interface ModelSource {
  model: ModelSpec;
  config: TrainingConfig;
  presetId: string | null;
  /** In the user's words: "preset seed-model-3", "design My CNN", "Keras file model.json". */
  label: string;
  /** Things the user should know (e.g. Keras settings that were ignored). */
  warnings: string[];
}

export interface SourceOptions {
  preset?: string;
  design?: string;
  keras?: string;
}

const presetIds = () => PRESETS.map((p) => p.id).join(', ');

function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new UserError(`${what} ${path} does not exist`);
  if (!statSync(path).isFile()) throw new UserError(`${what} ${path} is not a file`);
  return readFileSync(path, 'utf8');
}

/**
 * Exactly one of --preset, --design (a saved design's name, or a design file)
 * or --keras (a Keras model.to_json() file). `designs` opens the database only
 * when a saved design has to be looked up.
 */
export function resolveModelSource(o: SourceOptions, designs: () => DesignStore): ModelSource {
  const given = [o.preset && '--preset', o.design && '--design', o.keras && '--keras'].filter(Boolean);
  if (given.length !== 1) {
    throw new UserError(
      given.length ? `Give only one of ${given.join(', ')}` : `Say which network: --preset ID (${presetIds()}), --design NAME|FILE or --keras FILE`,
    );
  }
  if (o.preset) {
    const preset = findPreset(o.preset);
    if (!preset) throw new UserError(`Unknown preset "${o.preset}"; choose one of ${presetIds()}`);
    return { model: preset.model, config: { ...preset.config }, presetId: preset.id, label: `preset ${preset.id}`, warnings: [] };
  }
  if (o.design) {
    if (existsSync(o.design) && statSync(o.design).isFile()) {
      try {
        const file = parseDesignFile(readText(o.design, 'Design file'), basename(o.design));
        return { model: file.model, config: file.config, presetId: null, label: `design file ${basename(o.design)}`, warnings: [] };
      } catch (e) {
        throw new UserError((e as Error).message);
      }
    }
    const design = designs().findByName(o.design);
    if (!design) throw new UserError(`There is no saved design named "${o.design}" and no file by that name`);
    return { model: design.model, config: design.config, presetId: null, label: `design ${design.name}`, warnings: [] };
  }
  const text = readText(o.keras!, 'Keras file');
  try {
    const imported = importKerasModel(text, basename(o.keras!));
    return {
      model: imported.model,
      config: { ...DEFAULT_CONFIG },
      presetId: null,
      label: `Keras file ${basename(o.keras!)}`,
      warnings: imported.warnings,
    };
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}
