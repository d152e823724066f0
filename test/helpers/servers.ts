import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { type CliEnv, start } from './cli.js';
import { reimbursement } from './fixtures.js';

// Real server processes for the job runtime's tests: `serve` on a free port, and a push through it.

export interface RunningServer {
  server: ChildProcess;
  base: string;
  /** What the server wrote to standard error so far (its banner and warnings). */
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function serve(env: CliEnv, extraEnv: Record<string, string>): Promise<RunningServer> {
  const server = start(env, ['serve', '--port', '0'], extraEnv);
  let banner = '';
  server.stderr?.on('data', (chunk) => {
    banner += chunk;
  });
  const listening = /医档服务已启动：(\S+)\/api\/v1/;
  while (!listening.test(banner)) {
    if (server.exitCode !== null) throw new Error(banner);
    await once(server.stderr as NodeJS.ReadableStream, 'data');
  }
  return {
    server,
    base: listening.exec(banner)?.[1] as string,
    log: () => banner,
    async stop(signal = 'SIGTERM') {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const closed = once(server, 'close');
      server.kill(signal);
      await closed;
    },
  };
}

/** 经办即归档 of one reimbursement; returns its 档号. */
export async function push(
  base: string,
  headers: { authorization: string },
  serial: string,
): Promise<string> {
  const response = await fetch(`${base}/api/v1/ingest`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      source: '结算系统',
      serial,
      item: reimbursement({ title: `王建国 住院结算单 ${serial}` }),
    }),
  });
  if (response.status !== 201) throw new Error(`push ${serial}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { archiveCode: string }).archiveCode;
}
