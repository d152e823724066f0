import { regionName } from '../regions/regions.js';
import { firstDayOfYear, formatDay } from './calendar.js';
import type { Person } from './people.js';
import {
  CHRONIC_DISEASES,
  generateEmployer,
  localInstitution,
  otherCounty,
  REFERRAL_HOSPITALS,
  RESIDENCE_DESTINATIONS,
  type RegionProfile,
  SPECIAL_DISEASES,
  treatingHospital,
} from './places.js';
import type { Random } from './random.js';

// How each leaf category of the built-in scheme looks in practice: how common it is, which office files it,
// what its titles say, and which amounts are plausible. Categories without a profile still generate, with
// generic values, so adding a category to the scheme never breaks the generator.

export interface ItemContext {
  rng: Random;
  year: number;
  month: number;
  /** Day number of the item's date (see calendar.ts). */
  day: number;
  region: RegionProfile;
  poolingRegion: string;
  person?: Person;
  businessType: string;
  /**
   * Category-specific values; titles read them so title and fields tell the same story. It may hold
   * working values the category does not declare (an institution's name): only declared keys are output.
   */
  extra: Record<string, unknown>;
}

export interface CategoryProfile {
  /** Relative frequency among leaf categories. */
  weight: number;
  /** Office codes; the first is the usual one, later ones take the occasional file. */
  orgs: readonly string[];
  businessTypes: readonly string[];
  /** Replaces businessTypes when the record names a person (a self-employed contributor, a reported fraud). */
  personBusinessTypes?: readonly string[];
  /** First year the business existed (电子凭证 2019, 互联网诊疗 2020 …); earlier records would be anachronisms. */
  sinceYear?: number;
  /** For categories that do not require a person: how often a record still names one. */
  personChance?: number;
  ages?: readonly [number, number];
  /** Yuan range, drawn log-uniformly; a function when the range depends on the business. */
  amount?: readonly [number, number] | ((ctx: ItemContext) => readonly [number, number]);
  /** For categories that do not require an amount: how often a record still carries one. */
  amountChance?: number;
  /** Share of records issued as numbered documents, and the document-number word (医保发 …). */
  docNumber?: readonly [number, string];
  extra?: (ctx: ItemContext) => Record<string, unknown>;
  title: (ctx: ItemContext) => string;
}

const OUTPATIENT = [20, 3_000] as const;
const INPATIENT = [2_000, 200_000] as const;

const personName = (ctx: ItemContext): string => ctx.person?.name ?? '';

/** The month before the item's date: settlements and monthly reports cover the month just closed. */
function previousMonth(ctx: ItemContext): string {
  return ctx.month === 1 ? `${ctx.year - 1}年12月` : `${ctx.year}年${ctx.month - 1}月`;
}

function previousQuarter(ctx: ItemContext): string {
  const quarter = Math.floor((ctx.month - 1) / 3);
  return quarter === 0 ? `${ctx.year - 1}年第4季度` : `${ctx.year}年第${quarter}季度`;
}

function hospitalStay(ctx: ItemContext): Record<string, unknown> {
  // The review follows discharge; the stay itself is usually a week or two and stays within the year.
  const yearStart = firstDayOfYear(ctx.year);
  const discharge = Math.max(yearStart, ctx.day - ctx.rng.int(0, 20));
  const lengthOfStay = Math.round(ctx.rng.logUniform(2, 30));
  const admission = Math.max(yearStart, discharge - lengthOfStay);
  return {
    hospital: treatingHospital(ctx.rng, ctx.region, 0.15),
    admissionDate: formatDay(admission),
    dischargeDate: formatDay(discharge),
  };
}

const referralRegions = REFERRAL_HOSPITALS.map(([code]) => code);

export const CATEGORY_PROFILES: Record<string, CategoryProfile> = {
  CBDW: {
    weight: 2,
    orgs: ['CBK'],
    businessTypes: ['单位新参保登记', '单位信息变更登记', '单位注销登记'],
    docNumber: [0.05, '医保函'],
    extra: (ctx) => {
      const employer = generateEmployer(ctx.rng, ctx.region);
      return { unitCode: employer.code, unitName: employer.name };
    },
    title: (ctx) => `${ctx.extra.unitName} ${ctx.businessType}表`,
  },
  CBGR: {
    weight: 8,
    orgs: ['CBK'],
    businessTypes: [
      '职工基本医疗保险参保登记',
      '城乡居民基本医疗保险参保登记',
      '参保信息变更登记',
      '医保关系转移接续申请',
    ],
    title: (ctx) => `${personName(ctx)} ${ctx.businessType}表`,
  },
  JF: {
    weight: 5,
    orgs: ['CBK'],
    businessTypes: ['职工医保缴费核定'],
    personBusinessTypes: ['灵活就业人员缴费核定'],
    personChance: 0.4,
    ages: [18, 64],
    amount: (ctx) => (ctx.person ? [100, 8_000] : [1_000, 50_000]),
    extra: (ctx) => ({ period: previousMonth(ctx) }),
    title: (ctx) =>
      ctx.person
        ? `${personName(ctx)} ${ctx.extra.period} 灵活就业人员医疗保险费缴费核定单`
        : `${generateEmployer(ctx.rng, ctx.region).name} ${ctx.extra.period} 职工医疗保险费缴费核定单`,
  },
  ZH: {
    weight: 3,
    orgs: ['CBK', 'DYK'],
    businessTypes: ['个人账户家庭共济', '个人账户转移', '个人账户一次性支取'],
    ages: [18, 95],
    amount: [100, 30_000],
    amountChance: 0.5,
    title: (ctx) => `${personName(ctx)} ${ctx.businessType}申请表`,
  },
  DYMZ: {
    weight: 18,
    orgs: ['DYK'],
    businessTypes: ['普通门诊统筹', '门诊急诊', '门诊特殊用药'],
    amount: OUTPATIENT,
    title: (ctx) =>
      ctx.rng.chance(0.6)
        ? `${personName(ctx)} 门诊费用报销审核表`
        : `${personName(ctx)} ${ctx.businessType}待遇审核表`,
  },
  DYZY: {
    weight: 12,
    orgs: ['DYK'],
    businessTypes: ['普通住院', '急诊住院', '转诊转院住院'],
    amount: INPATIENT,
    extra: hospitalStay,
    title: (ctx) =>
      ctx.rng.chance(0.6)
        ? `${personName(ctx)} 住院费用报销审核表`
        : `${personName(ctx)} ${ctx.extra.hospital}住院费用审核单`,
  },
  DYMT: {
    weight: 6,
    orgs: ['DYK'],
    businessTypes: ['门诊慢特病待遇认定', '门诊慢特病待遇复审'],
    ages: [10, 95],
    amount: [100, 20_000],
    amountChance: 0.3,
    extra: (ctx) => ({
      disease: ctx.rng.weighted(SPECIAL_DISEASES),
      validUntil: `${ctx.year + ctx.rng.int(1, 3)}-12-31`,
    }),
    title: (ctx) => `${personName(ctx)} ${ctx.businessType}表（${ctx.extra.disease}）`,
  },
  JSDD: {
    weight: 6,
    orgs: ['JSK'],
    businessTypes: ['月度结算', '年度清算', '预付金拨付'],
    amount: [10_000, 5_000_000],
    docNumber: [0.15, '医保发'],
    extra: (ctx) => {
      const institution = localInstitution(ctx.rng, ctx.region, 0.25);
      const annual = ctx.businessType === '年度清算';
      return {
        institutionCode: institution.code,
        settlementPeriod: annual ? `${ctx.year - 1}年度` : previousMonth(ctx),
        institutionName: institution.name,
      };
    },
    title: (ctx) => {
      const kind = String(ctx.extra.institutionCode).startsWith('P') ? '定点零售药店' : '定点医疗机构';
      const form = ctx.businessType === '预付金拨付' ? '医保预付金拨付审批表' : `${kind}结算汇总表`;
      return `${ctx.extra.settlementPeriod} ${ctx.extra.institutionName} ${form}`;
    },
  },
  JSLX: {
    weight: 12,
    orgs: ['JSK'],
    businessTypes: ['门诊零星报销', '住院零星报销'],
    amount: (ctx) => (ctx.businessType === '门诊零星报销' ? OUTPATIENT : [1_000, 100_000]),
    extra: (ctx) => ({ hospital: treatingHospital(ctx.rng, ctx.region, 0.5) }),
    title: (ctx) => `${personName(ctx)} 零星医疗费用报销审批表（${ctx.extra.hospital}）`,
  },
  JSYD: {
    weight: 8,
    orgs: ['JSK'],
    businessTypes: ['异地住院直接结算', '异地门诊直接结算', '异地门诊慢特病直接结算'],
    amount: (ctx) => (ctx.businessType === '异地住院直接结算' ? INPATIENT : OUTPATIENT),
    extra: (ctx) => ({ treatmentRegion: otherCounty(ctx.rng, ctx.poolingRegion, referralRegions) }),
    title: (ctx) =>
      `${personName(ctx)} ${ctx.businessType}明细表（${regionName(String(ctx.extra.treatmentRegion))}）`,
  },
  JGJH: {
    weight: 1.5,
    orgs: ['JGK'],
    businessTypes: ['日常稽核', '专项检查', '飞行检查', '举报核查'],
    personBusinessTypes: ['举报核查'],
    personChance: 0.1,
    ages: [18, 90],
    amount: [1_000, 500_000],
    amountChance: 0.4,
    docNumber: [0.6, '医保稽'],
    title: (ctx) => {
      if (ctx.person) return `关于${personName(ctx)}涉嫌骗取医保基金的${ctx.businessType}报告`;
      const institution = localInstitution(ctx.rng, ctx.region, 0.3).name;
      return ctx.rng.chance(0.5)
        ? `关于${institution}${ctx.year}年度医保基金使用情况的稽核报告`
        : `${institution} ${ctx.businessType}处理决定书`;
    },
  },
  JGNK: {
    weight: 1,
    orgs: ['JGK', 'BGS'],
    businessTypes: ['内控自查', '内控制度', '风险评估'],
    docNumber: [0.5, '医保办'],
    title: (ctx) => {
      const agency = `${ctx.region.agencyPrefix}医疗保障局`;
      if (ctx.businessType === '内控制度') return `关于印发《${agency}医保经办内部控制管理办法》的通知`;
      if (ctx.businessType === '风险评估') return `${agency}${ctx.year}年度医保经办风险点排查评估报告`;
      return `${agency}${ctx.year}年度内部控制自查报告`;
    },
  },
  BA: {
    weight: 5,
    orgs: ['DYK'],
    businessTypes: ['异地就医备案'],
    extra: (ctx) => {
      const filingType = ctx.rng.pick([
        '异地长期居住',
        '异地长期居住',
        '临时外出就医',
        '临时外出就医',
        '异地转诊',
      ]);
      const preferred =
        filingType === '异地长期居住'
          ? RESIDENCE_DESTINATIONS
          : filingType === '异地转诊'
            ? referralRegions
            : [];
      return { destinationRegion: otherCounty(ctx.rng, ctx.poolingRegion, preferred), filingType };
    },
    title: (ctx) => `${personName(ctx)} 异地就医备案登记表（${ctx.extra.filingType}）`,
  },
  JZ: {
    weight: 2.5,
    orgs: ['DYK'],
    businessTypes: ['住院救助', '门诊救助', '资助参保'],
    amount: [200, 30_000],
    extra: (ctx) => ({
      assistanceType: ctx.rng.pick(['特困人员', '低保对象', '低保对象', '返贫致贫人口', '其他']),
    }),
    title: (ctx) => `${personName(ctx)} 医疗救助审批表（${ctx.extra.assistanceType}）`,
  },
  DB: {
    weight: 2.5,
    orgs: ['DYK', 'JSK'],
    businessTypes: ['大病保险补偿'],
    amount: [5_000, 300_000],
    title: (ctx) => `${personName(ctx)} 大病保险补偿审核表`,
  },
  CH: {
    weight: 1.5,
    orgs: ['DYK'],
    businessTypes: ['失能等级评估', '护理服务费用结算'],
    sinceYear: 2016,
    ages: [60, 95],
    amount: [500, 20_000],
    amountChance: 0.4,
    extra: (ctx) => ({ disabilityLevel: ctx.rng.pick(['轻度', '中度', '重度一级', '重度二级', '重度三级']) }),
    title: (ctx) =>
      ctx.businessType === '失能等级评估'
        ? `${personName(ctx)} 长期护理保险失能等级评估表（${ctx.extra.disabilityLevel}）`
        : `${personName(ctx)} 长期护理保险护理服务费用结算单`,
  },
  MB: {
    weight: 4,
    orgs: ['DYK'],
    businessTypes: ['两病门诊用药保障'],
    sinceYear: 2019,
    ages: [35, 95],
    amount: OUTPATIENT,
    amountChance: 0.3,
    extra: (ctx) => ({ disease: ctx.rng.weighted(CHRONIC_DISEASES) }),
    title: (ctx) => `${personName(ctx)} “两病”门诊用药保障登记表（${ctx.extra.disease}）`,
  },
  FP: {
    weight: 2,
    orgs: ['DYK', 'CBK'],
    businessTypes: ['资助参保', '倾斜救助', '参保动态监测'],
    amount: [100, 5_000],
    amountChance: 0.3,
    extra: (ctx) => ({
      povertyStatus: ctx.rng.pick(['脱贫人口', '脱贫人口', '监测对象', '特困人员', '低保对象']),
    }),
    title: (ctx) => `${personName(ctx)} 医疗保障帮扶对象${ctx.businessType}登记表`,
  },
  HL: {
    weight: 1.5,
    orgs: ['JSK', 'DYK'],
    businessTypes: ['互联网复诊', '电子处方流转'],
    sinceYear: 2020,
    amount: [20, 1_000],
    amountChance: 0.6,
    title: (ctx) => `${personName(ctx)} ${ctx.businessType}医保结算记录`,
  },
  PZ: {
    weight: 1.5,
    orgs: ['CBK'],
    businessTypes: ['电子凭证激活', '亲情账户绑定', '电子凭证解绑'],
    sinceYear: 2019,
    ages: [16, 95],
    title: (ctx) => `${personName(ctx)} 医保${ctx.businessType}记录`,
  },
  TJND: {
    weight: 0.5,
    orgs: ['BGS', 'BGS', 'JSK'],
    businessTypes: ['统计年报'],
    docNumber: [0.3, '医保发'],
    // Annual reports are compiled in the following year.
    extra: (ctx) => ({ reportPeriod: `${ctx.year - 1}年度` }),
    title: (ctx) =>
      ctx.rng.chance(0.5)
        ? `${ctx.extra.reportPeriod} ${ctx.region.agencyPrefix}基本医疗保险基金收支统计年报`
        : `${ctx.extra.reportPeriod} ${ctx.region.agencyPrefix}医疗保障待遇享受情况统计表`,
  },
  TJYJ: {
    weight: 0.8,
    orgs: ['BGS', 'JSK'],
    businessTypes: ['统计月报', '统计季报'],
    extra: (ctx) => ({
      reportPeriod: ctx.businessType === '统计季报' ? previousQuarter(ctx) : previousMonth(ctx),
    }),
    title: (ctx) => `${ctx.extra.reportPeriod} 医疗保障基金收支${ctx.businessType}`,
  },
};

/** Used for categories the scheme gains later: rare, filed by the office, titled by the category name. */
export function genericProfile(categoryName: string): CategoryProfile {
  return {
    weight: 1,
    orgs: ['BGS'],
    businessTypes: [categoryName],
    amount: [100, 10_000],
    title: (ctx) => `${ctx.person ? `${ctx.person.name} ` : ''}${categoryName}材料（${ctx.year}年）`,
  };
}
