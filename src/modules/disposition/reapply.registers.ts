import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { recordEvent } from '../integrity/event-log.js';
import type { VerifiedRegisterRecord } from '../storage/shred.js';

// After a restore (review F10): a register the replicas' records name keeps its number issued —
// the fonds' year sequence is moved past it, so the next draw never hands out XH-… again — and one
// the restored database does not hold is logged from its signed summary (a read-only record of the
// register, the rows' 档号 as a digest), and reported.

const CODE = /^XH-(.+)-(\d{4})-(\d+)$/;

/** The rows' 档号 as one digest (sorted, one per line), as destruction.drawn logs them. */
const digestOfCodes = (codes: readonly string[]) =>
  `sha256:${crypto
    .createHash('sha256')
    .update([...codes].sort().join('\n'))
    .digest('hex')}`;

/** Returns the codes of the registers that exist only in the replicas' records. */
export async function bumpRegisterNumbers(
  db: Db,
  summaries: readonly VerifiedRegisterRecord[],
  namedByItems: readonly string[],
  actor = 'system:restore',
): Promise<string[]> {
  const numbers = new Map<string, { fonds: string; year: number; number: number }>();
  for (const code of namedByItems) {
    const match = CODE.exec(code);
    if (match)
      numbers.set(code, { fonds: match[1] as string, year: Number(match[2]), number: Number(match[3]) });
  }
  for (const summary of summaries)
    numbers.set(summary.code, { fonds: summary.fonds, year: summary.year, number: summary.number });
  if (numbers.size === 0) return [];
  const codes = [...numbers.keys()].sort();
  return inTransaction(db, async (trx) => {
    for (const code of codes) {
      const { fonds, year, number } = numbers.get(code) as { fonds: string; year: number; number: number };
      await sql`insert into destruction_sequence (fonds_code, year, last_number) values (${fonds}, ${year}, ${number})
        on conflict (fonds_code, year)
        do update set last_number = greatest(destruction_sequence.last_number, excluded.last_number)`.execute(
        trx,
      );
    }
    const held = await trx
      .selectFrom('destruction_register')
      .select('code')
      .where(sql<boolean>`code = any(${codes}::text[])`)
      .execute();
    const known = new Set(held.map((row) => row.code));
    const missing = codes.filter((code) => !known.has(code));
    for (const summary of summaries) {
      if (known.has(summary.code)) continue;
      recordEvent(trx, {
        actor,
        action: 'destruction.recovered',
        subject: `register:${summary.code}`,
        payload: {
          fonds: summary.fonds,
          round: summary.round,
          approvedBy: summary.approvedBy,
          witnesses: summary.signatures.filter((s) => s.role === 'witness').map((s) => s.user),
          items: summary.rows.length,
          itemsDigest: digestOfCodes(summary.rows.map((row) => row.archiveCode)),
          filed: summary.filed,
          carriedAt: summary.carriedAt,
          replicas: summary.replicas,
        },
      });
    }
    return missing;
  });
}
