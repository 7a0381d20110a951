#!/usr/bin/env node
// Renders resources/icon.svg into the icons electron-builder packages: resources/icon.png
// (1024 px), resources/icons/<N>x<N>.png (the Linux icon folder), resources/icon.ico
// (Windows) and resources/icon.icns (macOS), and copies the SVG to
// src/renderer/public/icon.svg, the page's favicon. Every size is rendered from the
// vector at that size, not scaled down from a big bitmap, so 16 px stays crisp.
// The ICO and ICNS containers are written here: both just wrap PNG files behind a
// small directory. Same SVG and same sharp version → same bytes.
// Run after editing the SVG: `node scripts/icons.mjs`.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const SOURCE = join(root, 'resources', 'icon.svg');
export const RESOURCES = join(root, 'resources');
export const FAVICON = join(root, 'src', 'renderer', 'public', 'icon.svg');

/** The sizes in electron-builder's Linux icon folder, resources/icons/<N>x<N>.png. */
export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
/** The entries of icon.ico, each a PNG. */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** The entries of icon.icns: Apple's OSType for a PNG of each size. */
export const ICNS_TYPES = /** @type {const} */ ([
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
]);

/**
 * The SVG rendered at `size`×`size`: the density is chosen so that librsvg draws at
 * that size itself; the resize only guards against a rounding of the rendered size.
 * @param {Buffer} svg
 * @param {number} size
 * @returns {Promise<Buffer>}
 */
export async function renderPng(svg, size) {
  const { width } = await sharp(svg).metadata();
  if (!width) throw new Error('the icon SVG has no width: give its <svg> element width and height attributes');
  return sharp(svg, { density: (72 * size) / width })
    .resize(size, size, { fit: 'fill' })
    .png({ compressionLevel: 9, palette: false })
    .toBuffer();
}

/**
 * A Windows .ico holding PNG images: an ICONDIR (reserved 0, type 1, count), one
 * 16-byte ICONDIRENTRY per image, then the PNGs; little-endian; 256 is stored as 0.
 * @param {{ size: number, png: Buffer }[]} images
 * @returns {Buffer}
 */
export function icoFile(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    if (size < 1 || size > 256) throw new Error(`an .ico entry is 1 to 256 px, not ${size}`);
    const at = 6 + 16 * i;
    header.writeUInt8(size === 256 ? 0 : size, at);
    header.writeUInt8(size === 256 ? 0 : size, at + 1);
    header.writeUInt8(0, at + 2); // no palette
    header.writeUInt8(0, at + 3);
    header.writeUInt16LE(1, at + 4); // colour planes
    header.writeUInt16LE(32, at + 6); // bits per pixel
    header.writeUInt32LE(png.length, at + 8);
    header.writeUInt32LE(offset, at + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((image) => image.png)]);
}

/**
 * A macOS .icns: 'icns' and the file's length, then per image its OSType, the entry's
 * length (8-byte header included) and the PNG; big-endian.
 * @param {{ type: string, png: Buffer }[]} images
 * @returns {Buffer}
 */
export function icnsFile(images) {
  const entries = images.map(({ type, png }) => {
    if (!/^[\x20-\x7e]{4}$/.test(type)) throw new Error(`an .icns OSType is four ASCII characters, not ${JSON.stringify(type)}`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + entries.reduce((sum, entry) => sum + entry.length, 0), 4);
  return Buffer.concat([head, ...entries]);
}

/**
 * Writes icon.png, icons/<N>x<N>.png, icon.ico and icon.icns into `outDir`, rendered
 * from the SVG at `source`.
 * @param {string} outDir
 * @param {string} [source]
 * @returns {Promise<string[]>} the files written
 */
export async function writeIcons(outDir, source = SOURCE) {
  const svg = await readFile(source);
  const sizes = [...new Set([...LINUX_SIZES, ...ICO_SIZES, ...ICNS_TYPES.map(([, size]) => size)])].sort((a, b) => a - b);
  /** @type {Map<number, Buffer>} */
  const pngs = new Map();
  for (const size of sizes) pngs.set(size, await renderPng(svg, size));
  const png = (/** @type {number} */ size) => /** @type {Buffer} */ (pngs.get(size));

  /** @type {[string, Buffer][]} */
  const files = [
    ['icon.png', png(1024)],
    ...LINUX_SIZES.map((size) => /** @type {[string, Buffer]} */ ([join('icons', `${size}x${size}.png`), png(size)])),
    ['icon.ico', icoFile(ICO_SIZES.map((size) => ({ size, png: png(size) })))],
    ['icon.icns', icnsFile(ICNS_TYPES.map(([type, size]) => ({ type, png: png(size) })))],
  ];
  await mkdir(join(outDir, 'icons'), { recursive: true });
  const written = [];
  for (const [name, bytes] of files) {
    await writeFile(join(outDir, name), bytes);
    written.push(join(outDir, name));
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = await writeIcons(RESOURCES);
  await mkdir(dirname(FAVICON), { recursive: true });
  await copyFile(SOURCE, FAVICON);
  for (const file of [...written, FAVICON]) console.log(`wrote ${relative(root, file)}`);
}
