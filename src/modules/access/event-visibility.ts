import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { ItemScope } from '../../shared/access-context.js';
import { itemCodeWithin } from '../catalog/item.queries.js';
import { firstPayloadField } from '../integrity/event.queries.js';

// Which events of the log a scoped reader (an archivist without audit.read) may see. The log itself
// (integrity, the kernel) knows nothing of scopes: it takes this condition from here.

export interface EventReader {
  username: string;
  scope: ItemScope;
}

/**
 * The events a scoped reader may see: about an item in their scope, a fonds or digitization batch
 * their scope reaches, the shared catalog (categories, retention), or their own doing; stored files
 * and fixity runs for a scope over everything. Accounts, tokens, keys, backups, access requests and
 * other users' reconciliations are not tied to a scope and stay out.
 */
export function eventVisibleTo(reader: EventReader, alias = 'e'): RawBuilder<SqlBool> {
  const subject = sql.ref(`${alias}.subject`);
  const fondsRows = reader.scope.rows;
  const anyFonds = fondsRows.some((row) => row.fondsCode === null);
  const fondsCodes = [
    ...new Set(fondsRows.flatMap((row) => (row.fondsCode === null ? [] : [row.fondsCode]))),
  ];
  const inFonds = (column: RawBuilder<unknown>) =>
    anyFonds
      ? sql`${column} is not null`
      : fondsCodes.length > 0
        ? sql`${column} in (${sql.join(fondsCodes)})`
        : sql`false`;
  // A digitization batch's fonds is the one it was created in (scan_batch.created carries it, and a
  // batch never changes fonds): read from the log, so this layer needs nothing of scan's tables.
  const batchFonds = firstPayloadField(subject, 'scan_batch.created', 'fondsCode');
  // Stored files are shared by content across items: their events are for a scope over everything.
  const everything = fondsRows.some(
    (row) => row.fondsCode === null && row.regionPrefix === null && row.categoryIds === null,
  )
    ? sql`true`
    : sql`false`;
  return sql<SqlBool>`(${sql.ref(`${alias}.actor`)} = ${reader.username}
    or (${subject} like 'item:%' and ${itemCodeWithin(sql`substr(${subject}, 6)`, reader.scope)})
    or (${subject} like 'fonds:%' and ${inFonds(sql`substr(${subject}, 7)`)})
    or (${subject} like 'scan_batch:%' and ${inFonds(batchFonds)})
    or ${subject} like 'category:%' or ${subject} like 'retention:%'
    or (${everything} and (${subject} like 'blob:%' or ${subject} like 'fixity:%' or ${subject} like 'verify-run:%')))`;
}
