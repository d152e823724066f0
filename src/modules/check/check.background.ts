import { type CheckContext, checkItemAfterIngest } from './check.service.js';

// The four-property check of each archive a filing path just committed (a push, a scan), run after
// the response so a business system is not kept waiting on file re-reads and the virus scan. One
// check at a time (each re-reads files and may start clamscan, which loads its whole database); an
// archive already waiting is not queued twice. close() waits for the queue to empty.

export class IngestChecks {
  private readonly waiting: Array<{ archiveCode: string; actor: string }> = [];
  private readonly queued = new Set<string>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly context: CheckContext,
    private readonly onError: (error: Error) => void,
  ) {}

  schedule(archiveCode: string, actor: string): void {
    if (this.queued.has(archiveCode)) return;
    this.queued.add(archiveCode);
    this.waiting.push({ archiveCode, actor });
    this.running ??= this.work();
  }

  private async work(): Promise<void> {
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      this.queued.delete(next.archiveCode);
      await checkItemAfterIngest(this.context, next.archiveCode, next.actor).catch((error: Error) =>
        this.onError(error),
      );
    }
    this.running = undefined;
  }

  async close(): Promise<void> {
    while (this.running) await this.running;
  }
}
