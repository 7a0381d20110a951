/** Errors from api calls and the transport, shown in a dismissible banner (never swallowed). */
export interface Problem {
  id: number;
  /** What the app was doing, in the user's words: "Starting the run". */
  context: string;
  message: string;
  /** How many times this same problem happened since it was shown. */
  count: number;
}

/** The message of anything thrown, without the IPC wrapper Electron puts around it. */
export function messageOf(err: unknown): string {
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : String(JSON.stringify(err) ?? err);
  return raw.replace(/^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/, '') || 'Unknown error';
}

class Problems {
  list = $state<Problem[]>([]);
  #nextId = 1;

  report(context: string, err: unknown) {
    const message = messageOf(err);
    const same = this.list.find((p) => p.context === context && p.message === message);
    if (same) {
      same.count += 1;
      return;
    }
    this.list.push({ id: this.#nextId++, context, message, count: 1 });
  }

  dismiss(id: number) {
    this.list = this.list.filter((p) => p.id !== id);
  }

  dismissAll() {
    this.list = [];
  }
}

export const problems = new Problems();
