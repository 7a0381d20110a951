/**
 * The page's Content-Security-Policy allows no inline script or style. Svelte 5
 * sets `style=` values and `style:` directives through the CSSOM (`el.style`),
 * which CSP does not govern; but a static `style="…"` attribute is compiled into
 * the HTML string Svelte parses for its templates, and HTML parsed from strings
 * is governed. These checks keep the renderer inside what the policy allows.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const renderer = join(root, 'src/renderer');

function policy(): Map<string, string[]> {
  const html = readFileSync(join(renderer, 'index.html'), 'utf8');
  const content = /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)?.[1];
  expect(content, 'index.html has a CSP meta tag').toBeDefined();
  return new Map(
    content!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name, values]),
  );
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(svelte|ts)$/.test(name) ? [path] : [];
  });
}

describe("the renderer's Content-Security-Policy", () => {
  it('allows scripts and styles from the app itself only: nothing inline, no eval', () => {
    const csp = policy();
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect([...csp.values()].flat().some((v) => /unsafe/.test(v))).toBe(false);
  });

  it('no component writes a style or HTML the policy would block', () => {
    const offending: string[] = [];
    for (const file of files(renderer)) {
      const text = readFileSync(file, 'utf8');
      // Markup only: a component's <style> block is compiled into the stylesheet file.
      const markup = file.endsWith('.svelte') ? text.replace(/<style[^>]*>[\s\S]*?<\/style>/g, '') : text;
      const checks: [RegExp, string][] = [
        [/\sstyle\s*=\s*("[^"{]*"|'[^'{]*')/, 'a static style="…" attribute (use a class, or a style: directive)'],
        [/\{@html\b/, '{@html}'],
        [/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|createContextualFragment|DOMParser/, 'HTML parsed from a string'],
        [/setAttribute\(\s*['"]style['"]/, "setAttribute('style', …) (set el.style instead)"],
        [/<svelte:head>[\s\S]*<style/, 'a <style> element in <svelte:head>'],
      ];
      for (const [pattern, what] of checks) if (pattern.test(markup)) offending.push(`${relative(root, file)}: ${what}`);
    }
    expect(offending).toEqual([]);
  });
});
