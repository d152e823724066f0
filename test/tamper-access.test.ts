import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openMemoryDatabase, openPostgres } from '../src/db/database.js';
import { up as baseline } from '../src/db/migrations/20261220T090000-state-baseline.js';
import { listMigrations, migrateTo, migrateToLatest } from '../src/db/migrator.js';
import { findUserByName } from '../src/modules/access/access.repo.js';
import { approveRequest, rejectRequest, requestAccess } from '../src/modules/access/grant.service.js';
import { accessContextOf, loadPrincipal, type Principal } from '../src/modules/access/principal.js';
import { createApiToken, revokeToken } from '../src/modules/access/session.service.js';
import { changePassword, createUser, setAccess, setDisabled } from '../src/modules/access/user.service.js';
import { listItems } from '../src/modules/catalog/item.repo.js';
import { scopedQuery } from '../src/modules/catalog/item.scope.js';
import { createLogHead } from '../src/modules/integrity/event.repo.js';
import { type VerifyReport, verifyAll } from '../src/modules/verify/verify.service.js';
import { idNumberIndex } from '../src/shared/field-cipher.js';
import { dropEmptyDatabases, freshDatabaseUrl } from './helpers/database.js';
import { validId } from './helpers/fixtures.js';
import { fileOneItem, openTestSystem, type TestSystem } from './helpers/system.js';
import { SYSTEM } from './helpers/fixture-access.js';

// Tampering with the records that decide who sees what and which 档号 comes next — accounts with
// their roles, scope, disabled flag and bound ID number, API tokens, access grants, items' ID blind
// index and sealed ID, and the 档号 counters — behind the system's back must make `verify` fail,
// naming the table's record. Each tamper runs with verify in a transaction that is rolled back.

const PASSWORD = 'Zhanghu#2026jy';
const PATIENT_ID = validId('32011519700101567');
const INSURED_ID = validId('32011519880808123');

let system: TestSystem;
let db: Db;
let hivItem: string;
let ownItem: string;
let secadmin: Principal;
let clerk: Principal;
let liveToken: string;
let revokedToken: string;
/** zhaoyi's token, revoked when the account was disabled. */
let cascadedToken: string;
let approvedGrant: number;
let rejectedRequest: number;

const principal = async (username: string) => {
  const row = await findUserByName(db, username);
  return (await loadPrincipal(db, row?.id as number, 'cli')) as Principal;
};

beforeAll(async () => {
  system = await openTestSystem();
  db = system.database.db;
  // A realistic history: filings (counters advance), accounts created, their access changed, one
  // disabled and enabled again, a password reset, tokens made and revoked, requests decided.
  hivItem = await fileOneItem(system, {
    name: '赵敏',
    title: '赵敏 门诊特殊病种待遇认定表',
    idNumber: PATIENT_ID,
    sensitivity: 'sensitive',
  });
  ownItem = await fileOneItem(system, {
    name: '孙丽',
    title: '孙丽 个人零星医疗费用报销审核表',
    idNumber: INSURED_ID,
  });
  await fileOneItem(system, { name: '周强', idNumber: validId('32011519791111222'), date: '2023-05-06' });
  await createUser(
    db,
    {
      username: 'baomi',
      password: PASSWORD,
      roles: ['secadmin'],
      scope: [{ fondsCode: null, regionCode: null, categoryCode: null }],
    },
    'test',
  );
  await createUser(
    db,
    {
      username: 'wangli',
      password: PASSWORD,
      roles: ['clerk'],
      scope: [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }],
    },
    'test',
  );
  await createUser(
    db,
    { username: 'canbao', password: PASSWORD, roles: ['insured'], idNumber: INSURED_ID },
    'test',
  );
  await createUser(db, { username: 'zhaoyi', password: PASSWORD, roles: ['clerk'], scope: [] }, 'test');
  await setAccess(
    db,
    'wangli',
    {
      roles: ['clerk', 'archivist'],
      scope: [
        { fondsCode: 'J013', regionCode: null, categoryCode: 'JS' },
        { fondsCode: 'J013', regionCode: '320115', categoryCode: null },
      ],
    },
    'baomi',
    { granter: SYSTEM },
  );
  await setAccess(
    db,
    'zhaoyi',
    { roles: ['clerk'], scope: [{ fondsCode: 'J013', regionCode: '320115', categoryCode: null }] },
    'baomi',
    { granter: SYSTEM },
  );
  liveToken = (
    await createApiToken(
      db,
      { username: 'wangli', name: '报销系统', permissions: ['item.read'], days: 30 },
      'baomi',
    )
  ).id;
  revokedToken = (
    await createApiToken(
      db,
      { username: 'wangli', name: '旧系统', permissions: ['item.read'], days: 30 },
      'baomi',
    )
  ).id;
  await revokeToken(db, revokedToken, 'baomi');
  cascadedToken = (
    await createApiToken(
      db,
      { username: 'zhaoyi', name: '对账', permissions: ['item.read'], days: 7 },
      'baomi',
    )
  ).id;
  await setDisabled(db, 'zhaoyi', true, 'baomi');
  await setDisabled(db, 'zhaoyi', false, 'baomi');
  await changePassword(db, 'wangli', 'Xinkouling#2026a', 'baomi');
  secadmin = await principal('baomi');
  clerk = await principal('wangli');
  const asked = await requestAccess(db, clerk, { items: [hivItem], purpose: '核对特殊病种待遇', hours: 24 });
  approvedGrant = (await approveRequest(db, secadmin, asked.id, { hours: 8 })).id;
  const refused = await requestAccess(db, clerk, { items: [hivItem], purpose: '再次核对待遇材料' });
  rejectedRequest = (await rejectRequest(db, secadmin, refused.id, { note: '已有授权' })).id;
});
afterAll(async () => {
  await system?.dispose();
  await dropEmptyDatabases();
});

const verify = (handle: Db = db) =>
  verifyAll({ db: handle, store: system.store, signingKey: system.signingKey });

class RolledBack extends Error {}

async function verifyAfter(tamper: (trx: Db) => Promise<void>): Promise<VerifyReport> {
  let report: VerifyReport | undefined;
  await db
    .transaction()
    .execute(async (trx) => {
      await tamper(trx);
      report = await verify(trx);
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  if (!report) throw new Error('verify did not run');
  return report;
}

/** The single problem a tamper must cause: its kind and the record it names. */
async function expectOnly(tamper: (trx: Db) => Promise<void>, kind: string, record: string) {
  const report = await verifyAfter(tamper);
  expect(report.ok).toBe(false);
  expect(report.problems.map((problem) => [problem.kind, problem.record])).toEqual([[kind, record]]);
  expect(report.problems[0]?.message).toContain(record);
  return report.problems[0]?.message as string;
}

const changed = async (statement: Promise<{ numAffectedRows?: bigint }>) =>
  expect(Number((await statement).numAffectedRows)).toBe(1);

const userId = async (trx: Db, username: string) => (await findUserByName(trx, username))?.id as number;

afterEach(async () => {
  expect((await verify()).problems).toEqual([]);
});

describe('the untouched records', () => {
  it('verify after grants, role and scope changes, tokens, blind-index writes and filings', async () => {
    const report = await verify();
    expect(report.problems).toEqual([]);
    // 4 accounts, 3 tokens, 2 requests and the counters of two sequences (2024 and 2023).
    expect(report.states).toBe(4 + 3 + 2 + 2);
    expect(report.ok).toBe(true);
  });
});

describe('accounts (app_user, user_role, user_scope)', () => {
  it('catches a role granted in SQL', async () => {
    const message = await expectOnly(
      async (trx) => {
        await changed(
          sql`insert into user_role (user_id, role) values (${await userId(trx, 'wangli')}, 'manager')`.execute(
            trx,
          ),
        );
      },
      'user.altered',
      '账户 wangli',
    );
    expect(message).toContain('角色与范围');
    expect(message).toContain('user_role');
  });

  it('catches a scope widened in SQL, row by row (an update and an added row)', async () => {
    await expectOnly(
      async (trx) => {
        await sql`update user_scope set region_code = null where user_id = ${await userId(trx, 'zhaoyi')}`.execute(
          trx,
        );
      },
      'user.altered',
      '账户 zhaoyi',
    );
    await expectOnly(
      async (trx) => {
        await changed(
          sql`insert into user_scope (user_id, fonds_code) values (${await userId(trx, 'canbao')}, 'J013')`.execute(
            trx,
          ),
        );
      },
      'user.altered',
      '账户 canbao',
    );
  });

  it('catches a scope row deleted', async () => {
    await expectOnly(
      async (trx) => {
        await sql`delete from user_scope where user_id = ${await userId(trx, 'wangli')} and category_code = 'JS'`.execute(
          trx,
        );
      },
      'user.altered',
      '账户 wangli',
    );
  });

  it('catches a disabled account enabled in SQL, and a password hash replaced', async () => {
    await expectOnly(
      async (trx) => {
        await changed(sql`update app_user set disabled = true where username = 'zhaoyi'`.execute(trx));
      },
      'user.altered',
      '账户 zhaoyi',
    );
    await expectOnly(
      async (trx) => {
        await changed(
          sql`update app_user set password_hash = (select password_hash from app_user where username = 'zhaoyi')
              where username = 'baomi'`.execute(trx),
        );
      },
      'user.altered',
      '账户 baomi',
    );
  });

  it('catches the first-sign-in flags cleared in SQL (the password or second factor an administrator saw)', async () => {
    await expectOnly(
      async (trx) => {
        await changed(
          sql`update app_user set password_must_change = not password_must_change where username = 'baomi'`.execute(
            trx,
          ),
        );
      },
      'user.altered',
      '账户 baomi',
    );
    await expectOnly(
      async (trx) => {
        await changed(
          sql`update app_user set totp_must_renew = not totp_must_renew where username = 'baomi'`.execute(
            trx,
          ),
        );
      },
      'user.altered',
      '账户 baomi',
    );
  });

  it("catches an insured account bound to another person's ID number (sealed value or blind index)", async () => {
    await expectOnly(
      async (trx) => {
        await changed(
          sql`update app_user set id_number = (select id_number from archive_item where archive_code = ${hivItem})
              where username = 'canbao'`.execute(trx),
        );
      },
      'user.altered',
      '账户 canbao',
    );
    await expectOnly(
      async (trx) => {
        await changed(
          sql`update app_user set id_number_index = ${idNumberIndex(PATIENT_ID)} where username = 'canbao'`.execute(
            trx,
          ),
        );
      },
      'user.altered',
      '账户 canbao',
    );
  });

  it('catches an account inserted and one deleted', async () => {
    await expectOnly(
      async (trx) => {
        await sql`insert into app_user (username, display_name, password_hash, created_by)
          select 'houmen', 'houmen', password_hash, 'intruder' from app_user where username = 'wangli'`.execute(
          trx,
        );
      },
      'user.unlogged',
      '账户 houmen',
    );
    // Its token goes with it (on delete cascade): both are named, the account first.
    const report = await verifyAfter(async (trx) => {
      await changed(sql`delete from app_user where username = 'zhaoyi'`.execute(trx));
    });
    expect(report.problems.map((problem) => [problem.kind, problem.record])).toEqual([
      ['user.missing', '账户 zhaoyi'],
      ['token.missing', `接口令牌 ${cascadedToken}`],
    ]);
  });
});

describe('API tokens (api_token)', () => {
  it('catches a revoked token brought back, permissions widened, a later expiry and another owner', async () => {
    const tampers: Array<[string, ReturnType<typeof sql>]> = [
      [revokedToken, sql`update api_token set revoked_at = null where id = ${revokedToken}`],
      [
        liveToken,
        sql`update api_token set permissions = array['item.read', 'item.unmask'] where id = ${liveToken}`,
      ],
      [
        liveToken,
        sql`update api_token set expires_at = expires_at + interval '10 years' where id = ${liveToken}`,
      ],
      [
        liveToken,
        sql`update api_token set user_id = (select id from app_user where username = 'baomi') where id = ${liveToken}`,
      ],
    ];
    for (const [id, statement] of tampers)
      await expectOnly(async (trx) => changed(statement.execute(trx)), 'token.altered', `接口令牌 ${id}`);
  });

  it('catches a token inserted and one deleted', async () => {
    await expectOnly(
      async (trx) => {
        await sql`insert into api_token (id, user_id, name, secret_hash, permissions, created_by, expires_at)
          select 'ffffffffffffffff', user_id, '后门', secret_hash, permissions, 'intruder', expires_at
          from api_token where id = ${liveToken}`.execute(trx);
      },
      'token.unlogged',
      '接口令牌 ffffffffffffffff',
    );
    await expectOnly(
      async (trx) => changed(sql`delete from api_token where id = ${revokedToken}`.execute(trx)),
      'token.missing',
      `接口令牌 ${revokedToken}`,
    );
  });
});

describe('access grants (access_request, access_request_item)', () => {
  it('catches a grant lengthened, a rejected request approved, and an item added to a grant', async () => {
    await expectOnly(
      async (trx) =>
        changed(
          sql`update access_request set expires_at = expires_at + interval '1 year' where id = ${approvedGrant}`.execute(
            trx,
          ),
        ),
      'grant.altered',
      `查阅申请 ${approvedGrant}`,
    );
    await expectOnly(
      async (trx) =>
        changed(
          sql`update access_request set status = 'approved', expires_at = now() + interval '1 day'
              where id = ${rejectedRequest}`.execute(trx),
        ),
      'grant.altered',
      `查阅申请 ${rejectedRequest}`,
    );
    await expectOnly(
      async (trx) =>
        changed(
          sql`insert into access_request_item (request_id, item_id)
              select ${approvedGrant}, id from archive_item where archive_code = ${ownItem}`.execute(trx),
        ),
      'grant.altered',
      `查阅申请 ${approvedGrant}`,
    );
  });

  it('catches a grant inserted and one deleted', async () => {
    const report = await verifyAfter(async (trx) => {
      await sql`insert into access_request (id, requester_id, purpose, duration_hours, status, decided_by, decided_at, expires_at)
        select 900, requester_id, purpose, 720, 'approved', decided_by, now(), now() + interval '30 days'
        from access_request where id = ${approvedGrant}`.execute(trx);
    });
    expect(report.problems.map((problem) => [problem.kind, problem.record])).toEqual([
      ['grant.unlogged', '查阅申请 900'],
    ]);
    await expectOnly(
      async (trx) => {
        await sql`delete from access_request_item where request_id = ${rejectedRequest}`.execute(trx);
        await changed(sql`delete from access_request where id = ${rejectedRequest}`.execute(trx));
      },
      'grant.missing',
      `查阅申请 ${rejectedRequest}`,
    );
  });
});

describe('档号 counters (archive_sequence)', () => {
  it('catches a counter moved back (the next 档号 would repeat one given out) and one deleted or added', async () => {
    const [counter] = (
      await sql<{ fonds_code: string; sequence_key: string }>`
        select fonds_code, sequence_key from archive_sequence order by sequence_key desc limit 1`.execute(db)
    ).rows;
    const record = `档号计数器 ${counter?.fonds_code}:${counter?.sequence_key}`;
    await expectOnly(
      async (trx) =>
        changed(
          sql`update archive_sequence set last_number = last_number - 1
              where sequence_key = ${counter?.sequence_key}`.execute(trx),
        ),
      'sequence.altered',
      record,
    );
    await expectOnly(
      async (trx) =>
        changed(sql`delete from archive_sequence where sequence_key = ${counter?.sequence_key}`.execute(trx)),
      'sequence.missing',
      record,
    );
    await expectOnly(
      async (trx) =>
        changed(
          sql`insert into archive_sequence (fonds_code, sequence_key, last_number)
              values ('J013', 'J013-JSLX·2030-D30-JSK-{item}', 5)`.execute(trx),
        ),
      'sequence.unlogged',
      '档号计数器 J013:J013-JSLX·2030-D30-JSK-{item}',
    );
  });
});

describe('the ID number blind index and sealed ID on items (archive_item)', () => {
  it("catches the blind index that put another person's HIV record in an insured person's list", async () => {
    const insured = await principal('canbao');
    const own = async (handle: Db) =>
      (
        await listItems(handle, { limit: 10, scope: scopedQuery(await accessContextOf(handle, insured)) })
      ).map((item) => item.archiveCode);
    expect(await own(db)).toEqual([ownItem]);
    const report = await verifyAfter(async (trx) => {
      await changed(
        sql`update archive_item set id_number_index = ${idNumberIndex(INSURED_ID)}
            where archive_code = ${hivItem}`.execute(trx),
      );
      // The attack works on the tables: the record is now in the insured person's list.
      expect((await own(trx)).sort()).toEqual([hivItem, ownItem].sort());
    });
    expect(report.problems.map((problem) => [problem.kind, problem.record])).toEqual([
      ['item.index_altered', `档案 ${hivItem}`],
    ]);
    expect(report.problems[0]?.message).toContain('盲索引');
  });

  it('catches a blind index cleared, and a sealed ID number that no longer opens, without stopping', async () => {
    await expectOnly(
      async (trx) =>
        changed(
          sql`update archive_item set id_number_index = null where archive_code = ${ownItem}`.execute(trx),
        ),
      'item.index_altered',
      `档案 ${ownItem}`,
    );
    const report = await verifyAfter(async (trx) => {
      await changed(
        sql`update archive_item set id_number = 'v1:' || repeat('A', 60) where archive_code = ${hivItem}`.execute(
          trx,
        ),
      );
    });
    expect(report.problems.map((problem) => [problem.kind, problem.record])).toEqual([
      ['item.sealed_altered', `档案 ${hivItem}`],
    ]);
    // The other items were still checked.
    expect(report.items).toBe(3);
  });
});

describe('the state baseline of an upgraded installation', () => {
  it('vouches for records made before the upgrade, and catches a change made after it', async () => {
    const url = await freshDatabaseUrl();
    const database = url ? openPostgres(url) : await openMemoryDatabase();
    try {
      const upgraded = database.db;
      const names = listMigrations();
      const before = names[names.indexOf('20261220T090000-state-baseline') - 1] as string;
      await migrateTo(upgraded, before);
      // What an older version wrote: accounts, a token, a request and a counter, with no state events.
      await createLogHead(upgraded, 'yidang.test/upgrade', 'sha256');
      await sql`insert into fonds (code, name, region_code, archive_code_pattern)
        values ('J013', '南京市江宁区医疗保障局', '320115', '{fonds}-{category}·{year}-{retention}-{org}-{item:4}')`.execute(
        upgraded,
      );
      await sql`insert into archive_sequence values ('J013', 'J013-JSLX·2024-D30-JSK-{item}', 41)`.execute(
        upgraded,
      );
      await sql`insert into app_user (id, username, display_name, password_hash, created_by, disabled)
        values (1, 'laoyonghu', '老用户', 'scrypt$x', 'init', false), (2, 'shenpi', '审批', 'scrypt$y', 'init', true)`.execute(
        upgraded,
      );
      await sql`insert into user_role values (1, 'clerk'), (1, 'reviewer'), (2, 'secadmin')`.execute(
        upgraded,
      );
      await sql`insert into user_scope (user_id, fonds_code, region_code) values (1, 'J013', '320115'), (1, 'J013', null)`.execute(
        upgraded,
      );
      await sql`insert into api_token (id, user_id, name, secret_hash, permissions, created_by, expires_at)
        values ('0123456789abcdef', 1, '旧令牌', '\\x00ff'::bytea, array['item.read'], 'init', now() + interval '1 day')`.execute(
        upgraded,
      );
      await sql`insert into access_request (requester_id, purpose, duration_hours, status, decided_by, decided_at, expires_at)
        values (1, '核对材料', 24, 'approved', 2, now(), now() + interval '1 day')`.execute(upgraded);
      await migrateToLatest(upgraded);
      const report = await verify(upgraded);
      expect(report.problems).toEqual([]);
      expect(report.states).toBe(2 + 1 + 1 + 1);
      const events = await sql<{ action: string; n: number }>`
        select action, count(*)::int as n from integrity_event group by action`.execute(upgraded);
      expect(events.rows).toEqual([{ action: 'state.baseline', n: 5 }]);
      await sql`update user_role set role = 'manager' where user_id = 1 and role = 'reviewer'`.execute(
        upgraded,
      );
      const after = await verify(upgraded);
      expect(after.problems.map((problem) => [problem.kind, problem.record])).toEqual([
        ['user.altered', '账户 laoyonghu'],
      ]);
    } finally {
      await database.close();
    }
  });

  it('gives a live record the same digest as its own events (the frozen shapes match the live ones)', async () => {
    const report = await verifyAfter(async (trx) => {
      await baseline(trx as never);
      const baselined = await sql<{ n: number }>`
        select count(*)::int as n from integrity_event where action = 'state.baseline'`.execute(trx);
      expect(baselined.rows[0]?.n).toBe(4 + 3 + 2 + 2);
      // A baseline over a changed record vouches for the change from then on, as stated.
    });
    expect(report.problems).toEqual([]);
  });
});
