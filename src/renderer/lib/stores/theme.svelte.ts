/**
 * The theme setting: System (follow the OS), Light or Dark. Remembered in
 * localStorage; Light and Dark put data-theme on <html>, which app.css turns into
 * `color-scheme` (System leaves it off, so prefers-color-scheme decides). `dark`
 * says which one is showing, for what is drawn on a canvas (charts) and must be
 * redrawn when it changes.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

export const THEME_CHOICES: { id: ThemeChoice; label: string }[] = [
  { id: 'system', label: 'System' },
  { id: 'light', label: 'Light' },
  { id: 'dark', label: 'Dark' },
];

const THEME_KEY = 'layerlab.theme';

function readChoice(): ThemeChoice {
  try {
    const saved = localStorage.getItem(THEME_KEY);
    return saved === 'light' || saved === 'dark' ? saved : 'system';
  } catch {
    return 'system';
  }
}

class Theme {
  choice = $state<ThemeChoice>(readChoice());
  #systemDark = $state(false);
  /** The dark theme is what the window shows now (chosen, or the OS's while on System). */
  dark = $derived(this.choice === 'dark' || (this.choice === 'system' && this.#systemDark));

  constructor() {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    this.#systemDark = query.matches;
    query.addEventListener('change', (e) => (this.#systemDark = e.matches));
    apply(this.choice);
  }

  set(choice: ThemeChoice) {
    this.choice = choice;
    apply(choice);
    try {
      if (choice === 'system') localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, choice);
    } catch {
      // Storage full or disabled: the choice lasts this session.
    }
  }
}

function apply(choice: ThemeChoice) {
  if (choice === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', choice);
}

export const theme = new Theme();
