import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';

/**
 * The built page's CSP allows no inline styles (Svelte sets its dynamic ones
 * through the CSSOM, which CSP does not govern). Vite's dev server, though,
 * injects every stylesheet as a <style> element, so in `npm run dev` only the
 * served page's policy also allows inline styles. Never applied to a build.
 */
function devServerStyles(): Plugin {
  return {
    name: 'layerlab-dev-server-inline-styles',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';"),
  };
}

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // The trainer runs in its own (utility) process, so it is its own entry.
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          trainer: resolve(__dirname, 'src/core/engine/trainer-process.ts'),
          // The second training thread (LAYERLAB_THREADS=2), started by the trainer from beside it.
          'parallel-worker': resolve(__dirname, 'src/core/engine/parallel/worker.ts'),
        },
        external: ['better-sqlite3', '@tensorflow/tfjs-node', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'],
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
    plugins: [svelte(), devServerStyles()],
  },
});
