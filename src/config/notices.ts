import { invalid } from '../shared/errors.js';

// Where notices (站内通知) go beyond the console inbox, and when loans are reminded of. Delivery is
// off unless configured: a webhook (an HTTP POST of the notice as JSON) and/or a command fed the same
// JSON on stdin (a mail or SMS gateway's script). Either runs as a retried job, never in the sender.

export interface NoticeSettings {
  /** http(s) URL the notice is POSTed to as JSON (YIDANG_NOTICE_WEBHOOK); undefined: no webhook. */
  webhook: string | undefined;
  /** Secret signing each webhook body (YIDANG_NOTICE_WEBHOOK_SECRET): X-Yidang-Signature, HMAC-SHA256 hex. */
  webhookSecret: string | undefined;
  /** Command run by the shell with the notice as JSON on stdin (YIDANG_NOTICE_COMMAND); exit 0 = delivered. */
  command: string | undefined;
  /** How long one delivery may take before it counts as failed (YIDANG_NOTICE_TIMEOUT_MS). */
  timeoutMs: number;
}

export interface ReminderSettings {
  /**
   * Days relative to a loan's 应还日 on which its borrower is reminded (YIDANG_LOAN_REMINDER_DAYS):
   * negative before, 0 on the day, positive overdue (the archivist is told too). Default -3,0,7.
   */
  offsets: number[];
  /** How often the server looks for reminders due (YIDANG_LOAN_REMINDER_INTERVAL, seconds); 0 turns it off. */
  intervalSeconds: number;
}

type Env = Record<string, string | undefined>;

function parseWebhook(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(
      'CONFIG_INVALID',
      '配置错误：YIDANG_NOTICE_WEBHOOK 不是有效的网址，应形如 https://网关/notify',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(
      'CONFIG_INVALID',
      `配置错误：YIDANG_NOTICE_WEBHOOK 只支持 http:// 或 https://，实际为“${url.protocol.slice(0, 20)}”`,
    );
  return value;
}

function parseCommand(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (/[\0\r\n]/.test(value))
    throw invalid('CONFIG_INVALID', '配置错误：YIDANG_NOTICE_COMMAND 应为一行命令，不能含有换行或空字符');
  return value;
}

export function parseReminderOffsets(raw: string | undefined): number[] {
  const value = raw?.trim();
  if (value === undefined || value === '') return [-3, 0, 7];
  const parts = value.split(/[,，\s]+/).filter(Boolean);
  const offsets = parts.map((part) => {
    if (!/^[+-]?\d{1,3}$/.test(part) || Math.abs(Number(part)) > 365)
      throw invalid(
        'CONFIG_INVALID',
        `配置错误：YIDANG_LOAN_REMINDER_DAYS 应为 -365 到 365 之间的天数，以逗号分隔（如 -3,0,7），实际为“${value.slice(0, 40)}”`,
      );
    return Number(part);
  });
  if (offsets.length === 0 || offsets.length > 10 || new Set(offsets).size !== offsets.length)
    throw invalid(
      'CONFIG_INVALID',
      '配置错误：YIDANG_LOAN_REMINDER_DAYS 应列出 1–10 个互不相同的天数（如 -3,0,7）',
    );
  return offsets.sort((a, b) => a - b);
}

export function parseNoticeSettings(
  env: Env,
  parseInteger: (env: Env, name: string, fallback: number, min: number, max: number) => number,
): { notices: NoticeSettings; reminders: ReminderSettings } {
  return {
    notices: {
      webhook: parseWebhook(env.YIDANG_NOTICE_WEBHOOK),
      webhookSecret: env.YIDANG_NOTICE_WEBHOOK_SECRET?.trim() || undefined,
      command: parseCommand(env.YIDANG_NOTICE_COMMAND),
      timeoutMs: parseInteger(env, 'YIDANG_NOTICE_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    reminders: {
      offsets: parseReminderOffsets(env.YIDANG_LOAN_REMINDER_DAYS),
      intervalSeconds: parseInteger(env, 'YIDANG_LOAN_REMINDER_INTERVAL', 3600, 0, 86_400),
    },
  };
}
