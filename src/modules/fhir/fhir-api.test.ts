import type { Bundle, DocumentReference, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestUser, testUser } from '../../../test/helpers/access.js';
import { fhirProblems, fhirValidator } from '../../../test/helpers/fhir-schema.js';
import { FONDS, reimbursement, validId } from '../../../test/helpers/fixtures.js';
import { rosterEntry, storeRoster } from '../../../test/helpers/roster.js';
import { openTestSystem, type TestSystem } from '../../../test/helpers/system.js';
import { type App, buildApp } from '../../http/app.js';
import { blankPdf, multipart } from '../../../test/helpers/scope-fixture.js';
import { createFonds } from '../catalog/fonds.service.js';

// The read-only FHIR R4 interface over a small world: two people of 江宁 (320115, in the callers'
// scope J013) on the roster with an enrollment and a settlement, one of 六合 (320116, outside it),
// items of each fonds. Every answer, success or refusal, is held to HL7's R4 JSON schema.

let system: TestSystem;
let app: App;
let clerk: TestUser; // J013, no unmask
let reviewer: TestUser; // J013, may unmask
let archivist: TestUser; // J013, reads the log
let manager: TestUser; // J013, items but not the roster
const J013 = [{ fondsCode: 'J013', regionCode: null, categoryCode: null }];
const IN = { name: '王建国', id: validId('32011519850312123') };
const IN_TWO = { name: '李秀英', id: validId('32011519660606222') };
const OUT = { name: '慕容远郊', id: validId('32011619900101123') };
const codes = { item: '', sensitive: '', outside: '' };
const ids = { item: 0, sensitive: 0, outside: 0 };

function person(who: { name: string; id: string }, district: string) {
  const entry = rosterEntry(who.name, who.id);
  entry.address = `南京市${district}东山街道示例路1号`;
  entry.settlements = [
    {
      visitType: 'inpatient',
      institution: `${district}人民医院`,
      visitStart: '2026-03-01',
      visitEnd: '2026-03-08',
      settledOn: '2026-03-08',
      totalCost: 8000,
      insurancePaid: 5000,
      assistancePaid: 1500,
      criticalPaid: 0,
      reassistancePaid: 200,
    },
  ];
  return entry;
}

beforeAll(async () => {
  fhirValidator('Bundle');
  system = await openTestSystem();
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  await createFonds(db, { code: 'J014', name: '南京市六合区医疗保障局', regionCode: '320116' }, 'test');
  app = await buildApp({
    database: system.database,
    store: system.store,
    signingKey: system.signingKey,
    console: false,
    logger: Boolean(process.env.FHIR_TEST_LOG),
  });
  clerk = await testUser(db, { roles: ['clerk'], scope: J013 });
  reviewer = await testUser(db, { roles: ['reviewer'], scope: J013 });
  archivist = await testUser(db, { roles: ['archivist'], scope: J013 });
  manager = await testUser(db, { roles: ['manager'], scope: J013 });
  const admin = await testUser(db, { roles: ['archivist'] });
  await storeRoster(db, [person(IN, '江宁区'), person(IN_TWO, '江宁区'), person(OUT, '六合区')]);
  const file = async (body: Record<string, unknown>) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: admin.headers,
      payload: reimbursement(body),
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: number; archiveCode: string };
  };
  const item = await file({
    name: IN.name,
    idNumber: IN.id,
    title: `${IN.name} 个人零星医疗费用报销审核表`,
    date: '2024-03-15',
  });
  const sensitive = await file({
    name: IN_TWO.name,
    idNumber: IN_TWO.id,
    title: `${IN_TWO.name} 门诊特殊病种待遇审核表`,
    date: '2025-05-01',
    extra: { hospital: '江宁医院', diagnosis: '精神分裂症（F20.0）' },
  });
  const outside = await file({
    fonds: 'J014',
    poolingRegion: '320116',
    name: OUT.name,
    idNumber: OUT.id,
    title: `${OUT.name} 住院费用报销审核表`,
    responsible: '南京市六合区医疗保障局',
  });
  Object.assign(codes, {
    item: item.archiveCode,
    sensitive: sensitive.archiveCode,
    outside: outside.archiveCode,
  });
  Object.assign(ids, { item: item.id, sensitive: sensitive.id, outside: outside.id });
  const form = multipart('出院小结.pdf', await blankPdf());
  const attached = await app.inject({
    method: 'POST',
    url: `/api/v1/items/${encodeURIComponent(codes.item)}/files`,
    headers: { ...admin.headers, 'content-type': form.contentType },
    payload: form.payload,
  });
  expect(attached.statusCode, attached.body).toBe(201);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await system?.dispose();
});

const get = (url: string, user?: TestUser) =>
  app.inject({ method: 'GET', url: `/fhir/R4${url}`, headers: user?.headers ?? {} });

/** A 200 answer as FHIR JSON, valid R4. */
async function fhir<T = Bundle>(url: string, user: TestUser): Promise<T> {
  const response = await get(url, user);
  expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/fhir\+json/);
  const body = response.json() as Resource;
  expect(fhirProblems(body), url).toEqual([]);
  return body as T;
}

/** A refusal: an OperationOutcome with a Chinese diagnostic and the error code, valid R4. */
function outcome(response: LightMyRequestResponse, status: number, code: string): string {
  expect(response.statusCode, response.body.slice(0, 300)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/fhir\+json/);
  const body = response.json() as OperationOutcome;
  expect(fhirProblems(body)).toEqual([]);
  expect(body.resourceType).toBe('OperationOutcome');
  const issue = body.issue?.[0];
  expect(issue?.details?.coding?.[0]?.code).toBe(code);
  expect(issue?.diagnostics).toMatch(/[\u4e00-\u9fff]/);
  return issue?.diagnostics ?? '';
}

const resources = (bundle: Bundle, mode = 'match') =>
  (bundle.entry ?? [])
    .filter((entry) => entry.search?.mode === mode)
    .map((entry) => entry.resource as Resource);
const masked = (id: string) => `${id.slice(0, 6)}********${id.slice(-4)}`;

async function fhirReads(): Promise<Array<{ actor: string; payload: string }>> {
  const result = await sql<{ actor: string; payload: string }>`
    select actor, payload from integrity_event where action = 'fhir.read' order by seq`.execute(
    system.database.db,
  );
  return result.rows;
}

describe('the FHIR R4 interface', () => {
  it('holds answers to a schema with teeth: a wrong code, a missing element, an unknown one all fail', () => {
    expect(fhirProblems({ resourceType: 'Patient', id: 'a1', gender: 'male' })).toEqual([]);
    expect(fhirProblems({ resourceType: 'Patient', gender: 'mannlich' }).join()).toMatch(/gender/);
    expect(fhirProblems({ resourceType: 'DocumentReference', status: 'current' }).join()).toMatch(/content/);
    expect(fhirProblems({ resourceType: 'Patient', nickname: 'x' }).join()).toMatch(/nickname/);
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ resource: { resourceType: 'Coverage', status: 'active' } }],
    };
    expect(fhirProblems(bundle).join()).toMatch(/\/entry\/0\/resource.*(beneficiary|payor)/);
  });

  it('states its capabilities at /metadata without signing in', async () => {
    const response = await get('/metadata');
    expect(response.statusCode).toBe(200);
    const statement = response.json();
    expect(statement.fhirVersion).toBe('4.0.1');
    // The packaged schema is R4's first publication (4.0.0), whose version list predates 4.0.1.
    expect(fhirProblems({ ...statement, fhirVersion: '4.0.0' })).toEqual([]);
    const types = statement.rest[0].resource.map((resource: { type: string }) => resource.type);
    expect(types).toEqual([
      'Patient',
      'Coverage',
      'Claim',
      'ExplanationOfBenefit',
      'DocumentReference',
      'AuditEvent',
    ]);
    const documents = statement.rest[0].resource[4];
    expect(documents.searchParam.map((param: { name: string }) => param.name)).toEqual(
      expect.arrayContaining(['patient', 'type', 'date', '_count']),
    );
    expect(documents.searchInclude).toContain('DocumentReference:subject');
  });

  it('lists the insured people of the scope only, masked, and finds one by ID number', async () => {
    const bundle = await fhir('/Patient', clerk);
    const people = resources(bundle);
    expect(people.map((one) => (one as { name: Array<{ text: string }> }).name[0]?.text).sort()).toEqual([
      '李*英',
      '王*国',
    ]);
    const text = JSON.stringify(bundle);
    for (const id of [IN.id, IN_TWO.id, OUT.id]) expect(text).not.toContain(id);
    expect(text).not.toContain('六合');
    expect(text).toContain(masked(IN.id));
    expect(text).not.toContain('birthDate');
    const found = resources(await fhir(`/Patient?identifier=${IN.id}`, clerk));
    expect(found).toHaveLength(1);
    const patient = await fhir<{ id: string; identifier: Array<{ value: string }> }>(
      `/Patient/${found[0]?.id}`,
      clerk,
    );
    expect(patient.identifier[0]?.value).toBe(masked(IN.id));
    // Outside the scope: nobody, exactly as for a person who does not exist.
    expect(resources(await fhir(`/Patient?identifier=${OUT.id}`, clerk))).toEqual([]);
    const outside = (await fhir(`/Patient?identifier=${OUT.id}`, reviewer)).entry ?? [];
    expect(outside).toEqual([]);
  });

  it('shows a person in full only to a reader who may unmask and asked to, and logs it', async () => {
    const [one] = resources(await fhir(`/Patient?identifier=${IN.id}`, clerk));
    outcome(
      await get(`/Patient/${one?.id}?unmask=true&purpose=${encodeURIComponent('核查待遇')}`, clerk),
      403,
      'FORBIDDEN',
    );
    const full = await fhir<{ identifier: Array<{ value: string }>; birthDate: string; gender: string }>(
      `/Patient/${one?.id}?unmask=true&purpose=${encodeURIComponent('核查待遇')}`,
      reviewer,
    );
    expect(full.identifier[0]?.value).toBe(IN.id);
    expect(full.birthDate).toBe('1985-03-12');
    const reads = await fhirReads();
    const last = reads.at(-1);
    expect(last?.actor).toBe(reviewer.username);
    expect(JSON.parse(last?.payload ?? '{}')).toMatchObject({
      resource: 'Patient',
      unmasked: true,
      purpose: '核查待遇',
    });
    for (const read of reads)
      for (const id of [IN.id, IN_TWO.id, OUT.id]) expect(read.payload).not.toContain(id);
  });

  it('answers Coverage, Claim and ExplanationOfBenefit by patient, type and date, with _include', async () => {
    const [one] = resources(await fhir(`/Patient?identifier=${IN.id}`, clerk));
    const coverage = await fhir(
      `/Coverage?patient=Patient/${one?.id}&type=resident&date=ge2020-01-01&_include=Coverage:beneficiary`,
      clerk,
    );
    expect(resources(coverage)).toHaveLength(1);
    expect(resources(coverage, 'include').map((patient) => patient.id)).toEqual([one?.id]);
    expect(resources(await fhir(`/Coverage?patient=${one?.id}&type=employee`, clerk))).toEqual([]);
    expect(resources(await fhir(`/Coverage?patient=${one?.id}&date=lt2018`, clerk))).toEqual([]);
    const claims = await fhir(
      `/Claim?patient=${one?.id}&type=institutional&created=2026-03&_include=Claim:patient`,
      clerk,
    );
    expect(resources(claims)).toHaveLength(1);
    // The claim names the enrollment in force at the visit.
    const claim = resources(claims)[0] as { insurance: Array<{ coverage: { reference?: string } }> };
    expect(claim.insurance[0]?.coverage.reference).toBe(`Coverage/${resources(coverage)[0]?.id}`);
    expect(resources(claims, 'include')).toHaveLength(1);
    expect(resources(await fhir(`/Claim?patient=${one?.id}&created=2025`, clerk))).toEqual([]);
    const benefits = resources(await fhir(`/ExplanationOfBenefit?patient=${one?.id}`, clerk));
    expect(benefits).toHaveLength(1);
    const eob = await fhir<{ total: Array<{ amount: { value: number } }> }>(
      `/ExplanationOfBenefit/${benefits[0]?.id}`,
      clerk,
    );
    expect(eob.total.map((total) => total.amount.value)).toEqual([8000, 5000, 1500, 0, 200]);
    // The 六合 person's settlement is outside the scope: every list leaves it out.
    const all = JSON.stringify(await fhir('/Claim', clerk));
    expect(all).not.toContain('六合');
    // The roster is read under the JSON API's permission for it (医保扶贫): a 管理人员 has none.
    outcome(await get('/Coverage', manager), 403, 'FORBIDDEN');
  });

  it('answers items as DocumentReferences: 档号, category, files with digests, the person by blind index', async () => {
    const [one] = resources(await fhir(`/Patient?identifier=${IN.id}`, clerk));
    const bundle = await fhir(
      `/DocumentReference?patient=Patient/${one?.id}&_include=DocumentReference:subject`,
      clerk,
    );
    const [document] = resources(bundle) as DocumentReference[];
    expect(document?.masterIdentifier?.value).toBe(codes.item);
    expect(document?.type?.coding?.[0]?.code).toBe('JSLX');
    expect(document?.subject?.reference).toBe(`Patient/${one?.id}`);
    const attachment = document?.content[0]?.attachment;
    expect(attachment?.title).toBe('出院小结.pdf');
    expect(attachment?.extension?.[0]?.valueString).toMatch(/^(sha256|sm3):[0-9a-f]{64}$/);
    expect(attachment?.url).toMatch(/\/api\/v1\/items\/.+\/files\/1$/);
    expect(resources(bundle, 'include').map((patient) => patient.id)).toEqual([one?.id]);
    expect(JSON.stringify(bundle)).not.toContain(IN.id);
    // By type and 形成日期; the same item by chained ID number.
    expect(resources(await fhir('/DocumentReference?type=JSLX&date=2024', clerk))).toHaveLength(1);
    expect(
      resources(await fhir('/DocumentReference?date=ge2024-04-01&date=le2024-12-31', clerk)),
    ).toHaveLength(0);
    expect(resources(await fhir(`/DocumentReference?patient.identifier=${IN.id}`, clerk))).toHaveLength(1);
    // The sensitive item without a grant is listed withheld: no person, no content.
    const listed = resources(await fhir('/DocumentReference?date=2025', clerk)) as DocumentReference[];
    expect(listed.map((entry) => entry.masterIdentifier?.value)).toEqual([codes.sensitive]);
    expect(listed[0]?.subject).toBeUndefined();
    expect(JSON.stringify(listed)).not.toContain('精神分裂症');
    // Read by id; the other fonds' item answers exactly like one that does not exist.
    // _id with other parameters: answered only when they match too.
    expect(
      resources(await fhir(`/DocumentReference?_id=${ids.item}&type=JSLX&date=2024`, clerk)),
    ).toHaveLength(1);
    expect(resources(await fhir(`/DocumentReference?_id=${ids.item}&date=2023`, clerk))).toEqual([]);
    expect(
      resources(await fhir(`/DocumentReference?_id=${ids.item}&patient.identifier=${OUT.id}`, clerk)),
    ).toEqual([]);
    expect(resources(await fhir(`/DocumentReference?_id=${ids.outside}`, clerk))).toEqual([]);
    const read = await fhir<DocumentReference>(`/DocumentReference/${ids.item}`, clerk);
    expect(read.masterIdentifier?.value).toBe(codes.item);
    const outside = await get(`/DocumentReference/${ids.outside}`, clerk);
    const missing = await get('/DocumentReference/99999999', clerk);
    expect(outcome(outside, 404, 'FHIR_RESOURCE_NOT_FOUND').replace(String(ids.outside), '<id>')).toBe(
      outcome(missing, 404, 'FHIR_RESOURCE_NOT_FOUND').replace('99999999', '<id>'),
    );
    // The catalog logged the look as it does for the JSON API (item.viewed), and the FHIR read too.
    const viewed = await sql<{ n: number }>`select count(*)::int as n from integrity_event
      where action = 'item.viewed' and actor = ${clerk.username}`.execute(system.database.db);
    expect(viewed.rows[0]?.n).toBeGreaterThan(0);
  });

  it('pages with Bundles: next links walk every item once', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/DocumentReference?_count=1';
    for (let page = 0; url && page < 10; page += 1) {
      const bundle: Bundle = await fhir(url, clerk);
      seen.push(...resources(bundle).map((resource) => resource.id as string));
      const next = bundle.link?.find((link) => link.relation === 'next')?.url;
      url = next ? next.slice(next.indexOf('/fhir/R4') + '/fhir/R4'.length) : undefined;
    }
    expect(seen.sort()).toEqual([String(ids.item), String(ids.sensitive)].sort());
    // A search by ID number pages with sealed tokens: no link carries the number; a forged token is refused.
    const byNumber: Bundle = await fhir(`/DocumentReference?patient.identifier=${IN.id}&_count=1`, clerk);
    const links = JSON.stringify(byNumber.link);
    expect(links).not.toContain(IN.id);
    expect(links).toContain(masked(IN.id));
    const next = byNumber.link?.find((link) => link.relation === 'next')?.url as string;
    const token = decodeURIComponent(next.slice(next.indexOf('_page=') + 6));
    expect(resources(await fhir(`/DocumentReference?_page=${encodeURIComponent(token)}`, clerk))).toEqual([]);
    const forged = `${token.slice(0, -4)}AAAA`;
    outcome(
      await get(`/DocumentReference?_page=${encodeURIComponent(forged)}`, clerk),
      400,
      'FHIR_PARAM_INVALID',
    );
    outcome(
      await get(`/DocumentReference?_page=${encodeURIComponent(token)}&type=JSLX`, clerk),
      400,
      'FHIR_PARAM_INVALID',
    );
    outcome(await get('/DocumentReference?_page=plain', clerk), 400, 'FHIR_PARAM_INVALID');
  });

  it('answers the log as AuditEvents, with the JSON API visibility', async () => {
    const bundle = await fhir(`/AuditEvent?entity=DocumentReference/${ids.item}`, archivist);
    const events = resources(bundle) as Array<{
      type: { code: string };
      entity: Array<{ what: { display: string } }>;
    }>;
    expect(events.map((event) => event.type.code)).toContain('item.created');
    expect(events.every((event) => event.entity[0]?.what.display === codes.item)).toBe(true);
    const id = resources(bundle)[0]?.id;
    expect((await fhir<{ id: string }>(`/AuditEvent/${id}`, archivist)).id).toBe(id);
    // The other fonds' item and its events are not the archivist's to see.
    expect(resources(await fhir(`/AuditEvent?entity=DocumentReference/${ids.outside}`, archivist))).toEqual(
      [],
    );
    expect(JSON.stringify(await fhir('/AuditEvent?_count=100', archivist))).not.toContain('J014');
    outcome(await get('/AuditEvent', clerk), 403, 'FORBIDDEN');
  });

  it('refuses hostile and unsupported requests with Chinese OperationOutcomes', async () => {
    outcome(await get('/Patient'), 401, 'AUTH_REQUIRED');
    outcome(await get('/Patient?foo=1', clerk), 400, 'FHIR_PARAM_UNSUPPORTED');
    outcome(await get('/Patient?identifier:exact=1', clerk), 400, 'FHIR_PARAM_UNSUPPORTED');
    outcome(await get('/Patient?identifier=1&identifier=2', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/Patient?identifier=32011519850312999X', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/Coverage?date=2024-02-30', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/Coverage?date=ge2024&date=le2025&date=eq2024', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/Coverage?patient=Patient/..%2F..%2Fetc', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/DocumentReference?_count=0', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/DocumentReference?type=urn:yidang:fhir:category|', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/DocumentReference?type=http://loinc.org|JSLX', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/Coverage?type=', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/DocumentReference?_count=-5', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/DocumentReference?_cursor=1e99', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get(`/DocumentReference?type=${'A'.repeat(5000)}`, clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(
      await get('/DocumentReference?_include=DocumentReference:author', clerk),
      400,
      'FHIR_INCLUDE_UNSUPPORTED',
    );
    outcome(await get('/DocumentReference?_format=xml', clerk), 400, 'FHIR_PARAM_INVALID');
    outcome(await get('/Observation', clerk), 404, 'FHIR_TYPE_UNSUPPORTED');
    outcome(await get('/Patient/abc%00def', clerk), 400, 'BAD_TEXT');
    outcome(await get(`/Patient/${'a'.repeat(65)}`, clerk), 404, 'FHIR_RESOURCE_NOT_FOUND');
    const write = await app.inject({
      method: 'POST',
      url: '/fhir/R4/Patient',
      headers: clerk.headers,
      payload: {},
    });
    outcome(write, 400, 'FHIR_TYPE_UNSUPPORTED');
    // An ID number typed as a purpose is refused, never logged.
    const [one] = resources(await fhir(`/Patient?identifier=${IN.id}`, clerk));
    const refused = await get(`/Patient/${one?.id}?unmask=true&purpose=${IN.id}`, reviewer);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).not.toContain(IN.id);
    // Also when not unmasking: the purpose is logged either way.
    const typedPurpose = await get(`/DocumentReference?purpose=${encodeURIComponent(`核查${IN.id}`)}`, clerk);
    outcome(typedPurpose, 400, 'ID_NUMBER_IN_TEXT');
    const logged = await sql<{ n: number }>`select count(*)::int as n from integrity_event
      where payload like ${`%${IN.id}%`}`.execute(system.database.db);
    expect(logged.rows[0]?.n).toBe(0);
    // Bad input never reaches the server's failure path.
    const count = (await get(`/Claim?_count=${'9'.repeat(7)}`, clerk)).statusCode;
    expect(count).toBe(400);
  });
});
