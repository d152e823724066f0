import { type Insertable, type RawBuilder, type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import type {
  DestructionRegisterTable,
  DestructionRowTable,
  DestructionSignatureTable,
  RegisterState,
} from './destruction.tables.js';

// The destruction register's SQL over the disposition module's own tables (the register, its rows
// and signatures, the number sequence, and the appraisal round it is drawn from).

export type RegisterRow = Selectable<DestructionRegisterTable>;
export type RegisterItemRow = Selectable<DestructionRowTable>;
export type SignatureRow = Selectable<DestructionSignatureTable>;

/** Registers still open: their items may be on no other register. */
export const OPEN_STATES: readonly RegisterState[] = ['drawn', 'approved', 'carrying'];

/** The next number of the fonds' year (XH-<fonds>-<year>-<n>); the row's lock orders concurrent draws. */
export async function nextRegisterNumber(trx: Db, fondsCode: string, year: number): Promise<number> {
  const { rows } = await sql<{ last_number: number }>`
    insert into destruction_sequence (fonds_code, year, last_number) values (${fondsCode}, ${year}, 1)
    on conflict (fonds_code, year) do update set last_number = destruction_sequence.last_number + 1
    returning last_number`.execute(trx);
  return Number(rows[0]?.last_number);
}

export interface RoundBrief {
  id: number;
  code: string;
  fondsCode: string;
  lead: string;
  members: string[];
}

export async function roundByCode(db: Db, code: string): Promise<RoundBrief | undefined> {
  const round = await db
    .selectFrom('appraisal_round')
    .select(['id', 'code', 'fonds_code', 'lead'])
    .where('code', '=', code)
    .executeTakeFirst();
  if (!round) return undefined;
  return roundBrief(db, round);
}

export async function roundById(db: Db, id: number): Promise<RoundBrief | undefined> {
  const round = await db
    .selectFrom('appraisal_round')
    .select(['id', 'code', 'fonds_code', 'lead'])
    .where('id', '=', id)
    .executeTakeFirst();
  return round ? roundBrief(db, round) : undefined;
}

async function roundBrief(
  db: Db,
  round: { id: number; code: string; fonds_code: string; lead: string },
): Promise<RoundBrief> {
  const members = await db
    .selectFrom('appraisal_member')
    .select('username')
    .where('round_id', '=', round.id)
    .orderBy('username')
    .execute();
  return {
    id: round.id,
    code: round.code,
    fondsCode: round.fonds_code,
    lead: round.lead,
    members: members.map((member) => member.username),
  };
}

export async function insertRegister(
  trx: Db,
  register: Insertable<DestructionRegisterTable>,
  rows: ReadonlyArray<Omit<Insertable<DestructionRowTable>, 'register_id'>>,
): Promise<number> {
  const { id } = await trx
    .insertInto('destruction_register')
    .values(register)
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let start = 0; start < rows.length; start += 500)
    await trx
      .insertInto('destruction_row')
      .values(rows.slice(start, start + 500).map((row) => ({ ...row, register_id: id })))
      .execute();
  return id;
}

export async function findRegister(
  db: Db,
  code: string,
  forUpdate = false,
): Promise<RegisterRow | undefined> {
  let query = db.selectFrom('destruction_register').selectAll().where('code', '=', code);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export function listRegisters(
  db: Db,
  filter: { fonds?: readonly string[] | null; state?: RegisterState; limit: number },
): Promise<RegisterRow[]> {
  let query = db.selectFrom('destruction_register').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.fonds) {
    if (filter.fonds.length === 0) return Promise.resolve([]);
    query = query.where('fonds_code', 'in', [...filter.fonds]);
  }
  if (filter.state) query = query.where('state', '=', filter.state);
  return query.execute();
}

export function registerRows(db: Db, registerId: number): Promise<RegisterItemRow[]> {
  return db
    .selectFrom('destruction_row')
    .selectAll()
    .where('register_id', '=', registerId)
    .orderBy('seq')
    .execute();
}

export function signaturesOf(db: Db, registerId: number): Promise<SignatureRow[]> {
  return db
    .selectFrom('destruction_signature')
    .selectAll()
    .where('register_id', '=', registerId)
    .orderBy('signed_at')
    .orderBy('role')
    .execute();
}

/** Adds a signature; false when the same person already signed in that role. */
export async function insertSignature(
  trx: Db,
  signature: Insertable<DestructionSignatureTable>,
): Promise<boolean> {
  const result = await trx
    .insertInto('destruction_signature')
    .values(signature)
    .onConflict((oc) => oc.doNothing())
    .returning('role')
    .executeTakeFirst();
  return result !== undefined;
}

/** Moves a register from `from` only if it is still there: a second click finds nothing to move. */
export async function moveRegister(
  trx: Db,
  id: number,
  from: RegisterState,
  change: Updateable<DestructionRegisterTable>,
): Promise<boolean> {
  const result = await trx
    .updateTable('destruction_register')
    .set(change)
    .where('id', '=', id)
    .where('state', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Items on an open register (other than `exceptId`) whose destruction is not finished. */
export function itemsOnOpenRegistersSql(exceptId = 0): RawBuilder<{ item_id: number }> {
  return sql<{ item_id: number }>`select r.item_id from destruction_row r
    join destruction_register g on g.id = r.register_id
    where g.id <> ${exceptId} and g.state in ('drawn', 'approved', 'carrying') and r.state <> 'destroyed'`;
}

export async function lockRow(
  trx: Db,
  registerId: number,
  seq: number,
): Promise<RegisterItemRow | undefined> {
  return trx
    .selectFrom('destruction_row')
    .selectAll()
    .where('register_id', '=', registerId)
    .where('seq', '=', seq)
    .forUpdate()
    .executeTakeFirst();
}

export async function updateRow(
  trx: Db,
  registerId: number,
  seq: number,
  change: Updateable<DestructionRowTable>,
): Promise<void> {
  await trx
    .updateTable('destruction_row')
    .set(change)
    .where('register_id', '=', registerId)
    .where('seq', '=', seq)
    .execute();
}

/** The register's state as its events carry it (the log keeps its digest; verify recomputes it). */
export async function registerState(db: Db, id: number): Promise<object> {
  const register = await db
    .selectFrom('destruction_register')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return stateOf(register, await registerRows(db, id), await signaturesOf(db, id));
}

const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());

function stateOf(
  register: RegisterRow,
  rows: readonly RegisterItemRow[],
  signatures: readonly SignatureRow[],
): object {
  return {
    code: register.code,
    fonds: register.fonds_code,
    round: register.round_code,
    state: register.state,
    drawnBy: register.drawn_by,
    approvedBy: register.approved_by,
    filed: register.filed_code,
    withdrawn:
      register.withdrawn_by === null ? null : { by: register.withdrawn_by, reason: register.withdraw_reason },
    signatures: signatures
      .map((signature) => ({ role: signature.role, user: signature.username, at: iso(signature.signed_at) }))
      .sort((a, b) => `${a.role}${a.user}`.localeCompare(`${b.role}${b.user}`)),
    rows: rows.map((row) => ({
      seq: row.seq,
      itemId: row.item_id,
      item: row.archive_code,
      version: row.item_version,
      retention: row.retention,
      category: row.category_id,
      // Not the row's carry-out state: it moves with item.destroyed and blob.shredded, logged on their own
      // subjects; a refusal is logged on the register (destruction.item_refused).
      refused: row.refusal,
      paper:
        row.paper_confirmed_by === null ? null : { by: row.paper_confirmed_by, method: row.paper_method },
    })),
  };
}

/** Every register's state (verify: `register:` records). */
export async function registerStates(db: Db): Promise<Map<string, unknown>> {
  const registers = await db.selectFrom('destruction_register').selectAll().orderBy('id').execute();
  const out = new Map<string, unknown>();
  for (const register of registers)
    out.set(
      `register:${register.code}`,
      stateOf(register, await registerRows(db, register.id), await signaturesOf(db, register.id)),
    );
  return out;
}
