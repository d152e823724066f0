// What the CLI reads of the insured roster; the SQL is roster.repo.ts's, which only ledgers imports.
export { countPeople, type OwnRosterRecords, ownRosterRecords } from './roster.repo.js';
