// What other modules read of accounts, tokens and access requests (verify's state digests, the
// console's counts, the system opener's sealing of legacy ID numbers); the SQL is access's repos'.
export {
  type ActiveGrant,
  countPendingRequests,
  grantedItemIds,
  grantedItemIdsSql,
  type RequestStatus,
} from './grant.repo.js';
export { type ActorProfile, actorProfiles } from './principal.repo.js';
export { hasSealedUserIdNumbers, sealPlainUserIdNumbers } from './sealing.repo.js';
export { requestStates, tokenStates, userStates } from './state.repo.js';
