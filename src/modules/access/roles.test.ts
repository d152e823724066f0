import { describe, expect, it } from 'vitest';
import { YidangError } from '../../shared/errors.js';
import {
  ADMIN_ROLES,
  CONTENT_PERMISSIONS,
  checkRoles,
  isPermission,
  isRole,
  type PERMISSIONS,
  permissionsOf,
  ROLE_PERMISSIONS,
  ROLES,
  type Role,
} from './roles.js';

// Roles and 三员分立: the three administrative roles are held alone, never together, never with a
// business role; none touches archive content and none does another's duty.

function refusal(roles: string[]): YidangError {
  try {
    checkRoles(roles);
  } catch (error) {
    expect(error).toBeInstanceOf(YidangError);
    return error as YidangError;
  }
  throw new Error(`roles ${roles.join(',')} were accepted`);
}

const ALL_ROLES = Object.keys(ROLES) as Role[];
const BUSINESS_ROLES = ALL_ROLES.filter((role) => !ADMIN_ROLES.includes(role));

describe('checkRoles', () => {
  it('accepts business roles together, trims and removes duplicates', () => {
    expect(checkRoles(['clerk', 'reviewer'])).toEqual(['clerk', 'reviewer']);
    expect(checkRoles([' clerk ', 'clerk', ''])).toEqual(['clerk']);
    expect(checkRoles(BUSINESS_ROLES)).toEqual(BUSINESS_ROLES);
  });

  it('accepts no role at all (an account waiting for its grant)', () => {
    expect(checkRoles([])).toEqual([]);
    expect(checkRoles(['  '])).toEqual([]);
  });

  it('accepts each administrative role alone', () => {
    for (const role of ADMIN_ROLES) expect(checkRoles([role])).toEqual([role]);
  });

  it('refuses unknown roles, including inherited property names', () => {
    for (const unknown of ['root', 'Clerk', 'toString', '__proto__', 'constructor']) {
      const error = refusal(['clerk', unknown]);
      expect(error.code, unknown).toBe('ROLE_UNKNOWN');
      expect(error.kind).toBe('invalid');
      expect(error.message).toContain(unknown);
    }
  });

  it('refuses two administrative roles on one account', () => {
    for (const [first, second] of [
      ['sysadmin', 'secadmin'],
      ['sysadmin', 'auditor'],
      ['secadmin', 'auditor'],
    ] as const) {
      const error = refusal([first, second]);
      expect(error.code).toBe('ROLES_SEPARATED');
      expect(error.message).toContain(ROLES[first]);
      expect(error.message).toContain(ROLES[second]);
    }
    expect(refusal([...ADMIN_ROLES]).code).toBe('ROLES_SEPARATED');
  });

  it('refuses an administrative role with any business role', () => {
    for (const admin of ADMIN_ROLES)
      for (const business of BUSINESS_ROLES) {
        const error = refusal([admin, business]);
        expect(error.code, `${admin}+${business}`).toBe('ROLES_SEPARATED');
        expect(error.kind).toBe('invalid');
      }
  });
});

describe('role permissions', () => {
  it('every role and permission named is known', () => {
    expect(Object.keys(ROLE_PERMISSIONS).sort()).toEqual([...ALL_ROLES].sort());
    for (const permissions of Object.values(ROLE_PERMISSIONS))
      for (const permission of permissions) expect(isPermission(permission), permission).toBe(true);
    for (const permission of CONTENT_PERMISSIONS) expect(isPermission(permission)).toBe(true);
    expect(isRole('clerk')).toBe(true);
    expect(isRole('toString')).toBe(false);
    expect(isPermission('hasOwnProperty')).toBe(false);
  });

  it('no administrative role holds a content permission', () => {
    expect(CONTENT_PERMISSIONS).toEqual(
      expect.arrayContaining(['item.create', 'item.read', 'item.update', 'file.add', 'file.read']),
    );
    for (const role of ADMIN_ROLES) {
      const held = permissionsOf([role]);
      for (const permission of CONTENT_PERMISSIONS)
        expect(held.has(permission), `${role} ${permission}`).toBe(false);
    }
  });

  it('each administrative duty belongs to exactly one role', () => {
    const holders = (permission: keyof typeof PERMISSIONS) =>
      ALL_ROLES.filter((role) => ROLE_PERMISSIONS[role].includes(permission));
    expect(holders('user.manage')).toEqual(['sysadmin']);
    expect(holders('access.grant')).toEqual(['secadmin']);
    expect(holders('audit.read')).toEqual(['auditor']);
  });

  it('基金监管 permissions go to the supervisor (managers read the results); no administrative role holds one', () => {
    const holders = (permission: keyof typeof PERMISSIONS) =>
      ALL_ROLES.filter((role) => ROLE_PERMISSIONS[role].includes(permission));
    expect(holders('fund.read')).toEqual(['manager', 'supervisor']);
    expect(holders('fund.import')).toEqual(['supervisor']);
    expect(holders('fund.rules')).toEqual(['supervisor']);
    expect(holders('case.work')).toEqual(['supervisor']);
    expect(holders('kpi.read')).toEqual(['archivist', 'manager', 'supervisor']);
    for (const permission of ['fund.read', 'fund.import', 'fund.rules', 'case.work'] as const)
      expect(CONTENT_PERMISSIONS).toContain(permission);
    expect(() => checkRoles(['supervisor', 'auditor'])).toThrow(/三员分立/);
  });

  it('disposition permissions go to the roles the plan names; only holds reach the auditor', () => {
    const holders = (permission: keyof typeof PERMISSIONS) =>
      ALL_ROLES.filter((role) => ROLE_PERMISSIONS[role].includes(permission));
    expect(holders('hold.manage')).toEqual(['archivist', 'supervisor', 'auditor']);
    expect(holders('appraisal.work')).toEqual(['reviewer', 'archivist', 'manager']);
    expect(holders('destruction.approve')).toEqual(['manager']);
    expect(holders('destruction.witness')).toEqual(['reviewer', 'archivist', 'manager']);
    expect(holders('destruction.carry')).toEqual(['archivist']);
    expect(CONTENT_PERMISSIONS).not.toContain('hold.manage');
    for (const permission of [
      'appraisal.work',
      'destruction.approve',
      'destruction.witness',
      'destruction.carry',
    ] as const)
      expect(CONTENT_PERMISSIONS).toContain(permission);
  });

  it('each administrative role lacks the other two roles’ duties', () => {
    const duties: Record<string, keyof typeof PERMISSIONS> = {
      sysadmin: 'user.manage',
      secadmin: 'access.grant',
      auditor: 'audit.read',
    };
    for (const role of ADMIN_ROLES)
      for (const [other, duty] of Object.entries(duties)) {
        expect(permissionsOf([role]).has(duty), `${role} ${duty}`).toBe(role === other);
      }
  });

  it('business roles can read archives but none can manage accounts or grant access', () => {
    for (const role of BUSINESS_ROLES) {
      const held = permissionsOf([role]);
      expect(held.has('item.read'), role).toBe(true);
      for (const duty of ['user.manage', 'access.grant', 'audit.read', 'storage.manage'] as const)
        expect(held.has(duty), `${role} ${duty}`).toBe(false);
    }
  });

  it('permissionsOf is the union of the roles’ permissions', () => {
    const union = permissionsOf(['manager', 'insured']);
    expect([...union].sort()).toEqual([
      'appraisal.work',
      'catalog.read',
      'destruction.approve',
      'destruction.witness',
      'file.read',
      'fund.read',
      'item.read',
      'item.unmask',
      'kpi.read',
      'loan.approve',
      'loan.request',
      'use.stats',
    ]);
    expect(permissionsOf([]).size).toBe(0);
  });
});
