import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { VOCABULARY } from './vocabulary.js';

// The console keeps no copy of the vocabulary: a table in web/src pairing a code with its Chinese
// name (`carrier: '载体'`, `'item.created': '归档'`) is a copy that will drift from the server's.
// Labels of the console's own (menu entries, column titles of other tables) are not pairs the
// vocabulary holds, so they pass.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Every code → name pair the vocabulary serves (fields, coded values, events, groups). */
function pairs(): Array<[string, string]> {
  const tables: Array<Record<string, string>> = [
    ...Object.values(VOCABULARY.fields),
    ...Object.values(VOCABULARY.values),
    VOCABULARY.eventGroups,
    Object.fromEntries(VOCABULARY.events.map((event) => [event.name, event.label])),
  ];
  const unique = new Map(
    tables.flatMap((table) => Object.entries(table)).map((pair) => [pair.join('\u0000'), pair]),
  );
  return [...unique.values()];
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function copiesIn(text: string): string[] {
  return pairs()
    .filter(([code, name]) =>
      new RegExp(`(^|[\\s{,])['"]?${literal(code)}['"]?\\s*:\\s*['"\`]${literal(name)}['"\`]`, 'm').test(
        text,
      ),
    )
    .map(([code, name]) => `${code}: ${name}`);
}

it('finds a copied pair and passes the console’s own labels', () => {
  expect(copiesIn("const X = {\n  carrier: '载体',\n  'item.created': '归档',\n};")).toEqual([
    'carrier: 载体',
    'item.created: 归档',
  ]);
  expect(copiesIn("{ label: '归档/导入', path: '/filing' }")).toEqual([]);
});

it('web/src holds no copy of a vocabulary table', () => {
  const found = sourceFiles(path.join(root, 'web/src')).flatMap((file) =>
    copiesIn(fs.readFileSync(file, 'utf8')).map((pair) => `${path.relative(root, file)}: ${pair}`),
  );
  expect(found).toEqual([]);
});
