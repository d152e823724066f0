// What other modules read of the kpi module: the incidents' states, for verify (src/modules/verify).
export { incidentStateRows as incidentStates } from './kpi.repo.js';
