import { sql } from 'kysely';
import { idNumberIndex } from '../../src/shared/field-cipher.js';
import { type Call, IN_PEOPLE, OUT_PEOPLE, type ScopeWorld } from './scope-fixture.js';
import type { Probe } from './scope-probes.js';

// The scope-and-masking probes of the read-only FHIR R4 interface (/fhir/R4). Every search is made
// plainly, by a person outside the scope (which must find nobody) and with _include; every read by id
// is made for a record of J013 and for one of J014, which must answer exactly as an id never issued.
// The roster (Patient, Coverage, Claim, ExplanationOfBenefit) holds two people of each district.

const fhir = (path: string): Call => ({ method: 'GET', url: `/fhir/R4${path}` });
const UNMASK = `unmask=true&purpose=${encodeURIComponent('核查待遇申报材料')}`;
// Not all digits: a run of 18 would be masked as an ID number in the answer's message.
const MISSING_INDEX = 'f'.repeat(32);
const MISSING = 999_999;

interface FhirIds {
  patient: { inside: string; outside: string };
  enrollment: { inside: number; outside: number };
  settlement: { inside: number; outside: number };
  item: { inside: number; sensitive: number; outside: number };
  event: { inside: number; outside: number };
}
const known = new WeakMap<ScopeWorld, Promise<FhirIds>>();

/** The ids of J013's and J014's records, read behind the API's back once per world. */
function idsOf(world: ScopeWorld): Promise<FhirIds> {
  let ids = known.get(world);
  if (!ids) {
    ids = (async () => {
      const db = world.system.database.db;
      const inside = idNumberIndex(IN_PEOPLE.roster.id) as string;
      const outside = idNumberIndex(OUT_PEOPLE.roster.id) as string;
      const first = async (table: 'enrollment' | 'assistance_settlement', index: string) =>
        (
          await sql<{
            id: number;
          }>`select r.id from ${sql.table(table)} r join insured_person p on p.id = r.person_id
            where p.id_index = ${index} order by r.id limit 1`.execute(db)
        ).rows[0]?.id as number;
      const item = async (code: string) =>
        (await sql<{ id: number }>`select id from archive_item where archive_code = ${code}`.execute(db))
          .rows[0]?.id as number;
      const event = async (code: string) =>
        (
          await sql<{
            seq: number;
          }>`select seq from integrity_event where subject = ${`item:${code}`} order by seq limit 1`.execute(
            db,
          )
        ).rows[0]?.seq as number;
      return {
        patient: { inside, outside },
        enrollment: {
          inside: await first('enrollment', inside),
          outside: await first('enrollment', outside),
        },
        settlement: {
          inside: await first('assistance_settlement', inside),
          outside: await first('assistance_settlement', outside),
        },
        item: {
          inside: await item(world.inside.item),
          sensitive: await item(world.inside.sensitive),
          outside: await item(world.outside.item),
        },
        event: {
          inside: Number(await event(world.inside.item)),
          outside: Number(await event(world.outside.item)),
        },
      };
    })();
    known.set(world, ids);
  }
  return ids;
}

/** A read by id: inside (answer searched), outside and missing (must answer alike). */
const byId =
  (
    type: string,
    pick: (ids: FhirIds) => { inside: string | number; outside: string | number },
    missing: string | number,
  ): Probe =>
  async ({ world, as, call, sameAsMissing }) => {
    const ids = pick(await idsOf(world));
    await call(fhir(`/${type}/${ids.inside}`));
    await call(fhir(`/${type}/${ids.inside}?${UNMASK}`));
    // The 安全审计员 reads the whole log by design: an event of J014 is theirs to see.
    if (type === 'AuditEvent' && as === world.auditor) {
      await call(fhir(`/${type}/${ids.outside}`));
      return;
    }
    await sameAsMissing(
      { ...fhir(`/${type}/${ids.outside}`), id: ids.outside },
      { ...fhir(`/${type}/${missing}`), id: missing },
    );
  };

/** A search: everything, by the person outside the scope, with _include and unmasked. */
const search =
  (type: string, extra: (ids: FhirIds) => string[]): Probe =>
  async ({ world, call }) => {
    const ids = await idsOf(world);
    await call(fhir(`/${type}?_count=100`));
    await call(fhir(`/${type}?_count=100&${UNMASK}`));
    for (const query of extra(ids)) await call(fhir(`/${type}?${query}`));
  };

const people = (ids: FhirIds) => [
  `patient=Patient/${ids.patient.outside}`,
  `patient=Patient/${ids.patient.inside}`,
  `patient=${ids.patient.inside}&${UNMASK}`,
];

export const FHIR_ROUTES: Record<string, Probe | string> = {
  'GET /fhir/R4/metadata': 'FHIR 能力声明：固定文本',
  'GET /fhir/R4/Patient': search('Patient', (ids) => [
    `identifier=${IN_PEOPLE.roster.id}`,
    `identifier=${OUT_PEOPLE.roster.id}`,
    `identifier=${OUT_PEOPLE.roster.id}&${UNMASK}`,
    `_id=${ids.patient.outside}`,
  ]),
  'GET /fhir/R4/Patient/{id}': byId('Patient', (ids) => ids.patient, MISSING_INDEX),
  'GET /fhir/R4/Coverage': search('Coverage', (ids) => [
    ...people(ids),
    '_include=Coverage:beneficiary&_count=100',
    `_id=${ids.enrollment.outside}`,
  ]),
  'GET /fhir/R4/Coverage/{id}': byId('Coverage', (ids) => ids.enrollment, MISSING),
  'GET /fhir/R4/Claim': search('Claim', (ids) => [
    ...people(ids),
    '_include=Claim:patient&_count=100',
    `_id=${ids.settlement.outside}`,
  ]),
  'GET /fhir/R4/Claim/{id}': byId('Claim', (ids) => ids.settlement, MISSING),
  'GET /fhir/R4/ExplanationOfBenefit': search('ExplanationOfBenefit', (ids) => [
    ...people(ids),
    '_include=ExplanationOfBenefit:patient&_count=100',
  ]),
  'GET /fhir/R4/ExplanationOfBenefit/{id}': byId('ExplanationOfBenefit', (ids) => ids.settlement, MISSING),
  'GET /fhir/R4/DocumentReference': search('DocumentReference', (ids) => [
    ...people(ids),
    `patient.identifier=${IN_PEOPLE.item.id}`,
    `patient.identifier=${OUT_PEOPLE.item.id}`,
    `patient.identifier=${OUT_PEOPLE.sensitive.id}&${UNMASK}`,
    '_include=DocumentReference:subject&_count=100',
    // The people of the items (not on the roster): found by the blind index alone, within the scope.
    `patient=Patient/${idNumberIndex(OUT_PEOPLE.item.id)}&_include=DocumentReference:subject`,
    `patient=Patient/${idNumberIndex(OUT_PEOPLE.sensitive.id)}&${UNMASK}`,
    `subject=${idNumberIndex(IN_PEOPLE.item.id)}&${UNMASK}&_include=DocumentReference:subject`,
    `_id=${ids.item.outside}`,
    'type=JSLX&date=ge2000-01-01',
  ]),
  'GET /fhir/R4/DocumentReference/{id}': async (context) => {
    const ids = await idsOf(context.world);
    await context.call(fhir(`/DocumentReference/${ids.item.sensitive}`));
    await byId('DocumentReference', () => ids.item, MISSING)(context);
  },
  'GET /fhir/R4/AuditEvent': search('AuditEvent', (ids) => [
    `entity=DocumentReference/${ids.item.outside}`,
    `entity=DocumentReference/${ids.item.inside}`,
    'type=item.viewed&_count=100',
    'date=ge2000-01-01&_count=100',
    `date=${encodeURIComponent('le2200-01-01T00:00:00+08:00')}&entity=DocumentReference/${ids.item.outside}`,
  ]),
  'GET /fhir/R4/AuditEvent/{id}': byId('AuditEvent', (ids) => ids.event, 99_999_999),
};
