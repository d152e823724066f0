import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { idCheckChar } from '../src/modules/catalog/id-number.js';
import {
  ROSTER_REFERENCE_DATE,
  type RosterPerson,
  rosterPerson,
  uniqueIdNumber,
} from '../src/modules/demo/roster.js';
import { importRoster } from '../src/modules/ledgers/roster.import.service.js';
import { ROSTER_BATCH, storePeople } from '../src/modules/ledgers/roster.service.js';
import { useFieldKey } from '../src/shared/field-cipher.js';

// Importing the bureau's roster extract (参保人员名册导入) on PGlite (on disk): a CSV of generated
// people, one row per enrollment, imported into an empty roster, then the same file again (nothing
// changes), then a newer extract where every address changed. The baseline, in the same run, is
// storing the same people directly, as `roster demo` does: what reading, checking and matching cost.

const PEOPLE = Number(process.env.BENCH_ROSTER_IMPORT_PEOPLE ?? 50_000);
const options = { seed: 'import', regionCode: '320115', referenceDate: ROSTER_REFERENCE_DATE };
const REASONS = { interrupted: '中断', switched: '转居民', exited: '退出' } as const;

function people(): RosterPerson[] {
  const taken = new Set<string>();
  return Array.from({ length: PEOPLE }, (_, index) => {
    const person = rosterPerson(options, index);
    return { ...person, idNumber: uniqueIdNumber(person, taken, idCheckChar) };
  });
}

function extract(roster: readonly RosterPerson[], addressSuffix = ''): Buffer {
  const lines = ['姓名,身份证号,地址,参保类别,参保时间,参保单位,保期截至,停保时间,停保原因'];
  for (const person of roster) {
    const address = `${person.address ?? ''}${addressSuffix}`;
    if (person.enrollments.length === 0) lines.push(`${person.name},${person.idNumber},${address},,,,,,`);
    for (const row of person.enrollments)
      lines.push(
        [
          person.name,
          person.idNumber,
          address,
          row.scheme === 'employee' ? '职工基本医疗保险' : '城乡居民基本医疗保险',
          row.startedOn,
          row.employer ?? '',
          row.paidThrough ?? '',
          row.endedOn ?? '',
          row.endReason ? REASONS[row.endReason] : '',
        ].join(','),
      );
  }
  return Buffer.from(lines.join('\n'));
}

async function withHome<T>(
  work: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>,
): Promise<T> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-roster-bench-'));
  const database = await openDatabase(loadConfig({ YIDANG_HOME: home }));
  try {
    return await work(database.db);
  } finally {
    await database.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

useFieldKey(crypto.randomBytes(32));
const roster = people();
const file = extract(roster);
const rows = file.toString().split('\n').length - 1;
const today = new Date('2026-07-01T00:00:00+08:00');
const seconds = (started: number) => (performance.now() - started) / 1000;

const direct = await withHome(async (db) => {
  const started = performance.now();
  for (let start = 0; start < roster.length; start += ROSTER_BATCH)
    await storePeople(db, roster.slice(start, start + ROSTER_BATCH), 'bench', 'bench');
  return seconds(started);
});

const runs = await withHome(async (db) => {
  const times: Array<[string, number, string]> = [];
  for (const [label, content] of [
    ['into an empty roster', file],
    ['the same extract again', file],
    ['every address changed', extract(roster, '（新址）')],
  ] as const) {
    const started = performance.now();
    const result = await importRoster(db, { content, fileName: 'bench.csv', actor: 'bench', today });
    times.push([
      label,
      seconds(started),
      `people +${result.people.added} ~${result.people.updated} =${result.people.unchanged}, refused ${result.rejected.length}`,
    ]);
  }
  return times;
});

console.log(
  `roster import, ${PEOPLE} people (${rows} rows, ${(file.length / 1e6).toFixed(1)} MB CSV) — storing them directly: ${direct.toFixed(1)} s (${Math.round(PEOPLE / direct)} people/s)`,
);
for (const [label, time, counts] of runs)
  console.log(
    `  ${label.padEnd(24)} ${time.toFixed(1).padStart(6)} s (${Math.round(PEOPLE / time)} people/s, ${(time / direct).toFixed(2)}× storing directly) | ${counts}`,
  );
