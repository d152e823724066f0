import type { Db } from '../../db/database.js';
import { listEvents } from '../integrity/event.queries.js';
import { findRoundById, roundDeciders, roundMembers } from './appraisal.repo.js';

export { roundStates } from './appraisal.repo.js';

// What the destruction register (destruction.*) reads of appraisal: the items a round's group
// decided to destroy, with what they were when decided, so a register can refuse an item changed since.

export interface ItemDecidedForDestruction {
  itemId: number;
  archiveCode: string;
  reason: string;
  decidedAt: Date;
  /** The item's retention period when the decision was taken. */
  retention: string;
  categoryId: number;
  /** The item's version when the decision was taken. */
  itemVersion: number;
}

/** The items decided 销毁 in the round, by 档号. Empty for an unknown round. */
export async function itemsDecidedForDestruction(
  db: Db,
  roundId: number,
): Promise<ItemDecidedForDestruction[]> {
  const rows = await db
    .selectFrom('appraisal_item')
    .select([
      'item_id',
      'archive_code',
      'decision_reason',
      'decided_at',
      'item_retention',
      'category_id',
      'item_version',
    ])
    .where('round_id', '=', roundId)
    .where('decision', '=', 'destroy')
    .orderBy('archive_code')
    .execute();
  return rows.map((row) => ({
    itemId: row.item_id,
    archiveCode: row.archive_code,
    reason: row.decision_reason ?? '',
    decidedAt: row.decided_at as Date,
    retention: row.item_retention ?? '',
    categoryId: row.category_id,
    itemVersion: row.item_version ?? 0,
  }));
}

const MEMBER_EVENTS = ['appraisal.round_opened', 'appraisal.member_set'] as const;
const OPINION_EVENTS = ['appraisal.proposed', 'appraisal.decided'] as const;

/**
 * Everyone who ever took part in the round: each group it ever had (from the log's round_opened and
 * member_set events and the table), and whoever proposed or decided (a later proposal overwrites an
 * earlier one in the table; the log keeps its actor). The register's approver must be none of them.
 * Empty for an unknown round.
 */
export async function everMembers(db: Db, roundId: number): Promise<Set<string>> {
  const round = await findRoundById(db, roundId);
  const out = new Set<string>();
  if (!round) return out;
  const subject = `appraisal:${round.code}`;
  for (const member of await roundMembers(db, roundId)) out.add(member.username);
  for (const name of await roundDeciders(db, roundId)) out.add(name);
  out.add(round.lead);
  for (const action of MEMBER_EVENTS)
    for (const event of await listEvents(db, { subject, action, limit: 100_000 })) {
      const payload = JSON.parse(event.payload) as { lead?: unknown; members?: unknown };
      if (typeof payload.lead === 'string') out.add(payload.lead);
      if (Array.isArray(payload.members))
        for (const name of payload.members) if (typeof name === 'string') out.add(name);
    }
  for (const action of OPINION_EVENTS)
    for (const event of await listEvents(db, { subject, action, limit: 100_000 })) out.add(event.actor);
  return out;
}
