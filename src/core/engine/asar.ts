import { existsSync } from 'node:fs';

/**
 * A path inside a packaged Electron app's app.asar, turned into the same path in the
 * app.asar.unpacked folder beside it, where electron-builder puts the files `asarUnpack`
 * names (the wasm backend's .wasm binaries, native modules): those must be read by code that
 * does not go through Electron's asar support. Unchanged outside an asar, or when the unpacked
 * copy is not there.
 */
export function unpackedPath(path: string, exists: (p: string) => boolean = existsSync): string {
  const mapped = path.replace(/([\\/])app\.asar(?=[\\/]|$)/, '$1app.asar.unpacked');
  return mapped !== path && exists(mapped) ? mapped : path;
}
