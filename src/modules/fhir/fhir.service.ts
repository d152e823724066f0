import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { actorIn, type PrincipalContext } from '../../shared/access-context.js';
import { invalid, notFound } from '../../shared/errors.js';
import { isSealed, openIdNumber, sealText } from '../../shared/field-cipher.js';
import { maskIdLikeRuns } from '../../shared/id-in-text.js';
import type { Permission } from '../access/roles.js';
import { refuseIdNumberInText } from '../catalog/id-number.js';
import { recordEvent } from '../integrity/event-log.js';
import type { Page, ReadOf, SearchOf, Where } from './fhir.common.js';
import { parseSearch, type RawQuery, type Search } from './fhir.params.js';
import { readAuditEvent, readDocument, searchAuditEvents, searchDocuments } from './fhir.records.js';
import {
  readCoverage,
  readPatient,
  searchCoverages,
  searchPatients,
  settlementRead,
  settlementSearch,
} from './fhir.roster.js';
import { SEARCH } from './fhir.spec.js';

// The read-only FHIR R4 interface over what Yidang holds. Items are read through the catalog's own
// services (listItems, readItem), so scope, grants, masking and their log entries are exactly the
// JSON API's; the roster (Patient, Coverage, Claim, ExplanationOfBenefit) is read within the regions
// the caller's scope reaches, as the ledgers do; the log through the same visibility as /integrity/events.
// Every answer is itself logged (fhir.read), never with an ID number.

export type ResourceType = keyof typeof SEARCH;
export type { Where };

const notFoundAs = (type: string, id: string) =>
  notFound('FHIR_RESOURCE_NOT_FOUND', `${type}/${id.slice(0, 64)} 不存在`);

/** The caller with the disclosure the query asks for; a purpose is logged, so it may hold no ID number. */
function askedBy(access: PrincipalContext, search: Search): PrincipalContext {
  refuseIdNumberInText('查阅目的', search.purpose);
  return { ...access, disclosure: { unmask: search.unmask, purpose: search.purpose } };
}

/** One event for each FHIR answer: which resources it held (ids only), masked or not and why. */
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
  const asked = askedBy(access, search);
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
  const asked = askedBy(access, search);
  if (!/^[A-Za-z0-9.-]{1,64}$/.test(id)) throw notFoundAs(type, id);
  const resource = await READS[type](db, asked, id, where);
  if (!resource) throw notFoundAs(type, id);
  await logRead(db, asked, type, [`${type}/${id}`]);
  return resource;
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
