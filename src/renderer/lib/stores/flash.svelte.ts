/** A short line saying what an action did ("Saved layerlab-loss.png"), shown for a few seconds. */
class Flash {
  text = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | null = null;

  show(text: string, ms = 8000) {
    this.text = text;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.clear(), ms);
  }

  clear() {
    this.text = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

export const flash = new Flash();

/** "Saved to /path" in the desktop app, "Downloaded name" in browser mode; null (cancelled) says nothing. */
export function reportSaved(where: (string | null)[] | string | null, what: string): void {
  const list = (Array.isArray(where) ? where : [where]).filter((w): w is string => w !== null);
  if (!list.length) return;
  flash.show(`${what}: ${list.join(', ')}`);
}
