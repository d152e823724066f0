import { type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, holds } from '../../shared/access-context.js';
import { type AssessedSelection, assessedItems, itemUnits } from '../catalog/assessment.queries.js';
import { type ScopedQuery, scopeCondition } from '../catalog/item.scope.js';
import { latestCheckFactsOf } from '../check/assessment.queries.js';
import { eventSubjectsIn } from '../integrity/event.queries.js';
import { fileFactsOf } from '../storage/assessment.queries.js';
import type { IncidentKind, KpiIncidentTable } from './kpi.tables.js';

// The indicators' SQL: one aggregate statement over the year's items (catalog's fragment joined with
// storage's and the check's per-item facts), one over the year's reads, one over the incidents; each
// grouped by unit (全宗), by 统筹区 and in total at once (grouping sets). Other modules' tables appear
// only through their fragments (src/db/table-ownership.test.ts).

/** A count row: fonds_code set for a unit's row, region for a 统筹区's, neither for the total. */
export interface UnitKey {
  level: 'fonds' | 'region' | 'total';
  fondsCode: string | null;
  region: string | null;
}

export interface ItemCounts extends UnitKey {
  items: number;
  complete: number;
  electronic: number;
  paper: number;
  digitised: number;
  handled: number;
  timely: number;
}

const GROUPING = (fonds: RawBuilder<unknown>, region: RawBuilder<unknown>) =>
  sql`grouping sets ((${fonds}), (${region}), ())`;

function keyOf(row: {
  g_fonds: number;
  g_region: number;
  fonds_code: string | null;
  region: string | null;
}): UnitKey {
  const level = Number(row.g_fonds) === 0 ? 'fonds' : Number(row.g_region) === 0 ? 'region' : 'total';
  return {
    level,
    fondsCode: level === 'fonds' ? row.fonds_code : null,
    region: level === 'region' ? row.region : null,
  };
}

/** The item indicators' numerators and denominators per unit, per 统筹区 and in total. */
export async function countItems(
  db: Db,
  scope: ScopedQuery,
  selection: AssessedSelection,
  timelyDays: number,
): Promise<ItemCounts[]> {
  const items = sql`(select id from a)`;
  const hasFiles = sql`coalesce(f.files, 0) > 0`;
  // PostgreSQL's JIT costs this plan more than running it (measured 1.75 s against 0.39 s at 50,000 items).
  return inTransaction(db, async (trx) => {
    await sql`set local jit = off`.execute(trx);
    const { rows } = await sql<{
      g_fonds: number;
      g_region: number;
      fonds_code: string | null;
      region: string | null;
      items: number;
      complete: number;
      electronic: number;
      paper: number;
      digitised: number;
      handled: number;
      timely: number;
    }>`with a as materialized ${assessedItems(scope, selection)}
    select grouping(i.fonds_code) as g_fonds, grouping(i.region) as g_region, i.fonds_code, i.region,
      count(*)::int as items,
      count(*) filter (where i.meta_complete and (i.carrier = 'paper'
        or (${hasFiles} and not f.damaged and k.failed = false)))::int as complete,
      count(*) filter (where i.carrier <> 'paper' and ${hasFiles})::int as electronic,
      count(*) filter (where i.carrier = 'paper')::int as paper,
      count(*) filter (where i.carrier = 'paper' and ${hasFiles})::int as digitised,
      count(i.handled_at)::int as handled,
      count(*) filter (where i.created_at <= i.handled_at + make_interval(days => ${timelyDays}))::int as timely
    from a i
    left join ${fileFactsOf(items)} f on f.item_id = i.id
    left join ${latestCheckFactsOf(items)} k on k.item_id = i.id
    group by ${GROUPING(sql`i.fonds_code`, sql`i.region`)}`.execute(trx);
    return rows.map((row) => ({
      ...keyOf(row),
      items: Number(row.items),
      complete: Number(row.complete),
      electronic: Number(row.electronic),
      paper: Number(row.paper),
      digitised: Number(row.digitised),
      handled: Number(row.handled),
      timely: Number(row.timely),
    }));
  });
}

const READ_ACTIONS = ['item.read', 'file.read'] as const;

/** Reads of items (file.read, item.read) within the range, per unit, per 统筹区 and in total. */
export async function countReads(
  db: Db,
  scope: ScopedQuery,
  range: { from: Date; to: Date },
  selection: Omit<AssessedSelection, 'year'>,
): Promise<Array<UnitKey & { reads: number }>> {
  const where: RawBuilder<unknown>[] = [sql`true`];
  if (selection.fondsCode !== undefined) where.push(sql`u.fonds_code = ${selection.fondsCode}`);
  if (selection.regionPrefix !== undefined) where.push(sql`u.region like ${`${selection.regionPrefix}%`}`);
  const { rows } = await sql<{
    g_fonds: number;
    g_region: number;
    fonds_code: string | null;
    region: string | null;
    reads: number;
  }>`select grouping(u.fonds_code) as g_fonds, grouping(u.region) as g_region, u.fonds_code, u.region,
      count(*)::int as reads
    from ${eventSubjectsIn(READ_ACTIONS, range)} e
    join ${itemUnits(scope)} u on u.archive_code = substr(e.subject, 6)
    where ${sql.join(where, sql` and `)}
    group by ${GROUPING(sql`u.fonds_code`, sql`u.region`)}`.execute(db);
  return rows.map((row) => ({ ...keyOf(row), reads: Number(row.reads) }));
}

/**
 * The incidents a caller may see: their scope over the incident's fonds and 统筹区; the 安全审计员
 * (audit.read), who records them from the whole log's alerts, sees all.
 */
function incidentsVisible(access: AccessContext): RawBuilder<SqlBool> {
  if (access.kind === 'system' || holds(access, 'audit.read')) return sql<SqlBool>`true`;
  return scopeCondition(access.scope, 'k', null);
}

// The incident table seen with the scope condition's column names (an incident has no category, so a
// scope limited to categories counts none).
const INCIDENTS = sql`(select x.*, x.region as pooling_region, null::integer as category_id from kpi_incident x)`;

/** Incidents (not withdrawn) that occurred within the range, per unit, per 统筹区 and in total. */
export async function countIncidents(
  db: Db,
  access: AccessContext,
  range: { from: Date; to: Date },
  selection: Omit<AssessedSelection, 'year'>,
): Promise<Array<UnitKey & { alerts: number; leaks: number }>> {
  const where: RawBuilder<unknown>[] = [incidentsVisible(access)];
  if (selection.fondsCode !== undefined) where.push(sql`k.fonds_code = ${selection.fondsCode}`);
  if (selection.regionPrefix !== undefined) where.push(sql`k.region like ${`${selection.regionPrefix}%`}`);
  const { rows } = await sql<{
    g_fonds: number;
    g_region: number;
    fonds_code: string | null;
    region: string | null;
    alerts: number;
    leaks: number;
  }>`select grouping(k.fonds_code) as g_fonds, grouping(k.region) as g_region, k.fonds_code, k.region,
      count(*) filter (where k.kind = 'alert')::int as alerts,
      count(*) filter (where k.kind = 'leak')::int as leaks
    from ${INCIDENTS} k
    where k.withdrawn_at is null and k.occurred_at >= ${range.from} and k.occurred_at < ${range.to}
      and ${sql.join(where, sql` and `)}
    group by ${GROUPING(sql`k.fonds_code`, sql`k.region`)}`.execute(db);
  return rows.map((row) => ({ ...keyOf(row), alerts: Number(row.alerts), leaks: Number(row.leaks) }));
}

export type IncidentRow = Selectable<KpiIncidentTable>;

/** The incidents of a year the caller may see, newest first (at most 500). */
export async function listIncidentRows(
  db: Db,
  access: AccessContext,
  range: { from: Date; to: Date },
  fondsCode: string | undefined,
): Promise<IncidentRow[]> {
  const fonds = fondsCode === undefined ? sql`` : sql`and k.fonds_code = ${fondsCode}`;
  const { rows } = await sql<IncidentRow>`select k.id, k.code, k.fonds_code, k.region, k.kind, k.occurred_at,
      k.description, k.alert_actor, k.alert_hour, k.recorded_by, k.recorded_at, k.withdrawn_by,
      k.withdrawn_at, k.withdraw_reason
    from ${INCIDENTS} k
    where k.occurred_at >= ${range.from} and k.occurred_at < ${range.to} ${fonds} and ${incidentsVisible(access)}
    order by k.occurred_at desc, k.id desc limit 500`.execute(db);
  return rows;
}

/** One incident by its number, if the caller may see it. */
export async function findIncident(
  db: Db,
  access: AccessContext,
  code: string,
): Promise<IncidentRow | undefined> {
  const { rows } = await sql<IncidentRow>`select k.id, k.code, k.fonds_code, k.region, k.kind, k.occurred_at,
      k.description, k.alert_actor, k.alert_hour, k.recorded_by, k.recorded_at, k.withdrawn_by,
      k.withdrawn_at, k.withdraw_reason
    from ${INCIDENTS} k where k.code = ${code} and ${incidentsVisible(access)}`.execute(db);
  return rows[0];
}

/** The next AQ-<year>-<n> (the counter row is locked until the transaction ends). */
export async function nextIncidentCode(trx: Db, year: number): Promise<string> {
  const { rows } = await sql<{ last_number: number }>`insert into kpi_incident_sequence (year, last_number)
    values (${year}, 1) on conflict (year) do update set last_number = kpi_incident_sequence.last_number + 1
    returning last_number`.execute(trx);
  return `AQ-${year}-${rows[0]?.last_number}`;
}

export interface NewIncident {
  code: string;
  fondsCode: string;
  region: string;
  kind: IncidentKind;
  occurredAt: Date;
  description: string;
  alertActor: string | null;
  alertHour: Date | null;
  recordedBy: string;
}

export async function insertIncident(trx: Db, incident: NewIncident): Promise<void> {
  await trx
    .insertInto('kpi_incident')
    .values({
      code: incident.code,
      fonds_code: incident.fondsCode,
      region: incident.region,
      kind: incident.kind,
      occurred_at: incident.occurredAt,
      description: incident.description,
      alert_actor: incident.alertActor,
      alert_hour: incident.alertHour,
      recorded_by: incident.recordedBy,
      withdrawn_by: null,
      withdrawn_at: null,
      withdraw_reason: null,
    })
    .execute();
}

/** Withdraws an incident still in force; false when another withdrawal came first. */
export async function withdrawIncidentRow(
  trx: Db,
  code: string,
  by: string,
  reason: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('kpi_incident')
    .set({ withdrawn_by: by, withdrawn_at: new Date(), withdraw_reason: reason })
    .where('code', '=', code)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** An incident's state as its events record it (verify compares the two; src/modules/verify). */
function incidentState(row: IncidentRow): object {
  const at = (value: Date | null) => (value === null ? null : new Date(value).toISOString());
  return {
    code: row.code,
    fonds: row.fonds_code,
    region: row.region,
    kind: row.kind,
    occurredAt: at(row.occurred_at),
    description: row.description,
    alertActor: row.alert_actor,
    alertHour: at(row.alert_hour),
    recordedBy: row.recorded_by,
    withdrawnBy: row.withdrawn_by,
    withdrawnAt: at(row.withdrawn_at),
    withdrawReason: row.withdraw_reason,
  };
}

/** The state of every incident (or one), keyed incident:<code>. */
export async function incidentStateRows(db: Db, code?: string): Promise<Map<string, object>> {
  const which = code === undefined ? sql`true` : sql`k.code = ${code}`;
  const { rows } = await sql<IncidentRow>`select * from kpi_incident k where ${which} order by k.id`.execute(
    db,
  );
  return new Map(rows.map((row) => [`incident:${row.code}`, incidentState(row)]));
}

/** The standing record of an upheld alert of this account and hour, if any. */
export async function standingAlert(db: Db, actor: string, hour: Date): Promise<string | undefined> {
  const { rows } = await sql<{ code: string }>`select code from kpi_incident
    where kind = 'alert' and alert_actor = ${actor} and alert_hour = ${hour} and withdrawn_at is null`.execute(
    db,
  );
  return rows[0]?.code;
}
