import type { Db } from '../../db/database.js';
import { type AccessContext, scopeIn } from '../../shared/access-context.js';
import { type ArchiveOverview, archiveOverview } from './stats.service.js';

// Counting a million items by category, year and carrier takes about a second on PGlite, and the
// dashboard is everyone's first page. Counts within a scope are kept for FRESH_MS; an older answer
// is still served at once while a fresh count runs behind it, and the page says as of when.

const FRESH_MS = 30_000;
const MAX_SCOPES = 200;

export interface DatedOverview {
  value: ArchiveOverview;
  asOf: Date;
}

interface Entry extends DatedOverview {
  refreshing?: Promise<void>;
}

export class ArchiveCountsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly freshMs = FRESH_MS,
    /** The clock deciding freshness (a test moves it instead of sleeping). */
    private readonly now: () => number = Date.now,
  ) {}

  async get(access: AccessContext): Promise<DatedOverview> {
    // The rows and the 参保人's own ID number decide what is counted; grants only open reads.
    const scope = scopeIn(access);
    const key = scope === null ? 'all' : JSON.stringify([scope.rows, scope.idNumber]);
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.asOf.getTime() < this.freshMs) return entry;
    if (entry) {
      entry.refreshing ??= this.track(this.count(key, access).then(() => undefined)).catch(() => {
        entry.refreshing = undefined;
      });
      return entry;
    }
    return this.track(this.count(key, access));
  }

  /** Waits for counts still running (the server closing). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async count(key: string, access: AccessContext): Promise<DatedOverview> {
    const asOf = new Date(this.now());
    const value = await archiveOverview(this.db, access);
    if (this.entries.size >= MAX_SCOPES && !this.entries.has(key)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const entry = { value, asOf };
    this.entries.set(key, entry);
    return entry;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    return promise.finally(() => this.pending.delete(promise));
  }
}
