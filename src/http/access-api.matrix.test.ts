// test-engine: either
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPE, type TestUser, testUser } from '../../test/helpers/access.js';
import {
  app,
  BUSINESS_SCOPE,
  call,
  codeUrl,
  db,
  fileDirectly,
  multipartFile,
  OTHER_ID,
  OWN_ID,
  useAccessApi,
} from '../../test/helpers/access-api.js';
import { SYSTEM } from '../../test/helpers/fixture-access.js';
import { reimbursement } from '../../test/helpers/fixtures.js';
import { ADMIN_ROLES, type Permission, ROLE_PERMISSIONS, ROLES, type Role } from '../modules/access/roles.js';
import { updateItem } from '../modules/catalog/item.edit.service.js';
import { getItem } from '../modules/catalog/item.service.js';

// The access layer over HTTP on a real database, part 3: what every role may do to which item
// (role × action × sensitivity × scope × grant). Sensitive (敏感) and restricted (限制) items in a
// user's scope open only under the user's own approved access request (查阅申请), or to the 参保人
// when they are their own record; without one they answer 403 GRANT_REQUIRED and lists show them
// withheld. The shared set-up is in test/helpers/access-api.ts; hostile input is in
// access-api.scope.test.ts.

useAccessApi();

/** Items that differ from the business scope in one part each, and the 参保人's own item elsewhere. */
const KINDS = [
  { kind: 'inside', facts: {}, inBusinessScope: true, ownId: true },
  { kind: 'other fonds', facts: { fonds: 'J014', idNumber: OTHER_ID }, inBusinessScope: false, ownId: false },
  {
    kind: 'other region',
    facts: { poolingRegion: '320116', idNumber: OTHER_ID },
    inBusinessScope: false,
    ownId: false,
  },
  {
    kind: 'other category',
    facts: { category: 'JGJH', extra: {}, idNumber: OTHER_ID },
    inBusinessScope: false,
    ownId: false,
  },
  { kind: 'own ID, other fonds', facts: { fonds: 'J014' }, inBusinessScope: false, ownId: true },
] as const;
type Kind = (typeof KINDS)[number];
const SENSITIVITIES = ['normal', 'sensitive', 'restricted'] as const;
type Sensitivity = (typeof SENSITIVITIES)[number];
const ALL_ROLES = Object.keys(ROLES) as Role[];
/** Before any request is approved, then after each business role's request for its items is. */
const PHASES = ['no grant', 'granted'] as const;
type Phase = (typeof PHASES)[number];

const can = (role: Role, permission: Permission) => ROLE_PERMISSIONS[role].includes(permission);

/** Business roles have BUSINESS_SCOPE, the 参保人 their ID number, administrators everything (and no content permission). */
function inScope(role: Role, kind: Kind): boolean {
  if (role === 'insured') return kind.ownId;
  if (ADMIN_ROLES.includes(role)) return true;
  return kind.inBusinessScope;
}

/** Whether sensitive content in scope is closed to the role in this phase: not its own record, and no grant yet. */
function needsGrant(role: Role, kind: Kind, sensitivity: Sensitivity, phase: Phase): boolean {
  const ownRecord = role === 'insured' && kind.ownId;
  return sensitivity !== 'normal' && inScope(role, kind) && !ownRecord && phase === 'no grant';
}

/** Roles whose in-scope sensitive items need a request: they hold item.read and are not the 参保人. */
const REQUESTERS = ALL_ROLES.filter((role) => can(role, 'item.read') && role !== 'insured');

/**
 * A cell's expected outcome: a status, 'grant' for 403 GRANT_REQUIRED, and for `listed` whether the
 * item is in the list, 'withheld' when it is there with its content withheld.
 */
type Outcome = number | string;
interface Cell {
  read: Outcome;
  listed: boolean | Outcome;
  patch: Outcome;
  versions: Outcome;
  file: Outcome;
  files: Outcome;
  download: Outcome;
}

function expectedCell(role: Role, kind: Kind, sensitivity: Sensitivity, phase: Phase): Cell {
  const inside = inScope(role, kind);
  const closed = needsGrant(role, kind, sensitivity, phase);
  const scoped = (permission: Permission, ok: number): Outcome =>
    !can(role, permission) ? 403 : !inside ? 404 : closed ? 'grant' : ok;
  return {
    read: scoped('item.read', 200),
    listed: !can(role, 'item.read') ? 403 : !inside ? false : closed ? 'withheld' : true,
    patch: scoped('item.update', 200),
    versions: scoped('item.read', 200),
    // Filing out of scope is refused as invalid input (there is nothing to hide yet). Filing a
    // sensitive item needs no grant: the filer is the one who brings its content.
    file: !can(role, 'item.create') ? 403 : inside ? 201 : 400,
    files: scoped('file.read', 200),
    download: scoped('file.read', 200),
  };
}

/**
 * The status, when the error body is the one that status must carry ('grant' for a refusal that asks
 * for an approved request for this very item); otherwise the status with what came instead.
 */
function outcome(response: LightMyRequestResponse, archiveCode?: string, sensitivity?: Sensitivity): Outcome {
  const status = response.statusCode;
  if (status < 300) return status;
  const error = (response.json() as { error?: { code: string; message: string; issues?: unknown[] } }).error;
  if (
    status === 403 &&
    error?.code === 'GRANT_REQUIRED' &&
    sensitivity !== undefined &&
    sensitivity !== 'normal' &&
    // Names the 档号 and the way to ask, never how sensitive the record is.
    error.message.startsWith(`档案“${archiveCode}”须提出查阅申请`)
  )
    return 'grant';
  const fits =
    (status === 403 && error?.code === 'FORBIDDEN') ||
    // Out of scope answers exactly like a 档号 that does not exist.
    (status === 404 && error?.code === 'ITEM_NOT_FOUND' && error.message === `档号“${archiveCode}”不存在`) ||
    (status === 400 && error?.code === 'VALIDATION_FAILED' && /授权范围/.test(JSON.stringify(error)));
  return fits ? status : `${status} ${error?.code}: ${error?.message}`;
}

interface Listed {
  archiveCode: string;
  title: string;
  sensitivity: string;
  idNumber: string | null;
  name: string | null;
  insuredNumber: string | null;
  amount: string | null;
  withheld?: boolean;
}

/** How an item shows in a list: in full (true), or withheld with only its place in the archive. */
function listedOutcome(entry: Listed | undefined, sensitivity: Sensitivity): boolean | string {
  if (!entry) return false;
  if (entry.withheld !== true)
    return entry.title.startsWith('（') ? `unmarked but redacted: ${entry.title}` : true;
  // Only the 档号 (and the parts written in it) and the flag: sensitivity, category or 业务类型 of
  // a record someone may not read can give away a diagnosis.
  const kept = new Set(['id', 'archiveCode', 'fonds', 'year', 'org', 'itemNumber', 'withheld', 'title']);
  const redacted =
    entry.title === '（内容已隐去，须经审批后查阅）' &&
    sensitivity !== 'normal' &&
    Object.entries(entry).every(
      ([key, value]) =>
        kept.has(key) ||
        value === null ||
        value === '' ||
        value === 0 ||
        (typeof value === 'object' && Object.keys(value as object).length === 0),
    );
  return redacted ? 'withheld' : `withheld but shows ${JSON.stringify(entry)}`;
}

describe('role × action × sensitivity × scope × grant', () => {
  const users = new Map<Role, TestUser>();
  let secadmin: TestUser;
  /** `${kind} · ${sensitivity}` → 档号. */
  const items = new Map<string, string>();
  /** The approved request each business role reads under in the granted phase. */
  const grants = new Map<Role, number>();
  const cellKey = (kind: string, sensitivity: string) => `${kind} · ${sensitivity}`;
  /** The 档号 of the matrix items in the role's scope that need a grant. */
  const grantable = (role: Role) =>
    KINDS.filter((kind) => inScope(role, kind)).flatMap((kind) =>
      SENSITIVITIES.filter((sensitivity) => sensitivity !== 'normal').map(
        (sensitivity) => items.get(cellKey(kind.kind, sensitivity)) as string,
      ),
    );

  beforeAll(async () => {
    // Each item is filed normal with one attached file (by an archivist who sees everything), then
    // given its sensitivity: a later upload would itself need a grant.
    const filer = await testUser(db(), { roles: ['archivist'], scope: ALL_SCOPE, username: 'matrix-filer' });
    for (const { kind, facts } of KINDS)
      for (const sensitivity of SENSITIVITIES) {
        const code = await fileDirectly({ ...facts, sensitivity: 'normal' });
        const { payload, contentType } = multipartFile('说明.txt', `${kind} ${sensitivity}`);
        const uploaded = await app.inject({
          method: 'POST',
          url: `${codeUrl(code)}/files`,
          payload,
          headers: { ...filer.headers, 'content-type': contentType },
        });
        expect(uploaded.statusCode, uploaded.body).toBe(201);
        if (sensitivity !== 'normal')
          await updateItem(db(), code, { sensitivity, reason: '定密' }, 'test', { access: SYSTEM });
        items.set(cellKey(kind, sensitivity), code);
      }
    for (const role of ALL_ROLES) {
      const scope = role === 'insured' ? [] : ADMIN_ROLES.includes(role) ? ALL_SCOPE : BUSINESS_SCOPE;
      users.set(
        role,
        await testUser(db(), {
          roles: [role],
          scope,
          username: `matrix-${role}`,
          ...(role === 'insured' ? { idNumber: OWN_ID } : {}),
        }),
      );
    }
    // The approver: a 安全保密员 other than the matrix's own, whose scope covers every item.
    secadmin = await testUser(db(), { roles: ['secadmin'], scope: ALL_SCOPE, username: 'matrix-approver' });
  });

  it('gives the items the sensitivity asked for', async () => {
    for (const { kind } of KINDS)
      for (const sensitivity of SENSITIVITIES) {
        const item = await getItem(db(), items.get(cellKey(kind, sensitivity)) as string, SYSTEM);
        expect(item.sensitivity, cellKey(kind, sensitivity)).toBe(sensitivity);
      }
  });

  async function cells(role: Role, phase: Phase): Promise<void> {
    const user = users.get(role) as TestUser;
    const expected: Record<string, Cell | number> = {
      'GET /integrity/events': can(role, 'integrity.read') ? 200 : 403,
      'GET /users': can(role, 'user.manage') || can(role, 'access.grant') ? 200 : 403,
    };
    const actual: Record<string, Cell | number | string> = {
      'GET /integrity/events': outcome(await call('GET', '/api/v1/integrity/events', user.headers)),
      'GET /users': outcome(await call('GET', '/api/v1/users', user.headers)),
    };

    const list = await call('GET', '/api/v1/items?limit=1000', user.headers);
    const listed =
      list.statusCode === 200
        ? new Map((list.json().items as Listed[]).map((item) => [item.archiveCode, item]))
        : undefined;

    for (const kind of KINDS)
      for (const sensitivity of SENSITIVITIES) {
        const key = cellKey(kind.kind, sensitivity);
        const code = items.get(key) as string;
        const at = (response: LightMyRequestResponse) => outcome(response, code, sensitivity);
        expected[key] = expectedCell(role, kind, sensitivity, phase);
        const patch = await call('PATCH', codeUrl(code), user.headers, {
          title: `${key} 由 ${user.username} 更正（${phase}）`,
          reason: '权限矩阵测试',
        });
        const filed = await call(
          'POST',
          '/api/v1/items',
          user.headers,
          reimbursement({ ...kind.facts, sensitivity, title: `${key} 由 ${user.username} 归档（${phase}）` }),
        );
        const read = await call('GET', codeUrl(code), user.headers);
        actual[key] = {
          read: at(read),
          listed: listed ? listedOutcome(listed.get(code), sensitivity) : outcome(list),
          patch: at(patch),
          versions: at(await call('GET', `${codeUrl(code)}/versions`, user.headers)),
          // Filing a sensitive item answers 201 with it (masked) although the filer holds no grant yet.
          file: outcome(filed),
          files: at(await call('GET', `${codeUrl(code)}/files`, user.headers)),
          download: at(await call('GET', `${codeUrl(code)}/files/1`, user.headers)),
        };
        if (read.statusCode === 200) expect(read.json()).toMatchObject({ archiveCode: code, sensitivity });
        if (read.statusCode === 200) expect(read.json().withheld, key).toBeUndefined();
        if (filed.statusCode === 201)
          expect(filed.json()).toMatchObject({ createdBy: user.username, sensitivity });
        if (patch.statusCode === 200) expect(patch.json().updatedBy).toBe(user.username);
        // A refusal shows nothing of the item.
        for (const refused of [read, patch])
          if (refused.statusCode === 403) expect(refused.body, key).not.toContain('王建国');
      }
    expect(actual).toEqual(expected);
  }

  describe('no grant', () => {
    it.each(ALL_ROLES)('%s: every cell answers as its permissions, scope and (no) grants say', (role) =>
      cells(role, 'no grant'),
    );

    it('keeps withheld items withheld in an unmasked list, and logs no unmasking of them', async () => {
      const reviewer = users.get('reviewer') as TestUser;
      const sensitive = items.get(cellKey('inside', 'sensitive')) as string;
      const normal = items.get(cellKey('inside', 'normal')) as string;
      const response = await call(
        'GET',
        `/api/v1/items?limit=1000&unmask=true&purpose=${encodeURIComponent('核对未脱敏信息')}`,
        reviewer.headers,
      );
      expect(response.statusCode).toBe(200);
      const listed = new Map((response.json().items as Listed[]).map((item) => [item.archiveCode, item]));
      expect(listedOutcome(listed.get(sensitive), 'sensitive')).toBe('withheld');
      expect(listed.get(normal)?.idNumber).toBe(OWN_ID);
      expect(listed.get(normal)?.withheld).toBeUndefined();
      const auditor = users.get('auditor') as TestUser;
      const unmasked = async (code: string) =>
        (
          await call(
            'GET',
            `/api/v1/integrity/events?action=item.unmasked&subject=${encodeURIComponent(`item:${code}`)}`,
            auditor.headers,
          )
        ).json().events as Array<{ actor: string }>;
      expect((await unmasked(normal)).map((event) => event.actor)).toEqual([reviewer.username]);
      // A withheld entry disclosed nothing, so it leaves no item.unmasked (nor counts in reading alerts).
      expect(await unmasked(sensitive)).toEqual([]);
    });
  });

  describe('granted', () => {
    beforeAll(async () => {
      for (const role of REQUESTERS) {
        const user = users.get(role) as TestUser;
        const asked = await call('POST', '/api/v1/access-requests', user.headers, {
          items: grantable(role),
          purpose: `权限矩阵测试（${role}）`,
        });
        expect(asked.statusCode, asked.body).toBe(201);
        // A restricted item in the request limits it to a day.
        expect(asked.json()).toMatchObject({ status: 'pending', hours: 24 });
        const approved = await call(
          'POST',
          `/api/v1/access-requests/${asked.json().id}/approve`,
          secadmin.headers,
          {},
        );
        expect(approved.statusCode, approved.body).toBe(200);
        expect(approved.json()).toMatchObject({ status: 'approved', decidedBy: secadmin.username });
        grants.set(role, asked.json().id);
      }
    });

    it('grants every business role that reads a request for each of its in-scope sensitive items', () => {
      expect([...grants.keys()].sort()).toEqual(['archivist', 'clerk', 'manager', 'reviewer', 'supervisor']);
      for (const role of REQUESTERS) expect(grantable(role)).toHaveLength(2);
    });

    it.each(ALL_ROLES)('%s: every cell answers as for a normal item', (role) => cells(role, 'granted'));
  });

  it('records each read of a sensitive item by username, under the grant it was made under', async () => {
    const auditor = users.get('auditor') as TestUser;
    const events = async (action: string, code: string) => {
      const response = await call(
        'GET',
        `/api/v1/integrity/events?action=${action}&limit=1000&subject=${encodeURIComponent(`item:${code}`)}`,
        auditor.headers,
      );
      expect(response.statusCode).toBe(200);
      return (
        response.json().events as Array<{ actor: string; payload: { grantId: number | null } | string }>
      )
        .map((event) => {
          const payload = typeof event.payload === 'string' ? JSON.parse(event.payload) : event.payload;
          return `${event.actor} grant=${payload.grantId}`;
        })
        .sort();
    };
    for (const kind of KINDS)
      for (const sensitivity of SENSITIVITIES.filter((value) => value !== 'normal')) {
        const code = items.get(cellKey(kind.kind, sensitivity)) as string;
        // Only reads that succeeded are events: under the grant, or (参保人) of one's own record.
        const expectedReads = (permission: Permission) =>
          PHASES.flatMap((phase) =>
            ALL_ROLES.filter(
              (role) =>
                can(role, permission) && inScope(role, kind) && !needsGrant(role, kind, sensitivity, phase),
            ).map((role) => `matrix-${role} grant=${grants.get(role) ?? null}`),
          ).sort();
        const label = cellKey(kind.kind, sensitivity);
        expect(await events('item.read', code), label).toEqual(expectedReads('item.read'));
        expect(await events('file.read', code), label).toEqual(expectedReads('file.read'));
      }
    // A normal item's reads are not logged one by one.
    const normal = items.get(cellKey('inside', 'normal')) as string;
    const quiet = await call(
      'GET',
      `/api/v1/integrity/events?action=item.read&subject=${encodeURIComponent(`item:${normal}`)}`,
      auditor.headers,
    );
    expect(quiet.json().events).toEqual([]);
  });
});
