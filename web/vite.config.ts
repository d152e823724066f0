import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is built into dist/web and served by the Yidang server at `/`; in development
// `npx vite web` proxies the API to a server started with `npm start`.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        // Libraries change less often than pages: separate chunks stay cached across releases.
        manualChunks: {
          react: ['react', 'react-dom', 'react-router-dom'],
          antd: ['antd', '@ant-design/icons', 'dayjs'],
          echarts: ['echarts'],
        },
      },
    },
  },
  server: { proxy: { '/api': process.env.YIDANG_API ?? 'http://127.0.0.1:8080' } },
});
