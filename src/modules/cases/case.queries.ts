// What other modules read of 核查案件: every case's state for verify (the region decides who sees a
// case; its holds freeze archives), as the log's digests carry it.
export { caseStateRows as caseStates } from './case.repo.js';
