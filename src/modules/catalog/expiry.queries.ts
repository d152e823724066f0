// What other modules (disposition) read and do of the expiry list: the summary, the items due, the
// dashboard's count, the refresh, and extending an item's retention after an appraisal.
export { type ExtendedItem, extendRetention, type RetentionExtension } from './expiry.extend.js';
export {
  categoryBranchIds,
  type DueItem,
  dueCounts,
  dueItems,
  dueItemKeys,
  type ItemDue,
  itemsDueState,
  dueWithinYear,
  type ExpiryListFilter,
  type ExpiryRefresh,
  type ExpirySummaryEntry,
  expirySummary,
  extendsRetention,
  refreshExpiry,
  yearsKept,
} from './expiry.service.js';
