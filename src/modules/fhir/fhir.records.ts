import type { Db } from '../../db/database.js';
import { holds, type PrincipalContext } from '../../shared/access-context.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { maskIdNumbersInText } from '../../shared/id-in-text.js';
import { findItemsByIds, personIndexesOfCodes } from '../catalog/item.queries.js';
import type { Item } from '../catalog/item.schema.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { listItems, readItem } from '../catalog/item.service.js';
import { eventTrail } from '../integrity/events.service.js';
import { listItemFiles } from '../storage/storage.queries.js';
import { type Found, numericId, numericIds, patientParam, shownTo, type Where } from './fhir.common.js';
import { type FhirFile, SYSTEM, toAuditEvent, toDocumentReference } from './fhir.map.js';
import { inRange, referencedId, type Search, tokenCode } from './fhir.params.js';
import { includedPatients } from './fhir.roster.js';

// DocumentReference and AuditEvent: items through the catalog's own services (listItems, readItem:
// scope, grants, masking and their log entries exactly as for the JSON API), the log through
// events.service with /integrity/events' visibility.

/** A Patient id: the blind index of an ID number (32 hex digits); any other id names nobody. */
const PATIENT_ID = /^[0-9a-f]{32}$/;

/** An item's files as shown: names masked as the JSON API masks them (a number typed into a name). */
const filesOf = (rows: Awaited<ReturnType<typeof listItemFiles>>): FhirFile[] =>
  rows.map((row) => ({
    fileNumber: row.fileNumber,
    fileName: maskIdNumbersInText(row.fileName),
    mediaType: row.mediaType,
    size: Number(row.size),
    digest: row.digest,
    addedAt: new Date(row.addedAt).toISOString(),
  }));

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
    // One statement per item: the item was just read under the caller's scope and grant (listItems,
    // readItem), so the files need not be re-authorised one by one as /items/{档号}/files does.
    const files = mayList && !item.withheld ? filesOf(await listItemFiles(db, item.id)) : undefined;
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

export async function searchDocuments(
  db: Db,
  access: PrincipalContext,
  search: Search,
  where: Where,
): Promise<Found> {
  const none: Found = { page: { rows: [] }, included: [] };
  const query: { category?: string; year?: number; idNumber?: string; personIndex?: string } = {};
  const type = search.values.get('type');
  if (type !== undefined) query.category = tokenCode('type', type, SYSTEM.category).slice(0, 16);
  // The Patient id is the blind index of the ID number, for anyone whose records are held (on the
  // roster or not): the items are found by it directly, as their subject references name them.
  const patient = patientParam(search);
  if (patient !== undefined) {
    if (!PATIENT_ID.test(patient)) return none;
    query.personIndex = patient;
  }
  const chained = search.values.get('patient.identifier');
  if (chained !== undefined) {
    const number = tokenCode('patient.identifier', chained, SYSTEM.residentId).trim().toUpperCase();
    if (query.personIndex !== undefined && idNumberIndex(number) !== query.personIndex) return none;
    delete query.personIndex;
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
  // A read by _id still answers only if the other parameters match it.
  const matching = items.filter(
    (item) =>
      item.withheld ||
      (inRange(item.date, range) &&
        (id === undefined || query.category === undefined || item.category === query.category)),
  );
  let references = await documentReferences(db, access, matching, where);
  if (id !== undefined && (query.idNumber !== undefined || query.personIndex !== undefined)) {
    const person = query.personIndex ?? idNumberIndex(query.idNumber);
    references = references.filter((reference) => reference.subject?.reference === `Patient/${person}`);
  }
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

export async function readDocument(db: Db, access: PrincipalContext, id: string, where: Where) {
  const [item] = await readItems(db, access, numericIds(id));
  if (!item) return undefined;
  return (await documentReferences(db, access, [item], where))[0];
}

export async function searchAuditEvents(db: Db, access: PrincipalContext, search: Search): Promise<Found> {
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
  // date: when the event was recorded (whole days in Beijing time, or instants with their zone).
  const range = search.dates.get('date');
  if (range?.start && range.end && range.start >= range.end) return { page: { rows: [] }, included: [] };
  const events = await eventTrail(
    db,
    {
      ...filter,
      ...(range?.start ? { recordedFrom: range.start } : {}),
      ...(range?.end ? { recordedBefore: range.end } : {}),
      beforeSeq: search.cursor,
      limit: search.count,
    },
    access,
  );
  const last = events.at(-1);
  return {
    page: {
      rows: events.map(toAuditEvent),
      ...(events.length === search.count && last ? { next: last.seq } : {}),
    },
    included: [],
  };
}

export async function readAuditEvent(db: Db, access: PrincipalContext, id: string) {
  const seq = numericId(id);
  if (seq === undefined) return undefined;
  const [event] = await eventTrail(db, { beforeSeq: seq + 1, limit: 1 }, access);
  return event?.seq === seq ? toAuditEvent(event) : undefined;
}
