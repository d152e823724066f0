import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import type { NoticeSettings } from '../../config/notices.js';
import { inTransaction } from '../../db/transaction.js';
import { findUserByName } from '../access/access.repo.js';
import { createUser } from '../access/user.service.js';
import { JobRuntime } from '../jobs/job.runtime.js';
import { noticeDeliveryJob } from './notice.delivery.js';
import { sendNotice } from './notice.service.js';

// Delivery to a mail/SMS gateway: a real HTTP server as the webhook and a real shell command; the
// payload holds the notice and the account name only; a gateway failing is retried as a job and,
// after the last attempt, the notice is marked failed while the sender never waited on it.

let database: TestDatabase;
const db = () => database.db;
let userId: number;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-notices-'));
let server: http.Server;
let url: string;
const received: Array<{ body: string; signature: string | undefined }> = [];
let answer = 200;
let now = new Date('2026-12-27T01:00:00Z');
const clock = () => now;

const settings = (over: Partial<NoticeSettings>): NoticeSettings => ({
  webhook: undefined,
  webhookSecret: undefined,
  command: undefined,
  timeoutMs: 5000,
  ...over,
});

async function send(title: string): Promise<number> {
  return (await inTransaction(db(), (trx) =>
    sendNotice(
      trx,
      {
        recipientId: userId,
        recipientName: 'carol',
        kind: 'loan.overdue',
        title,
        text: '借阅单 JY2026-000009 已逾期 7 天（应还日 2026-12-20），请尽快归还。',
        link: '/lending/mine',
        about: 'loan:JY2026-000009',
      },
      { actor: 'system:reminders', deliver: true, now },
    ),
  )) as number;
}

const deliveryOf = async (id: number) =>
  db()
    .selectFrom('notice')
    .select(['delivery', 'delivery_error', 'delivered_at'])
    .where('id', '=', String(id))
    .executeTakeFirstOrThrow();

beforeAll(async () => {
  database = await openTestDatabase();
  await createUser(db(), { username: 'carol', password: 'Archive-Test-Passw0rd!', roles: ['clerk'] }, 'test');
  userId = (await findUserByName(db(), 'carol'))?.id as number;
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ body, signature: request.headers['x-yidang-signature'] as string | undefined });
      response.statusCode = answer;
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
  await database?.close();
});

describe('the webhook', () => {
  it('posts the notice as signed JSON and marks it delivered', async () => {
    const id = await send('借阅逾期');
    const runtime = new JobRuntime(db(), { clock }).register(
      noticeDeliveryJob(db(), settings({ webhook: url, webhookSecret: 'k' }), clock),
    );
    expect(await runtime.drain()).toMatchObject({ done: 1 });
    expect(received).toHaveLength(1);
    const [{ body, signature }] = received as [{ body: string; signature: string }];
    expect(signature).toBe(createHmac('sha256', 'k').update(body).digest('hex'));
    expect(JSON.parse(body)).toEqual({
      id,
      kind: 'loan.overdue',
      kindLabel: '借阅逾期',
      title: '借阅逾期',
      text: '借阅单 JY2026-000009 已逾期 7 天（应还日 2026-12-20），请尽快归还。',
      link: '/lending/mine',
      about: 'loan:JY2026-000009',
      createdAt: '2026-12-27T09:00:00+08:00',
      recipient: { username: 'carol' },
    });
    expect(await deliveryOf(id)).toMatchObject({ delivery: 'delivered', delivery_error: null });
  });

  it('retries a failing gateway with backoff and marks the notice failed after the last attempt', async () => {
    answer = 503;
    received.length = 0;
    const id = await send('网关故障');
    const runtime = new JobRuntime(db(), { clock }).register(
      noticeDeliveryJob(db(), settings({ webhook: url }), clock),
    );
    expect(await runtime.drain()).toMatchObject({ retry: 1 });
    expect(await deliveryOf(id)).toMatchObject({ delivery: 'pending' });
    // Not retried before its backoff has passed.
    expect(await runtime.drain()).toMatchObject({ retry: 0, dead: 0 });
    for (let attempt = 2; attempt <= 5; attempt++) {
      now = new Date(now.getTime() + 3600_000);
      await runtime.drain();
    }
    expect(received).toHaveLength(5);
    const delivery = await deliveryOf(id);
    expect(delivery.delivery).toBe('failed');
    expect(delivery.delivery_error).toMatch(/HTTP 503/);
    const job = await db()
      .selectFrom('job')
      .select(['state', 'attempts'])
      .where('kind', '=', 'notices.deliver')
      .where('idempotency_key', '=', `notice:${id}`)
      .executeTakeFirstOrThrow();
    expect(job).toEqual({ state: 'dead', attempts: 5 });
    answer = 200;
  });

  it('counts a gateway that never answers as a failure within the timeout', async () => {
    const silent = http.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      await send('网关无应答');
      const hung = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      const runtime = new JobRuntime(db(), { clock }).register(
        noticeDeliveryJob(db(), settings({ webhook: hung, timeoutMs: 300 }), clock),
      );
      const started = Date.now();
      expect(await runtime.drain()).toMatchObject({ retry: 1 });
      expect(Date.now() - started).toBeLessThan(5000);
      const job = await db()
        .selectFrom('job')
        .select('last_error')
        .where('state', '=', 'retry')
        .executeTakeFirstOrThrow();
      expect(job.last_error).toMatch(/300 毫秒内未应答/);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
      await db().deleteFrom('job').where('state', '=', 'retry').execute();
    }
  });
});

describe('the command', () => {
  it('feeds the notice as JSON on stdin; a non-zero exit is retried with its message kept', async () => {
    const out = path.join(dir, 'sent.json');
    const script = path.join(dir, 'send.sh');
    fs.writeFileSync(script, `#!/bin/sh\ncat > "${out}"\n`, { mode: 0o755 });
    const id = await send('短信提醒');
    const runtime = new JobRuntime(db(), { clock }).register(
      noticeDeliveryJob(db(), settings({ command: script }), clock),
    );
    expect(await runtime.drain()).toMatchObject({ done: 1 });
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toMatchObject({ id, title: '短信提醒' });
    expect(await deliveryOf(id)).toMatchObject({ delivery: 'delivered' });

    const failing = path.join(dir, 'fail.sh');
    fs.writeFileSync(failing, '#!/bin/sh\necho "网关拒绝：号码无效" >&2\nexit 3\n', { mode: 0o755 });
    await send('短信失败');
    const failingRuntime = new JobRuntime(db(), { clock }).register(
      noticeDeliveryJob(db(), settings({ command: failing }), clock),
    );
    expect(await failingRuntime.drain()).toMatchObject({ retry: 1 });
    const job = await db()
      .selectFrom('job')
      .select('last_error')
      .where('state', '=', 'retry')
      .executeTakeFirstOrThrow();
    expect(job.last_error).toBe('通知命令失败：退出码 3：网关拒绝：号码无效');
  });
});
