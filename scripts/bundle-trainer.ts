/**
 * `npm run build`'s second step: the trainer process and its helper thread bundled into
 * out/trainer (CommonJS, tfjs loaded from node_modules), the entry the desktop app starts
 * when it is there (src/main/layout.ts's trainerScript) and the one electron-builder packs.
 * The CLI and browser mode rebuild the same bundle on demand when a source changed.
 */
import { buildTrainerBundle } from '../src/core/runs/node-trainer';

console.log(`Bundled the trainer: ${buildTrainerBundle()}`);
