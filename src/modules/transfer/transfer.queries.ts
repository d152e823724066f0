// What other modules read of transfer batches: every batch's logged state (verify, `transfer:`).
export { batchStates } from './transfer.repo.js';
