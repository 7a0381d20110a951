import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FromTrainer } from '../engine/protocol';
import type { LaunchTrainer, TrainerHandle } from './trainer-launcher';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the trainer's entry is: next to this file when running from source (tsx),
 * or the built out/main/trainer.js when running from a build.
 */
export function trainerEntry(): { file: string; execArgv: string[] } {
  const source = resolve(here, '../engine/trainer-process.ts');
  if (existsSync(source)) {
    // Absolute, so the child finds tsx whatever the working folder.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return { file: source, execArgv: ['--import', tsx] };
  }
  return { file: join(here, 'trainer.js'), execArgv: [] };
}

/** The trainer as a plain Node child process (CLI and browser mode). */
export const forkTrainer: LaunchTrainer = () => {
  const { file, execArgv } = trainerEntry();
  const child = fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle: TrainerHandle = {
    pid: child.pid ?? null,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', (m) => listener(m as FromTrainer)),
    onExit: (listener) => child.once('exit', (code, signal) => listener(code, signal)),
    kill: () => child.kill('SIGKILL'),
  };
  return handle;
};
