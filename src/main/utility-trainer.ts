import { utilityProcess } from 'electron';
import type { FromTrainer } from '../core/engine/protocol';
import type { LaunchTrainer } from '../core/runs/trainer-launcher';

/** The trainer as an Electron utility process: a TensorFlow crash can't take the window down. */
export function utilityTrainer(entry: string): LaunchTrainer {
  return () => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'Layerlab trainer', stdio: 'inherit' });
    // An 'ack' can race the trainer's own exit (it stops waiting after a while): a message to a gone process is dropped.
    let exited = false;
    child.once('exit', () => (exited = true));
    return {
      get pid() {
        return child.pid ?? null;
      },
      send: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => child.on('message', (m) => listener(m as FromTrainer)),
      onExit: (listener) => child.once('exit', (code) => listener(code, null)),
      kill: () => child.kill(),
    };
  };
}
