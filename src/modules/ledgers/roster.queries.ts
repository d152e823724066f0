// What the CLI reads of the insured roster; the SQL is roster.repo.ts's, which only ledgers imports.
export { countPeople, type OwnRosterRecords, ownRosterRecords } from './roster.repo.js';
// What the FHIR interface reads of it (Patient, Coverage, Claim), always within the caller's regions.
export {
  type RosterEnrollmentRow,
  type RosterPersonRow,
  type RosterSettlementRow,
  rosterEnrollments,
  rosterPeople,
  rosterSettlements,
} from './roster.read.repo.js';
// What the forecasts read of it: the monthly enrollment in force, within the caller's regions.
export { type EnrollmentMonth, rosterEnrollmentSeries } from './roster.series.repo.js';
