import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/** A .gz beside every text asset, so the server sends compressed bytes without compressing per request. */
function gzipCopies(): Plugin {
  return {
    name: 'hfx-gzip-copies',
    apply: 'build',
    enforce: 'post',
    generateBundle(_opts, bundle) {
      for (const [name, item] of Object.entries(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(name)) continue;
        const source = item.type === 'chunk' ? item.code : item.source;
        this.emitFile({ type: 'asset', fileName: `${name}.gz`, source: gzipSync(source, { level: 9 }) });
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
  },
});
