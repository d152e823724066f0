import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import type { NoticeSettings } from '../../config/notices.js';
import type { Db } from '../../db/database.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { maskIdsDeep } from '../../shared/id-in-text.js';
import type { JobDefinition } from '../jobs/job.runtime.js';
import { type NoticeRow, noticeById, setDelivery } from './notice.repo.js';
import { NOTICE_DELIVER_JOB, noticeKindLabel } from './notice.service.js';

// Delivery of a notice beyond the inbox, for a mail or SMS gateway: a POST of the notice as JSON to
// the configured webhook and/or the configured command fed the same JSON on stdin. It runs as a job,
// so a slow or failing gateway never holds up whoever sent the notice; failures retry with backoff
// and a notice whose last attempt fails is marked failed. The payload carries what the notice says
// (loan numbers and 档号, never an ID number or diagnosis) and the recipient's account name only.

export interface DeliveredNotice {
  id: number;
  kind: string;
  kindLabel: string;
  title: string;
  text: string;
  link: string | null;
  about: string | null;
  createdAt: string;
  recipient: { username: string };
}

export const deliveryOn = (settings: NoticeSettings) =>
  settings.webhook !== undefined || settings.command !== undefined;

export function deliveryPayload(row: NoticeRow): DeliveredNotice {
  // Senders are held to no ID numbers already (sendNotice); masked again on the way out all the same.
  return maskIdsDeep({
    id: row.id,
    kind: row.kind,
    kindLabel: noticeKindLabel(row.kind),
    title: row.title,
    text: row.body,
    link: row.link,
    about: row.about,
    createdAt: beijingIso(row.createdAt),
    recipient: { username: row.recipientName },
  });
}

async function postWebhook(settings: NoticeSettings, body: string): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (settings.webhookSecret)
    headers['x-yidang-signature'] = createHmac('sha256', settings.webhookSecret).update(body).digest('hex');
  let response: Response;
  try {
    response = await fetch(settings.webhook as string, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError' ? `${settings.timeoutMs} 毫秒内未应答` : '无法连接';
    throw new Error(`通知网关（webhook）${reason}`);
  }
  await response.body?.cancel();
  if (!response.ok) throw new Error(`通知网关（webhook）应答 HTTP ${response.status}`);
}

function runCommand(settings: NoticeSettings, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(settings.command as string, {
      shell: true,
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: settings.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    child.on('error', (error) => reject(new Error(`通知命令无法启动：${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const first = stderr.trim().split('\n')[0]?.slice(0, 200);
      const how = signal ? `${settings.timeoutMs} 毫秒内未结束（${signal}）` : `退出码 ${code}`;
      reject(new Error(`通知命令失败：${how}${first ? `：${first}` : ''}`));
    });
    // A command that does not read its stdin must not fail the delivery by a broken pipe.
    child.stdin.on('error', () => {});
    child.stdin.end(body);
  });
}

/** Sends one notice to the configured hooks; throws (the job retries) when any of them fails. */
export async function deliverNotice(settings: NoticeSettings, row: NoticeRow): Promise<void> {
  const body = JSON.stringify(deliveryPayload(row));
  if (settings.webhook) await postWebhook(settings, body);
  if (settings.command) await runCommand(settings, body);
}

export function noticeDeliveryJob(
  db: Db,
  settings: NoticeSettings,
  clock: () => Date = () => new Date(),
): JobDefinition<{ notice: number }> {
  return {
    kind: NOTICE_DELIVER_JOB,
    concurrency: 2,
    leaseSeconds: Math.ceil((2 * settings.timeoutMs) / 1000) + 60,
    // A gateway down for a while: 30 s, 1 min, 2 min, 4 min between the five attempts.
    backoffSeconds: (failures) => Math.min(3600, 30 * 2 ** (failures - 1)),
    async run({ notice }) {
      const row = await noticeById(db, notice);
      // Nothing to deliver (the hook was configured when it was sent and is not now, or it went).
      if (row?.delivery !== 'pending') return;
      if (!deliveryOn(settings)) return setDelivery(db, notice, 'none', clock(), null);
      await deliverNotice(settings, row);
      await setDelivery(db, notice, 'delivered', clock(), null);
    },
    async onDead(trx, { notice }, error) {
      await setDelivery(trx, notice, 'failed', clock(), error.slice(0, 500));
    },
  };
}
