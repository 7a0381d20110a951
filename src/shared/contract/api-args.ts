/** Argument schemas of the contract, checked before a service sees a call from another process. */
import { z } from 'zod';
import type { LayerlabApi } from './api';
import {
  designIdSchema,
  designNameSchema,
  runIdSchema,
  runIdsSchema,
  runPatchSchema,
  saveComparisonSchema,
  saveDesignSchema,
  saveFileSchema,
  savePdfSchema,
  startRunSchema,
} from './requests';

export const apiArgs = {
  appInfo: z.tuple([]),
  listPresets: z.tuple([]),
  datasetStatus: z.tuple([]),
  useDatasetFolder: z.tuple([z.string({ error: 'folder must be a path' }).min(1, { error: 'folder must not be empty' })]),
  downloadDataset: z.tuple([]),
  cancelDownload: z.tuple([]),
  startRun: z.tuple([startRunSchema]),
  cancelRun: z.tuple([runIdSchema]),
  listRuns: z.tuple([]),
  getRun: z.tuple([runIdSchema]),
  listDesigns: z.tuple([]),
  getDesign: z.tuple([designIdSchema]),
  saveDesign: z.tuple([saveDesignSchema]),
  renameDesign: z.tuple([designIdSchema, designNameSchema]),
  deleteDesign: z.tuple([designIdSchema]),
  updateRun: z.tuple([runIdSchema, runPatchSchema]),
  deleteRun: z.tuple([runIdSchema]),
  getRuns: z.tuple([runIdsSchema.max(16, { error: 'at most 16 runs side by side' })]),
  listComparisons: z.tuple([]),
  saveComparison: z.tuple([saveComparisonSchema]),
  deleteComparison: z.tuple([z.number().int().positive()]),
  exportRuns: z.tuple([runIdsSchema]),
  // The bundle is checked by the service (validateBundle) so its messages can say what is wrong.
  importRuns: z.tuple([z.unknown()]),
  exportModel: z.tuple([runIdSchema]),
  saveFile: z.tuple([saveFileSchema]),
  saveReportPdf: z.tuple([savePdfSchema]),
} satisfies { [K in keyof LayerlabApi]: z.ZodType<Parameters<LayerlabApi[K]>> };
