/** How numbers look everywhere in the app. */

const DASH = '—';

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** 0.8734 → "87.34%". */
export function formatAccuracy(x: number | null | undefined, digits = 2): string {
  return finite(x) ? `${(x * 100).toFixed(digits)}%` : DASH;
}

/** Loss with 4 decimals. */
export function formatLoss(x: number | null | undefined): string {
  return finite(x) ? x.toFixed(4) : DASH;
}

/** A norm (a gradient's, a weight's) over many orders of magnitude: 0.0123, 4.56e-5, 1.23e4. */
export function formatNorm(x: number | null | undefined, digits = 3): string {
  if (!finite(x)) return DASH;
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e4) return String(Number(x.toPrecision(digits)));
  return x.toExponential(digits - 1).replace('e+', 'e');
}

/** Seconds as mm:ss, or h:mm:ss from an hour on. */
export function formatDuration(seconds: number | null | undefined): string {
  if (!finite(seconds) || seconds < 0) return DASH;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

/** 133386 → "133,386". */
export function formatCount(n: number | null | undefined): string {
  return finite(n) ? n.toLocaleString('en-US') : DASH;
}

/** A setting such as a learning rate, as typed: 0.001, 1e-7. */
export function formatSetting(n: number | null | undefined): string {
  return finite(n) ? String(n) : DASH;
}

/** An ISO timestamp in the user's locale. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** "Epoch 3 of 20" style plural helper: 1 epoch, 2 epochs. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** First letter upper-case, for messages written to be embedded mid-sentence. */
export function sentence(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
