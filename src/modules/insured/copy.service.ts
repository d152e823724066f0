import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessContext } from '../../shared/access-context.js';
import { YidangError } from '../../shared/errors.js';
import { refuseIdNumberInText } from '../catalog/id-number.js';
import { getItem } from '../catalog/item.service.js';
import { destroyedOfPerson, type OwnDestroyed } from '../catalog/tombstone.js';
import { recordEvents } from '../integrity/event-log.js';
import type { BlobStore } from '../storage/blob-store.js';
import { listFiles } from '../storage/file.service.js';
import { deliverFile } from '../watermark/delivery.service.js';
import { canWatermark } from '../watermark/watermark.js';
import {
  copiesOf,
  copiesSince,
  copiesSinceLocked,
  copyByCode,
  copyOf,
  copyState,
  insertCopy,
} from './insured.repo.js';
import { insuredSelf } from './insured.service.js';

// 复制件: a certified copy of one's own archive. The copy is the item's file watermarked (who, when,
// why) with a verification code (核验码) printed on it; anyone holding the copy can check the code on
// a public page, which shows the 档号, the digest of the copy as issued and whether it is genuine,
// nothing else. Codes are 100 random bits: they cannot be guessed, so the page needs no sign-in.

// Crockford base32 without I, L, O, U (as the watermark's trace ids): typed from paper without mix-ups.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const COPY_CODE_PATTERN = /^HY(-[0-9A-HJKMNP-TV-Z]{5}){4}$/;

/** HY-XXXXX-XXXXX-XXXXX-XXXXX: 20 characters of 5 bits, 100 random bits. */
export function newCopyCode(): string {
  const bytes = crypto.randomBytes(20);
  const chars = [...bytes].map((byte) => ALPHABET[byte & 31]).join('');
  return `HY-${chars.slice(0, 5)}-${chars.slice(5, 10)}-${chars.slice(10, 15)}-${chars.slice(15, 20)}`;
}

/** A code as people type it: lower case, spaces, full-width letters, O for 0 and I/L for 1. */
export function normaliseCopyCode(raw: string): string {
  const plain = raw
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\u2010-\u2015\u2212]/g, (char) => (/\s/.test(char) ? '' : '-'))
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  const body = plain.replace(/^HY-?/, '').replace(/-/g, '');
  const code = body.length === 20 ? `HY-${body.match(/.{5}/g)?.join('-')}` : plain;
  if (!COPY_CODE_PATTERN.test(code))
    throw new YidangError(
      'INSURED_COPY_CODE_INVALID',
      'invalid',
      '核验码格式不正确：应为 HY- 开头的 20 位字母数字，如 HY-7K3M9-QX2P4-8RT6V-1WZ5N',
    );
  return code;
}

export interface CopyView {
  copyNo: string;
  archiveCode: string;
  fileNumber: number;
  fileName: string;
  purpose: string;
  status: 'issued' | 'revoked';
  /** The verification code printed on the copy. */
  code: string;
  digest: string;
  requestedAt: string;
  issuedAt: string;
  /** The archive it copies was destroyed under a 销毁清册 (the copy's content with it); null while it stands. */
  originalDestroyed: { register: string | null; at: string | null } | null;
}

const viewOf = (
  row: Awaited<ReturnType<typeof copiesOf>>[number],
  destroyed?: ReadonlyMap<string, OwnDestroyed>,
): CopyView => ({
  copyNo: row.copy_no,
  archiveCode: row.archive_code,
  fileNumber: row.file_number,
  fileName: row.file_name,
  purpose: row.purpose,
  status: row.status,
  code: row.code,
  digest: row.digest,
  requestedAt: new Date(row.requested_at).toISOString(),
  issuedAt: new Date(row.issued_at).toISOString(),
  originalDestroyed: row.content_destroyed
    ? {
        register: destroyed?.get(row.archive_code)?.register ?? null,
        at: destroyed?.get(row.archive_code)?.destroyedAt.toISOString() ?? null,
      }
    : null,
});

export interface CopyContext {
  db: Db;
  store: BlobStore;
  access: AccessContext;
  /** Copies one person may have issued per Beijing day (YIDANG_INSURED_COPIES_PER_DAY). */
  copiesPerDay?: number;
}

/** Each copy is a whole watermarked file kept (and backed up) as issued: a day's allowance. */
export const DEFAULT_COPIES_PER_DAY = 10;

/** The start of the Beijing calendar day holding `now`. */
function beijingDayStart(now: Date): Date {
  const day = new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
  return new Date(`${day}T00:00:00+08:00`);
}

/**
 * Refuses a copy over the day's allowance, and a second copy of the same file the same day (the
 * first one can be downloaded again): copies are whole files stored for good, so one account in a
 * loop must not fill the database.
 */
function refuseOverLimit(
  today: ReadonlyArray<{ copyNo: string; archiveCode: string; fileNumber: number }>,
  archiveCode: string,
  fileNumber: number,
  perDay: number,
): void {
  const same = today.find((copy) => copy.archiveCode === archiveCode && copy.fileNumber === fileNumber);
  if (same)
    throw new YidangError(
      'INSURED_COPY_LIMIT',
      'conflict',
      `今天已为档案“${archiveCode}”出具复制件 ${same.copyNo}，请在“复制件”中再次下载；同一文件每天限出具一份`,
    );
  if (today.length >= perDay)
    throw new YidangError(
      'INSURED_COPY_LIMIT',
      'conflict',
      `今天已出具 ${today.length} 份复制件，已达每日上限（${perDay} 份），请明天再申请`,
    );
}

/**
 * Issues a certified copy of one of the caller's own archives: the file (the first that can be
 * marked, or the one asked for) watermarked with the code, kept as issued, its digest recorded.
 */
export async function requestCopy(
  context: CopyContext,
  input: { archiveCode: string; fileNumber?: number; purpose: string },
  reader: { displayName: string },
): Promise<CopyView> {
  const self = insuredSelf(context.access);
  const purpose = input.purpose.trim();
  if ([...purpose].length < 2)
    throw new YidangError('VALIDATION_FAILED', 'invalid', '请写明用途（至少2个字），如“办理退休”', [
      { field: 'purpose', message: '至少2个字' },
    ]);
  refuseIdNumberInText('用途', purpose);
  const item = await getItem(context.db, input.archiveCode, self.access);
  // In scope is not enough for staff who are also insured: only a record naming the caller.
  if (item.idNumber !== self.idNumber)
    throw new YidangError('ITEM_NOT_FOUND', 'not_found', `档号“${input.archiveCode.slice(0, 200)}”不存在`);
  const files = await listFiles(context.db, item.archiveCode, self.access);
  const file =
    input.fileNumber === undefined
      ? files.find((one) => canWatermark(one.mediaType))
      : files.find((one) => one.fileNumber === input.fileNumber);
  if (!file || !canWatermark(file.mediaType))
    throw new YidangError(
      'INSURED_COPY_NO_FILE',
      'unprocessable',
      input.fileNumber === undefined
        ? `档案“${item.archiveCode}”没有可加盖核验码的电子文件（PDF 或图片），请到经办窗口申请复制件`
        : `档案“${item.archiveCode}”没有第 ${input.fileNumber} 号可加盖核验码的电子文件（PDF 或图片）`,
    );
  const perDay = context.copiesPerDay ?? DEFAULT_COPIES_PER_DAY;
  const dayStart = beijingDayStart(new Date());
  // Checked before the file is marked (cheap), and again under the person's lock before it is kept.
  refuseOverLimit(
    await copiesSince(context.db, self.personKey, dayStart),
    item.archiveCode,
    file.fileNumber,
    perDay,
  );
  const code = newCopyCode();
  const delivered = await deliverFile(
    { db: context.db, store: context.store, access: self.access },
    item.archiveCode,
    file.fileNumber,
    { username: self.access.username, displayName: reader.displayName },
    { purpose: `复制件 核验码${code}` },
  );
  const content = delivered.body as Buffer;
  const digest = crypto.createHash('sha256').update(content).digest('hex');
  const now = new Date();
  const { copyNo } = await inTransaction(context.db, async (trx) => {
    refuseOverLimit(
      await copiesSinceLocked(trx, self.personKey, dayStart),
      item.archiveCode,
      file.fileNumber,
      perDay,
    );
    const kept = {
      code,
      username: self.access.username,
      person_key: self.personKey,
      archive_code: item.archiveCode,
      file_number: file.fileNumber,
      purpose: purpose.slice(0, 100),
      digest,
      media_type: delivered.mediaType,
      file_name: delivered.fileName,
      content,
    };
    const made = await insertCopy(
      trx,
      kept,
      Number(new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 4)),
    );
    await recordEvents(trx, [
      {
        actor: self.access.username,
        action: 'insured.copy_requested',
        subject: `insured_copy:${made.copyNo}`,
        payload: { item: item.archiveCode, purpose: purpose.slice(0, 100) },
      },
      {
        actor: self.access.username,
        action: 'insured.copy_issued',
        subject: `insured_copy:${made.copyNo}`,
        payload: {
          item: item.archiveCode,
          fileNumber: file.fileNumber,
          digest,
          mediaType: delivered.mediaType,
        },
        // Verify compares this with the row: a copy planted or altered in insured_copy is found.
        state: copyState({ ...kept, copy_no: made.copyNo, status: 'issued' }),
      },
    ]);
    return made;
  });
  const row = await copyOf(context.db, self.personKey, copyNo);
  if (!row) throw new YidangError('INSURED_COPY_NOT_FOUND', 'not_found', `复制件“${copyNo}”不存在`);
  return viewOf(row);
}

/** The caller's own copies, newest first. */
export async function ownCopies(db: Db, access: AccessContext): Promise<CopyView[]> {
  const self = insuredSelf(access);
  const copies = await copiesOf(db, self.personKey, 200);
  // Which register destroyed the archive of a copy whose content went with it, and when.
  const destroyed = copies.some((copy) => copy.content_destroyed)
    ? new Map((await destroyedOfPerson(db, self.access)).map((item) => [item.archiveCode, item]))
    : undefined;
  return copies.map((copy) => viewOf(copy, destroyed));
}

/** One of the caller's own copies with its content as issued; another person's answers as a missing one. */
export async function ownCopyContent(
  db: Db,
  access: AccessContext,
  copyNo: string,
): Promise<CopyView & { content: Buffer; mediaType: string }> {
  const self = insuredSelf(access);
  const row = /^FZ\d{4}-\d{6,}$/.test(copyNo) ? await copyOf(db, self.personKey, copyNo) : undefined;
  if (!row)
    throw new YidangError('INSURED_COPY_NOT_FOUND', 'not_found', `复制件“${copyNo.slice(0, 40)}”不存在`);
  // Its archive was destroyed under a 销毁清册: the copy's content went with it.
  if (row.content_destroyed || row.content.length === 0)
    throw new YidangError(
      'INSURED_COPY_DESTROYED',
      'not_found',
      `复制件“${copyNo}”对应的档案已按销毁清册销毁，复制件内容已一并销毁`,
    );
  return { ...viewOf(row), content: row.content, mediaType: row.media_type };
}

export interface CopyCheck {
  code: string;
  genuine: boolean;
  /** Present only when the code is known. */
  archiveCode: string | null;
  digest: string | null;
  /** Whether the digest given matches the copy as issued (null when none was given). */
  digestMatches: boolean | null;
  /** The archive it copies was destroyed since (lawfully, under a 销毁清册): the copy stays genuine. */
  originalDestroyed: boolean;
  message: string;
}

/**
 * The public check of a code (no sign-in): the 档号, the digest of the copy as issued and whether it
 * is genuine. Given the digest of the copy in hand, also whether it is that copy unaltered.
 */
export async function checkCopy(db: Db, rawCode: string, digest?: string): Promise<CopyCheck> {
  const code = normaliseCopyCode(rawCode);
  const given = digest?.trim().toLowerCase();
  if (given !== undefined && given !== '' && !/^[0-9a-f]{64}$/.test(given))
    throw new YidangError('VALIDATION_FAILED', 'invalid', '摘要应为 64 位十六进制（SHA-256）', [
      { field: 'digest', message: '应为 64 位十六进制' },
    ]);
  const copy = await copyByCode(db, code);
  if (!copy)
    return {
      code,
      genuine: false,
      archiveCode: null,
      digest: null,
      digestMatches: null,
      originalDestroyed: false,
      message: '未找到该核验码：此复制件不是本系统出具的，或核验码输入有误',
    };
  const digestMatches = given ? given === copy.digest : null;
  const genuine = copy.status === 'issued' && digestMatches !== false;
  return {
    code,
    genuine,
    archiveCode: copy.archiveCode,
    digest: copy.digest,
    digestMatches,
    originalDestroyed: copy.originalDestroyed,
    message:
      (copy.status !== 'issued'
        ? '该复制件已作废'
        : digestMatches === false
          ? '核验码有效，但所持文件的摘要与出具时不符：文件已被改动'
          : '核验通过：该复制件由本系统出具') +
      (copy.originalDestroyed ? '；其原件档案已于保管期满后按销毁清册依法销毁' : ''),
  };
}
