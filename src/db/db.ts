import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema.js';

// The handle's type alone. The kernel's event log names it from here, not from database.ts: opening
// a database runs the migrations, and a migration appends to the log (a circle of imports otherwise).

/** A database handle or an open transaction: services take either, so callers decide the transaction. */
export type Db = Kysely<DatabaseSchema>;
