import type { Db } from './db.js';

// A transaction's final steps run after its work, as its last statements before COMMIT. The event
// log appends there: the log head's row lock (taken by the append) is then held for the append and
// the commit alone, never across the work — a blob's fsync and rename, an upload to S3.

interface FinalStep {
  value: unknown;
  run: (value: unknown) => Promise<void>;
}
const finalSteps = new WeakMap<Db, Map<symbol, FinalStep>>();

async function runWithFinalSteps<T>(trx: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  const steps = new Map<symbol, FinalStep>();
  finalSteps.set(trx, steps);
  try {
    const result = await work(trx);
    // A step may add steps of its own (an event recorded while flushing): run until none is left.
    while (steps.size > 0) {
      const [key, step] = steps.entries().next().value as [symbol, FinalStep];
      steps.delete(key);
      await step.run(step.value);
    }
    return result;
  } finally {
    finalSteps.delete(trx);
  }
}

/**
 * Runs work in the caller's transaction if there is one, else in a new one. The outermost call
 * runs the final steps registered during the work (atTransactionEnd) when the work is done; a
 * transaction opened elsewhere gets them at the end of the first inTransaction inside it.
 */
export function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return finalSteps.has(db) ? work(db) : runWithFinalSteps(db, work);
  return db.transaction().execute((trx) => runWithFinalSteps(trx, work));
}

/**
 * The value a final step of this transaction works on (an event buffer): created with the step on
 * first use under `key`, and the step run once with it when the enclosing inTransaction's work is
 * done. Throws outside inTransaction: the step would never run.
 */
export function atTransactionEnd<T>(
  trx: Db,
  key: symbol,
  create: () => T,
  run: (value: T) => Promise<void>,
): T {
  const steps = finalSteps.get(trx);
  if (!steps) throw new Error('this change must run inside inTransaction (src/db/transaction.ts)');
  let step = steps.get(key);
  if (!step) {
    step = { value: create(), run: run as (value: unknown) => Promise<void> };
    steps.set(key, step);
  }
  return step.value as T;
}
