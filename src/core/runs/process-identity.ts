import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * When a process started, as the operating system tells it: with its PID, it names
 * one process for good (a PID alone is reused). Linux: the start time in clock ticks
 * since boot (field 22 of /proc/<pid>/stat); elsewhere `ps -o lstart=`; null where
 * neither answers (then the PID alone has to do).
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has ended; only its exit status is left for its parent to collect.
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    const ticks = fields[19];
    if (ticks && /^\d+$/.test(ticks)) return `linux:${ticks}`;
  } catch {
    /* not Linux, or the process is gone */
  }
  if (process.platform === 'win32' || process.platform === 'linux') return null;
  try {
    const started = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 2_000 }).trim();
    return started ? `ps:${started}` : null;
  } catch {
    return null;
  }
}

/** Whether a process with this PID exists (one we may not signal counts). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process recorded as (pid, started) is still that process. A PID that
 * now belongs to a process started at another time is a different process.
 */
export function sameProcessAlive(pid: number, started: string | null): boolean {
  if (!pidAlive(pid)) return false;
  if (started === null) return true;
  const now = processStartTime(pid);
  // Gone between the two checks, or no way to tell: trust what we saw.
  if (now === null) return pidAlive(pid) && !started.startsWith('linux:');
  return now === started;
}
