import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// The clinician tab, served by the gateway under /app/.
export default defineConfig({
  root: here,
  base: '/app/',
  plugins: [react()],
  build: { outDir: resolve(here, '..', 'dist', 'teams-app', 'web'), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
  logLevel: 'warn',
});
