/**
 * Drawing Fashion-MNIST images: 28×28 grayscale bytes (0 = background) scaled up
 * pixel for pixel, never blurred, and the confusion matrix's SVG turned into a PNG.
 */

/** Bytes from base64 text (an image's 784 pixels). */
export function bytesFromBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Draw one image into a canvas of any size, crisp: each source pixel becomes a
 * square block. Fashion-MNIST stores ink as 255 on 0, so it is inverted to read
 * as dark clothes on white, the way the dataset's own figures show it.
 */
export function drawImage(canvas: HTMLCanvasElement, pixels: Uint8Array, width = 28, height = 28): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const source = document.createElement('canvas');
  source.width = width;
  source.height = height;
  const sctx = source.getContext('2d');
  if (!sctx) return;
  const data = sctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = 255 - (pixels[i] ?? 0);
    data.data[i * 4] = v;
    data.data[i * 4 + 1] = v;
    data.data[i * 4 + 2] = v;
    data.data[i * 4 + 3] = 255;
  }
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
