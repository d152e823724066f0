import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { recordEvent } from '../integrity/event-log.js';
import { type ParsedRoster, type RosterRejection, type RosterRow, readRoster } from './roster.import.js';
import {
  enrollmentsOf,
  lockRoster,
  type PersonUpdate,
  peopleByIdIndex,
  type StoredEnrollment,
  updateEnrollments,
  updatePeople,
} from './roster.import.repo.js';
import { blockKeys, namePinyin } from './roster.keys.js';
import { insertPeople, insertRecords, type PersonRecords } from './roster.repo.js';
import { personInsert } from './roster.service.js';

// Importing the bureau's own roster extract, so reconciliation and the ledgers work on real people.
// Importing the same extract again changes nothing; a newer one updates names, addresses and the
// enrollments it lists (matched by person, scheme and start) and adds the rest. Nothing is deleted:
// a person missing from an extract may simply be in another one. Each batch is one transaction with
// its event, so an interrupted import leaves whole batches, and running it again completes it.

const PEOPLE_PER_BATCH = 2000;

export interface Tally {
  added: number;
  updated: number;
  unchanged: number;
}

export interface RosterImportResult {
  fileName: string;
  format: ParsedRoster['format'];
  /** Encoding (CSV) or sheet name (XLSX). */
  source: string;
  headerLine: number;
  columns: Record<string, string>;
  /** Data rows read (not counting blank, title, header and total rows). */
  rows: number;
  people: Tally;
  enrollments: Tally;
  rejected: RosterRejection[];
  skipped: ParsedRoster['skipped'];
  /** True: counted as if imported, and nothing was stored. */
  dryRun: boolean;
}

export interface RosterImportRequest {
  content: Buffer;
  fileName: string;
  actor: string;
  dryRun?: boolean;
  today?: Date;
}

class DryRunDone extends Error {}

const sameText = (a: string | null, b: string | null) => (a ?? '') === (b ?? '');

/** Which of the optional columns the extract has: a column it lacks keeps what is stored. */
export type Present = Record<'employer' | 'paidThrough' | 'endedOn' | 'endReason', boolean>;

/**
 * What an enrollment becomes after a row of a newer extract. An empty cell, or a column the extract
 * lacks, keeps the stored value, and an end is never taken back: importing an older extract by
 * mistake does not reopen an ended enrollment (a business system that resumes one starts a new one).
 */
function changedEnrollment(
  stored: StoredEnrollment,
  row: NonNullable<RosterRow['enrollment']>,
  present: Present,
) {
  const endedOn = present.endedOn && row.endedOn !== null ? row.endedOn : stored.endedOn;
  const sameEnd = endedOn === stored.endedOn;
  const next: StoredEnrollment = {
    ...stored,
    employer: present.employer && row.employer !== null ? row.employer : stored.employer,
    paidThrough: present.paidThrough && row.paidThrough !== null ? row.paidThrough : stored.paidThrough,
    endedOn,
    // A new end without a stated reason is an interruption; a known end keeps its stated reason.
    endReason:
      endedOn === null
        ? null
        : present.endReason && row.endReason !== null && row.endedOn === endedOn
          ? row.endReason
          : sameEnd
            ? stored.endReason
            : (row.endReason ?? 'interrupted'),
  };
  if (
    sameText(stored.employer, next.employer) &&
    sameText(stored.paidThrough, next.paidThrough) &&
    sameText(stored.endedOn, next.endedOn) &&
    sameText(stored.endReason, next.endReason)
  )
    return undefined;
  return next;
}

async function storeBatch(
  db: Db,
  people: ReadonlyArray<RosterRow[]>,
  present: Present,
  tally: Tally,
  enrolled: Tally,
) {
  await lockRoster(db);
  const indexOf = (row: RosterRow) => idNumberIndex(row.idNumber) as string;
  const stored = await peopleByIdIndex(
    db,
    people.map((rows) => indexOf(rows[0] as RosterRow)),
  );
  const fresh = people.filter((rows) => !stored.has(indexOf(rows[0] as RosterRow)));
  const inserts = fresh.map((rows) => {
    const first = rows[0] as RosterRow;
    return personInsert(first.idNumber, first.name, rows.find((row) => row.address)?.address ?? null);
  });
  const newIds = await insertPeople(db, inserts);
  tally.added += inserts.length;
  const updates: PersonUpdate[] = [];
  for (const rows of people) {
    const first = rows[0] as RosterRow;
    const person = stored.get(indexOf(first));
    if (!person) continue;
    // An extract without addresses keeps the ones stored.
    const address = rows.find((row) => row.address)?.address ?? person.address;
    if (person.name === first.name && sameText(person.address, address)) tally.unchanged++;
    else {
      updates.push({
        id: person.id,
        name: first.name,
        address,
        keys: blockKeys(first.idNumber, namePinyin(first.name)),
      });
      tally.updated++;
    }
  }
  await updatePeople(db, updates);

  const personIdOf = (row: RosterRow) => stored.get(indexOf(row))?.id ?? (newIds.get(indexOf(row)) as number);
  const existing = new Map(
    (
      await enrollmentsOf(
        db,
        [...stored.values()].map((person) => person.id),
      )
    ).map((row) => [`${row.personId}:${row.scheme}:${row.startedOn}`, row]),
  );
  const records: PersonRecords = {
    enrollments: [],
    statuses: [],
    contributions: [],
    settlements: [],
    certificates: [],
  };
  const changed: StoredEnrollment[] = [];
  for (const row of people.flat()) {
    if (!row.enrollment) continue;
    const personId = personIdOf(row);
    const before = existing.get(`${personId}:${row.enrollment.scheme}:${row.enrollment.startedOn}`);
    if (!before) {
      records.enrollments.push({ personId, ...row.enrollment });
      enrolled.added++;
      continue;
    }
    const after = changedEnrollment(before, row.enrollment, present);
    if (after) changed.push(after);
    else enrolled.unchanged++;
  }
  enrolled.updated += changed.length;
  await insertRecords(db, records);
  await updateEnrollments(db, changed);
}

/** Reads a roster extract and stores it; rejected rows are reported and leave nothing behind. */
export async function importRoster(db: Db, request: RosterImportRequest): Promise<RosterImportResult> {
  const roster = await readRoster(request.content, { today: request.today });
  const byPerson = new Map<string, RosterRow[]>();
  for (const row of roster.rows) byPerson.set(row.idNumber, [...(byPerson.get(row.idNumber) ?? []), row]);
  const people = [...byPerson.values()];
  const present: Present = {
    employer: 'employer' in roster.columns,
    paidThrough: 'paidThrough' in roster.columns,
    endedOn: 'endedOn' in roster.columns,
    endReason: 'endReason' in roster.columns,
  };
  const fileDigest = `sha256:${crypto.createHash('sha256').update(request.content).digest('hex')}`;
  const result: RosterImportResult = {
    fileName: request.fileName,
    format: roster.format,
    source: roster.source,
    headerLine: roster.headerLine,
    columns: roster.columns,
    rows: roster.read,
    people: { added: 0, updated: 0, unchanged: 0 },
    enrollments: { added: 0, updated: 0, unchanged: 0 },
    rejected: roster.rejected,
    skipped: roster.skipped,
    dryRun: request.dryRun === true,
  };
  const store = async (trx: Db) => {
    for (let start = 0; start < people.length; start += PEOPLE_PER_BATCH) {
      const batch = people.slice(start, start + PEOPLE_PER_BATCH);
      const before = { people: { ...result.people }, enrollments: { ...result.enrollments } };
      await inTransaction(trx, async (batchTrx) => {
        await storeBatch(batchTrx, batch, present, result.people, result.enrollments);
        if (result.dryRun) return;
        recordEvent(batchTrx, {
          actor: request.actor,
          action: 'roster.imported',
          subject: 'roster',
          payload: {
            fileName: request.fileName,
            fileDigest,
            people: diff(result.people, before.people),
            enrollments: diff(result.enrollments, before.enrollments),
          },
        });
      });
    }
  };
  if (!result.dryRun) {
    await store(db);
    return result;
  }
  // A dry run does all of it in one transaction and rolls it back, so its counts are the real ones.
  await db
    .transaction()
    .execute(async (trx) => {
      await store(trx);
      throw new DryRunDone();
    })
    .catch((error) => {
      if (!(error instanceof DryRunDone)) throw error;
    });
  return result;
}

const diff = (after: Tally, before: Tally): Tally => ({
  added: after.added - before.added,
  updated: after.updated - before.updated,
  unchanged: after.unchanged - before.unchanged,
});
