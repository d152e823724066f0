// test-engine: either (postgres) — the HTTP layer's scope and masking over services tested on both engines;
// run once, on PostgreSQL, to keep CI's two chains of lanes even (86 s on the PGlite lane).
import ExcelJS from 'exceljs';
import type { LightMyRequestResponse } from 'fastify';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestUser } from '../../test/helpers/access.js';
import { clearIdNumbers, leaksInAnswer, maskAll } from '../../test/helpers/leak-scan.js';
import {
  type Call,
  closeScopeWorld,
  IN_PEOPLE,
  OUT_PEOPLE,
  OUTSIDE_MARKERS,
  openScopeWorld,
  type ScopeWorld,
  send,
} from '../../test/helpers/scope-fixture.js';
import { type Probe, type ProbeContext, ROUTES } from '../../test/helpers/scope-probes.js';

// The scope-and-masking test (issue 21): every route of the OpenAPI document that can return
// personal data is called by three callers scoped to J013/*/* without the right to unmask (a
// 经办人员; a user of every business role whose token lacks item.unmask; a 安全审计员 of J013), and
// no answer or generated file may hold an ID number in the clear or anything of J014 (its code, its
// district, its people, masked or not). An id outside the scope must answer exactly as a missing
// one. A route neither probed nor allow-listed in test/helpers/scope-probes.ts fails the test: a new
// output is added there in the same commit.

let world: ScopeWorld;
beforeAll(async () => {
  world = await openScopeWorld();
}, 180_000);
afterAll(() => closeScopeWorld(world));

const callers = (): Array<[string, TestUser]> => [
  ['经办人员', world.clerk],
  ['业务全角色（不可脱敏）', world.reader],
  ['J013 审计员', world.auditor],
];

/** What the caller typed (URL, body, uploaded file): markers found there may be echoed back. */
function typed(call: Call): string {
  let url = call.url;
  try {
    url = decodeURIComponent(call.url);
  } catch {}
  return [
    url,
    JSON.stringify(call.body ?? null),
    call.file?.name ?? '',
    call.file?.content.toString('utf8') ?? '',
  ].join('\n');
}

const snippet = (response: LightMyRequestResponse) =>
  `${response.statusCode} ${maskAll(response.body.slice(0, 200)).replace(/\s+/g, ' ')}`;

function context(who: string, as: TestUser, problems: string[]): ProbeContext {
  const scan = async (call: Call, response: LightMyRequestResponse) => {
    // The URL may hold an ID number the caller typed: the report masks it too.
    const label = maskAll(`${who} ${call.method} ${call.url}`);
    if (response.statusCode >= 500) problems.push(`${label}: ${snippet(response)}`);
    const input = typed(call);
    // The 安全审计员 reads the whole log by design (each account's scope binds archive content, not
    // the audit): for it only ID numbers in the clear are leaks.
    const markers = as === world.auditor ? [] : OUTSIDE_MARKERS.filter((marker) => !input.includes(marker));
    for (const leak of await leaksInAnswer(response, label, markers))
      problems.push(`${leak.where}: ${leak.kind} ${leak.what} in “${leak.context}”`);
  };
  return {
    world,
    as,
    async call(call) {
      const response = await send(world.app, as, call);
      await scan(call, response);
      return response;
    },
    async sameAsMissing(outside, missing) {
      const [one, other] = [await send(world.app, as, outside), await send(world.app, as, missing)];
      await scan(outside, one);
      const plain = (response: LightMyRequestResponse, id: string | number) =>
        response.body
          .split(encodeURIComponent(String(id)))
          .join('<id>')
          .split(String(id))
          .join('<id>');
      if (one.statusCode !== other.statusCode || plain(one, outside.id) !== plain(other, missing.id))
        problems.push(
          `${who} ${outside.method} ${maskAll(outside.url)}: outside the scope answers ${snippet(one)} — a missing id answers ${snippet(other)}`,
        );
    },
  };
}

it("has the whole fixture: the other user's ledger, reconciliation, import and checks", () => {
  expect(world.setupProblems).toEqual([]);
});

it('exercises or allow-lists every route of the OpenAPI document', async () => {
  await world.app.ready();
  const document = world.app.swagger() as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );
  expect(routes.length).toBeGreaterThan(80);
  expect(
    routes.filter((route) => !(route in ROUTES)),
    'neither probed nor allow-listed',
  ).toEqual([]);
  expect(
    Object.keys(ROUTES).filter((route) => !routes.includes(route)),
    'no longer in the document',
  ).toEqual([]);
  for (const [route, entry] of Object.entries(ROUTES))
    if (typeof entry === 'string') expect(entry.length, `${route}: a reason`).toBeGreaterThan(3);
});

const PROBED = Object.entries(ROUTES).flatMap(([route, entry]) =>
  typeof entry === 'string' ? [] : [{ route, probe: entry }],
);

it.each(PROBED)('$route holds no ID number in the clear and nothing outside the scope', async ({ probe }) => {
  const problems: string[] = [];
  for (const [who, user] of callers()) await probe(context(who, user, problems));
  // Every problem in the message: vitest folds failures with equal messages into one report.
  expect(problems.length, `\n${problems.join('\n')}`).toBe(0);
});

// The net has teeth: the same probes find the leaks when the caller may see everything and unmask,
// and the decoder reads ID numbers out of full-width text, XLSX and PDF files.

it('finds ID numbers, J014 data and a difference from a missing id when the caller may see them', async () => {
  const problems: string[] = [];
  const ctx = context('全范围档案员', world.other, problems);
  await (ROUTES['GET /api/v1/items'] as Probe)(ctx);
  await (ROUTES['GET /api/v1/items/{archiveCode}'] as Probe)(ctx);
  expect(problems.some((problem) => problem.includes(': id-number '))).toBe(true);
  expect(problems.some((problem) => problem.includes(': outside-scope J014 '))).toBe(true);
  expect(problems.some((problem) => problem.includes(`: outside-scope ${OUT_PEOPLE.item.name} `))).toBe(true);
  expect(problems.some((problem) => problem.includes('outside the scope answers'))).toBe(true);
  // Nothing of this reaches the report in the clear.
  expect(clearIdNumbers(problems.join('\n'))).toEqual([]);
});

it('finds ID numbers and J014 people in FHIR answers when the caller may see them', async () => {
  const problems: string[] = [];
  const ctx = context('全范围档案员', world.other, problems);
  await (ROUTES['GET /fhir/R4/Patient'] as Probe)(ctx);
  await (ROUTES['GET /fhir/R4/DocumentReference/{id}'] as Probe)(ctx);
  expect(problems.some((problem) => problem.includes(': id-number '))).toBe(true);
  expect(problems.some((problem) => problem.includes(`: outside-scope ${OUT_PEOPLE.roster.name} `))).toBe(
    true,
  );
  expect(problems.some((problem) => problem.includes('outside the scope answers'))).toBe(true);
  expect(clearIdNumbers(problems.join('\n'))).toEqual([]);
});

it('reads ID numbers out of full-width text, XLSX and PDF, and lets masked ones pass', async () => {
  const id = IN_PEOPLE.item.id;
  const fullWidth = [...id]
    .map((char) => String.fromCodePoint((char.codePointAt(0) as number) + 0xfee0))
    .join('');
  expect(clearIdNumbers(`身份证${fullWidth}号`)).toEqual([id]);
  expect(clearIdNumbers(`${id.slice(0, 6)}********${id.slice(14)} ${id.slice(0, 17)}0`)).toEqual([]);
  const book = new ExcelJS.Workbook();
  book.addWorksheet('台账').addRow(['姓名', OUT_PEOPLE.roster.name, id]);
  const xlsx = Buffer.from(await book.xlsx.writeBuffer());
  const pdf = await PDFDocument.create();
  pdf.addPage().drawText(`ID ${id}`, { font: await pdf.embedFont(StandardFonts.Helvetica) });
  for (const file of [xlsx, Buffer.from(await pdf.save())]) {
    const leaks = await leaksInAnswer({ headers: {}, rawPayload: file }, 'file', OUTSIDE_MARKERS);
    expect(leaks.map((leak) => leak.kind)).toContain('id-number');
  }
  const inXlsx = await leaksInAnswer({ headers: {}, rawPayload: xlsx }, 'xlsx', OUTSIDE_MARKERS);
  expect(inXlsx.map((leak) => leak.what)).toContain(OUT_PEOPLE.roster.name);
});
