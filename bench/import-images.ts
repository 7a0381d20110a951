/**
 * How long importing a folder of images takes: 10,000 JPEG images of 256×256 in 10 class
 * folders, imported to 32×32×3 (decode, resize, split, hash, write). Aim (issue 14): under 10 s
 * on this 2-core machine.
 *
 *   npx tsx bench/import-images.ts [--dir FOLDER] [--count 10000] [--concurrency N]
 *
 * Without --dir the images are written to a temporary folder and removed afterwards; with
 * --dir they are written there once (when it holds no class folders yet) and reused by later runs.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { importImageFolder } from '../src/core/data/image-folder';
import { f } from './figures';

const CLASSES = 10;
const SIDE = 256;

/** A photo-like image: a smooth gradient in the class's hue, a disc, mild noise (so JPEG sizes are realistic). */
function pixels(cls: number, index: number): Buffer {
  let state = (cls * 100_003 + index * 7919) | 0;
  const random = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) | 0;
    return ((state >>> 16) & 0x7fff) / 0x8000;
  };
  const hue = [Math.cos(cls), Math.cos(cls + 2.1), Math.cos(cls + 4.2)].map((v) => 110 + 90 * v);
  const cx = SIDE * (0.25 + 0.5 * random());
  const cy = SIDE * (0.25 + 0.5 * random());
  const r = SIDE * (0.15 + 0.15 * random());
  const px = Buffer.alloc(SIDE * SIDE * 3);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      for (let c = 0; c < 3; c++) {
        const base = inside ? 255 - hue[c] : hue[c] * (0.6 + (0.4 * (x + y)) / (2 * SIDE));
        px[(y * SIDE + x) * 3 + c] = Math.max(0, Math.min(255, base + (random() - 0.5) * 24));
      }
    }
  }
  return px;
}

async function generate(dir: string, count: number): Promise<void> {
  const perClass = Math.ceil(count / CLASSES);
  const jobs: { cls: number; i: number }[] = [];
  for (let cls = 0; cls < CLASSES; cls++) {
    mkdirSync(join(dir, `class-${cls}`), { recursive: true });
    for (let i = 0; i < perClass && cls * perClass + i < count; i++) jobs.push({ cls, i });
  }
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < jobs.length) {
        const { cls, i } = jobs[next++];
        const jpeg = await sharp(pixels(cls, i), { raw: { width: SIDE, height: SIDE, channels: 3 } })
          .jpeg({ quality: 85 })
          .toBuffer();
        writeFileSync(join(dir, `class-${cls}`, `${String(i).padStart(5, '0')}.jpg`), jpeg);
      }
    }),
  );
  console.log(`wrote ${jobs.length} JPEG images of ${SIDE}×${SIDE} in ${f((performance.now() - start) / 1000, 1)} s`);
}

function folderBytes(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const cls of readdirSync(dir)) {
    for (const name of readdirSync(join(dir, cls))) {
      files++;
      bytes += statSync(join(dir, cls, name)).size;
    }
  }
  return { files, bytes };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, count: { type: 'string' }, concurrency: { type: 'string' } } });
  const count = Number(values.count ?? 10_000);
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  const scratch = mkdtempSync(join(tmpdir(), 'layerlab-bench-import-'));
  const dir = values.dir ?? join(scratch, 'images');
  try {
    if (!existsSync(dir) || readdirSync(dir).length === 0) await generate(dir, count);
    else console.log(`reusing ${dir}`);
    const source = folderBytes(dir);
    console.log(`source: ${source.files} files, ${f(source.bytes / 2 ** 20, 1)} MB`);
    console.log(
      `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`,
    );
    console.log(
      `load average before: ${loadavg()
        .map((x) => f(x))
        .join(' ')}`,
    );

    let lastTenth = -1;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const result = await importImageFolder({
      folder: dir,
      name: 'bench',
      size: [32, 32],
      channels: 3,
      outDir: join(scratch, 'datasets'),
      concurrency,
      onProgress: ({ done, total }) => {
        const tenth = Math.floor((done / total) * 10);
        if (tenth > lastTenth) {
          lastTenth = tenth;
          console.log(`  ${String(tenth * 10).padStart(3)}%  ${done}/${total}  ${f((performance.now() - start) / 1000, 1)} s`);
        }
      },
    });
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const images = result.meta.trainCount + result.meta.testCount;
    console.log(
      `imported ${images} images to ${result.meta.shape.join('×')} (${result.meta.trainCount} train, ${result.meta.testCount} test, ${result.skipped.length} skipped)`,
    );
    console.log(`time: ${f(seconds)} s wall, ${f((cpu.user + cpu.system) / 1e6)} s CPU in this process's main thread and sharp's threads`);
    console.log(
      `rate: ${f(images / seconds, 0)} images/s; ${f(seconds / 10, 2)} of the 10 s aim${images === 10_000 ? '' : ` (for ${images} images)`}`,
    );
    console.log(`dataset.bin: ${f(statSync(result.file).size / 2 ** 20, 2)} MB (${statSync(result.file).size} bytes)`);
    console.log(
      `load average after: ${loadavg()
        .map((x) => f(x))
        .join(' ')}`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
