import type { Db } from '../../db/database.js';
import type { SigningKey } from '../integrity/checkpoint.service.js';
import type { BlobStore } from '../storage/blob-store.js';
import {
  itemRecordFile,
  recordSigner,
  registerRecordFile,
  writeToEveryReplica,
} from '../storage/shred.records.js';
import type { ShredRecordFile } from '../storage/replica.js';
import { listItemFiles } from '../storage/storage.queries.js';
import { findRegister, type RegisterItemRow, registerRows, signaturesOf } from './destruction.repo.js';

// The replicas' own account of a destruction (review F2, F10): every destroyed item — paper and
// file-less ones too — gets a signed record, pending inside its transaction and final once committed,
// and a carried-out register its signed summary. A restore from a backup older than the destruction
// reads them and neither resurrects the items nor issues the register's number again.

export interface RecordContext {
  db: Db;
  store: BlobStore;
  signingKey: SigningKey;
}

export interface DestroyedItem {
  archiveCode: string;
  register: string;
  title: string;
  destroyedDigest: string;
  files: readonly string[];
  at: Date;
}

/** The item's record as the carry-out writes it (pending inside its transaction, final after). */
export async function itemRecord(db: Db, key: SigningKey, item: DestroyedItem, final: boolean) {
  return itemRecordFile(
    {
      archiveCode: item.archiveCode,
      register: item.register,
      title: item.title,
      destroyedDigest: item.destroyedDigest,
      files: [...item.files],
      destroyedAt: item.at.toISOString(),
      final,
    },
    await recordSigner(db, key),
  );
}

/** A destroyed row's record, final, on every replica (after its transaction committed). */
export async function finalizeRowRecord(
  context: RecordContext,
  register: string,
  row: Pick<RegisterItemRow, 'item_id' | 'archive_code' | 'title' | 'destroyed_digest' | 'destroyed_at'>,
): Promise<void> {
  if (!row.destroyed_digest || !row.destroyed_at) return;
  const files = await listItemFiles(context.db, row.item_id);
  const record = await itemRecord(
    context.db,
    context.signingKey,
    {
      archiveCode: row.archive_code,
      register,
      title: row.title,
      destroyedDigest: row.destroyed_digest,
      files: files.map((file) => file.digest),
      at: new Date(row.destroyed_at),
    },
    true,
  );
  await writeToEveryReplica(context.store, [record]);
}

const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());

/** The carried-out register's signed summary, on every replica (written again by every later run). */
export async function writeRegisterRecord(context: RecordContext, code: string): Promise<void> {
  const register = await findRegister(context.db, code);
  if (register?.state !== 'carried' && register?.state !== 'filed') return;
  const rows = await registerRows(context.db, register.id);
  const signatures = await signaturesOf(context.db, register.id);
  const file: ShredRecordFile = registerRecordFile(
    {
      code: register.code,
      fonds: register.fonds_code,
      year: register.year,
      number: register.number,
      round: register.round_code,
      drawnBy: register.drawn_by,
      approvedBy: register.approved_by,
      signatures: signatures
        .map((signature) => ({
          role: signature.role,
          user: signature.username,
          at: iso(signature.signed_at) as string,
        }))
        .sort((a, b) => `${a.role}${a.user}`.localeCompare(`${b.role}${b.user}`)),
      rows: rows.map((row) => ({
        seq: row.seq,
        archiveCode: row.archive_code,
        state: row.state,
        destroyedDigest: row.destroyed_digest,
      })),
      carriedAt: iso(register.carried_at),
      filed: register.filed_code ? { archiveCode: register.filed_code, digest: register.filed_digest } : null,
    },
    await recordSigner(context.db, context.signingKey),
  );
  await writeToEveryReplica(context.store, [file]);
}

/**
 * For verify: the 档号 whose rows still wait for their records to become final (state 'shredding'),
 * and the registers carried out (each has its summary on every replica).
 */
export async function recordExpectations(db: Db): Promise<{ waiting: Set<string>; registers: string[] }> {
  const waiting = await db
    .selectFrom('destruction_row')
    .select('archive_code')
    .where('state', '=', 'shredding')
    .execute();
  const registers = await db
    .selectFrom('destruction_register')
    .select('code')
    .where('state', 'in', ['carried', 'filed'])
    .orderBy('code')
    .execute();
  return {
    waiting: new Set(waiting.map((row) => row.archive_code)),
    registers: registers.map((row) => row.code),
  };
}
