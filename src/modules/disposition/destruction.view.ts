import type { Db } from '../../db/database.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { YidangError } from '../../shared/errors.js';
import { can, type Principal } from '../access/principal.js';
import { listEvents } from '../integrity/event.queries.js';
import { isRetentionPeriod, RETENTION_LABELS, retentionYears } from '../catalog/retention.js';
import {
  isPaper,
  REFUSAL_REASONS,
  type RefusalReason,
  REGISTER_STATES,
  ROW_STATES,
  SIGN_ROLES,
} from './destruction.names.js';
import {
  listRegisters,
  type RegisterItemRow,
  type RegisterRow,
  registerRows,
  signaturesOf,
} from './destruction.repo.js';
import { visibleRegister } from './destruction.service.js';
import type { RegisterState, SignRole } from './destruction.tables.js';

// The register as people read it (console, CLI, XLSX/PDF): the cover (全宗号, count, round, dated
// signatures) and the rows (序号, 档号, 题名, 年度, 保管期限 应保管/已保管, 页数/文件数, 销毁原因, 备注).
// 题名 is stored masked when drawn, so nothing here reveals a person.

export interface RegisterRowView {
  seq: number;
  archiveCode: string;
  title: string;
  year: number;
  retention: string;
  retentionLabel: string;
  /** 应保管 years (null for 永久). */
  keepYears: number | null;
  /** 已保管 years, counted from 1 January after the year formed. */
  keptYears: number;
  pages: number;
  files: number;
  carrier: string;
  reason: string;
  note: string | null;
  state: string;
  stateLabel: string;
  /** Why the carry-out refused it (the item stays whole). */
  refusal: string | null;
  /** Where the paper lies (库房/柜/层/盒), until it is destroyed. */
  paperLocation: string | null;
  destroyedAt: string | null;
  paper: { method: string; place: string; at: string; witnesses: string[]; confirmedBy: string } | null;
}

export interface RegisterView {
  code: string;
  fonds: string;
  year: number;
  round: string;
  state: RegisterState;
  stateLabel: string;
  count: number;
  drawnBy: string;
  drawnAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  startedAt: string | null;
  carriedAt: string | null;
  filed: { archiveCode: string; digest: string | null; at: string | null } | null;
  signatures: Array<{ role: SignRole; roleLabel: string; user: string; at: string }>;
  progress: {
    destroyed: number;
    waitingReplicas: number;
    paperPending: number;
    refused: number;
    total: number;
  };
  withdrawn: { by: string; at: string | null; reason: string | null } | null;
  /**
   * 须同时销毁或到期的备份: backups taken before the carry-out finished (from the log's backup.created),
   * which still hold the destroyed items and their keys; newest first, at most 50.
   */
  olderBackups: Array<{ dir: string; at: string; treeSize: number }>;
  rows: RegisterRowView[];
}

const SHOWN_BACKUPS = 50;

/**
 * The backups a carried-out (or carrying) register's items are still in: each snapshot whose log
 * size is not past the register's destruction.completed (all so far while it is carrying).
 */
async function olderBackupsOf(db: Db, register: RegisterRow): Promise<RegisterView['olderBackups']> {
  if (!['carrying', 'carried', 'filed'].includes(register.state)) return [];
  const [completed] = await listEvents(db, {
    subject: `register:${register.code}`,
    action: 'destruction.completed',
    limit: 1,
  });
  const out: RegisterView['olderBackups'] = [];
  for (const event of await listEvents(db, { subject: 'backup', action: 'backup.created', limit: 10_000 })) {
    const payload = JSON.parse(event.payload) as { dir?: unknown; treeSize?: unknown };
    const treeSize = Number(payload.treeSize);
    // A snapshot of treeSize events holds every event before it; one taken after completion holds none of them.
    if (completed && treeSize > completed.seq) continue;
    out.push({ dir: String(payload.dir ?? ''), at: event.recordedAt.toISOString(), treeSize });
    if (out.length === SHOWN_BACKUPS) break;
  }
  return out;
}

const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());

export function rowState(row: RegisterItemRow): keyof typeof ROW_STATES {
  if (isPaper(row) && row.state === 'pending' && row.paper_confirmed_by === null) return 'paper_pending';
  if (isPaper(row) && row.state === 'destroyed') return 'paper_confirmed';
  return row.state;
}

export function rowView(row: RegisterItemRow, today: string): RegisterRowView {
  const state = rowState(row);
  return {
    seq: row.seq,
    archiveCode: row.archive_code,
    title: row.title,
    year: row.year,
    retention: row.retention,
    retentionLabel: isRetentionPeriod(row.retention) ? RETENTION_LABELS[row.retention] : row.retention,
    keepYears: isRetentionPeriod(row.retention) ? retentionYears(row.retention) : null,
    keptYears: Math.max(0, Number(today.slice(0, 4)) - row.year - 1),
    pages: row.pages,
    files: row.files,
    carrier: row.carrier,
    reason: row.reason,
    note: row.note,
    state,
    stateLabel: ROW_STATES[state],
    refusal:
      row.refusal && Object.hasOwn(REFUSAL_REASONS, row.refusal)
        ? REFUSAL_REASONS[row.refusal as RefusalReason]
        : row.refusal,
    paperLocation: row.paper_location,
    destroyedAt: iso(row.destroyed_at),
    paper:
      row.paper_confirmed_by === null
        ? null
        : {
            method: row.paper_method ?? '',
            place: row.paper_place ?? '',
            at: iso(row.paper_at) ?? '',
            witnesses: row.paper_witnesses ?? [],
            confirmedBy: row.paper_confirmed_by,
          },
  };
}

export async function registerViewOf(db: Db, register: RegisterRow, now = new Date()): Promise<RegisterView> {
  const rows = await registerRows(db, register.id);
  const signatures = await signaturesOf(db, register.id);
  const today = beijingDate(now);
  return {
    code: register.code,
    fonds: register.fonds_code,
    year: register.year,
    round: register.round_code,
    state: register.state,
    stateLabel: REGISTER_STATES[register.state],
    count: rows.length,
    drawnBy: register.drawn_by,
    drawnAt: iso(register.drawn_at) as string,
    approvedBy: register.approved_by,
    approvedAt: iso(register.approved_at),
    startedAt: iso(register.started_at),
    carriedAt: iso(register.carried_at),
    filed: register.filed_code
      ? { archiveCode: register.filed_code, digest: register.filed_digest, at: iso(register.filed_at) }
      : null,
    signatures: signatures.map((signature) => ({
      role: signature.role,
      roleLabel: SIGN_ROLES[signature.role],
      user: signature.username,
      at: iso(signature.signed_at) as string,
    })),
    progress: {
      destroyed: rows.filter((row) => row.state === 'destroyed').length,
      waitingReplicas: rows.filter((row) => row.state === 'shredding').length,
      paperPending: rows.filter((row) => row.state === 'pending' && isPaper(row) && !row.paper_confirmed_by)
        .length,
      refused: rows.filter((row) => row.state === 'refused').length,
      total: rows.length,
    },
    rows: rows.map((row) => rowView(row, today)),
    withdrawn: register.withdrawn_by
      ? { by: register.withdrawn_by, at: iso(register.withdrawn_at), reason: register.withdraw_reason }
      : null,
    olderBackups: await olderBackupsOf(db, register),
  };
}

const MAY_SEE = [
  'appraisal.work',
  'destruction.approve',
  'destruction.witness',
  'destruction.carry',
] as const;

function mustSee(principal: Principal): void {
  if (!MAY_SEE.some((permission) => can(principal, permission)))
    throw new YidangError(
      'FORBIDDEN',
      'forbidden',
      '无权查看销毁清册（须有鉴定、审批、监销或执行销毁的职责）',
    );
}

export async function showRegister(db: Db, principal: Principal, code: string): Promise<RegisterView> {
  mustSee(principal);
  const { register } = await visibleRegister(db, principal, code);
  return registerViewOf(db, register);
}

export interface RegisterBrief {
  code: string;
  fonds: string;
  round: string;
  state: RegisterState;
  stateLabel: string;
  count: number;
  drawnBy: string;
  drawnAt: string;
  approvedBy: string | null;
  filed: string | null;
}

/** The registers the principal may see (every item on each within their scope), newest first. */
export async function listRegistersFor(
  db: Db,
  principal: Principal,
  filter: { state?: string; limit?: number } = {},
): Promise<RegisterBrief[]> {
  mustSee(principal);
  const state =
    filter.state && Object.hasOwn(REGISTER_STATES, filter.state)
      ? (filter.state as RegisterState)
      : undefined;
  if (filter.state && !state)
    throw new YidangError(
      'DESTRUCTION_INPUT_INVALID',
      'invalid',
      `清册状态应为 ${Object.keys(REGISTER_STATES).join('、')}`,
    );
  const limit = Math.min(Math.max(1, Math.trunc(filter.limit ?? 50)), 200);
  const out: RegisterBrief[] = [];
  for (const register of await listRegisters(db, { state, limit })) {
    try {
      await visibleRegister(db, principal, register.code);
    } catch {
      continue;
    }
    out.push({
      code: register.code,
      fonds: register.fonds_code,
      round: register.round_code,
      state: register.state,
      stateLabel: REGISTER_STATES[register.state],
      count: (await registerRows(db, register.id)).length,
      drawnBy: register.drawn_by,
      drawnAt: iso(register.drawn_at) as string,
      approvedBy: register.approved_by,
      filed: register.filed_code,
    });
  }
  return out;
}
