/**
 * The CLI as a child process, the way the CLI tests run it: LAYERLAB_HOME in a
 * temp folder, LAYERLAB_DB unset unless a test sets it, every child tracked so a
 * test that fails half-way leaves nothing training in the background.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'src/cli/index.ts');

/** No command may run longer than this; a hung CLI fails the test instead of the whole suite. */
const CLI_TIMEOUT_MS = 100_000;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** Resolves with the text of the stream once it matches `pattern`. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** One per test file: `home()` is the LAYERLAB_HOME the CLI sees. */
export function cliHarness(home: () => string) {
  const children = new Set<ChildProcess>();
  /** Children started in their own process group (a CLI and its trainer), killed as a group. */
  const groupLeaders = new Set<ChildProcess>();

  function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, LAYERLAB_HOME: home(), ...extra };
    if (!('LAYERLAB_DB' in extra)) delete env.LAYERLAB_DB;
    return env;
  }

  function startCli(args: string[], o: { env?: Record<string, string>; processGroup?: boolean } = {}): RunningCli {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      env: cliEnv(o.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a test can send Ctrl+C to the CLI and its trainer at once, as a terminal does.
      detached: o.processGroup ?? false,
    });
    if (o.processGroup) groupLeaders.add(child);
    children.add(child);
    let stdout = '';
    let stderr = '';
    const watchers: Array<() => void> = [];
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      for (const w of [...watchers]) w();
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      for (const w of [...watchers]) w();
    });
    const done = new Promise<CliResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`layerlab ${args.join(' ')} did not finish within ${CLI_TIMEOUT_MS} ms\nstderr:\n${stderr}`));
      }, CLI_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
    const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 90_000) =>
      new Promise<string>((resolve, reject) => {
        const text = () => (stream === 'stdout' ? stdout : stderr);
        const timer = setTimeout(() => {
          remove();
          reject(new Error(`no ${pattern} on ${stream} within ${timeoutMs} ms; ${stream} so far:\n${text()}`));
        }, timeoutMs);
        const check = () => {
          if (pattern.test(text())) {
            remove();
            resolve(text());
          }
        };
        const remove = () => {
          clearTimeout(timer);
          const i = watchers.indexOf(check);
          if (i >= 0) watchers.splice(i, 1);
        };
        watchers.push(check);
        child.once('close', () => {
          if (watchers.includes(check)) {
            remove();
            reject(new Error(`the CLI exited before ${pattern} appeared on ${stream}; stderr:\n${stderr}`));
          }
        });
        check();
      });
    return { child, done, stdout: () => stdout, stderr: () => stderr, waitFor };
  }

  function cli(args: string[], o: { env?: Record<string, string> } = {}): Promise<CliResult> {
    return startCli(args, o).done;
  }

  /** Kill whatever a test left running (call from afterEach). */
  function killLeftovers(): void {
    for (const child of children) {
      const running = child.exitCode === null && child.signalCode === null;
      // A group may outlive its leader (a trainer left behind): kill it whatever the leader did.
      if (!child.pid || (!running && !groupLeaders.has(child))) continue;
      try {
        process.kill(groupLeaders.has(child) ? -child.pid : child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    children.clear();
    groupLeaders.clear();
  }

  return { startCli, cli, killLeftovers };
}

/** Parse stdout as the one JSON document --json promises, with the CLI's output in the failure message. */
export function json<T = any>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${r.code}).\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

export const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/** What every refused command must look like: non-zero exit, nothing on stdout, one line on stderr. */
export function expectRefused(r: CliResult, reason: RegExp): void {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(lines(r.stderr), 'stderr must be exactly one line').toHaveLength(1);
  expect(r.stderr).toMatch(/^layerlab: /);
  expect(r.stderr).toMatch(reason);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stdout).toBe('');
}
