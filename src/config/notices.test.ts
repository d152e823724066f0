import { describe, expect, it } from 'vitest';
import { isYidangError } from '../shared/errors.js';
import { loadConfig } from './config.js';

// Notice delivery and loan reminders: off and -3,0,7 by default; bad values refused in Chinese.

const refused = (env: Record<string, string>) => {
  try {
    loadConfig(env, '/tmp');
  } catch (error) {
    expect(isYidangError(error) && error.code).toBe('CONFIG_INVALID');
    return (error as Error).message;
  }
  throw new Error(`configuration ${JSON.stringify(env)} was accepted`);
};

describe('notice and reminder settings', () => {
  it('reads a webhook, a command and reminder days', () => {
    const config = loadConfig(
      {
        YIDANG_NOTICE_WEBHOOK: ' https://gateway.example/notify ',
        YIDANG_NOTICE_WEBHOOK_SECRET: 's3cret',
        YIDANG_NOTICE_COMMAND: '/usr/local/bin/send-sms --quiet',
        YIDANG_NOTICE_TIMEOUT_MS: '2000',
        YIDANG_LOAN_REMINDER_DAYS: '7, -1，0 -5',
        YIDANG_LOAN_REMINDER_INTERVAL: '0',
      },
      '/tmp',
    );
    expect(config.notices).toEqual({
      webhook: 'https://gateway.example/notify',
      webhookSecret: 's3cret',
      command: '/usr/local/bin/send-sms --quiet',
      timeoutMs: 2000,
    });
    expect(config.reminders).toEqual({ offsets: [-5, -1, 0, 7], intervalSeconds: 0 });
  });

  it('refuses bad values with the variable named', () => {
    expect(refused({ YIDANG_NOTICE_WEBHOOK: 'ftp://x/y' })).toMatch(/YIDANG_NOTICE_WEBHOOK.*http/);
    expect(refused({ YIDANG_NOTICE_WEBHOOK: 'not a url' })).toMatch(/YIDANG_NOTICE_WEBHOOK/);
    expect(refused({ YIDANG_NOTICE_COMMAND: 'a\nb' })).toMatch(/YIDANG_NOTICE_COMMAND/);
    expect(refused({ YIDANG_LOAN_REMINDER_DAYS: '-3,zero' })).toMatch(/YIDANG_LOAN_REMINDER_DAYS/);
    expect(refused({ YIDANG_LOAN_REMINDER_DAYS: '3,3' })).toMatch(/互不相同/);
    expect(refused({ YIDANG_LOAN_REMINDER_DAYS: '400' })).toMatch(/-365 到 365/);
    expect(refused({ YIDANG_NOTICE_TIMEOUT_MS: '5' })).toMatch(/YIDANG_NOTICE_TIMEOUT_MS/);
  });
});
