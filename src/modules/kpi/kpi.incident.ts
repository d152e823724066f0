import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn, holds } from '../../shared/access-context.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { idNumberInTextProblem } from '../../shared/id-in-text.js';
import { wellFormed } from '../../shared/well-formed.js';
import { listFonds } from '../catalog/catalog.queries.js';
import { sensitiveReadBursts } from '../integrity/event.queries.js';
import { recordEvent } from '../integrity/event-log.js';
import { isRegionCode } from '../regions/regions.js';
import { beijingYear, parseYear } from './kpi.definitions.js';
import {
  findIncident,
  type IncidentRow,
  incidentStateRows,
  insertIncident,
  listIncidentRows,
  nextIncidentCode,
  standingAlert,
  withdrawIncidentRow,
} from './kpi.repo.js';
import type { IncidentKind } from './kpi.tables.js';

// 安全事件: what 安全事故率 counts. The 安全审计员 (audit.read), who sees the reading alerts, records an
// alert they upheld (naming whose reading and which hour, checked against the log) or a leak, for the
// unit it concerns; a mistaken record is withdrawn with a reason, never edited. Both are events.

export const INCIDENT_KINDS: Record<IncidentKind, string> = { alert: '查阅告警（经认定）', leak: '泄密事件' };

export interface IncidentInput {
  fonds?: string;
  kind?: string;
  /** When it happened (ISO 8601; a time without an offset is Beijing time). */
  occurredAt?: string;
  description?: string;
  /** 统筹区 it is counted under; the fonds' region when absent. */
  region?: string;
  /** For an upheld alert: the account whose reading raised it and the hour (ISO 8601) it names. */
  alertActor?: string;
  alertHour?: string;
}

export interface Incident {
  code: string;
  fonds: string;
  region: string;
  kind: IncidentKind;
  kindName: string;
  occurredAt: string;
  description: string;
  alert: { actor: string; hour: string } | null;
  recordedBy: string;
  recordedAt: string;
  withdrawn: { by: string; at: string; reason: string } | null;
}

const bad = (message: string) => invalid('KPI_INCIDENT_INVALID', message);

function parseInstant(text: string | undefined, label: string): Date {
  const value = (text ?? '').trim();
  if (value === '') throw bad(`请填写${label}`);
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value.replace(' ', 'T')}+08:00`;
  const at =
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?/.test(value) && !Number.isNaN(Date.parse(zoned))
      ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00+08:00` : zoned)
      : null;
  if (!at)
    throw bad(`${label}应为 ISO 8601 时间，如 2026-03-15T10:00:00+08:00，实际为“${value.slice(0, 30)}”`);
  return at;
}

function present(row: IncidentRow): Incident {
  return {
    code: row.code,
    fonds: row.fonds_code,
    region: row.region,
    kind: row.kind,
    kindName: INCIDENT_KINDS[row.kind],
    occurredAt: beijingIso(row.occurred_at) as string,
    description: row.description,
    alert:
      row.alert_actor && row.alert_hour
        ? { actor: row.alert_actor, hour: beijingIso(row.alert_hour) as string }
        : null,
    recordedBy: row.recorded_by,
    recordedAt: beijingIso(row.recorded_at) as string,
    withdrawn:
      row.withdrawn_by && row.withdrawn_at
        ? {
            by: row.withdrawn_by,
            at: beijingIso(row.withdrawn_at) as string,
            reason: row.withdraw_reason ?? '',
          }
        : null,
  };
}

/** Records a confirmed security incident (audit.read); returns it with its number AQ-<year>-<n>. */
export async function recordIncident(
  db: Db,
  access: AccessContext,
  input: IncidentInput,
  now = new Date(),
): Promise<Incident> {
  if (access.kind === 'principal') access.authorize('audit.read');
  const kind = input.kind as IncidentKind;
  if (!Object.hasOwn(INCIDENT_KINDS, kind ?? ''))
    throw bad('事件类型应为 alert（查阅告警）或 leak（泄密事件）');
  const fondsCode = (input.fonds ?? '').trim();
  const fonds = (await listFonds(db)).find((row) => row.code === fondsCode);
  if (!fonds) throw notFound('KPI_UNIT_NOT_FOUND', `全宗“${fondsCode.slice(0, 20)}”不存在`);
  const region = (input.region ?? '').trim() || fonds.regionCode;
  if (!isRegionCode(region)) throw bad(`统筹区“${region.slice(0, 20)}”不是有效的 6 位行政区划代码`);
  const occurredAt = parseInstant(input.occurredAt, '发生时间');
  if (occurredAt.getTime() > now.getTime() + 60_000) throw bad('发生时间不能晚于现在');
  const description = (input.description ?? '').trim();
  if (description.length < 4 || description.length > 2000) throw bad('事件经过应为 4 到 2000 个字');
  if (wellFormed(description) !== description) throw bad('事件经过含有无法识别的字符');
  const idProblem = idNumberInTextProblem('事件经过', description);
  if (idProblem) throw bad(idProblem);
  let alertActor: string | null = null;
  let alertHour: Date | null = null;
  if (kind === 'alert') {
    alertActor = (input.alertActor ?? '').trim().slice(0, 100);
    if (alertActor === '') throw bad('认定查阅告警须指明被告警的账户');
    const hour = parseInstant(input.alertHour, '告警所在小时');
    alertHour = new Date(Math.floor(hour.getTime() / 3_600_000) * 3_600_000);
    // The alert must be in the log: that account read sensitive items in bulk within that hour.
    const bursts = await sensitiveReadBursts(
      db,
      { from: alertHour, to: new Date(alertHour.getTime() + 3_600_000) },
      2,
    );
    if (!bursts.some((burst) => burst.actor === alertActor))
      throw bad(`审计记录中没有账户“${alertActor}”在该小时内集中查阅敏感档案的告警`);
    const standing = await standingAlert(db, alertActor, alertHour);
    if (standing) throw bad(`该告警已登记为安全事件 ${standing}，不能重复登记`);
  }
  const recordedBy = actorIn(access);
  const code = await inTransaction(db, async (trx) => {
    const code = await nextIncidentCode(trx, Number((beijingIso(now) as string).slice(0, 4)));
    await insertIncident(trx, {
      code,
      fondsCode: fonds.code,
      region,
      kind,
      occurredAt,
      description,
      alertActor,
      alertHour,
      recordedBy,
    });
    recordEvent(trx, {
      actor: recordedBy,
      action: 'kpi.incident_recorded',
      subject: `incident:${code}`,
      payload: {
        fonds: fonds.code,
        region,
        kind,
        occurredAt: beijingIso(occurredAt) as string,
        description,
        alert: alertActor && alertHour ? { actor: alertActor, hour: beijingIso(alertHour) as string } : null,
      },
      state: (await incidentStateRows(trx, code)).get(`incident:${code}`),
    });
    return code;
  });
  const row = await findIncident(db, access, code);
  if (!row) throw notFound('KPI_INCIDENT_NOT_FOUND', `安全事件“${code}”不存在`);
  return present(row);
}

/** Withdraws a mistaken record with a reason (audit.read); the incident stops counting. */
export async function withdrawIncident(
  db: Db,
  access: AccessContext,
  code: string,
  reasonText: string | undefined,
): Promise<Incident> {
  if (access.kind === 'principal') access.authorize('audit.read');
  const reason = (reasonText ?? '').trim();
  if (reason.length < 2 || reason.length > 500 || wellFormed(reason) !== reason)
    throw bad('撤销理由应为 2 到 500 个字');
  const idProblem = idNumberInTextProblem('撤销理由', reason);
  if (idProblem) throw bad(idProblem);
  const by = actorIn(access);
  const row = await findIncident(db, access, code.trim().slice(0, 20));
  if (!row) throw notFound('KPI_INCIDENT_NOT_FOUND', `安全事件“${code.slice(0, 20)}”不存在`);
  await inTransaction(db, async (trx) => {
    if (!(await withdrawIncidentRow(trx, row.code, by, reason)))
      throw conflict('KPI_INCIDENT_INVALID', `安全事件“${row.code}”已撤销`);
    recordEvent(trx, {
      actor: by,
      action: 'kpi.incident_withdrawn',
      subject: `incident:${row.code}`,
      payload: { reason },
      state: (await incidentStateRows(trx, row.code)).get(`incident:${row.code}`),
    });
  });
  const after = await findIncident(db, access, row.code);
  return present(after as IncidentRow);
}

/** The incidents of a year the caller may see (kpi.read in their scope; the auditor all). */
export async function listIncidents(
  db: Db,
  access: AccessContext,
  query: { year?: string | number; fonds?: string },
  now = new Date(),
): Promise<Incident[]> {
  if (access.kind === 'principal' && !holds(access, 'audit.read')) access.authorize('kpi.read');
  const year = parseYear(query.year, Number((beijingIso(now) as string).slice(0, 4)));
  const fonds = query.fonds?.trim() || undefined;
  const rows = await listIncidentRows(db, access, beijingYear(year), fonds);
  return rows.map(present);
}
