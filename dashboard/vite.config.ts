import { defineConfig } from 'vite';

// The node serves dist/ itself (entente serve --dashboard); everything is bundled, nothing is
// fetched from elsewhere at run time (the Content-Security-Policy forbids it anyway).
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2048,
    sourcemap: false,
  },
});
