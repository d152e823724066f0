import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { AppraisalChoice } from './appraisal.tables.js';

// The only SQL of appraisal rounds (鉴定批次): rounds, their groups and the items under appraisal.

export interface RoundRow {
  id: number;
  code: string;
  fondsCode: string;
  year: number;
  number: number;
  title: string;
  lead: string;
  status: 'open' | 'closed';
  openedBy: string;
  openedAt: Date;
}

const ROUND_COLUMNS = [
  'id',
  'code',
  'fonds_code as fondsCode',
  'year',
  'number',
  'title',
  'lead',
  'status',
  'opened_by as openedBy',
  'opened_at as openedAt',
] as const;

export async function insertRound(
  trx: Db,
  round: { fondsCode: string; year: number; title: string; lead: string; openedBy: string; at: Date },
): Promise<RoundRow> {
  // One numbering per fonds and year: the table lock orders two rounds opened at once.
  await sql`lock table appraisal_round in share row exclusive mode`.execute(trx);
  const { last } = await trx
    .selectFrom('appraisal_round')
    .select((eb) => eb.fn.max('number').as('last'))
    .where('fonds_code', '=', round.fondsCode)
    .where('year', '=', round.year)
    .executeTakeFirstOrThrow();
  const number = Number(last ?? 0) + 1;
  return trx
    .insertInto('appraisal_round')
    .values({
      code: `JD-${round.fondsCode}-${round.year}-${number}`,
      fonds_code: round.fondsCode,
      year: round.year,
      number,
      title: round.title,
      lead: round.lead,
      opened_by: round.openedBy,
      opened_at: round.at,
    })
    .returning(ROUND_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function findRound(db: Db, code: string, lock = false): Promise<RoundRow | undefined> {
  let query = db.selectFrom('appraisal_round').select(ROUND_COLUMNS).where('code', '=', code);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findRoundById(db: Db, id: number): Promise<RoundRow | undefined> {
  return db.selectFrom('appraisal_round').select(ROUND_COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function listRoundRows(db: Db, fondsCodes: readonly string[] | null): Promise<RoundRow[]> {
  let query = db
    .selectFrom('appraisal_round')
    .select(ROUND_COLUMNS)
    .orderBy('opened_at', 'desc')
    .orderBy('id', 'desc');
  if (fondsCodes !== null) {
    if (fondsCodes.length === 0) return [];
    query = query.where('fonds_code', 'in', [...fondsCodes]);
  }
  return query.limit(500).execute();
}

export interface MemberRow {
  username: string;
  isLead: boolean;
}

export async function roundMembers(db: Db, roundId: number): Promise<MemberRow[]> {
  return db
    .selectFrom('appraisal_member')
    .select(['username', 'is_lead as isLead'])
    .where('round_id', '=', roundId)
    .orderBy('is_lead', 'desc')
    .orderBy('username')
    .execute();
}

export async function replaceMembers(
  trx: Db,
  roundId: number,
  members: readonly string[],
  lead: string,
  actor: string,
): Promise<void> {
  await trx.deleteFrom('appraisal_member').where('round_id', '=', roundId).execute();
  await trx
    .insertInto('appraisal_member')
    .values(
      members.map((username) => ({
        round_id: roundId,
        username,
        is_lead: username === lead,
        added_by: actor,
      })),
    )
    .execute();
  await trx.updateTable('appraisal_round').set({ lead }).where('id', '=', roundId).execute();
}

export interface UnderAppraisal {
  itemId: number;
  archiveCode: string;
  round: string;
  roundId: number;
  decided: boolean;
  decision: AppraisalChoice | null;
}

/** Of these items, those under appraisal in a round still undecided on them (any round), with its code. */
export async function itemsUnderAppraisal(db: Db, itemIds: readonly number[]): Promise<UnderAppraisal[]> {
  if (itemIds.length === 0) return [];
  const { rows } = await sql<UnderAppraisal>`
    select a.item_id as "itemId", a.archive_code as "archiveCode", r.code as round, r.id as "roundId",
      a.decision is not null as decided, a.decision
    from appraisal_item a join appraisal_round r on r.id = a.round_id
    where a.item_id = any(${itemIds as number[]}::integer[])`.execute(db);
  return rows;
}

export async function insertRoundItems(
  trx: Db,
  roundId: number,
  items: ReadonlyArray<{ itemId: number; archiveCode: string; categoryId: number; year: number }>,
  actor: string,
  at: Date,
): Promise<void> {
  for (let start = 0; start < items.length; start += 1000)
    await trx
      .insertInto('appraisal_item')
      .values(
        items.slice(start, start + 1000).map((item) => ({
          round_id: roundId,
          item_id: item.itemId,
          archive_code: item.archiveCode,
          category_id: item.categoryId,
          year: item.year,
          added_by: actor,
          added_at: at,
        })),
      )
      .execute();
}

export interface RoundItemRow {
  itemId: number;
  archiveCode: string;
  categoryId: number;
  year: number;
  proposal: AppraisalChoice | null;
  proposalRetention: string | null;
  proposalReason: string | null;
  proposedBy: string | null;
  proposedAt: Date | null;
  decision: AppraisalChoice | null;
  decisionRetention: string | null;
  decisionReason: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  itemVersion: number | null;
  itemRetention: string | null;
  version: number;
}

const ITEM_COLUMNS = [
  'item_id as itemId',
  'archive_code as archiveCode',
  'category_id as categoryId',
  'year',
  'proposal',
  'proposal_retention as proposalRetention',
  'proposal_reason as proposalReason',
  'proposed_by as proposedBy',
  'proposed_at as proposedAt',
  'decision',
  'decision_retention as decisionRetention',
  'decision_reason as decisionReason',
  'decided_by as decidedBy',
  'decided_at as decidedAt',
  'item_version as itemVersion',
  'item_retention as itemRetention',
  'version',
] as const;

export async function roundItems(
  db: Db,
  roundId: number,
  filter: {
    codes?: readonly string[];
    undecided?: boolean;
    year?: number;
    categoryIds?: readonly number[];
    limit?: number;
    offset?: number;
  } = {},
): Promise<RoundItemRow[]> {
  let query = db.selectFrom('appraisal_item').select(ITEM_COLUMNS).where('round_id', '=', roundId);
  if (filter.codes) {
    if (filter.codes.length === 0) return [];
    query = query.where('archive_code', 'in', [...filter.codes]);
  }
  if (filter.undecided) query = query.where('decision', 'is', null);
  if (filter.year !== undefined) query = query.where('year', '=', filter.year);
  if (filter.categoryIds)
    query = query.where('category_id', 'in', filter.categoryIds.length > 0 ? [...filter.categoryIds] : [-1]);
  query = query.orderBy('archive_code');
  if (filter.limit !== undefined) query = query.limit(filter.limit).offset(filter.offset ?? 0);
  return query.execute();
}

export async function roundTally(
  db: Db,
  roundId: number,
): Promise<{ items: number; proposed: number; keep: number; destroy: number }> {
  const row = await db
    .selectFrom('appraisal_item')
    .select((eb) => [
      eb.fn.countAll<number>().as('items'),
      eb.fn.count<number>('proposal').as('proposed'),
      sql<number>`count(*) filter (where decision = 'keep')`.as('keep'),
      sql<number>`count(*) filter (where decision = 'destroy')`.as('destroy'),
    ])
    .where('round_id', '=', roundId)
    .executeTakeFirstOrThrow();
  return {
    items: Number(row.items),
    proposed: Number(row.proposed),
    keep: Number(row.keep),
    destroy: Number(row.destroy),
  };
}

/** Sets the proposal on an undecided item; false when it was decided meanwhile. */
export async function writeProposal(
  trx: Db,
  roundId: number,
  itemId: number,
  proposal: { choice: AppraisalChoice; retention: string | null; reason: string; by: string; at: Date },
): Promise<boolean> {
  const result = await trx
    .updateTable('appraisal_item')
    .set((eb) => ({
      proposal: proposal.choice,
      proposal_retention: proposal.retention,
      proposal_reason: proposal.reason,
      proposed_by: proposal.by,
      proposed_at: proposal.at,
      version: eb('version', '+', 1),
    }))
    .where('round_id', '=', roundId)
    .where('item_id', '=', itemId)
    .where('decision', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Records the decision on an item still undecided (and at `expectedVersion`, when the caller saw
 * one): false when someone decided or proposed on it meanwhile — the other decision won.
 */
export async function writeDecision(
  trx: Db,
  roundId: number,
  itemId: number,
  decision: {
    choice: AppraisalChoice;
    retention: string | null;
    reason: string;
    by: string;
    at: Date;
    itemVersion: number;
    itemRetention: string;
    expectedVersion?: number;
  },
): Promise<boolean> {
  let query = trx
    .updateTable('appraisal_item')
    .set((eb) => ({
      decision: decision.choice,
      decision_retention: decision.retention,
      decision_reason: decision.reason,
      decided_by: decision.by,
      decided_at: decision.at,
      item_version: decision.itemVersion,
      item_retention: decision.itemRetention,
      version: eb('version', '+', 1),
    }))
    .where('round_id', '=', roundId)
    .where('item_id', '=', itemId)
    .where('decision', 'is', null);
  if (decision.expectedVersion !== undefined) query = query.where('version', '=', decision.expectedVersion);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The round's state for the log: group, every item's proposal and decision, so one event's digest covers them all. */
export async function roundState(db: Db, roundId: number): Promise<Record<string, unknown>> {
  const round = await findRoundById(db, roundId);
  const [members, items] = await Promise.all([roundMembers(db, roundId), roundItems(db, roundId)]);
  return stateOfRound(round, members, items);
}

/** Every round's state (verify's `appraisal:` kind), one query per table, the same shape as roundState. */
export async function roundStates(db: Db): Promise<Map<string, unknown>> {
  const [rounds, members, items] = await Promise.all([
    db.selectFrom('appraisal_round').select(ROUND_COLUMNS).orderBy('id').execute(),
    db
      .selectFrom('appraisal_member')
      .select(['round_id as roundId', 'username', 'is_lead as isLead'])
      .orderBy('round_id')
      .orderBy('is_lead', 'desc')
      .orderBy('username')
      .execute(),
    db
      .selectFrom('appraisal_item')
      .select(['round_id as roundId', ...ITEM_COLUMNS])
      .orderBy('round_id')
      .orderBy('archive_code')
      .execute(),
  ]);
  const membersOf = new Map<number, MemberRow[]>();
  for (const { roundId, ...member } of members)
    membersOf.set(roundId, [...(membersOf.get(roundId) ?? []), member]);
  const itemsOf = new Map<number, RoundItemRow[]>();
  for (const { roundId, ...item } of items) {
    const list = itemsOf.get(roundId) ?? [];
    list.push(item);
    itemsOf.set(roundId, list);
  }
  const out = new Map<string, unknown>();
  for (const round of rounds)
    out.set(
      `appraisal:${round.code}`,
      stateOfRound(round, membersOf.get(round.id) ?? [], itemsOf.get(round.id) ?? []),
    );
  return out;
}

function stateOfRound(
  round: RoundRow | undefined,
  members: readonly MemberRow[],
  items: readonly RoundItemRow[],
): Record<string, unknown> {
  return {
    code: round?.code,
    fonds: round?.fondsCode,
    title: round?.title,
    openedBy: round?.openedBy,
    lead: round?.lead,
    status: round?.status,
    members: members.map((member) => (member.isLead ? `${member.username}*` : member.username)),
    items: items.map((item) => ({
      item: item.archiveCode,
      proposal: item.proposal,
      proposalRetention: item.proposalRetention,
      proposalReason: item.proposalReason,
      proposedBy: item.proposedBy,
      decision: item.decision,
      retention: item.decisionRetention,
      reason: item.decisionReason,
      decidedBy: item.decidedBy,
      itemVersion: item.itemVersion,
      itemRetention: item.itemRetention,
    })),
  };
}

/** Whether any item of the round has a proposal or a decision (the group is fixed from then on). */
export async function roundHasOpinions(db: Db, roundId: number): Promise<boolean> {
  const row = await db
    .selectFrom('appraisal_item')
    .select('item_id')
    .where('round_id', '=', roundId)
    .where((eb) => eb.or([eb('proposal', 'is not', null), eb('decision', 'is not', null)]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Who proposed or decided anything in the round, as the table holds it now. */
export async function roundDeciders(db: Db, roundId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('appraisal_item')
    .select(['proposed_by', 'decided_by'])
    .where('round_id', '=', roundId)
    .where((eb) => eb.or([eb('proposed_by', 'is not', null), eb('decided_by', 'is not', null)]))
    .groupBy(['proposed_by', 'decided_by'])
    .execute();
  return rows.flatMap((row) => [row.proposed_by, row.decided_by]).filter((name): name is string => !!name);
}

/** The item's version and period after a decision changed it (继续保存). */
export async function setDecidedItem(
  trx: Db,
  roundId: number,
  itemId: number,
  version: number,
  retention: string,
): Promise<void> {
  await trx
    .updateTable('appraisal_item')
    .set({ item_version: version, item_retention: retention })
    .where('round_id', '=', roundId)
    .where('item_id', '=', itemId)
    .execute();
}
