import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the module at `from` (its import.meta.url): the
 * compiled `name.js` in dist/, or, under the test runner where only the TypeScript source exists, the
 * `name.ts` source loaded through tsx (a development dependency).
 */
export function startWorkerBeside(from: string, name: string, options: WorkerOptions): Worker {
  const compiled = new URL(`./${name}.js`, from);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, options);
  const source = new URL(`./${name}.ts`, from);
  const require = createRequire(from);
  const manifest = require.resolve('tsx/package.json');
  const exported = (require(manifest) as { exports: Record<string, { import: { default: string } }> })
    .exports;
  const tsx = new URL(exported['./esm/api']?.import.default ?? '', pathToFileURL(manifest)).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
