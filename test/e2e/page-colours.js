/* global document, getComputedStyle, NodeFilter, HTMLInputElement, HTMLSelectElement */
/**
 * What theme.spec.ts reads inside the page: the colours really on screen. A script
 * the spec sends to the page as text (page.evaluate), so it is plain JavaScript for
 * the browser: the DOM's types are the page's, not this Node project's.
 */
globalThis.layerlabColours = {
  /**
   * Every visible piece of text in the page (text nodes, and the values of inputs and
   * selects) against the colour behind it: the element's background composed with its
   * ancestors' until an opaque one. Disabled controls are exempt (WCAG 1.4.3).
   * @returns {{ offenders: { text: string; selector: string; ratio: number; needed: number; color: string; background: string }[]; checked: number; lowest: number }}
   */
  lowContrastText() {
    const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    /** Any CSS colour Chromium computes (rgb(), color(srgb …), oklab …) as [r, g, b, alpha], through a canvas when it is not rgb(). */
    const parse = (css) => {
      if (!css || css === 'transparent') return [0, 0, 0, 0];
      const m = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(css);
      if (m) return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
      probe.clearRect(0, 0, 1, 1);
      probe.fillStyle = '#000';
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = probe.getImageData(0, 0, 1, 1).data;
      return [r, g, b, a / 255];
    };
    const over = (top, under) => {
      const a = top[3] + under[3] * (1 - top[3]);
      if (a === 0) return [0, 0, 0, 0];
      const mix = (i) => (top[i] * top[3] + under[i] * under[3] * (1 - top[3])) / a;
      return [mix(0), mix(1), mix(2), a];
    };
    const luminance = ([r, g, b]) => {
      const lin = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const ratio = (a, b) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    const canvasColour = parse(getComputedStyle(document.documentElement).backgroundColor);
    const behind = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      let colour = layers.at(-1)?.[3] === 1 ? layers.pop() : canvasColour[3] === 1 ? canvasColour : [255, 255, 255, 1];
      while (layers.length) colour = over(layers.pop(), colour);
      return colour;
    };
    const css = ([r, g, b, a]) => `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${Number(a.toFixed(2))})`;
    const selector = (el) => {
      const parts = [];
      for (let e = el; e && e !== document.body && parts.length < 5; e = e.parentElement) {
        const id = e.id ? `#${e.id}` : '';
        const classes = [...e.classList]
          .filter((c) => !c.startsWith('svelte-'))
          .map((c) => `.${c}`)
          .join('');
        parts.unshift(`${e.tagName.toLowerCase()}${id}${classes}`);
        if (id) break;
      }
      return parts.join(' > ');
    };

    const seen = new Set();
    const elements = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (parent && n.textContent?.trim() && !seen.has(parent)) {
        seen.add(parent);
        elements.push(parent);
      }
    }
    for (const field of document.querySelectorAll('input[type="text"], input[type="number"], input:not([type]), select, textarea')) {
      if ((field.value ?? '').trim()) elements.push(field);
    }

    const offenders = [];
    let checked = 0;
    let lowest = Infinity;
    for (const el of elements) {
      if (el.closest('option, script, style, template, canvas, .visually-hidden, [aria-hidden="true"], :disabled, [aria-disabled="true"]')) continue;
      const box = el.getBoundingClientRect();
      if (box.width < 2 || box.height < 2) continue;
      if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true })) continue;
      const style = getComputedStyle(el);
      const background = behind(el);
      const colour = over(parse(style.color), background);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const needed = large ? 3 : 4.5;
      const r = ratio(colour, background);
      checked++;
      lowest = Math.min(lowest, r);
      if (r < needed - 0.005) {
        const text = (el instanceof HTMLInputElement || el instanceof HTMLSelectElement ? `value "${el.value}"` : (el.textContent ?? ''))
          .trim()
          .slice(0, 60);
        offenders.push({ text, selector: selector(el), ratio: Number(r.toFixed(2)), needed, color: css(colour), background: css(background) });
      }
    }
    return { offenders, checked, lowest };
  },

  /** The page's background as computed (from the --bg token, a light-dark() pair the element resolves). @returns {string} */
  rootBackground() {
    return getComputedStyle(document.documentElement).backgroundColor;
  },

  /** Whether the Theme setting has put data-theme on <html> (System leaves it off). @returns {boolean} */
  hasThemeAttribute() {
    return document.documentElement.hasAttribute('data-theme');
  },

  /**
   * How many pixels of the canvas with this accessible name are exactly [r, g, b] and opaque.
   * @param {string} label
   * @param {[number, number, number]} rgb
   * @returns {number}
   */
  canvasPixels(label, [r, g, b]) {
    const canvas = [...document.querySelectorAll('canvas')].find((c) => c.getAttribute('aria-label') === label);
    if (!canvas) throw new Error(`no chart named "${label}" on the page`);
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b && data[i + 3] === 255) n++;
    return n;
  },
};
