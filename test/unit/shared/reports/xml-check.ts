/**
 * A small XML well-formedness check for the chart tests (no DOMParser in Node):
 * tags balance, attributes are quoted and unique, text holds no raw '<' or a bare '&'.
 * Returns the problems found; an empty list means well-formed.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

export function parseXml(src: string): { root: XmlElement | null; problems: string[] } {
  const problems: string[] = [];
  let s = src.replace(/^\uFEFF/, '');
  s = s.replace(/^<\?xml[^?]*\?>\s*/, '');
  s = s.replace(/<!--[\s\S]*?-->/g, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
  let i = 0;
  const checkText = (t: string) => {
    if (t.includes('<')) problems.push(`raw '<' in text: ${t.slice(0, 40)}`);
    if (t.replace(ENTITY, '').includes('&')) problems.push(`bare '&' in text: ${t.slice(0, 40)}`);
  };
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = s.slice(i, lt < 0 ? s.length : lt);
    if (text.trim()) {
      if (!stack.length) problems.push(`text outside the root element: ${text.trim().slice(0, 40)}`);
      else stack[stack.length - 1].text += text;
      checkText(text);
    }
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(s);
    if (!m) {
      problems.push(`malformed tag at ${lt}: ${s.slice(lt, lt + 60)}`);
      break;
    }
    const [, closing, name, attrText, selfClosing] = m;
    i = tag.lastIndex;
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) problems.push(`</${name}> closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
      if (a[1] in attrs) problems.push(`duplicate attribute ${a[1]} on <${name}>`);
      const value = a[3] ?? a[4];
      if (value.includes('<')) problems.push(`'<' in attribute ${a[1]} of <${name}>`);
      if (value.replace(ENTITY, '').includes('&')) problems.push(`bare '&' in attribute ${a[1]} of <${name}>`);
      attrs[a[1]] = value;
    }
    const el: XmlElement = { name, attrs, children: [], text: '' };
    if (stack.length) stack[stack.length - 1].children.push(el);
    else if (root) problems.push(`second root element <${name}>`);
    else root = el;
    if (!selfClosing) stack.push(el);
  }
  for (const open of stack) problems.push(`<${open.name}> is never closed`);
  return { root, problems };
}

export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (pred(e)) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}

export const decode = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
