/** chart.js, registered once with only the parts Layerlab's charts use, and drawn offscreen for PNG export. */
import { Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Title, Tooltip } from 'chart.js';
import { lineChartConfig, type LineChartSpec } from './line-chart';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Title, Tooltip);
Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--font-ui').trim() || 'system-ui, sans-serif';
Chart.defaults.font.size = 11;
Chart.defaults.color = '#4b5563';
Chart.defaults.borderColor = '#e5e7eb';

export { Chart };

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
