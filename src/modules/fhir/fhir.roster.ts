import type { Db } from '../../db/database.js';
import { holds, type PrincipalContext } from '../../shared/access-context.js';
import { invalid } from '../../shared/errors.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { checkIdNumber } from '../catalog/id-number.js';
import { rosterRegions } from '../ledgers/ledger.reach.js';
import {
  type RosterPersonRow,
  rosterEnrollments,
  rosterPeople,
  rosterSettlements,
} from '../ledgers/roster.queries.js';
import {
  type Found,
  numericIds,
  pageOf,
  patientParam,
  type ReadOf,
  type SearchOf,
  shownTo,
} from './fhir.common.js';
import {
  CLAIM_TYPES,
  SCHEMES,
  SYSTEM,
  type Shown,
  toClaim,
  toCoverage,
  toExplanationOfBenefit,
  toPatient,
} from './fhir.map.js';
import { referencedId, type Search, tokenCode } from './fhir.params.js';

// Patient, Coverage, Claim and ExplanationOfBenefit: the insured roster, read only within the regions
// the caller's scope reaches (ledgers' rosterRegions, as the ledgers list people), masked unless the
// caller may and chose to unmask.

/** Patients by blind index within the caller's regions, for _include (masked like the rest). */
export async function includedPatients(db: Db, access: PrincipalContext, indexes: string[], shown: Shown) {
  const unique = [...new Set(indexes)];
  if (unique.length === 0 || !holds(access, 'poverty.work')) return [];
  const regions = await rosterRegions(db, access);
  const people = await rosterPeople(db, { regions, indexes: unique, limit: unique.length });
  return people.map((row) => toPatient(row, shown));
}

export async function searchPatients(db: Db, access: PrincipalContext, search: Search): Promise<Found> {
  const shown = shownTo(access);
  const indexes = new Set<string>();
  const id = search.values.get('_id');
  if (id !== undefined) indexes.add(referencedId('_id', id, 'Patient'));
  const identifier = search.values.get('identifier');
  if (identifier !== undefined) {
    const number = tokenCode('identifier', identifier, SYSTEM.residentId).trim().toUpperCase();
    const problem = checkIdNumber(number);
    if (problem) throw invalid('FHIR_PARAM_INVALID', `identifier 的身份证号有误：${problem}`);
    indexes.add(idNumberIndex(number) as string);
  }
  // _id and identifier together must name the same person.
  const named = id !== undefined || identifier !== undefined;
  const rows = await rosterPeople(db, {
    regions: await rosterRegions(db, access),
    ...(named ? { indexes: indexes.size === 1 ? [...indexes] : [] } : {}),
    afterId: search.cursor,
    limit: search.count,
  });
  const page = pageOf(rows, search.count);
  return { page: { ...page, rows: rows.map((row) => toPatient(row, shown)) }, included: [] };
}

export async function readPatient(db: Db, access: PrincipalContext, id: string) {
  const shown = shownTo(access);
  const rows = await rosterPeople(db, { regions: await rosterRegions(db, access), indexes: [id], limit: 1 });
  return rows[0] && toPatient(rows[0] as RosterPersonRow, shown);
}

function codes<T extends string>(
  name: string,
  value: string | undefined,
  system: string,
  known: readonly T[],
) {
  if (value === undefined) return undefined;
  const code = tokenCode(name, value, system);
  // An unknown code matches nothing, as in any FHIR search.
  return known.filter((one) => one === code);
}

export async function searchCoverages(db: Db, access: PrincipalContext, search: Search): Promise<Found> {
  const shown = shownTo(access);
  const patient = patientParam(search);
  const id = search.values.get('_id');
  const rows = await rosterEnrollments(db, {
    regions: await rosterRegions(db, access),
    ...(patient !== undefined ? { personIndex: patient } : {}),
    ...(id !== undefined ? { ids: numericIds(id) } : {}),
    schemes: codes(
      'type',
      search.values.get('type'),
      SYSTEM.scheme,
      Object.keys(SCHEMES) as Array<keyof typeof SCHEMES>,
    ),
    ...search.dates.get('date'),
    afterId: search.cursor,
    limit: search.count,
  });
  const page = pageOf(rows, search.count);
  const included = search.includes.length
    ? await includedPatients(
        db,
        access,
        rows.map((row) => row.personIndex),
        shown,
      )
    : [];
  return { page: { ...page, rows: rows.map((row) => toCoverage(row, shown)) }, included };
}
export async function readCoverage(db: Db, access: PrincipalContext, id: string) {
  const shown = shownTo(access);
  const rows = await rosterEnrollments(db, {
    regions: await rosterRegions(db, access),
    ids: numericIds(id),
    limit: 1,
  });
  return rows[0] && toCoverage(rows[0], shown);
}

type Settlement = 'Claim' | 'ExplanationOfBenefit';
const VISITS = Object.entries(CLAIM_TYPES) as Array<[keyof typeof CLAIM_TYPES, string]>;

export function settlementSearch(kind: Settlement): SearchOf {
  return async (db, access, search) => {
    const shown = shownTo(access);
    const patient = patientParam(search);
    const id = search.values.get('_id');
    const type = search.values.get('type');
    const wanted = type === undefined ? undefined : tokenCode('type', type, SYSTEM.claimType);
    const rows = await rosterSettlements(db, {
      regions: await rosterRegions(db, access),
      ...(patient !== undefined ? { personIndex: patient } : {}),
      ...(id !== undefined ? { ids: numericIds(id) } : {}),
      ...(wanted !== undefined
        ? { visitTypes: VISITS.filter(([, code]) => code === wanted).map(([visit]) => visit) }
        : {}),
      ...search.dates.get('created'),
      afterId: search.cursor,
      limit: search.count,
    });
    const page = pageOf(rows, search.count);
    const map = kind === 'Claim' ? toClaim : toExplanationOfBenefit;
    const included = search.includes.length
      ? await includedPatients(
          db,
          access,
          rows.map((row) => row.personIndex),
          shown,
        )
      : [];
    return { page: { ...page, rows: rows.map((row) => map(row, shown)) }, included };
  };
}

export function settlementRead(kind: Settlement): ReadOf {
  return async (db, access, id) => {
    const shown = shownTo(access);
    const rows = await rosterSettlements(db, {
      regions: await rosterRegions(db, access),
      ids: numericIds(id),
      limit: 1,
    });
    const row = rows[0];
    if (!row) return undefined;
    return kind === 'Claim' ? toClaim(row, shown) : toExplanationOfBenefit(row, shown);
  };
}
