/**
 * Drawing dataset images (Fashion-MNIST's 28×28 grayscale, or any size in grayscale
 * or RGB) scaled up pixel for pixel, never blurred, and the confusion matrix's SVG turned into a PNG.
 */

/** Bytes from base64 text (an image's pixels). */
export function bytesFromBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** How an image's bytes are laid out: height × width × channels (1 grayscale, 3 RGB interleaved). */
export interface ImageLayout {
  width: number;
  height: number;
  channels: number;
  /**
   * Grayscale stored as ink (255) on background (0), as Fashion-MNIST and MNIST are:
   * drawn inverted, dark on white, the way the datasets' own figures show them.
   */
  inverted: boolean;
}

export const FASHION_MNIST_LAYOUT: ImageLayout = { width: 28, height: 28, channels: 1, inverted: true };

/** RGBA pixels (what a canvas takes) of one image of any size with 1 or 3 channels. */
export function rgbaOf(pixels: Uint8Array, layout: ImageLayout): Uint8ClampedArray {
  const { width, height, channels, inverted } = layout;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    if (channels >= 3) {
      out[i * 4] = pixels[i * channels] ?? 0;
      out[i * 4 + 1] = pixels[i * channels + 1] ?? 0;
      out[i * 4 + 2] = pixels[i * channels + 2] ?? 0;
    } else {
      const raw = pixels[i] ?? 0;
      const v = inverted ? 255 - raw : raw;
      out[i * 4] = v;
      out[i * 4 + 1] = v;
      out[i * 4 + 2] = v;
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * Draw one image into a canvas of any size, crisp: each source pixel becomes a
 * square block (Fashion-MNIST's 28×28 grayscale unless a layout says otherwise).
 */
export function drawImage(canvas: HTMLCanvasElement, pixels: Uint8Array, layout: ImageLayout = FASHION_MNIST_LAYOUT): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const source = document.createElement('canvas');
  source.width = layout.width;
  source.height = layout.height;
  const sctx = source.getContext('2d');
  if (!sctx) return;
  const data = sctx.createImageData(layout.width, layout.height);
  data.data.set(rgbaOf(pixels, layout));
  sctx.putImageData(data, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
}

/** The width and height an SVG document declares (its viewBox when it has no size). */
export function svgSize(svg: string): { width: number; height: number } {
  const num = (name: string) => Number(new RegExp(`<svg[^>]*\\s${name}="([\\d.]+)`).exec(svg)?.[1]);
  let width = num('width');
  let height = num('height');
  if (!(width > 0 && height > 0)) {
    const box = /viewBox="[\d.-]+\s+[\d.-]+\s+([\d.]+)\s+([\d.]+)"/.exec(svg);
    width = Number(box?.[1] ?? 800);
    height = Number(box?.[2] ?? 600);
  }
  return { width, height };
}

/** An SVG document drawn onto a white canvas at `scale`, as PNG bytes. */
export async function pngFromSvg(svg: string, scale = 2): Promise<Blob> {
  const { width, height } = svgSize(svg);
  const img = new Image();
  img.width = width;
  img.height = height;
  await new Promise<void>((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error('The matrix image could not be drawn'));
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  });
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw a canvas');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The PNG could not be made'))), 'image/png'));
}
