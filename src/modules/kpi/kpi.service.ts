import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { beijingIso } from '../../shared/beijing-time.js';
import { invalid, notFound } from '../../shared/errors.js';
import { listFonds } from '../catalog/catalog.queries.js';
import { scopedQuery } from '../catalog/item.scope.js';
import { regionFullName, regionName } from '../regions/regions.js';
import { type UnitUseCount, useCountsByUnit } from '../use/use.counts.js';
import { USE_KIND_NAMES, USE_KINDS } from '../use/use.names.js';
import {
  beijingYear,
  type IndicatorDefinition,
  indicatorDefinitions,
  parseYear,
  timelyDays,
} from './kpi.definitions.js';
import { countIncidents, countItems, countReads, type ItemCounts, type UnitKey } from './kpi.repo.js';

// 考核指标 per unit (全宗/立档单位) and 统筹区, per year: counts only, never archive content, and only
// of what the caller's scope holds (a unit outside it is not found). Each number comes from the module
// that keeps it: catalog (items), storage (files, fixity), check (四性检测), use (利用), the log (reads)
// and the kpi module's own 安全事件.

type UseKind = UnitUseCount['kind'];
type FondsRow = Awaited<ReturnType<typeof listFonds>>[number];

export interface KpiQuery {
  year?: string | number;
  fonds?: string;
  region?: string;
}

export interface Ratio {
  numerator: number;
  denominator: number;
  /** numerator / denominator, null when the denominator is 0. */
  rate: number | null;
  /** e.g. 95.24%, — when there is nothing to count. */
  percent: string;
}

export interface UnitIndicators {
  level: 'fonds' | 'region' | 'total';
  /** 全宗号, 统筹区代码, or 合计 */
  code: string;
  name: string;
  items: number;
  completeness: Ratio;
  electronic: Ratio;
  digitised: Ratio;
  timely: Ratio;
  uses: { uses: number; items: number; byKind: Array<{ kind: UseKind; kindName: string; uses: number }> };
  incidents: {
    alerts: number;
    leaks: number;
    total: number;
    reads: number;
    /** Incidents per 10,000 reads (two decimals); null without reads. */
    per10k: number | null;
  };
}

export interface KpiAnswer {
  year: number;
  timelyDays: number;
  asOf: string;
  definitions: IndicatorDefinition[];
  units: UnitIndicators[];
  regions: UnitIndicators[];
  total: UnitIndicators;
}

export function ratio(numerator: number, denominator: number): Ratio {
  const rate = denominator === 0 ? null : numerator / denominator;
  return { numerator, denominator, rate, percent: rate === null ? '—' : `${(rate * 100).toFixed(2)}%` };
}

/** Whether a fonds lies within the caller's scope (a row naming it, or a row of all fonds of its region). */
function fondsVisible(access: AccessContext, fonds: FondsRow): boolean {
  if (access.kind === 'system') return true;
  return access.scope.rows.some(
    (row) =>
      row.fondsCode === fonds.code ||
      (row.fondsCode === null &&
        (row.regionPrefix === null || fonds.regionCode.startsWith(row.regionPrefix))),
  );
}

function parseRegion(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const code = text.trim();
  if (!/^\d{2}(\d{2}){0,2}$/.test(code))
    throw invalid('KPI_QUERY_INVALID', `统筹区应为 2、4 或 6 位行政区划代码，实际为“${code.slice(0, 20)}”`);
  if (!regionName(code.padEnd(6, '0')))
    throw notFound('KPI_UNIT_NOT_FOUND', `统筹区“${code}”不是有效的行政区划代码`);
  // 320100 (a prefecture) covers its counties: its prefix 3201; 320000 → 32.
  return code.length === 6 ? code.replace(/(00)+$/, '') || code : code;
}

function parseFonds(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const code = text.trim();
  if (!/^[A-Za-z0-9]{1,4}$/.test(code))
    throw invalid('KPI_QUERY_INVALID', `全宗号应为 1–4 位字母或数字，实际为“${code.slice(0, 20)}”`);
  return code;
}

interface Selection {
  year: number;
  fondsCode?: string;
  regionPrefix?: string;
}

/** The caller's units, the selection checked against them: a unit outside the scope is not found. */
async function selectUnits(
  db: Db,
  access: AccessContext,
  query: KpiQuery,
  now: Date,
): Promise<{ selection: Selection; fonds: FondsRow[]; visible: FondsRow[] }> {
  if (access.kind === 'principal') access.authorize('kpi.read');
  const currentYear = Number((beijingIso(now) as string).slice(0, 4));
  const year = parseYear(query.year, currentYear);
  const fondsCode = parseFonds(query.fonds);
  const regionPrefix = parseRegion(query.region);
  const fonds = await listFonds(db);
  const visible = fonds.filter((row) => fondsVisible(access, row));
  if (fondsCode !== undefined && !visible.some((row) => row.code === fondsCode))
    throw notFound('KPI_UNIT_NOT_FOUND', `全宗“${fondsCode}”不存在`);
  return { selection: { year, fondsCode, regionPrefix }, fonds, visible };
}

function emptyCounts(key: UnitKey): ItemCounts {
  return { ...key, items: 0, complete: 0, electronic: 0, paper: 0, digitised: 0, handled: 0, timely: 0 };
}

const keyText = (level: string, code: string | null) => `${level}:${code ?? ''}`;

/** The indicators of the year for the caller's units, 统筹区 and in total. */
export async function assessmentIndicators(
  db: Db,
  access: AccessContext,
  query: KpiQuery,
  options: { now?: Date; env?: NodeJS.ProcessEnv } = {},
): Promise<KpiAnswer> {
  const now = options.now ?? new Date();
  const days = timelyDays(options.env);
  const { selection, fonds, visible } = await selectUnits(db, access, query, now);
  const scope = scopedQuery(access);
  const range = beijingYear(selection.year);
  const filter = { fondsCode: selection.fondsCode, regionPrefix: selection.regionPrefix };
  const items = await countItems(db, scope, selection, days);
  const reads = await countReads(db, scope, range, filter);
  const incidents = await countIncidents(db, access, range, filter);
  const uses = await useCountsByUnit(db, access, { ...range, fondsCode: selection.fondsCode });

  const fondsRegion = new Map(fonds.map((row) => [row.code, row.regionCode]));
  const fondsName = new Map(fonds.map((row) => [row.code, row.name]));
  const codeOf = (key: UnitKey) =>
    key.level === 'fonds' ? key.fondsCode : key.level === 'region' ? key.region : null;
  const byKey = <T extends UnitKey>(rows: T[]) =>
    new Map(rows.map((row) => [keyText(row.level, codeOf(row)), row]));
  const itemsBy = byKey(items);
  const readsBy = byKey(reads);
  const incidentsBy = byKey(incidents);

  // Uses come counted by fonds, 统筹区 and kind: folded here into the same three levels.
  const usesBy = new Map<string, { uses: number; items: number; kinds: Map<UseKind, number> }>();
  for (const row of uses) {
    const region = row.poolingRegion ?? (row.fondsCode ? fondsRegion.get(row.fondsCode) : undefined) ?? null;
    if (selection.regionPrefix !== undefined && !(region ?? '').startsWith(selection.regionPrefix)) continue;
    for (const key of [keyText('fonds', row.fondsCode), keyText('region', region), keyText('total', null)]) {
      const entry = usesBy.get(key) ?? { uses: 0, items: 0, kinds: new Map() };
      entry.uses += row.uses;
      // Distinct 档号 per fonds, 统筹区 and kind: a sum over kinds may count an item used two ways twice.
      entry.items += row.items;
      entry.kinds.set(row.kind, (entry.kinds.get(row.kind) ?? 0) + row.uses);
      usesBy.set(key, entry);
    }
  }

  const unit = (key: UnitKey, code: string, name: string): UnitIndicators => {
    const text = keyText(key.level, codeOf(key));
    const counts = itemsBy.get(text) ?? emptyCounts(key);
    const read = readsBy.get(text)?.reads ?? 0;
    const incident = incidentsBy.get(text) ?? { alerts: 0, leaks: 0 };
    const used = usesBy.get(text);
    const total = incident.alerts + incident.leaks;
    return {
      level: key.level,
      code,
      name,
      items: counts.items,
      completeness: ratio(counts.complete, counts.items),
      electronic: ratio(counts.electronic, counts.items),
      digitised: ratio(counts.digitised, counts.paper),
      timely: ratio(counts.timely, counts.handled),
      uses: {
        uses: used?.uses ?? 0,
        items: used?.items ?? 0,
        byKind: USE_KINDS.map((kind) => ({
          kind,
          kindName: USE_KIND_NAMES[kind],
          uses: used?.kinds.get(kind) ?? 0,
        })),
      },
      incidents: {
        alerts: incident.alerts,
        leaks: incident.leaks,
        total,
        reads: read,
        per10k: read === 0 ? null : Math.round((total / read) * 10_000 * 100) / 100,
      },
    };
  };

  // Every unit in scope is listed (a unit with nothing filed shows zeros), and any other fonds whose
  // items the scope reaches (a region scope over items of a fonds elsewhere).
  const counted = new Set(
    [...items, ...reads, ...incidents]
      .filter((row) => row.level === 'fonds')
      .map((row) => row.fondsCode as string),
  );
  const unitCodes = fonds
    .filter((row) => visible.includes(row) || counted.has(row.code))
    .filter((row) => selection.fondsCode === undefined || row.code === selection.fondsCode)
    .filter(
      (row) =>
        selection.regionPrefix === undefined ||
        row.regionCode.startsWith(selection.regionPrefix) ||
        counted.has(row.code),
    )
    .map((row) => row.code);
  const regionCodes = [
    ...new Set(
      [...items, ...reads, ...incidents]
        .filter((row) => row.level === 'region' && row.region !== null)
        .map((row) => row.region as string),
    ),
  ].sort();
  return {
    year: selection.year,
    timelyDays: days,
    asOf: beijingIso(now) as string,
    definitions: indicatorDefinitions(days),
    units: unitCodes.map((code) =>
      unit({ level: 'fonds', fondsCode: code, region: null }, code, fondsName.get(code) ?? code),
    ),
    regions: regionCodes.map((code) =>
      unit({ level: 'region', fondsCode: null, region: code }, code, regionFullName(code) ?? code),
    ),
    total: unit({ level: 'total', fondsCode: null, region: null }, '合计', '合计'),
  };
}
