import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { actorIn, holds, type PrincipalContext } from '../../shared/access-context.js';
import { invalid, notFound } from '../../shared/errors.js';
import { idNumberIndex, isSealed, openIdNumber, sealText } from '../../shared/field-cipher.js';
import { maskIdLikeRuns } from '../../shared/id-in-text.js';
import type { Permission } from '../access/roles.js';
import { checkIdNumber, refuseIdNumberInText } from '../catalog/id-number.js';
import { findItemsByIds, personIndexesOfCodes } from '../catalog/item.queries.js';
import type { Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { listItems, readItem } from '../catalog/item.service.js';
import { recordEvent } from '../integrity/event-log.js';
import { eventTrail } from '../integrity/events.service.js';
import { rosterRegions } from '../ledgers/ledger.reach.js';
import {
  type RosterPersonRow,
  rosterEnrollments,
  rosterPeople,
  rosterSettlements,
} from '../ledgers/roster.queries.js';
import { listFiles } from '../storage/file.service.js';
import {
  CLAIM_TYPES,
  SCHEMES,
  SYSTEM,
  type Shown,
  toAuditEvent,
  toClaim,
  toCoverage,
  toDocumentReference,
  toExplanationOfBenefit,
  toPatient,
} from './fhir.map.js';
import { inRange, parseSearch, type RawQuery, referencedId, type Search, tokenCode } from './fhir.params.js';
import { SEARCH } from './fhir.spec.js';

// The read-only FHIR R4 interface over what Yidang holds. Items are read through the catalog's own
// services (listItems, readItem), so scope, grants, masking and their log entries are exactly the
// JSON API's; the roster (Patient, Coverage, Claim, ExplanationOfBenefit) is read within the regions
// the caller's scope reaches, as the ledgers do; the log through the same visibility as /integrity/events.
// Every answer is itself logged (fhir.read), never with an ID number.

export type ResourceType = keyof typeof SEARCH;

/** Where the answer's links point: the server's base URL for FHIR (the JSON API's files beside it). */
export interface Where {
  base: string;
}

interface Page<T> {
  rows: T[];
  /** The cursor of the next page, when the page was full. */
  next?: number;
}

const notFoundAs = (type: string, id: string) =>
  notFound('FHIR_RESOURCE_NOT_FOUND', `${type}/${id.slice(0, 64)} 不存在`);

/** The disclosure asked for, refused when the caller may not unmask (as the JSON API refuses it). */
function shownTo(access: PrincipalContext): Shown {
  if (!access.disclosure.unmask) return { unmask: false };
  access.authorize('item.unmask');
  refuseIdNumberInText('查阅目的', access.disclosure.purpose);
  return { unmask: true };
}

async function logRead(db: Db, access: PrincipalContext, resource: string, ids: string[]): Promise<void> {
  await inTransaction(db, async (trx) =>
    recordEvent(trx, {
      actor: actorIn(access),
      action: 'fhir.read',
      subject: `user:${access.username}`,
      payload: {
        resource,
        ids: ids.slice(0, 100),
        count: ids.length,
        unmasked: access.disclosure.unmask,
        purpose: access.disclosure.purpose?.slice(0, 200) ?? null,
      },
    }),
  );
}

/** A query's parameters with every ID-number-like run masked (a self link must not carry one). */
function maskedQuery(raw: RawQuery): string {
  const query = new URLSearchParams();
  for (const [name, given] of Object.entries(raw))
    for (const value of Array.isArray(given) ? given : given === undefined ? [] : [given])
      query.append(maskIdLikeRuns(name), maskIdLikeRuns(value));
  const text = query.toString();
  return text ? `?${text}` : '';
}

/**
 * The next page as an opaque token: the query sealed under the field key with the cursor, so the
 * link carries no ID number a search was made by (patient.identifier=…) and cannot be edited.
 */
function pageToken(raw: RawQuery, cursor: number): string {
  const { _cursor: _old, ...query } = raw;
  return sealText(JSON.stringify({ q: query, c: cursor }));
}

/** The query a `_page` token stands for; a token that does not open is a bad parameter. */
function openPage(raw: RawQuery): RawQuery {
  const token = raw._page;
  if (token === undefined) return raw;
  const refused = () =>
    invalid('FHIR_PARAM_INVALID', '_page 无效：请使用上一页 next 链接原样给出的值，且不与其他参数同用');
  if (typeof token !== 'string' || Object.keys(raw).length !== 1 || !isSealed(token) || token.length > 8000)
    throw refused();
  try {
    const { q, c } = JSON.parse(openIdNumber(token) as string) as { q: RawQuery; c: number };
    if (!Number.isSafeInteger(c) || typeof q !== 'object' || q === null) throw refused();
    return { ...q, _cursor: String(c) };
  } catch {
    throw refused();
  }
}

function bundle(
  where: Where,
  type: string,
  queries: { asked: RawQuery; opened: RawQuery },
  page: Page<Resource>,
  included: Resource[],
): Bundle {
  const entry = (resource: Resource, mode: 'match' | 'include'): BundleEntry => ({
    fullUrl: `${where.base}/${resource.resourceType}/${resource.id}`,
    resource,
    search: { mode },
  });
  const link = [{ relation: 'self', url: `${where.base}/${type}${maskedQuery(queries.asked)}` }];
  if (page.next !== undefined)
    link.push({
      relation: 'next',
      url: `${where.base}/${type}?_page=${encodeURIComponent(pageToken(queries.opened, page.next))}`,
    });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link,
    entry: [
      ...page.rows.map((resource) => entry(resource, 'match')),
      ...included.map((resource) => entry(resource, 'include')),
    ],
  };
}

const pageOf = <T extends { id: number }>(rows: T[], limit: number): Page<T> => ({
  rows,
  ...(rows.length === limit && rows.length > 0 ? { next: (rows.at(-1) as T).id } : {}),
});

/** The Patient a reference parameter names (patient=, subject=, beneficiary=), or undefined. */
function patientParam(search: Search): string | undefined {
  for (const name of ['patient', 'subject', 'beneficiary']) {
    const value = search.values.get(name);
    if (value !== undefined) return referencedId(name, value, 'Patient');
  }
  return undefined;
}

/** Patients by blind index within the caller's regions, for _include (masked like the rest). */
async function includedPatients(db: Db, access: PrincipalContext, indexes: string[], shown: Shown) {
  const unique = [...new Set(indexes)];
  if (unique.length === 0 || !holds(access, 'poverty.work')) return [];
  const regions = await rosterRegions(db, access);
  const people = await rosterPeople(db, { regions, indexes: unique, limit: unique.length });
  return people.map((row) => toPatient(row, shown));
}

/** A search of one resource type: a Bundle of one page, with its includes; the read logged. */
export async function searchResources(
  db: Db,
  access: PrincipalContext,
  type: ResourceType,
  raw: RawQuery,
  where: Where,
): Promise<Bundle> {
  const query = openPage(raw);
  const search = parseSearch(type, query, SEARCH[type]);
  const asked = { ...access, disclosure: { unmask: search.unmask, purpose: search.purpose } };
  const { page, included } = await SEARCHES[type](db, asked, search, where);
  await logRead(
    db,
    asked,
    type,
    [...page.rows, ...included].map((resource) => `${resource.resourceType}/${resource.id}`),
  );
  return bundle(where, type, { asked: raw, opened: query }, page, included);
}

/** One resource by id, or FHIR_RESOURCE_NOT_FOUND exactly as for one that does not exist. */
export async function readResource(
  db: Db,
  access: PrincipalContext,
  type: ResourceType,
  id: string,
  raw: RawQuery,
  where: Where,
): Promise<Resource> {
  const search = parseSearch(type, raw, { params: {}, includes: [] });
  const asked = { ...access, disclosure: { unmask: search.unmask, purpose: search.purpose } };
  if (!/^[A-Za-z0-9.-]{1,64}$/.test(id)) throw notFoundAs(type, id);
  const resource = await READS[type](db, asked, id, where);
  if (!resource) throw notFoundAs(type, id);
  await logRead(db, asked, type, [`${type}/${id}`]);
  return resource;
}

type Found = { page: Page<Resource>; included: Resource[] };
type SearchOf = (db: Db, access: PrincipalContext, search: Search, where: Where) => Promise<Found>;
type ReadOf = (db: Db, access: PrincipalContext, id: string, where: Where) => Promise<Resource | undefined>;

const numericId = (id: string) => (/^\d{1,15}$/.test(id) ? Number(id) : undefined);

async function searchPatients(db: Db, access: PrincipalContext, search: Search): Promise<Found> {
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

async function readPatient(db: Db, access: PrincipalContext, id: string) {
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

async function searchCoverages(db: Db, access: PrincipalContext, search: Search): Promise<Found> {
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

const numericIds = (value: string) => {
  const id = numericId(value);
  return id === undefined ? [] : [id];
};

async function readCoverage(db: Db, access: PrincipalContext, id: string) {
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

function settlementSearch(kind: Settlement): SearchOf {
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

function settlementRead(kind: Settlement): ReadOf {
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

/** Items as DocumentReferences: each with its person's blind index and, for a file reader, its files. */
async function documentReferences(db: Db, access: PrincipalContext, items: Item[], where: Where) {
  const shown = items.filter((item) => !item.withheld);
  const persons = await personIndexesOfCodes(
    db,
    shown.map((item) => item.archiveCode),
    scopedQuery(access),
  );
  const mayList = holds(access, 'file.read');
  const references = [];
  for (const item of items) {
    // The file list reads the item again under the caller's grant: only items the caller was shown.
    const files = mayList && !item.withheld ? await listFiles(db, item.archiveCode, access) : undefined;
    references.push(
      toDocumentReference(item, {
        personIndex: persons.get(item.archiveCode)?.personKey,
        ...(files ? { files } : {}),
        fileUrl: (number) =>
          `${where.base.replace(/\/fhir\/R4$/, '')}/api/v1/items/${encodeURIComponent(item.archiveCode)}/files/${number}`,
      }),
    );
  }
  return references;
}

/** The ID number a DocumentReference search names its person by: the roster's, within the caller's regions. */
async function idNumberOfPatient(db: Db, access: PrincipalContext, index: string) {
  const rows = await rosterPeople(db, {
    regions: await rosterRegions(db, access),
    indexes: [index],
    limit: 1,
  });
  return rows[0]?.idNumber;
}

async function searchDocuments(
  db: Db,
  access: PrincipalContext,
  search: Search,
  where: Where,
): Promise<Found> {
  const none: Found = { page: { rows: [] }, included: [] };
  const query: { category?: string; year?: number; idNumber?: string } = {};
  const type = search.values.get('type');
  if (type !== undefined) query.category = tokenCode('type', type, SYSTEM.category).slice(0, 16);
  const patient = patientParam(search);
  if (patient !== undefined) {
    const idNumber = await idNumberOfPatient(db, access, patient);
    if (idNumber === undefined) return none;
    query.idNumber = idNumber;
  }
  const chained = search.values.get('patient.identifier');
  if (chained !== undefined) {
    const number = tokenCode('patient.identifier', chained, SYSTEM.residentId).trim().toUpperCase();
    if (query.idNumber !== undefined && query.idNumber !== number) return none;
    query.idNumber = number;
  }
  const range = search.dates.get('date');
  // One year asked for: the catalog filters by it; a wider range is filtered here, page by page.
  if (range?.from && range.to && range.from.slice(0, 4) === range.to.slice(0, 4))
    query.year = Number(range.from.slice(0, 4));
  const id = search.values.get('_id');
  let items: Item[];
  let next: number | undefined;
  if (id !== undefined) {
    items = await readItems(db, access, numericIds(id));
  } else {
    const listed = await listItems(db, { ...query, cursor: search.cursor, limit: search.count }, access);
    items = listed.items;
    next = listed.nextCursor ?? undefined;
  }
  const matching = items.filter((item) => item.withheld || inRange(item.date, range));
  const references = await documentReferences(db, access, matching, where);
  const included = search.includes.length
    ? await includedPatients(
        db,
        access,
        references.flatMap((reference) => reference.subject?.reference?.slice('Patient/'.length) ?? []),
        shownTo(access),
      )
    : [];
  return { page: { rows: references, ...(next !== undefined ? { next } : {}) }, included };
}

/** Items by id as readItem gives them to this caller (scope, grant, masking, the read logged). */
async function readItems(db: Db, access: PrincipalContext, ids: number[]): Promise<Item[]> {
  const found = await findItemsByIds(db, ids, scopedQuery(access));
  const items: Item[] = [];
  for (const item of found)
    items.push(await readItem(db, item.archiveCode, access.username, access.disclosure.purpose, access));
  return items;
}

async function readDocument(db: Db, access: PrincipalContext, id: string, where: Where) {
  const [item] = await readItems(db, access, numericIds(id));
  if (!item) return undefined;
  return (await documentReferences(db, access, [item], where))[0];
}

async function searchAuditEvents(db: Db, access: PrincipalContext, search: Search): Promise<Found> {
  const filter: { subject?: string; action?: string } = {};
  const entity = search.values.get('entity');
  if (entity !== undefined) {
    const [item] = await findItemsByIds(
      db,
      numericIds(referencedId('entity', entity, 'DocumentReference')),
      scopedQuery(access),
    );
    if (!item) return { page: { rows: [] }, included: [] };
    filter.subject = `item:${item.archiveCode}`;
  }
  const type = search.values.get('type');
  if (type !== undefined) filter.action = tokenCode('type', type, SYSTEM.eventType).slice(0, 64);
  const events = await eventTrail(db, { ...filter, beforeSeq: search.cursor, limit: search.count }, access);
  const last = events.at(-1);
  return {
    page: {
      rows: events.map(toAuditEvent),
      ...(events.length === search.count && last ? { next: last.seq } : {}),
    },
    included: [],
  };
}

async function readAuditEvent(db: Db, access: PrincipalContext, id: string) {
  const seq = numericId(id);
  if (seq === undefined) return undefined;
  const [event] = await eventTrail(db, { beforeSeq: seq + 1, limit: 1 }, access);
  return event?.seq === seq ? toAuditEvent(event) : undefined;
}

const SEARCHES: Record<ResourceType, SearchOf> = {
  Patient: searchPatients,
  Coverage: searchCoverages,
  Claim: settlementSearch('Claim'),
  ExplanationOfBenefit: settlementSearch('ExplanationOfBenefit'),
  DocumentReference: searchDocuments,
  AuditEvent: searchAuditEvents,
};

const READS: Record<ResourceType, ReadOf> = {
  Patient: readPatient,
  Coverage: readCoverage,
  Claim: settlementRead('Claim'),
  ExplanationOfBenefit: settlementRead('ExplanationOfBenefit'),
  DocumentReference: readDocument,
  AuditEvent: readAuditEvent,
};

/** Who may read each resource type: the JSON API's permission for the same records. */
export const PERMISSION: Record<ResourceType, Permission> = {
  Patient: 'poverty.work',
  Coverage: 'poverty.work',
  Claim: 'poverty.work',
  ExplanationOfBenefit: 'poverty.work',
  DocumentReference: 'item.read',
  AuditEvent: 'integrity.read',
};
