import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { idNumberIndex, sealIdNumber } from '../../shared/field-cipher.js';
import { idCheckChar } from '../catalog/id-number.js';
import { recordEvent } from '../integrity/event-log.js';
import { type RosterDemoOptions, type RosterPerson, rosterPerson, uniqueIdNumber } from './roster.demo.js';
import { lockRoster } from './roster.import.repo.js';
import { blockKeys, namePinyin } from './roster.keys.js';
import { insertPeople, insertRecords, type PersonInsert, type PersonRecords } from './roster.repo.js';

// Loading the insured roster. Each batch of people goes in with its records and its event in one
// transaction, so an interrupted load leaves whole people only, and says so in the log.

export const ROSTER_BATCH = 5000;

export interface RosterLoadResult {
  people: number;
  assisted: number;
  enrollments: number;
  settlements: number;
  certificates: number;
}

/** The row a person becomes: the ID sealed, its blind index and blocking keys beside it. */
export function personInsert(idNumber: string, name: string, address: string | null): PersonInsert {
  return {
    idNumber: sealIdNumber(idNumber) as string,
    idIndex: idNumberIndex(idNumber) as string,
    name,
    regionCode: idNumber.slice(0, 6),
    address,
    keys: blockKeys(idNumber, namePinyin(name)),
  };
}

export async function storePeople(
  db: Db,
  people: readonly RosterPerson[],
  actor: string,
  via: string,
): Promise<RosterLoadResult> {
  return inTransaction(db, async (trx) => {
    await lockRoster(trx);
    const inserts = people.map((person) => personInsert(person.idNumber, person.name, person.address));
    const ids = await insertPeople(trx, inserts);
    const records: PersonRecords = {
      enrollments: [],
      statuses: [],
      contributions: [],
      settlements: [],
      certificates: [],
    };
    people.forEach((person, index) => {
      const personId = ids.get((inserts[index] as PersonInsert).idIndex) as number;
      for (const row of person.enrollments) records.enrollments.push({ personId, ...row });
      for (const row of person.statuses) records.statuses.push({ personId, ...row });
      for (const row of person.contributions) records.contributions.push({ personId, ...row });
      for (const row of person.settlements) records.settlements.push({ personId, ...row });
      for (const row of person.certificates) records.certificates.push({ personId, ...row });
    });
    await insertRecords(trx, records);
    const result = {
      people: people.length,
      assisted: records.statuses.length,
      enrollments: records.enrollments.length,
      settlements: records.settlements.length,
      certificates: records.certificates.length,
    };
    recordEvent(trx, {
      actor,
      action: 'roster.loaded',
      subject: 'roster',
      payload: { via, ...result },
    });
    return result;
  });
}

export interface RosterDemoLoad extends RosterDemoOptions {
  people: number;
  onProgress?: (done: number, total: number) => void;
}

/** Generates and stores a synthetic roster of `people` (into an empty roster: IDs are kept unique within the run). */
export async function loadRosterDemo(
  db: Db,
  options: RosterDemoLoad,
  actor: string,
): Promise<RosterLoadResult> {
  const taken = new Set<string>();
  const total: RosterLoadResult = { people: 0, assisted: 0, enrollments: 0, settlements: 0, certificates: 0 };
  for (let start = 0; start < options.people; start += ROSTER_BATCH) {
    const batch: RosterPerson[] = [];
    for (let index = start; index < Math.min(start + ROSTER_BATCH, options.people); index++) {
      const person = rosterPerson(options, index);
      batch.push({ ...person, idNumber: uniqueIdNumber(person, taken, idCheckChar) });
    }
    const stored = await storePeople(db, batch, actor, 'demo');
    for (const key of Object.keys(total) as Array<keyof RosterLoadResult>) total[key] += stored[key];
    options.onProgress?.(total.people, options.people);
  }
  return total;
}
