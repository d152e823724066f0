import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Migrations freeze their data: a migration carries the rows it inserts as literals, so editing a
// domain constant never changes what a fresh install gets. The rule, checked on the source text:
// a migration imports nothing from src/modules/** except the kernel's event-log appender, which the
// state baseline needs so its events join the log exactly as any other event does. Everything else a
// migration may use is kysely, node:* and src/db/** (the Db type and the schema types).

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const MIGRATIONS = path.join(here, 'migrations');
const MODULES = path.join(root, 'src/modules');
const ALLOWED_KERNEL = new Set(['src/modules/integrity/event-log.ts']);

/** Every module a source text names: static imports, re-exports, `import type` and dynamic import(). */
function importedSpecifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g))
    if (match[1]) found.push(match[1]);
  return found;
}

/** The repository-relative .ts file a relative specifier resolves to, or null for a package. */
function resolved(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts');
  return path.relative(root, target).split(path.sep).join('/');
}

function violations(file: string, text: string): string[] {
  const wrong: string[] = [];
  for (const specifier of importedSpecifiers(text)) {
    const target = resolved(file, specifier);
    if (target === null) {
      if (specifier !== 'kysely' && !specifier.startsWith('node:')) wrong.push(specifier);
      continue;
    }
    const inModules = path.resolve(root, target).startsWith(MODULES + path.sep);
    const inDb = target.startsWith('src/db/');
    if (inModules ? !ALLOWED_KERNEL.has(target) : !inDb) wrong.push(target);
  }
  return wrong;
}

describe('migrations freeze their data', () => {
  const files = fs
    .readdirSync(MIGRATIONS)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .map((name) => path.join(MIGRATIONS, name));

  it('finds the migrations and reads their imports', () => {
    expect(files.length).toBeGreaterThanOrEqual(19);
    expect(
      importedSpecifiers(
        "import { a } from '../../modules/x.js';\nimport type { B } from \"kysely\";\nexport * from './c.js';\nconst d = await import('../e.js');",
      ),
    ).toEqual(['../../modules/x.js', 'kysely', './c.js', '../e.js']);
  });

  it('a domain constant, a package or a shared helper is refused; the kernel appender is not', () => {
    const file = path.join(MIGRATIONS, '20990101T000000-example.ts');
    expect(violations(file, "import { X } from '../../modules/catalog/builtin-categories.js';")).toEqual([
      'src/modules/catalog/builtin-categories.ts',
    ]);
    expect(violations(file, "import { X } from '../../shared/errors.js';")).toEqual(['src/shared/errors.ts']);
    expect(violations(file, "import { X } from 'pg';")).toEqual(['pg']);
    expect(
      violations(
        file,
        "import { appendEvents } from '../../modules/integrity/event-log.js';\nimport type { Db } from '../database.js';\nimport { sql } from 'kysely';",
      ),
    ).toEqual([]);
  });

  it('no migration imports a live constant from src/modules (only the kernel event-log appender)', () => {
    const found = files.flatMap((file) =>
      violations(file, fs.readFileSync(file, 'utf8')).map((target) => `${path.basename(file)} → ${target}`),
    );
    expect(found).toEqual([]);
  });
});
