/**
 * Folders of images for the dataset tests, written with sharp: three classes told apart by
 * colour (a bright square of blue, green or red on a dark noisy ground), PNG and JPEG.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export const CLASSES = ['blue', 'green', 'red'] as const;
/** The RGB channel each class's square is bright in. */
const CHANNEL = { blue: 2, green: 1, red: 0 } as const;

/** One image of `cls`: 20×24 pixels, PNG for even i, JPEG for odd. */
export async function colourImage(cls: (typeof CLASSES)[number], i: number): Promise<{ bytes: Buffer; ext: string }> {
  const [width, height] = [20, 24];
  const px = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) px[p * 3 + c] = (p * 7 + i * 13 + c * 5) % 40;
    const x = p % width;
    const y = Math.floor(p / width);
    if (x >= 2 && x < 18 && y >= 3 && y < 21) px[p * 3 + CHANNEL[cls]] = 200 + (i % 50);
  }
  const image = sharp(px, { raw: { width, height, channels: 3 } });
  return i % 2 ? { bytes: await image.jpeg({ quality: 95 }).toBuffer(), ext: '.jpg' } : { bytes: await image.png().toBuffer(), ext: '.png' };
}

/** `perClass` images of each class in folder/<class>/, plus what is asked: a corrupt PNG and a text file. */
export async function writeColourFolder(
  folder: string,
  perClass: number,
  o: { classes?: readonly (typeof CLASSES)[number][]; junk?: boolean } = {},
): Promise<void> {
  for (const cls of o.classes ?? CLASSES) {
    mkdirSync(join(folder, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const { bytes, ext } = await colourImage(cls, i);
      writeFileSync(join(folder, cls, `${cls}-${String(i).padStart(3, '0')}${ext}`), bytes);
    }
  }
  if (o.junk) {
    writeFileSync(join(folder, 'red', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'));
    writeFileSync(join(folder, 'README.txt'), 'three classes told apart by colour\n');
  }
}
