import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** `npm run build -w @novacron/web` writes web/dist, which the gateway serves on its public port. */
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
  // `npm run dev -w @novacron/web` proxies the API to a running `npm start`.
  server: {
    proxy: {
      '/graphql': { target: 'http://localhost:4000', ws: true },
      '/auth': { target: 'http://localhost:4000' },
    },
  },
});
