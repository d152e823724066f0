// Who holds a permission (the archivists a loan's overdue notice goes to); the SQL is holders.repo.ts.
export { accountsHolding, type Holder } from './holders.repo.js';
