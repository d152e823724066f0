import { COUNTY_CODES, isRegionCode, regionName } from '../regions/regions.js';
import { hashSeed, pad, Random, type WeightedTable, weightedTable } from './random.js';

// Institutions, employers, diseases and destinations the fake records refer to. County-level names are
// built from the real division name so a record reads as local to its fonds' region.

const COUNTY_SET = new Set(COUNTY_CODES);
// Division codes get renumbered over time; dropping stale ones keeps every generated region code valid.
const isCounty = (code: string) => COUNTY_SET.has(code);

/** Where patients from elsewhere go for serious treatment: a real county code and a hospital there. */
export const REFERRAL_HOSPITALS: readonly (readonly [string, string])[] = (
  [
    ['110101', '北京协和医院'],
    ['110108', '中国人民解放军总医院'],
    ['110102', '北京大学第一医院'],
    ['110106', '首都医科大学附属北京天坛医院'],
    ['310104', '复旦大学附属中山医院'],
    ['310101', '上海交通大学医学院附属瑞金医院'],
    ['510107', '四川大学华西医院'],
    ['440104', '中山大学附属第一医院'],
    ['330102', '浙江大学医学院附属第一医院'],
    ['420103', '华中科技大学同济医学院附属同济医院'],
    ['430105', '中南大学湘雅医院'],
    ['320106', '江苏省人民医院'],
    ['370102', '山东大学齐鲁医院'],
    ['410103', '郑州大学第一附属医院'],
    ['610113', '西安交通大学第一附属医院'],
  ] as const
).filter(([code]) => isCounty(code));

/** Destinations retirees file for when they move in with children or winter in the south. */
export const RESIDENCE_DESTINATIONS: readonly string[] = [
  '460105',
  '460108',
  '460202',
  '460203',
  '450502',
  '532801',
  '440304',
  '440305',
  '310115',
  '330108',
].filter(isCounty);

export const randomCounty = (rng: Random): string => rng.pick(COUNTY_CODES);

/** A county other than `except`, so a trip elsewhere is really elsewhere. */
export function otherCounty(rng: Random, except: string, preferred: readonly string[] = []): string {
  for (let attempt = 0; attempt < 4; attempt++) {
    const code = preferred.length > 0 && rng.chance(0.6) ? rng.pick(preferred) : randomCounty(rng);
    if (code !== except) return code;
  }
  return COUNTY_CODES.find((code) => code !== except) as string;
}

export interface Institution {
  name: string;
  /** National medical-insurance institution code: H for hospitals, P for pharmacies, then the county. */
  code: string;
}

export interface RegionProfile {
  code: string;
  name: string;
  /** Name without its administrative suffix, as used in document numbers: 江宁区 → 江宁. */
  shortName: string;
  /** How the county names its offices: districts carry their city's name (南京市江宁区), counties stand alone. */
  agencyPrefix: string;
  /** The administrative bureau, the usual 责任者. */
  bureau: string;
  /** The handling agency (经办机构); counties name theirs differently, so each keeps one name. */
  agency: string;
  /** Other counties of the same prefecture, for pooling regions and household registers nearby. */
  nearby: readonly string[];
  hospitals: readonly Institution[];
  pharmacies: readonly Institution[];
}

const TOWNS = words(
  '城关镇 新桥镇 白马镇 青山镇 河口镇 东湖镇 石桥镇 柳林镇 双河镇 长兴镇 太平镇 永安镇 龙泉镇 和平镇',
);
const STREETS = words('人民路 解放路 中山路 建设路 文化路 新华路 胜利路 和平路 长江路 滨江路 府前街 东大街');
const SUBDISTRICTS = words('城东街道 城西街道 城南街道 城北街道 新城街道 滨湖街道 开发区街道');
const AGENCY_NAMES = words('医疗保障服务中心 医疗保障事业管理中心 医疗保险基金管理中心 医疗保障局');
const PHARMACY_BRANDS = words('康民大药房 仁和堂药店 百姓康大药房 济生堂药房 惠民大药房 益寿堂药店');

function words(text: string): string[] {
  return text.split(' ');
}

function shortNameOf(name: string): string {
  const stripped = name.replace(/(自治县|自治旗|林区|特区|县|区|市|旗)$/, '');
  // 麻阳苗族自治县 → 麻阳: autonomous counties put the ethnic group between place and suffix.
  const short = stripped.includes('族') ? stripped.slice(0, 2) : stripped;
  return short.length >= 2 ? short : name;
}

const profiles = new Map<string, RegionProfile>();

export function regionProfile(code: string): RegionProfile {
  const cached = profiles.get(code);
  if (cached) return cached;
  if (!isRegionCode(code)) throw new Error(`不是有效的行政区划代码：${code}`);
  const name = regionName(code) as string;
  const prefectureCode = `${code.slice(0, 4)}00`;
  const prefectureName = prefectureCode !== code ? regionName(prefectureCode) : undefined;
  const agencyPrefix = prefectureName && name.endsWith('区') ? prefectureName + name : name;
  // Seeded by the code alone so a county keeps the same hospitals whatever seed the caller uses.
  const rng = new Random(hashSeed(`places:${code}`));
  const institutionCode = (letter: string) => `${letter}${code}${pad(rng.int(1, 99_999), 5)}`;
  const hospitalNames = [
    `${name}人民医院`,
    `${name}中医医院`,
    `${name}第二人民医院`,
    `${name}妇幼保健院`,
    ...(prefectureName && prefectureName !== name
      ? [`${prefectureName}第一人民医院`, `${prefectureName}中心医院`]
      : []),
    `${shortNameOf(name)}仁爱医院`,
    ...new Set([rng.pick(TOWNS), rng.pick(TOWNS), rng.pick(TOWNS)].map((town) => `${name}${town}卫生院`)),
    `${name}${rng.pick(SUBDISTRICTS)}社区卫生服务中心`,
  ];
  const profile: RegionProfile = {
    code,
    name,
    shortName: shortNameOf(name),
    agencyPrefix,
    bureau: `${agencyPrefix}医疗保障局`,
    agency: `${agencyPrefix}${rng.pick(AGENCY_NAMES)}`,
    nearby: COUNTY_CODES.filter((other) => other !== code && other.startsWith(code.slice(0, 4))),
    hospitals: hospitalNames.map((hospital) => ({ name: hospital, code: institutionCode('H') })),
    pharmacies: [0, 1, 2].map(() => ({
      name: `${rng.pick(PHARMACY_BRANDS)}（${shortNameOf(name)}${rng.pick(STREETS)}店）`,
      code: institutionCode('P'),
    })),
  };
  profiles.set(code, profile);
  return profile;
}

export function localInstitution(rng: Random, region: RegionProfile, pharmacyShare = 0): Institution {
  return rng.pick(rng.chance(pharmacyShare) ? region.pharmacies : region.hospitals);
}

/** Mostly a local hospital; sometimes a renowned one elsewhere, as for referrals. */
export function treatingHospital(rng: Random, region: RegionProfile, referralShare: number): string {
  if (REFERRAL_HOSPITALS.length > 0 && rng.chance(referralShare)) {
    return (rng.pick(REFERRAL_HOSPITALS) as readonly [string, string])[1];
  }
  return localInstitution(rng, region).name;
}

const FIRM_NAMES = words(
  '华信 恒通 宏达 金鼎 永盛 瑞丰 新源 鑫达 天成 博远 安泰 广源 德润 鸿运 中联 嘉禾 盛世 明辉',
);
const INDUSTRIES = words(
  '机械制造 纺织 建筑工程 物流 商贸 食品 电子科技 医药 餐饮管理 物业服务 汽车销售 化工 家具 印务 农业发展',
);
const PUBLIC_EMPLOYERS = words('第一中学 实验小学 人民政府城关街道办事处 自然资源局 供电公司 自来水公司');

export interface Employer {
  name: string;
  code: string;
}

export function generateEmployer(rng: Random, region: RegionProfile): Employer {
  const name = rng.chance(0.85)
    ? `${region.shortName}${rng.pick(FIRM_NAMES)}${rng.pick(INDUSTRIES)}有限公司`
    : `${region.agencyPrefix}${rng.pick(PUBLIC_EMPLOYERS)}`;
  return { name, code: `${region.code}${rng.digits(6)}` };
}

/** 门诊慢特病 with rough shares: hypertension and diabetes dominate, transplants and haemophilia are rare. */
export const SPECIAL_DISEASES: WeightedTable<string> = weightedTable([
  ['高血压', 30],
  ['糖尿病', 24],
  ['冠心病', 6],
  ['脑卒中后遗症', 5],
  ['慢性阻塞性肺疾病', 4],
  ['恶性肿瘤门诊放化疗', 5],
  ['慢性肾功能衰竭（透析）', 4],
  ['精神分裂症', 3],
  ['双相情感障碍', 1.5],
  ['类风湿性关节炎', 2],
  ['慢性病毒性肝炎', 2],
  ['肝硬化', 1.5],
  ['帕金森病', 1.5],
  ['阿尔茨海默病', 1],
  ['癫痫', 1.5],
  ['支气管哮喘', 2],
  ['肺结核', 1],
  ['系统性红斑狼疮', 1],
  ['强直性脊柱炎', 1],
  ['慢性心力衰竭', 2],
  ['再生障碍性贫血', 0.5],
  ['重症肌无力', 0.5],
  ['血友病', 0.3],
  ['器官移植抗排异治疗', 0.5],
]);

/** The “两病” (hypertension and diabetes) outpatient drug scheme, plus a few chronic conditions. */
export const CHRONIC_DISEASES: WeightedTable<string> = weightedTable([
  ['高血压', 50],
  ['糖尿病', 35],
  ['高血压合并糖尿病', 10],
  ['冠心病', 3],
  ['慢性阻塞性肺疾病', 2],
]);
