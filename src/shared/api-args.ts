/** Argument schemas of the contract, checked before a service sees a call from another process. */
import { z } from 'zod';
import type { LayerlabApi } from './api';
import { designIdSchema, designNameSchema, runIdSchema, saveDesignSchema, startRunSchema } from './schemas';

export const apiArgs = {
  appInfo: z.tuple([]),
  listPresets: z.tuple([]),
  datasetStatus: z.tuple([]),
  useDatasetFolder: z.tuple([z.string({ error: 'folder must be a path' }).min(1, { error: 'folder must not be empty' })]),
  downloadDataset: z.tuple([]),
  startRun: z.tuple([startRunSchema]),
  cancelRun: z.tuple([runIdSchema]),
  listRuns: z.tuple([]),
  getRun: z.tuple([runIdSchema]),
  listDesigns: z.tuple([]),
  getDesign: z.tuple([designIdSchema]),
  saveDesign: z.tuple([saveDesignSchema]),
  renameDesign: z.tuple([designIdSchema, designNameSchema]),
  deleteDesign: z.tuple([designIdSchema]),
} satisfies { [K in keyof LayerlabApi]: z.ZodType<Parameters<LayerlabApi[K]>> };


