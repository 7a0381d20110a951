/**
 * The light and dark palettes in app.css, read as the file is written (each colour
 * token a light-dark(light, dark) pair), checked against WCAG 2 AA: a palette edit
 * that makes text unreadable or a control's border invisible in either theme fails here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const css = readFileSync(fileURLToPath(new URL('../../../src/renderer/app.css', import.meta.url)), 'utf8');

type Theme = 'light' | 'dark';

/** Every `--name: light-dark(a, b);` in the file, split into its two themes. */
function palettes(): Record<Theme, Map<string, string>> {
  const light = new Map<string, string>();
  const dark = new Map<string, string>();
  for (const m of css.matchAll(/(--[\w-]+):\s*light-dark\(\s*(#[0-9a-f]{3,8}|rgba?\([^)]*\))\s*,\s*(#[0-9a-f]{3,8}|rgba?\([^)]*\))\s*\)\s*;/gi)) {
    light.set(m[1], m[2]);
    dark.set(m[1], m[3]);
  }
  return { light, dark };
}

function rgb(colour: string): [number, number, number] {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour)?.[1];
  if (!hex) throw new Error(`${colour} is not an opaque #rgb or #rrggbb colour`);
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
}

/** WCAG 2 relative luminance and contrast ratio. */
function luminance(colour: string): number {
  const [r, g, b] = rgb(colour).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const SURFACES = ['--bg', '--panel', '--panel-alt'];
/** [foreground, background, minimum ratio, why]. */
const PAIRS: [string, string, number][] = [
  ...['--text', '--muted', '--accent', '--danger', '--ok', '--warn', '--paused'].flatMap((fg) =>
    SURFACES.map((bg): [string, string, number] => [fg, bg, 4.5]),
  ),
  ...['--accent', '--danger', '--ok', '--warn', '--paused', '--chip'].map((fg): [string, string, number] => [
    fg,
    fg === '--chip' ? '--chip-soft' : `${fg}-soft`,
    4.5,
  ]),
  ...['--danger', '--ok', '--warn'].map((fg): [string, string, number] => [`${fg}-strong`, `${fg}-soft`, 4.5]),
  ['--text', '--accent-soft', 4.5],
  ['--text', '--danger-soft', 4.5],
  ['--text', '--differs', 4.5],
  ['--muted', '--differs', 4.5],
  ['--text', '--row-hover', 4.5],
  ['--text', '--row-checked', 4.5],
  ['--muted', '--row-hover', 4.5],
  ['--muted', '--row-checked', 4.5],
  ['--muted', '--accent-soft', 4.5],
  ['--star', '--accent-soft', 4.5],
  ['--text', '--chip-soft', 4.5],
  ['--accent-strong', '--accent-soft', 4.5],
  ['--ok-strong', '--ok-soft', 4.5],
  ['--on-accent', '--accent', 4.5],
  ['--on-accent', '--accent-hover', 4.5],
  ['--on-danger', '--danger', 4.5],
  ['--chart-text', '--panel', 4.5],
  // Borders of controls, focus rings, marks and chart lines: 3:1.
  ['--border-strong', '--panel', 3],
  ['--border-strong', '--bg', 3],
  ['--focus-ring', '--panel', 3],
  ['--focus-ring', '--bg', 3],
  ['--focus-ring', '--focus-gap', 3],
  ['--faint', '--panel', 3],
  ['--highlight', '--panel', 3],
  ['--star', '--panel', 4.5],
  ['--chart-guide', '--panel', 3],
];

describe.each(['light', 'dark'] as const)('the %s palette', (theme) => {
  const tokens = palettes()[theme];

  it('defines every colour token the app pairs, in both themes', () => {
    const used = new Set(PAIRS.flat().filter((t): t is string => typeof t === 'string'));
    expect([...used].filter((t) => !tokens.has(t))).toEqual([]);
  });

  it.each(PAIRS)('%s on %s reaches %s:1', (fg, bg, min) => {
    const ratio = contrast(tokens.get(fg)!, tokens.get(bg)!);
    expect(ratio, `${fg} ${tokens.get(fg)} on ${bg} ${tokens.get(bg)} is ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(min);
  });
});

describe('the theme switch', () => {
  it('follows the OS unless data-theme on <html> says light or dark', () => {
    expect(css).toMatch(/@media \(prefers-color-scheme: dark\)\s*{\s*:root:not\(\[data-theme='light'\]\)\s*{\s*color-scheme: dark;/);
    expect(css).toMatch(/:root\[data-theme='dark'\]\s*{\s*color-scheme: dark;/);
  });

  it('gives the two themes different surfaces and text', () => {
    const { light, dark } = palettes();
    for (const t of ['--bg', '--panel', '--text']) expect(dark.get(t)).not.toBe(light.get(t));
    // Dark means dark: the page is darker than its text.
    expect(luminance(dark.get('--bg')!)).toBeLessThan(luminance(dark.get('--text')!));
  });
});
