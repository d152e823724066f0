// What other modules read of transfer batches: every batch's logged state (verify, `transfer:`), and
// the items on an open batch (a destruction register refuses them).
export { batchStates, itemsOnOpenBatchesSql } from './transfer.repo.js';
