import http from 'node:http';

// The load generator of bench/load.ts: closed-loop virtual clients over keep-alive connections
// (node:http, no think time, as autocannon runs them), each doing one operation after another from
// the mix until the window ends; per kind the operations completed in the window, their latencies
// and their failures. An operation may be several HTTP calls (a filing is the item, then its file).

export type Kind = 'search' | 'filing' | 'listing';
export const KINDS: readonly Kind[] = ['search', 'filing', 'listing'];

export interface Reply {
  status: number;
  body: Buffer;
}

export class HttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  readonly url: URL;
  calls = 0;

  constructor(
    base: string,
    private readonly token: string,
    private readonly timeoutMs = 120_000,
  ) {
    this.url = new URL(base);
  }

  request(method: string, path: string, body?: { type: string; data: Buffer | string }): Promise<Reply> {
    this.calls++;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${this.token}` };
      if (body) {
        headers['content-type'] = body.type;
        headers['content-length'] = Buffer.byteLength(body.data);
      }
      const request = http.request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers,
          timeout: this.timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body?.data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** What an operation reports: failed when any of its calls did not answer 2xx. */
export interface Outcome {
  ok: boolean;
  /** For a failure: status and the start of the answer (or the network error). */
  problem?: string;
}

/** One virtual client's next operation; `client` is its number, so each client can keep state. */
export type NextOperation = (client: number) => { kind: Kind; run: () => Promise<Outcome> };

export interface KindFigures {
  count: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  /** A few distinct failures, to say what went wrong. */
  problems: string[];
}

export interface LoadFigures {
  clients: number;
  seconds: number;
  total: KindFigures & { httpPerSecond: number };
  kinds: Record<Kind, KindFigures>;
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

/**
 * Runs `clients` closed loops: `settle` seconds to reach a steady state (clients start together),
 * then a window of `seconds` in which every operation that finishes is counted, whenever it began;
 * `onWindow` is told when the window opens and closes (to read CPU counters over the same span).
 */
export async function runLoad(
  clients: number,
  seconds: number,
  next: NextOperation,
  transport: HttpClient,
  options: { settle?: number; onWindow?: (edge: 'open' | 'close') => void } = {},
): Promise<LoadFigures> {
  const latencies: Record<Kind, number[]> = { search: [], filing: [], listing: [] };
  const errors: Record<Kind, number> = { search: 0, filing: 0, listing: 0 };
  const problems: Record<Kind, Set<string>> = { search: new Set(), filing: new Set(), listing: new Set() };
  const settle = (options.settle ?? 0) * 1000;
  const opens = performance.now() + settle;
  const closes = opens + seconds * 1000;
  let calls = 0;
  // Awaited with the clients, so the window's end is always read (a client may finish first).
  const edges = [
    new Promise<void>((resolve) =>
      setTimeout(() => {
        calls = -transport.calls;
        options.onWindow?.('open');
        resolve();
      }, settle),
    ),
    new Promise<void>((resolve) =>
      setTimeout(
        () => {
          calls += transport.calls;
          options.onWindow?.('close');
          resolve();
        },
        settle + seconds * 1000,
      ),
    ),
  ];
  await Promise.all([
    ...edges,
    ...Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < closes) {
        const operation = next(client);
        const begun = performance.now();
        const outcome = await operation
          .run()
          .catch(
            (error: unknown): Outcome => ({ ok: false, problem: `network: ${(error as Error).message}` }),
          );
        const ended = performance.now();
        if (ended < opens || ended > closes) continue;
        if (outcome.ok) latencies[operation.kind].push(ended - begun);
        else {
          errors[operation.kind]++;
          const seen = problems[operation.kind];
          if (seen.size < 5 && outcome.problem) seen.add(outcome.problem.slice(0, 200));
        }
      }
    }),
  ]);
  const figures = (sorted: number[], failed: number, seen: Iterable<string>): KindFigures => ({
    count: sorted.length,
    perSecond: sorted.length / seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    errors: failed,
    problems: [...seen],
  });
  const kinds = {} as Record<Kind, KindFigures>;
  for (const kind of KINDS)
    kinds[kind] = figures(
      latencies[kind].sort((a, b) => a - b),
      errors[kind],
      problems[kind],
    );
  const all = KINDS.flatMap((kind) => latencies[kind]).sort((a, b) => a - b);
  const failed = KINDS.reduce((sum, kind) => sum + errors[kind], 0);
  return {
    clients,
    seconds,
    total: { ...figures(all, failed, []), httpPerSecond: calls / seconds },
    kinds,
  };
}

/** An operation made of calls that must each answer 2xx. */
export function expectOk(reply: Reply, what: string): Outcome | undefined {
  if (reply.status >= 200 && reply.status < 300) return undefined;
  return { ok: false, problem: `${what} ${reply.status}: ${reply.body.toString('utf8', 0, 160)}` };
}
