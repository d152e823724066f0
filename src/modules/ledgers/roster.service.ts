import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { idNumberIndex, sealIdNumber } from '../../shared/field-cipher.js';
import { recordEvent } from '../integrity/event-log.js';
import { lockRoster } from './roster.import.repo.js';
import type { RosterPersonRecords } from './roster.person.js';
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
  people: readonly RosterPersonRecords[],
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
