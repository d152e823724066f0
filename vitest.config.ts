import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/field-key.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Test files share each fork's module cache instead of a new process and a fresh import of the
    // whole server per file: a sample of twelve API test files took 80 s of CPU this way, 140 s isolated.
    // Each file still opens its own database and servers; module-level caches (fonts, keys, the CPU
    // pool) are shared, and a test that changes process.env puts it back.
    isolate: false,
  },
});
