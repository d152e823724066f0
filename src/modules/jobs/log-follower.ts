import type { NamedLease } from './job.runtime.js';

// The loop every follower of the event log runs in a server (the search indexer, the use register,
// the insured views): a pass under a named lease, again soon while it reports a backlog, else every
// idleMs; errors go to onError and the loop goes on; stop waits for the pass in flight and releases.

export interface LogFollower {
  stop(): Promise<void>;
}

export interface LogFollowerOptions {
  idleMs?: number;
  lease?: NamedLease;
  onError?: (error: Error) => void;
}

/** Runs `pass` (true: more is waiting) while this server holds the lease, or always without one. */
export function startLogFollower(
  pass: () => Promise<boolean>,
  options: LogFollowerOptions = {},
): LogFollower {
  const idleMs = options.idleMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const once = async () => {
    let delay = idleMs;
    try {
      if (!options.lease || (await options.lease.hold())) if (await pass()) delay = 20;
    } catch (error) {
      options.onError?.(error as Error);
    }
    if (!stopped) schedule(delay);
  };
  const schedule = (delay: number) => {
    timer = setTimeout(() => {
      running = once();
    }, delay);
    timer.unref();
  };
  schedule(0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await options.lease?.release().catch(() => {});
    },
  };
}
