// What other modules read of the insured module: the certified copies' states, which verify compares
// with the digests insured.copy_issued put in the log (a planted or altered copy is found).
export { copyStates, forgetCopyContent } from './insured.repo.js';
