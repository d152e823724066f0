import { invalid } from '../../shared/errors.js';

// The assessment indicators (考核指标) and how each is computed, in the words shown beside the
// numbers (console, CLI, API, the report): numerator, denominator and what counts.

/** Default of YIDANG_KPI_TIMELY_DAYS: an item filed within 30 days of its 办理时间 is filed on time. */
export const DEFAULT_TIMELY_DAYS = 30;

/** Days after 办理时间 within which filing counts as timely (YIDANG_KPI_TIMELY_DAYS, 1–365, default 30). */
export function timelyDays(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.YIDANG_KPI_TIMELY_DAYS?.trim();
  if (text === undefined || text === '') return DEFAULT_TIMELY_DAYS;
  const days = Number(text);
  if (!/^\d+$/.test(text) || days < 1 || days > 365)
    throw invalid(
      'CONFIG_INVALID',
      `配置错误：YIDANG_KPI_TIMELY_DAYS 应为 1 到 365 之间的整数天数，实际为“${text.slice(0, 20)}”`,
    );
  return days;
}

export type IndicatorKey = 'completeness' | 'electronic' | 'digitised' | 'timely' | 'uses' | 'incidents';

export interface IndicatorDefinition {
  key: IndicatorKey;
  name: string;
  /** 分子 */
  numerator: string;
  /** 分母 */
  denominator: string;
  /** 计算方法: what counts, in a sentence or two. */
  method: string;
}

/** The indicators as shown, with their computation; the timely window is the setting in force. */
export function indicatorDefinitions(days: number): IndicatorDefinition[] {
  return [
    {
      key: 'completeness',
      name: '档案完整率',
      numerator: '著录完整且（电子档案）文件齐全、校验通过的档案件数',
      denominator: '本年度档案件数',
      method:
        '著录完整：题名、责任者、文件日期，类别要求的参保人身份证号与姓名、金额、必填扩展项，纸质与纸电双套档案的存放位置均已填写；电子与纸电双套档案另须附有电子文件，文件各副本在最近一次定期校验中无缺失或损坏，且最近一次四性检测全部通过（未检测的不计入分子）。',
    },
    {
      key: 'electronic',
      name: '电子归档率',
      numerator: '以电子文件归档的档案件数（载体为电子或纸电双套且附有电子文件）',
      denominator: '本年度档案件数',
      method: '纸质档案的扫描件不计入分子（计入数字化率）。',
    },
    {
      key: 'digitised',
      name: '数字化率',
      numerator: '附有扫描件（电子文件）的纸质档案件数',
      denominator: '本年度纸质档案件数',
      method: '载体为“纸质”的档案中，已附扫描件或其他电子文件的件数占比。',
    },
    {
      key: 'timely',
      name: '归档及时率',
      numerator: `办理时间后 ${days} 日内归档的档案件数`,
      denominator: '本年度登记了办理时间的档案件数',
      method: `归档时间（系统登记时间）不晚于办理时间加 ${days} 日即为及时（YIDANG_KPI_TIMELY_DAYS，默认 ${DEFAULT_TIMELY_DAYS} 日）；未登记办理时间的档案不计入分子和分母。`,
    },
    {
      key: 'uses',
      name: '利用次数',
      numerator: '本年内利用登记簿中的利用次数（实体借出、电子阅览、复制、查询答复）',
      denominator: '—',
      method:
        '按利用时间（北京时间）所在年度、所利用档案的全宗与统筹区计数；另列利用档案件数（按利用方式分别去重后相加，同一档案以两种方式利用计两件）。',
    },
    {
      key: 'incidents',
      name: '安全事故率',
      numerator: '本年内确认的安全事件数（经审计员认定的查阅告警与登记的泄密事件，已撤销的不计）',
      denominator: '本年内调阅文件与查阅敏感档案的次数（file.read、item.read 事件）÷ 10000',
      method: '即每万次查阅发生的安全事件数；没有查阅时不计算比率。',
    },
  ];
}

/** 年度: four digits, 2000–2100; the current Beijing year when absent. */
export function parseYear(text: string | number | undefined, current: number): number {
  if (text === undefined || text === '') return current;
  const value = typeof text === 'number' ? text : Number(String(text).trim());
  if (!Number.isInteger(value) || value < 2000 || value > 2100)
    throw invalid(
      'KPI_QUERY_INVALID',
      `年度应为 2000 到 2100 之间的四位年份，实际为“${String(text).slice(0, 20)}”`,
    );
  return value;
}

/** The instants bounding a Beijing calendar year. */
export function beijingYear(year: number): { from: Date; to: Date } {
  const eight = 8 * 3_600_000;
  return { from: new Date(Date.UTC(year, 0, 1) - eight), to: new Date(Date.UTC(year + 1, 0, 1) - eight) };
}
