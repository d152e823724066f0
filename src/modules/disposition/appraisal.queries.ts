import type { Db } from '../../db/database.js';

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
