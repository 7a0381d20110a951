/** The parsers the window runs on imported files, by kind; shared by the worker and its fallback. */
import type { DesignFile } from '../../../shared/contract/designs';
import { parseDesignFile } from '../../../shared/model/design-file';
import { importKerasModel, type KerasImport } from '../../../shared/model/keras-import';
import { parseBundle, type RunBundle } from '../../../shared/reports/bundle';

export interface Parsed {
  keras: KerasImport;
  design: DesignFile;
  bundle: RunBundle;
}
export type ParseKind = keyof Parsed;

export interface ParseRequest {
  id: number;
  kind: ParseKind;
  file: File;
}
export type ParseReply = { id: number; ok: true; value: Parsed[ParseKind] } | { id: number; ok: false; message: string };

export function runParse<K extends ParseKind>(kind: K, text: string, fileName: string): Parsed[K] {
  switch (kind) {
    case 'keras':
      return importKerasModel(text, fileName) as Parsed[K];
    case 'design':
      return parseDesignFile(text, fileName) as Parsed[K];
    default:
      return parseBundle(text) as Parsed[K];
  }
}
