import { type CheckContext, checkItemAfterIngest } from './check.service.js';

// The four-property check of each archive a filing path just committed (a push, a scan), run after
// the response so a business system is not kept waiting on file re-reads and the virus scan. The
// report is kept like any other run; close() waits for the checks still running.

export class IngestChecks {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly context: CheckContext,
    private readonly onError: (error: Error) => void,
  ) {}

  schedule(archiveCode: string, actor: string): void {
    const run: Promise<void> = checkItemAfterIngest(this.context, archiveCode, actor)
      .then(
        () => undefined,
        (error: Error) => this.onError(error),
      )
      .finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  async close(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
