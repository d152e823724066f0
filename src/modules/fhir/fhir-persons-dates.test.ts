import type { Bundle, DocumentReference, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { fhirProblems } from '../../../test/helpers/fhir-schema.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { rosterEntry, storeRoster } from '../../../test/helpers/roster.js';
import { openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { idNumberIndex } from '../../shared/field-cipher.js';
import { createFonds } from '../catalog/fonds.service.js';
import { parseSearch } from './fhir.params.js';
import { SEARCH } from './fhir.spec.js';

// The Patient id is the blind index of an ID number for anyone whose records are held: a
// DocumentReference search by it finds the items of a person on the roster and of one who is not;
// only the roster's people are Patients that read (the others answer 404). AuditEvent by date: whole
// days in Beijing time or instants with their zone, FHIR's prefixes, every answer valid R4.

let system: TestSystem;
let app: App;
let clerk: TestUser;
let archivist: TestUser;
const J013 = [{ fondsCode: 'J013', regionCode: null, categoryCode: null }];
const ON_ROSTER = { name: '王建国', id: validId('32011519850312123') };
const NOT_ON_ROSTER = { name: '赵丽华', id: validId('32011519770707333') };
const OTHER_FONDS = { name: '慕容远郊', id: validId('32011619900101123') };
const codes = { roster: '', off: '', outside: '' };

beforeAll(async () => {
  system = await openTestSystem();
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  await createFonds(db, { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  app = await buildApp({
    database: system.database,
    store: system.store,
    signingKey: system.signingKey,
    console: false,
    logger: false,
  });
  clerk = await testUser(db, { roles: ['clerk'], scope: J013 });
  archivist = await testUser(db, { roles: ['archivist'], scope: J013 });
  const admin = await testUser(db, { roles: ['archivist'] });
  await storeRoster(db, [rosterEntry(ON_ROSTER.name, ON_ROSTER.id)]);
  const file = async (who: { name: string; id: string }, more: Record<string, unknown> = {}) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: admin.headers,
      payload: reimbursement({ name: who.name, idNumber: who.id, title: `${who.name} 报销审核表`, ...more }),
    });
    expect(response.statusCode, response.body).toBe(201);
    return (response.json() as { archiveCode: string }).archiveCode;
  };
  codes.roster = await file(ON_ROSTER);
  codes.off = await file(NOT_ON_ROSTER);
  codes.outside = await file(OTHER_FONDS, {
    fonds: 'J014',
    poolingRegion: '320116',
    responsible: '南京市六合区医疗保障局',
  });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const get = (url: string, user?: TestUser) =>
  app.inject({ method: 'GET', url: `/fhir/R4${url}`, headers: user?.headers ?? {} });

async function fhir<T = Bundle>(url: string, user: TestUser): Promise<T> {
  const response = await get(url, user);
  expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
  const body = response.json() as Resource;
  expect(fhirProblems(body), url).toEqual([]);
  return body as T;
}

function outcome(response: LightMyRequestResponse, status: number, code: string): string {
  expect(response.statusCode, response.body.slice(0, 300)).toBe(status);
  const body = response.json() as OperationOutcome;
  expect(fhirProblems(body)).toEqual([]);
  expect(body.issue?.[0]?.details?.coding?.[0]?.code).toBe(code);
  return body.issue?.[0]?.diagnostics ?? '';
}

const matches = (bundle: Bundle, mode = 'match') =>
  (bundle.entry ?? [])
    .filter((entry) => entry.search?.mode === mode)
    .map((entry) => entry.resource as Resource);
const archiveCodes = (bundle: Bundle) =>
  (matches(bundle) as DocumentReference[]).map((document) => document.masterIdentifier?.value);

describe('DocumentReference by the Patient id of anyone with records', () => {
  it('finds the items of a person on the roster and of one who is not, by the blind index', async () => {
    const off = idNumberIndex(NOT_ON_ROSTER.id) as string;
    const on = idNumberIndex(ON_ROSTER.id) as string;
    const found = await fhir(`/DocumentReference?patient=Patient/${off}`, clerk);
    expect(archiveCodes(found)).toEqual([codes.off]);
    expect((matches(found)[0] as DocumentReference).subject?.reference).toBe(`Patient/${off}`);
    expect(JSON.stringify(found)).not.toContain(NOT_ON_ROSTER.id);
    expect(archiveCodes(await fhir(`/DocumentReference?subject=${off}`, clerk))).toEqual([codes.off]);
    expect(archiveCodes(await fhir(`/DocumentReference?patient=Patient/${on}`, clerk))).toEqual([
      codes.roster,
    ]);
    // With the chained ID number: the same person answers, another does not.
    expect(
      archiveCodes(
        await fhir(`/DocumentReference?patient=Patient/${off}&patient.identifier=${NOT_ON_ROSTER.id}`, clerk),
      ),
    ).toEqual([codes.off]);
    expect(
      matches(
        await fhir(`/DocumentReference?patient=Patient/${off}&patient.identifier=${ON_ROSTER.id}`, clerk),
      ),
    ).toEqual([]);
    // Another fonds' person, an id that is no blind index: nothing, as for nobody.
    const outside = idNumberIndex(OTHER_FONDS.id) as string;
    expect(matches(await fhir(`/DocumentReference?patient=Patient/${outside}`, clerk))).toEqual([]);
    expect(matches(await fhir('/DocumentReference?patient=Patient/abc', clerk))).toEqual([]);
    // A look-up of a person's records is noted as one by ID number (the 档号 found, never the index).
    const noted = await sql<{ payload: string }>`select payload from integrity_event
      where action = 'search.id_lookup' and actor = ${clerk.username} order by seq`.execute(
      system.database.db,
    );
    expect(noted.rows.some((row) => row.payload.includes(codes.off))).toBe(true);
    expect(noted.rows.every((row) => !row.payload.includes(off))).toBe(true);
  });

  it('includes and reads as Patients only the people on the roster; another person answers 404', async () => {
    const off = idNumberIndex(NOT_ON_ROSTER.id) as string;
    const on = idNumberIndex(ON_ROSTER.id) as string;
    const included = await fhir(
      `/DocumentReference?patient=Patient/${off}&_include=DocumentReference:subject`,
      clerk,
    );
    expect(matches(included, 'include')).toEqual([]);
    expect((await fhir<{ id: string }>(`/Patient/${on}`, clerk)).id).toBe(on);
    const missing = outcome(await get(`/Patient/${off}`, clerk), 404, 'FHIR_RESOURCE_NOT_FOUND');
    const never = outcome(await get(`/Patient/${'f'.repeat(32)}`, clerk), 404, 'FHIR_RESOURCE_NOT_FOUND');
    expect(missing.replace(off, '<id>')).toBe(never.replace('f'.repeat(32), '<id>'));
  });
});

describe('AuditEvent by date', () => {
  it('reads FHIR dates as whole Beijing days and dateTimes as instants', () => {
    const range = (...values: string[]) =>
      parseSearch('AuditEvent', { date: values }, SEARCH.AuditEvent).dates.get('date');
    expect(range('2026-12-08')).toEqual({
      start: new Date('2026-12-07T16:00:00Z'),
      end: new Date('2026-12-08T16:00:00Z'),
    });
    expect(range('ge2026-12', 'lt2027')).toEqual({
      start: new Date('2026-11-30T16:00:00Z'),
      end: new Date('2026-12-31T16:00:00Z'),
    });
    expect(range('gt2026-12-08T09:30+08:00')).toEqual({ start: new Date('2026-12-08T01:31:00Z') });
    expect(range('le2026-12-08T09:30:15Z')).toEqual({ end: new Date('2026-12-08T09:30:16Z') });
    expect(range('eq2026-12-08T09:30:15.250+08:00')).toEqual({
      start: new Date('2026-12-08T01:30:15.250Z'),
      end: new Date('2026-12-08T01:30:15.251Z'),
    });
  });

  it('finds the events of a day, a month, an instant, and none outside them', async () => {
    const first = await fhir(`/AuditEvent?_count=100`, archivist);
    const all = matches(first) as Array<{ id: string; recorded: string }>;
    expect(all.length).toBeGreaterThan(2);
    const today = beijingDate(new Date());
    const ids = (bundle: Bundle) => matches(bundle).map((resource) => resource.id);
    const byDate = async (query: string) =>
      ids(await fhir(`/AuditEvent?_count=100&${query}`, archivist)).filter((id) =>
        all.some((e) => e.id === id),
      );
    expect(await byDate(`date=${today}`)).toEqual(all.map((event) => event.id));
    expect(await byDate(`date=${today.slice(0, 7)}`)).toEqual(all.map((event) => event.id));
    expect(await byDate(`date=lt${today}`)).toEqual([]);
    expect(await byDate(`date=gt${today}`)).toEqual([]);
    // The oldest event's own instant (to the millisecond, Beijing time): eq finds it, lt it is before all.
    const oldest = all.at(-1) as { id: string; recorded: string };
    expect(await byDate(`date=${encodeURIComponent(`eq${oldest.recorded}`)}`)).toContain(oldest.id);
    expect(await byDate(`date=${encodeURIComponent(`lt${oldest.recorded}`)}`)).toEqual([]);
    expect(await byDate(`date=${encodeURIComponent(`ge${oldest.recorded}`)}&date=le${today}`)).toEqual(
      all.map((event) => event.id),
    );
    // With the other parameters; a range that is empty answers nothing.
    expect(await byDate(`type=item.created&date=${today}`)).toHaveLength(
      all.filter((event) => (event as unknown as { type: { code: string } }).type.code === 'item.created')
        .length,
    );
    expect(await byDate(`date=ge${today}&date=lt${today}`)).toEqual([]);
  });

  it('refuses a date without a zone, an unsupported prefix, a third date or a bad time', async () => {
    for (const query of [
      'date=2026-12-08T10:00',
      'date=ne2026-12-08',
      'date=ge2026&date=le2027&date=eq2026',
      `date=${encodeURIComponent('2026-12-08T25:00+08:00')}`,
      'date=2026-02-30',
      `date=${encodeURIComponent('2026-12-08T10:00+15:00')}`,
    ])
      outcome(await get(`/AuditEvent?${query}`, archivist), 400, 'FHIR_PARAM_INVALID');
  });
});
