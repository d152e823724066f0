import { sql } from 'kysely';
import { findUserByName } from '../../src/modules/access/access.repo.js';
import { accessContextOf, loadPrincipal } from '../../src/modules/access/principal.js';
import { createFonds } from '../../src/modules/catalog/fonds.service.js';
import { fileItems } from '../../src/modules/catalog/item.service.js';
import { checkItem } from '../../src/modules/check/check.service.js';
import { logEvent } from '../../src/modules/integrity/event-log.js';
import { addFile } from '../../src/modules/storage/file.service.js';
import { catchUpUses } from '../../src/modules/use/use.follower.js';
import type { PrincipalContext } from '../../src/shared/access-context.js';
import { beijingIso } from '../../src/shared/beijing-time.js';
import { handMadePdf, jpeg, pdf } from './check-files.js';
import { SYSTEM } from './fixture-access.js';
import { FONDS, reimbursement } from './fixtures.js';
import { streamOf, type TestSystem } from './system.js';

// A home whose assessment numbers are known (考核指标, src/modules/kpi): in J013 this year, eight
// items — electronic ones with a verified file, a damaged copy, a failing check, no file, a file never
// checked, incomplete metadata; paper ones with and without a scan — filed timely and late; a use, reads
// and an upheld reading alert and a leak. J014 (Wuxi) holds one item and one leak, outside J013's users.

export const YEAR = Number((beijingIso(new Date()) as string).slice(0, 4));
export const FONDS_2 = { code: 'J014', name: '无锡市锡山区医疗保障局', regionCode: '320205' };
export const READER = 'reader-kpi';
const ACTOR = '档案员张';
const DAY = 86_400_000;
const PAPER = {
  carrier: 'paper',
  paperLocation: { warehouse: '一号库', cabinet: '01', shelf: '2', box: '0003' },
};

export interface KpiHome {
  codes: Record<
    'verified' | 'damaged' | 'failing' | 'bare' | 'unchecked' | 'incomplete' | 'scanned' | 'paper' | 'wuxi',
    string
  >;
  alertHour: Date;
}

export async function buildKpiHome(system: TestSystem): Promise<KpiHome> {
  const db = system.database.db;
  await createFonds(db, FONDS, 'test');
  await createFonds(db, FONDS_2, 'test');
  const now = Date.now();
  const timely = new Date(now - 2 * DAY).toISOString();
  const late = new Date(now - 40 * DAY).toISOString();
  const file = async (overrides: Record<string, unknown>) => {
    const [filed] = await fileItems(
      db,
      [reimbursement({ date: `${YEAR}-01-01`, handledAt: undefined, ...overrides })],
      'test',
      { access: SYSTEM },
    );
    return filed?.archiveCode as string;
  };
  const attach = (code: string, name: string, content: Buffer) =>
    addFile(
      { access: SYSTEM, db, store: system.store },
      code,
      { stream: streamOf(content), fileName: name },
      ACTOR,
    );
  const check = (code: string) => checkItem({ db, store: system.store, virus: {} }, code, ACTOR, SYSTEM);

  const codes = {} as KpiHome['codes'];
  codes.verified = await file({ handledAt: timely });
  await attach(codes.verified, '审核表.pdf', await pdf(1));
  codes.damaged = await file({ handledAt: late });
  await attach(codes.damaged, '审核表.pdf', await pdf(2));
  codes.failing = await file({});
  await attach(codes.failing, '加密.pdf', handMadePdf(true));
  codes.bare = await file({});
  codes.unchecked = await file({});
  await attach(codes.unchecked, '审核表.pdf', await pdf(3));
  codes.incomplete = await file({});
  await attach(codes.incomplete, '审核表.pdf', await pdf(4));
  codes.scanned = await file({ ...PAPER });
  await attach(codes.scanned, '扫描件.jpg', await jpeg());
  codes.paper = await file({ ...PAPER, handledAt: late });
  codes.wuxi = await file({ fonds: 'J014', poolingRegion: '320205', handledAt: timely });
  for (const code of [codes.verified, codes.damaged, codes.failing, codes.incomplete]) await check(code);
  // Behind the services' back, as a fixity audit finding and a category change would leave them.
  await sql`update storage_copy set status = 'corrupt' where digest in (select f.digest from item_file f
    join archive_item i on i.id = f.item_id where i.archive_code = ${codes.damaged}) and replica = 'r2'`.execute(
    db,
  );
  await sql`update archive_item set amount = null where archive_code = ${codes.incomplete}`.execute(db);

  // A use (a loan handed over), and reads: two sensitive reads in one hour by READER (an alert), one file read.
  await logEvent(db, {
    actor: 'clerk-x',
    action: 'loan.requested',
    subject: 'loan:JY2026-000777',
    payload: {
      kind: 'paper',
      items: [codes.scanned],
      purpose: '核对',
      days: 5,
      borrower: { user: 'clerk-x' },
    },
  });
  await logEvent(db, {
    actor: '档案员张',
    action: 'loan.handed_over',
    subject: 'loan:JY2026-000777',
    payload: { items: [codes.scanned], due: `${YEAR + 1}-01-10` },
  });
  for (const code of [codes.verified, codes.damaged])
    await logEvent(db, {
      actor: READER,
      action: 'item.read',
      subject: `item:${code}`,
      payload: { purpose: { kind: 'business', text: '核对' } } as never,
    });
  await logEvent(db, {
    actor: READER,
    action: 'file.read',
    subject: `item:${codes.verified}`,
    payload: {
      fileNumber: 1,
      digest: 'x',
      grantId: null,
      purpose: { kind: 'business', text: '核对' },
      traceId: null,
    } as never,
  });
  await logEvent(db, {
    actor: READER,
    action: 'file.read',
    subject: `item:${codes.wuxi}`,
    payload: {
      fileNumber: 1,
      digest: 'x',
      grantId: null,
      purpose: { kind: 'business', text: '核对' },
      traceId: null,
    } as never,
  });
  await catchUpUses(db);
  return { codes, alertHour: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000) };
}

/** The access context of an account, as a request of it would get. */
export async function contextOf(system: TestSystem, username: string): Promise<PrincipalContext> {
  const db = system.database.db;
  const user = await findUserByName(db, username);
  if (!user) throw new Error(`no user ${username}`);
  const principal = await loadPrincipal(db, user.id, 'session');
  if (!principal) throw new Error(`${username} cannot sign in`);
  return accessContextOf(db, principal);
}
