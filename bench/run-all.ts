/**
 * `npm run bench`: every benchmark in this folder, one after another (they share
 * two cores; running them together would only measure each other). Prints; never asserts.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const scripts = readdirSync(here)
  // A name starting with _ is someone's scratch file, not a benchmark.
  .filter((f) => f.endsWith('.ts') && !['run-all.ts', 'figures.ts'].includes(f) && !f.startsWith('_'))
  .sort();
for (const script of scripts) {
  console.log(`\n=== bench/${script} ===`);
  const r = spawnSync(process.execPath, ['--import', tsx, `${here}${script}`], { stdio: 'inherit' });
  if (r.status !== 0) console.log(`(bench/${script} exited with ${r.status})`);
}
