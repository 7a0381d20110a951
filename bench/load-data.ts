/**
 * How long loading Fashion-MNIST train+test into training-ready arrays takes
 * (read, gunzip, check, scale to floats). Target: under 500 ms on a 2-core machine.
 *
 *   npx tsx bench/load-data.ts [folder] [repetitions]
 */
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { loadFashionMnist, locateFashionMnist } from '../src/core/data/fashion-mnist';

const TARGET_MS = 500;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const status = locateFashionMnist({ cacheDir: tmpdir() });
  const folder = process.argv[2] ?? status.folder;
  if (!folder) throw new Error(status.message ?? 'Fashion-MNIST not found');
  const repetitions = Number(process.argv[3] ?? 7);

  console.log(`folder: ${folder}`);
  console.log(`node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'})`);

  // Other processes on a shared 2-core machine stretch wall time; CPU time
  // (main thread plus zlib's pool threads) shows whether the loader itself changed.
  console.log(`load average before: ${loadavg()[0].toFixed(2)}`);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const { train, test } = await loadFashionMnist(folder);
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    times.push(ms);
    cpuTimes.push(cpuMs);
    console.log(`run ${i + 1}: ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (${train.count} train + ${test.count} test images)`);
  }
  const med = median(times);
  console.log(`median: ${med.toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`);
  console.log(`median CPU: ${median(cpuTimes).toFixed(0)} ms (wall / CPU ${(med / median(cpuTimes)).toFixed(2)}: below 1 means two cores worked)`);
  console.log(`median / target (${TARGET_MS} ms): ${(med / TARGET_MS).toFixed(2)}`);
  console.log(`load average after: ${loadavg()[0].toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
