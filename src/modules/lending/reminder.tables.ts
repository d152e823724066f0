// Row shape of the table the loan reminders own (see migration 20261227T120100-loan-reminders).

export interface LoanReminderTable {
  loan_id: number;
  /** Days from the due date: −3 before, 0 on it, 7 overdue. */
  offset_days: number;
  /** The 应还日 reminded of (ISO date): after a renewal the new date is reminded of again. */
  due_on: string;
  sent_at: Date;
  /** Notices sent for it (the borrower, and the archivists when overdue). */
  recipients: number;
}

export interface LoanReminderTables {
  loan_reminder: LoanReminderTable;
}
