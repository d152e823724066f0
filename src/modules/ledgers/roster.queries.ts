// What the CLI reads of the insured roster; the SQL is roster.repo.ts's, which only ledgers imports.
export { countPeople } from './roster.repo.js';
