import type { FromTrainer, ToTrainer } from '../engine/protocol';

/** A running trainer process, whatever started it (child_process.fork or Electron's utilityProcess). */
export interface TrainerHandle {
  readonly pid: number | null;
  send(message: ToTrainer): void;
  onMessage(listener: (message: FromTrainer) => void): void;
  /** Called once when the process has gone, with its exit code (null if killed by a signal). */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export type LaunchTrainer = () => TrainerHandle;
