// What other modules read of destruction registers: their states for verify (`register:` records).
export { registerStates } from './destruction.repo.js';
export { recordExpectations } from './destruction.records.js';
