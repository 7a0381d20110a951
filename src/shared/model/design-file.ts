/** Reading and writing a design as a file (the editor's export, the CLI's --design FILE). */
import { z } from 'zod';
import type { DesignFile } from '../contract/designs';
import type { ModelSpec } from './model-spec';
import { describeIssues, modelSpecSchema, trainingConfigSchema } from './schemas';
import type { TrainingConfig } from './training-config';
import { importedJson } from '../imported-json';

export const DESIGN_FILE_VERSION = 1;

/**
 * What a design file may be, checked before any other work: its text (counted
 * in characters, each at least one byte) and its layers, as the model spec allows.
 */
export const DESIGN_FILE_LIMITS = { fileMegabytes: 20, layers: 200 } as const;

const designFileSchema = z.strictObject({
  format: z.literal('layerlab-design'),
  version: z.literal(DESIGN_FILE_VERSION),
  name: z.string().trim().min(1).max(120),
  model: modelSpecSchema,
  config: trainingConfigSchema,
});

export class DesignFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DesignFileError';
  }
}

export function designFile(name: string, model: ModelSpec, config: TrainingConfig): DesignFile {
  return { format: 'layerlab-design', version: DESIGN_FILE_VERSION, name, model, config };
}

/** Parse a design file's text; every way it can be wrong gets a message naming the file. */
export function parseDesignFile(text: string, fileName = 'the file'): DesignFile {
  const data = importedJson(text, DESIGN_FILE_LIMITS.fileMegabytes, {
    tooLarge: (mb) => new DesignFileError(`${fileName} is too large to import: ${mb} MB; the limit is ${DESIGN_FILE_LIMITS.fileMegabytes} MB`),
    notJson: (reason) => new DesignFileError(`${fileName} is not JSON: ${reason}`),
  });
  const head = data as { format?: unknown; version?: unknown };
  if (typeof data !== 'object' || data === null || head.format !== 'layerlab-design') {
    throw new DesignFileError(`${fileName} is not a Layerlab design (it has no "format": "layerlab-design")`);
  }
  if (typeof head.version === 'number' && head.version > DESIGN_FILE_VERSION) {
    throw new DesignFileError(
      `${fileName} was written by a newer version of Layerlab (design format ${head.version}; this version reads ${DESIGN_FILE_VERSION})`,
    );
  }
  const model = (data as { model?: { layers?: unknown } }).model;
  const layers = typeof model === 'object' && model !== null ? model.layers : undefined;
  if (Array.isArray(layers) && layers.length > DESIGN_FILE_LIMITS.layers) {
    throw new DesignFileError(`${fileName} has ${layers.length.toLocaleString('en')} layers; a design has at most ${DESIGN_FILE_LIMITS.layers}`);
  }
  const parsed = designFileSchema.safeParse(data);
  if (!parsed.success) throw new DesignFileError(`${fileName} is not a valid design: ${describeIssues(parsed.error)}`);
  return parsed.data as DesignFile;
}
