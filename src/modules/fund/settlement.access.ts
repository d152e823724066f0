import type { AccessContext } from '../../shared/access-context.js';

// Settlement data is read with fund.read and changed (import, push, generate) with fund.import; a
// system context (tests, benchmarks) holds both.

export function authorizeFund(access: AccessContext, permission: 'fund.read' | 'fund.import'): void {
  if (access.kind === 'principal') access.authorize(permission);
}
