import type { ModelSpec } from '../model/model-spec';
import type { TrainingConfig } from '../model/training-config';

/** A network (and its training settings) saved from the editor under a name. */
export interface Design {
  id: number;
  name: string;
  model: ModelSpec;
  config: TrainingConfig;
  createdAt: string;
  updatedAt: string;
}

/** One row of the designs list. */
export interface DesignSummary {
  id: number;
  name: string;
  layerCount: number;
  totalParams: number;
  updatedAt: string;
}

/** A design as a file (exported from the editor, read by `layerlab summary|train --design FILE`). */
export interface DesignFile {
  format: 'layerlab-design';
  version: 1;
  name: string;
  model: ModelSpec;
  config: TrainingConfig;
}
