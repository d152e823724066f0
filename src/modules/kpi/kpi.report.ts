import type { Db } from '../../db/database.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { beijingDateTime } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import type { LedgerDocument, LedgerSection } from '../ledgers/ledger.document.js';
import { renderLedgerFiles } from '../ledgers/ledger.files.js';
import { INCIDENT_KINDS, type Incident, listIncidents } from './kpi.incident.js';
import {
  assessmentIndicators,
  type KpiAnswer,
  type KpiQuery,
  type Ratio,
  type UnitIndicators,
} from './kpi.service.js';

// 考核报告: the year's indicators of the caller's units as XLSX or PDF, with how each is computed and the
// numbers behind each rate, rendered by the ledgers' renderer on the CPU pool (the same document
// becomes both files). Counts only: no archive content, only what the caller's scope holds.

export type ReportFormat = 'xlsx' | 'pdf';

const LEVEL_NAMES: Record<UnitIndicators['level'], string> = {
  fonds: '立档单位',
  region: '统筹区',
  total: '合计',
};
const pair = (value: Ratio) => `${value.numerator}/${value.denominator}`;

function indicatorRows(units: UnitIndicators[]): LedgerSection['rows'] {
  return units.map((unit) => ({
    level: LEVEL_NAMES[unit.level],
    code: unit.level === 'total' ? '—' : unit.code,
    name: unit.name,
    items: unit.items,
    completeness: unit.completeness.percent,
    completenessOf: pair(unit.completeness),
    electronic: unit.electronic.percent,
    electronicOf: pair(unit.electronic),
    digitised: unit.digitised.percent,
    digitisedOf: pair(unit.digitised),
    timely: unit.timely.percent,
    timelyOf: pair(unit.timely),
    uses: unit.uses.uses,
    incidents: unit.incidents.total,
    reads: unit.incidents.reads,
    rate: unit.incidents.per10k === null ? '—' : unit.incidents.per10k.toFixed(2),
  }));
}

/** The report as a document for the renderers. */
export function reportDocument(
  answer: KpiAnswer,
  incidents: Incident[],
  query: KpiQuery,
  madeBy: string,
  now: Date,
): LedgerDocument {
  const units = answer.units;
  const agency = units.length === 1 ? (units[0]?.name ?? '') : `${units.length} 个立档单位`;
  return {
    title: `${answer.year}年度档案工作考核报告`,
    period: `${answer.year}年度（北京时间 ${answer.year}年1月1日至12月31日）`,
    agency,
    cover: [
      { label: '考核年度', value: String(answer.year) },
      { label: '立档单位', value: units.map((unit) => `${unit.code} ${unit.name}`).join('；') || '（无）' },
      { label: '统筹区', value: query.region ? String(query.region) : '全部（您的管辖范围）' },
      { label: '档案件数', value: String(answer.total.items) },
      {
        label: '档案完整率',
        value: `${answer.total.completeness.percent}（${pair(answer.total.completeness)}）`,
      },
      {
        label: '电子归档率',
        value: `${answer.total.electronic.percent}（${pair(answer.total.electronic)}）`,
      },
      { label: '数字化率', value: `${answer.total.digitised.percent}（${pair(answer.total.digitised)}）` },
      { label: '归档及时率', value: `${answer.total.timely.percent}（${pair(answer.total.timely)}）` },
      { label: '利用次数', value: String(answer.total.uses.uses) },
      {
        label: '安全事故率',
        value:
          answer.total.incidents.per10k === null
            ? `无查阅（安全事件 ${answer.total.incidents.total} 起）`
            : `每万次查阅 ${answer.total.incidents.per10k.toFixed(2)} 起（${answer.total.incidents.total} 起 / ${answer.total.incidents.reads} 次查阅）`,
      },
      { label: '归档及时期限', value: `办理时间后 ${answer.timelyDays} 日内` },
      { label: '统计时间', value: beijingDateTime(answer.asOf) },
      { label: '说明', value: '本报告只含计数，不含档案内容；按编制人的管辖范围统计。' },
    ],
    sections: [
      {
        title: '考核指标',
        columns: [
          { key: 'level', header: '层级', width: 6 },
          { key: 'code', header: '代码', width: 7 },
          { key: 'name', header: '名称', width: 16 },
          { key: 'items', header: '档案件数', width: 7, kind: 'count' },
          { key: 'completeness', header: '档案完整率', width: 8 },
          { key: 'completenessOf', header: '完整/总数', width: 9 },
          { key: 'electronic', header: '电子归档率', width: 8 },
          { key: 'electronicOf', header: '电子/总数', width: 9 },
          { key: 'digitised', header: '数字化率', width: 8 },
          { key: 'digitisedOf', header: '已扫描/纸质', width: 9 },
          { key: 'timely', header: '归档及时率', width: 8 },
          { key: 'timelyOf', header: '及时/有办理时间', width: 10 },
          { key: 'uses', header: '利用次数', width: 7, kind: 'count' },
          { key: 'incidents', header: '安全事件', width: 7, kind: 'count' },
          { key: 'reads', header: '查阅次数', width: 7, kind: 'count' },
          { key: 'rate', header: '每万次查阅事件数', width: 9 },
        ],
        rows: indicatorRows([...answer.units, ...answer.regions, answer.total]),
      },
      {
        title: '计算方法',
        columns: [
          { key: 'name', header: '指标', width: 10 },
          { key: 'numerator', header: '分子', width: 30 },
          { key: 'denominator', header: '分母', width: 24 },
          { key: 'method', header: '计算方法', width: 60 },
        ],
        rows: answer.definitions.map((definition) => ({ ...definition })),
      },
      {
        title: '安全事件',
        columns: [
          { key: 'code', header: '编号', width: 12 },
          { key: 'fonds', header: '全宗号', width: 7 },
          { key: 'region', header: '统筹区', width: 8 },
          { key: 'kind', header: '类型', width: 14 },
          { key: 'occurredAt', header: '发生时间', width: 18 },
          { key: 'description', header: '事件经过', width: 40 },
          { key: 'state', header: '状态', width: 16 },
        ],
        rows: incidents.map((incident) => ({
          code: incident.code,
          fonds: incident.fonds,
          region: incident.region,
          kind: INCIDENT_KINDS[incident.kind],
          occurredAt: beijingDateTime(incident.occurredAt),
          description: incident.description,
          state: incident.withdrawn ? `已撤销（${incident.withdrawn.reason}）` : '计入',
        })),
      },
    ],
    madeAt: now,
    madeBy,
  };
}

/** The 考核报告 of the caller's units (or one unit, one 统筹区) for a year, as XLSX or PDF. */
export async function assessmentReport(
  db: Db,
  access: AccessContext,
  query: KpiQuery & { format?: string },
  now = new Date(),
): Promise<{ file: Buffer; fileBase: string; format: ReportFormat }> {
  const format = (query.format ?? 'xlsx') as ReportFormat;
  if (format !== 'xlsx' && format !== 'pdf') throw invalid('KPI_QUERY_INVALID', '报告格式应为 xlsx 或 pdf');
  const answer = await assessmentIndicators(db, access, query, { now });
  const units = new Set(answer.units.map((unit) => unit.code));
  const incidents = (await listIncidents(db, access, { year: answer.year, fonds: query.fonds }, now)).filter(
    (incident) =>
      units.has(incident.fonds) &&
      (query.region === undefined || incident.region.startsWith(String(query.region).replace(/(00)+$/, ''))),
  );
  const document = reportDocument(answer, incidents, query, actorIn(access), now);
  const files = await renderLedgerFiles(document, [format]);
  const fileBase = `考核报告-${answer.year}${query.fonds ? `-${query.fonds}` : ''}${query.region ? `-${query.region}` : ''}`;
  return { file: files[format], fileBase, format };
}
