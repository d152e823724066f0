import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_GROUPS, EVENT_NAMES, EVENT_TYPES, eventLabel, isEventName } from './event-catalog.js';

// The catalog is the only list of event names: each has a Chinese name, and every name a writer in
// src/ records is in it (the types refuse others; this also catches a name built from strings).

const HAN = /\p{Script=Han}/u;
const SRC = path.resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** Every event name written as a literal next to `action:` (plain, or either side of a ternary). */
function namesWrittenInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const action = /\baction:\s*((?:[^,{}\n]*\?\s*)?'[a-z_]+\.[a-z_]+'(?:\s*:\s*'[a-z_]+\.[a-z_]+')?)/g;
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    if (!/record(Event|Events)\(|logEvent\(|appendEvents?\(/.test(text)) continue;
    for (const match of text.matchAll(action))
      for (const name of (match[1] as string).matchAll(/'([a-z_]+\.[a-z_]+)'/g))
        found.set(name[1] as string, path.relative(SRC, file));
    // A helper that takes the name as an argument (session.service's logAlone).
    for (const match of text.matchAll(/logAlone\([^']*'([a-z_]+\.[a-z_]+)'/g))
      found.set(match[1] as string, path.relative(SRC, file));
  }
  return found;
}

describe('the event catalog', () => {
  it('gives every event a Chinese name of its own', () => {
    for (const name of EVENT_NAMES) {
      expect(eventLabel(name), name).toMatch(HAN);
      expect(name).toMatch(/^[a-z_]+\.[a-z_]+$/);
    }
    const labels = EVENT_NAMES.map((name) => EVENT_TYPES[name].label);
    expect(new Set(labels).size).toBe(labels.length);
    for (const label of Object.values(EVENT_GROUPS)) expect(label).toMatch(HAN);
  });

  it('covers every name the writers in src/ record, and lists none nobody writes', () => {
    const written = namesWrittenInSource();
    // Sanity: the scan finds the writers (item.created in the catalog service, file.read, …).
    expect(written.size).toBeGreaterThan(50);
    const unknown = [...written].filter(([name]) => !isEventName(name));
    expect(unknown, 'names recorded but missing from event-catalog.ts').toEqual([]);
    const unwritten = EVENT_NAMES.filter((name) => !written.has(name));
    expect(unwritten, 'catalog names no writer records').toEqual([]);
  });

  it('shows a name it does not know as stored', () => {
    expect(eventLabel('legacy.thing')).toBe('legacy.thing');
    expect(isEventName('toString')).toBe(false);
  });
});

describe('writers', () => {
  it('record events (appended last by inTransaction); only the log itself and migrations append', () => {
    const appending = sourceFiles(SRC)
      .filter((file) => /\bappendEvents?\(/.test(fs.readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file))
      .filter((file) => file !== path.join('modules', 'integrity', 'event-log.ts'))
      .filter((file) => !file.startsWith(path.join('db', 'migrations')));
    expect(appending).toEqual([]);
  });
});
