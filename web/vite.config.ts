import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * A .gz beside every text asset, so the server sends compressed bytes without compressing per request.
 * Made from the files as written: in generateBundle a chunk with a dynamic import still holds Vite's
 * __VITE_PRELOAD__ placeholder, which is filled in after this plugin's turn.
 */
function gzipCopies(): Plugin {
  return {
    name: 'hfx-gzip-copies',
    apply: 'build',
    enforce: 'post',
    writeBundle(opts, bundle) {
      const dir = opts.dir ?? fileURLToPath(new URL('../dist/web', import.meta.url));
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(name)) continue;
        writeFileSync(join(dir, `${name}.gz`), gzipSync(readFileSync(join(dir, name)), { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [gzipCopies()],
  oxc: { jsx: { runtime: 'automatic' } },
  // `npm run dev:web`: the app with hot reload, the API from `npm start` on port 8080.
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    rolldownOptions: {
      // lucide-react marks its modules "use client" for React Server Components; a plain SPA has none to keep.
      onLog(level, log, handler) {
        if (level === 'warn' && log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
});
