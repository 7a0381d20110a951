/** chart.js, registered once with only the parts Layerlab's charts use, and drawn offscreen for PNG export. */
import { Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Title, Tooltip } from 'chart.js';
import { DARK_SERIES, LIGHT_CHROME, lineChartConfig, type ChartChrome, type LineChartSpec } from './line-chart';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Title, Tooltip);
Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--font-ui').trim() || 'system-ui, sans-serif';
Chart.defaults.font.size = 11;
// The light look, for anything a config leaves unset; screen charts pass screenChrome().
Chart.defaults.color = LIGHT_CHROME.text;
Chart.defaults.borderColor = LIGHT_CHROME.grid;

export { Chart };

/**
 * A CSS colour token as the page shows it now. The tokens are light-dark() pairs,
 * which getComputedStyle hands back unresolved on a custom property, so a hidden
 * probe wears the token as its colour and says what it computes to.
 */
function tokenColor(probe: HTMLElement, token: string, fallback: string): string {
  probe.style.color = `var(${token}, ${fallback})`;
  return getComputedStyle(probe).color || fallback;
}

/** The chart frame's colours from the theme's tokens (app.css), read when a chart is drawn. */
export function screenChrome(dark: boolean): ChartChrome {
  const probe = document.createElement('span');
  probe.hidden = true;
  document.documentElement.append(probe);
  try {
    return {
      text: tokenColor(probe, '--chart-text', LIGHT_CHROME.text),
      grid: tokenColor(probe, '--chart-grid', LIGHT_CHROME.grid),
      guide: tokenColor(probe, '--chart-guide', LIGHT_CHROME.guide),
      marker: tokenColor(probe, '--panel', LIGHT_CHROME.marker),
      tooltip: tokenColor(probe, '--chart-tooltip', LIGHT_CHROME.tooltip),
      tooltipText: tokenColor(probe, '--chart-tooltip-text', LIGHT_CHROME.tooltipText),
      series: dark ? DARK_SERIES : undefined,
    };
  } finally {
    probe.remove();
  }
}

/**
 * The chart as a PNG of width×height CSS pixels at `scale` (so width*scale ×
 * height*scale image pixels), drawn by chart.js from the same config as on screen.
 */
export async function chartPng(spec: LineChartSpec, o: { width: number; height: number; scale: number }): Promise<Blob> {
  const holder = document.createElement('div');
  holder.setAttribute('aria-hidden', 'true');
  // In the page (chart.js draws only on an attached canvas) but far off screen.
  holder.style.cssText = `position:fixed;left:-${o.width + 1000}px;top:0;width:${o.width}px;height:${o.height}px;pointer-events:none;`;
  const canvas = document.createElement('canvas');
  canvas.width = o.width;
  canvas.height = o.height;
  holder.append(canvas);
  document.body.append(holder);
  const config = lineChartConfig(spec);
  config.options = { ...config.options, responsive: false, devicePixelRatio: o.scale };
  const chart = new Chart(canvas, config);
  try {
    chart.update('none');
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the PNG'))), 'image/png'),
    );
  } finally {
    chart.destroy();
    holder.remove();
  }
}
