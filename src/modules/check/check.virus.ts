import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from './check.formats.js';

// The virus-scan hook of the security check (安全性): ClamAV's clamscan over an item's decrypted
// files, all in one run so the signature database is loaded once per item. Without clamscan or
// without a database the check is skipped and says so; it never passes unscanned content.

export interface VirusScanSettings {
  /** The clamscan command: a path, or a name looked up on PATH. */
  command?: string;
  /** A signature database file or directory (YIDANG_CLAMAV_DATABASE); clamscan's own default otherwise. */
  database?: string;
}

export interface ScannedFile {
  path: string;
  /** How the report names the file: 第 n 个文件（name）. */
  label: string;
  size: number;
}

/** clamscan cannot scan files past 2 GiB − 1; its limits are raised to that so none is passed over quietly. */
const CLAMSCAN_LIMIT = 2047 * 1024 ** 2;

function findCommand(command: string): string | undefined {
  const executable = (file: string) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return executable(command) ? command : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      if (stderr.length < 64 * 1024) stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Whether clamscan is on this machine (the tests need it in CI). */
export const clamscanAvailable = (settings: VirusScanSettings = {}) =>
  findCommand(settings.command ?? 'clamscan') !== undefined;

export async function scanForViruses(
  files: readonly ScannedFile[],
  settings: VirusScanSettings = {},
): Promise<Finding> {
  if (files.length === 0) return { status: 'skipped', detail: '没有电子文件，无需病毒扫描' };
  const command = findCommand(settings.command ?? 'clamscan');
  if (!command) return { status: 'skipped', detail: '未安装 ClamAV，未做病毒扫描' };
  if (settings.database && !fs.existsSync(settings.database))
    return { status: 'skipped', detail: `ClamAV 没有病毒库（${settings.database} 不存在），未做病毒扫描` };
  const scanned = files.filter((file) => file.size <= CLAMSCAN_LIMIT);
  const tooLarge = files.filter((file) => file.size > CLAMSCAN_LIMIT).map((file) => file.label);
  if (scanned.length === 0)
    return { status: 'skipped', detail: `文件超过 2 GB，ClamAV 无法扫描：${tooLarge.join('、')}` };
  const limit = `${Math.floor(CLAMSCAN_LIMIT / 1024 ** 2)}M`;
  const args = ['--no-summary', '--stdout', `--max-filesize=${limit}`, `--max-scansize=${limit}`];
  if (settings.database) args.push('-d', settings.database);
  const { code, stdout, stderr } = await run(command, [...args, ...scanned.map((file) => file.path)]);
  if (code === 2 && /No supported database files|cl_load\(\)|cli_loaddb/i.test(stderr))
    return {
      status: 'skipped',
      detail: 'ClamAV 没有病毒库，未做病毒扫描（请下载病毒库或设置 YIDANG_CLAMAV_DATABASE）',
    };
  const found = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^(.*): (.+) FOUND$/.exec(line.trim());
    if (match) found.set(match[1] as string, match[2] as string);
  }
  if (code === 1 || found.size > 0) {
    const infected = scanned.flatMap((file) => {
      const signature = found.get(file.path);
      return signature ? [`${file.label}感染病毒 ${signature}`] : [];
    });
    return { status: 'fail', detail: infected.join('；') || '发现病毒（ClamAV 未列出文件）' };
  }
  if (code !== 0) {
    const reason = stderr.trim().split('\n').at(-1) || stdout.trim().split('\n').at(-1) || `退出码 ${code}`;
    return { status: 'fail', detail: `病毒扫描出错，未能确认文件无毒：${reason.slice(0, 200)}` };
  }
  const note = tooLarge.length > 0 ? `；超过 2 GB 未扫描：${tooLarge.join('、')}` : '';
  return {
    status: tooLarge.length > 0 ? 'skipped' : 'pass',
    detail: `ClamAV 扫描 ${scanned.length} 个文件，未发现病毒${note}`,
  };
}
