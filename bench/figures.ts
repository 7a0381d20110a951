/** How the benches print their figures: medians of repeated timings, fixed decimals. */

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const f = (x: number, digits = 2): string => x.toFixed(digits);
