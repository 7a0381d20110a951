/** The columns of the runs table: what each shows, how wide it is, what it sorts by. */
import type { RunSummary } from '../../shared/contract/runs';

export type ColumnId =
  | 'star'
  | 'name'
  | 'status'
  | 'created'
  | 'duration'
  | 'preset'
  | 'architecture'
  | 'dataset'
  | 'optimizer'
  | 'learningRate'
  | 'batchSize'
  | 'epochs'
  | 'bestEpoch'
  | 'bestValAccuracy'
  | 'finalValAccuracy'
  | 'testAccuracy'
  | 'backend'
  | 'tags';

export interface Column {
  id: ColumnId;
  /** The header text. */
  label: string;
  /** The full name, where the header abbreviates it (the Columns menu and the header's tooltip use it). */
  title?: string;
  /** The RunSummary field it sorts by; null when the list does not carry what it shows (it is read per row). */
  sortKey: keyof RunSummary | null;
  /** Width in pixels; the name column takes what is left. */
  width?: number;
  num?: boolean;
  /** Cannot be hidden (the name says which run a row is). */
  always?: boolean;
}

export const COLUMNS: Column[] = [
  { id: 'star', label: 'Star', sortKey: 'starred', width: 40 },
  { id: 'name', label: 'Name', sortKey: 'name', always: true },
  { id: 'status', label: 'Status', sortKey: 'status', width: 100 },
  { id: 'created', label: 'Created', sortKey: 'createdAt', width: 146 },
  { id: 'duration', label: 'Duration', sortKey: 'durationSeconds', width: 86, num: true },
  { id: 'preset', label: 'Preset', sortKey: 'presetId', width: 112 },
  { id: 'architecture', label: 'Architecture', sortKey: 'architecture', width: 160 },
  { id: 'dataset', label: 'Dataset', title: 'Dataset the run trained on', sortKey: 'datasetId', width: 120 },
  { id: 'optimizer', label: 'Optimizer', sortKey: 'optimizer', width: 92 },
  { id: 'learningRate', label: 'LR', title: 'Learning rate', sortKey: 'learningRate', width: 64, num: true },
  { id: 'batchSize', label: 'Batch', title: 'Batch size', sortKey: 'batchSize', width: 70, num: true },
  { id: 'epochs', label: 'Epochs', title: 'Epochs (done / planned)', sortKey: 'epochsDone', width: 80, num: true },
  { id: 'bestEpoch', label: 'Best epoch', title: 'Best epoch: lowest validation loss', sortKey: 'bestEpoch', width: 96, num: true },
  { id: 'bestValAccuracy', label: 'Best val. acc.', title: 'Best validation accuracy (at epoch)', sortKey: 'bestValAccuracy', width: 124, num: true },
  { id: 'finalValAccuracy', label: 'Final val. acc.', title: 'Final validation accuracy', sortKey: 'finalValAccuracy', width: 118, num: true },
  { id: 'testAccuracy', label: 'Test acc.', title: 'Test accuracy', sortKey: 'testAccuracy', width: 92, num: true },
  { id: 'backend', label: 'Backend', sortKey: 'backend', width: 84 },
  { id: 'tags', label: 'Tags', sortKey: 'tags', width: 104 },
];

/** Shown until the user picks: what fits a 1280-pixel window. */
export const DEFAULT_HIDDEN: ColumnId[] = ['created', 'batchSize', 'finalValAccuracy', 'backend'];
