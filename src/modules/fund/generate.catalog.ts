// What the synthetic settlement generator draws from: a few 统筹区 of Jiangsu with institutions of the
// three levels, and the clinical scenarios (门诊 and 住院) with their diagnoses (ICD-10) and the items of
// the seeded 医保目录 (migration 20261229T100000) each bills. Background scenarios are built so that no
// audit rule fires on them (generate.ts checks every line against the item's limits as well).

export const REGIONS = ['320115', '320116', '320102', '320205'] as const;

const REGION_NAMES: Record<string, string> = {
  '320115': '南京市江宁区',
  '320116': '南京市六合区',
  '320102': '南京市玄武区',
  '320205': '无锡市锡山区',
};

export interface Institution {
  code: string;
  name: string;
  level: '一级' | '二级' | '三级';
  region: string;
}

/** Five institutions per region: one 三级, two 二级, two 一级 (codes in the H + region + 5 digits shape). */
export const INSTITUTIONS: Institution[] = REGIONS.flatMap((region) => {
  const place = REGION_NAMES[region] as string;
  const named: Array<[string, Institution['level']]> = [
    [`${place}人民医院`, '三级'],
    [`${place}中医院`, '二级'],
    [`${place}第二人民医院`, '二级'],
    [`${place}东山街道社区卫生服务中心`, '一级'],
    [`${place}湖熟街道社区卫生服务中心`, '一级'],
  ];
  return named.map(([name, level], index) => ({
    code: `H${region}${String(index + 1).padStart(5, '0')}`,
    name,
    level,
    region,
  }));
});

/** Item codes the scenarios use (the seeded catalogue). */
export const C = {
  bed3: '110200001000000',
  bed2: '110200002000000',
  bed1: '110200003000000',
  bedIcu: '110200005000000',
  bedNewborn: '110200006000000',
  visitOut: '110100001000000',
  visitIn: '110100004000000',
  careSpecial: '120100001000000',
  care1: '120100002000000',
  care2: '120100003000000',
  care3: '120100004000000',
  careNewborn: '120100009000000',
  ecgMonitor: '120400001000000',
  spo2: '120400006000000',
  ivPush: '120400002000000',
  infusion: '120400003000000',
  im: '120400004000000',
  dressing: '120400011000000',
  catheterise: '120400012000000',
  venipuncture: '120400013000000',
  liverPanel: '250301001000000',
  alt: '250301002000000',
  ast: '250301003000000',
  tbil: '250301004000000',
  alb: '250301005000000',
  kidneyPanel: '250302001000000',
  lipidPanel: '250303001000000',
  tc: '250303002000000',
  tg: '250303003000000',
  electrolytes: '250304001000000',
  potassium: '250304002000000',
  sodium: '250304003000000',
  cbc: '250101001000000',
  urine: '250102001000000',
  hba1c: '250305001000000',
  psa: '250401001000000',
  hcg: '250402001000000',
  xray: '210102001000000',
  ct: '210300001000000',
  mri: '210400001000000',
  usAbdomen: '220301001000000',
  usProstate: '220302001000000',
  usObstetric: '220303001000000',
  ecg: '310701001000000',
  cervical: '311400001000000',
  colposcopy: '311400002000000',
  hearing: '311201001000000',
  growth: '311202001000000',
  boneDensity: '311203001000000',
  anaesthesia: '330100001000000',
  anaesthesiaMonitor: '330100010000000',
  appendectomy: '330703001000000',
  cholecystectomy: '330704001000000',
  angiography: '330801001000000',
  ventriculography: '330801002000000',
  turp: '331101001000000',
  caesarean: '331301001000000',
  dialysis: '310800001000000',
  metformin: 'XA10BAM001',
  glimepiride: 'XA10BBG002',
  insulin: 'XA10ABY003',
  nifedipine: 'XC08CAN004',
  amlodipine: 'XC08CAA005',
  valsartan: 'XC09CAX006',
  atorvastatin: 'XC10AAT007',
  clopidogrel: 'XB01ACL008',
  tiotropium: 'XR03BBT009',
  amoxicillin: 'XJ01CAA010',
  cefuroxime: 'XJ01DCC011',
  levofloxacin: 'XJ01MAL012',
  paracetamol: 'XN02BEP013',
  ibuprofen: 'XM01AEB014',
  smectite: 'XA07BCM015',
  paediatricCold: 'XR05XAX016',
  omeprazole: 'XA02BCO017',
  albumin: 'XB05AAR018',
  tegafur: 'XL01BCT019',
  gefitinib: 'XL01XEG020',
  finasteride: 'XG04CBF021',
  progesterone: 'XG03DAP022',
  ceftriaxone: 'XJ01DDC023',
  saline: 'XB05BB0024',
  infusionSet: 'C0101010010001',
  syringe: 'C0101010020001',
  cannula: 'C0101010030001',
  urinaryCatheter: 'C0201010010001',
  gauze: 'C0301010010001',
  stent: 'C0401010010001',
  lens: 'C0501010010001',
  dialyser: 'C0601010010001',
} as const;

/** A drug prescribed in a 门诊 visit: days of supply bounded by what the rules allow (7 acute, 30 chronic). */
export interface Prescription {
  code: string;
  /** Units per day (quantity = perDay × days). */
  perDay: number;
  days: [number, number];
}

export interface OutpatientScenario {
  kind: '门诊';
  dx: string[];
  otherDx?: string[];
  sex?: '男' | '女';
  age: [number, number];
  /** Items billed once on the visit day. */
  items: string[];
  /** Optional extra items, each billed with probability 0.5. */
  maybe?: string[];
  drugs: Prescription[];
  weight: number;
}

export interface InpatientScenario {
  kind: '住院';
  dx: string[];
  otherDx?: string[];
  sex?: '男' | '女';
  age: [number, number];
  stay: [number, number];
  bed: string;
  care: string;
  /** Billed each stay day besides the bed and the care (qty 1). */
  daily: string[];
  /** Drugs given each stay day (days_supply null: administered, not prescribed). */
  dailyDrugs: string[];
  /** Billed once on the admission day. */
  onAdmission: string[];
  /** Billed once on the second stay day (an operation). */
  onSecondDay: string[];
  weight: number;
}

export type Scenario = OutpatientScenario | InpatientScenario;

const ADULT: [number, number] = [18, 90];

export const SCENARIOS: Scenario[] = [
  {
    kind: '门诊',
    dx: ['I10.x00', 'I10.x01'],
    age: [35, 90],
    items: [C.visitOut],
    maybe: [C.ecg, C.lipidPanel],
    drugs: [
      { code: C.amlodipine, perDay: 1, days: [14, 30] },
      { code: C.valsartan, perDay: 1, days: [14, 30] },
    ],
    weight: 16,
  },
  {
    kind: '门诊',
    dx: ['E11.900', 'E11.901'],
    age: [35, 90],
    items: [C.visitOut],
    maybe: [C.hba1c, C.kidneyPanel],
    drugs: [
      { code: C.metformin, perDay: 3, days: [14, 30] },
      { code: C.glimepiride, perDay: 1, days: [14, 30] },
    ],
    weight: 14,
  },
  {
    kind: '门诊',
    dx: ['J44.900'],
    age: [45, 90],
    items: [C.visitOut],
    maybe: [C.xray],
    drugs: [{ code: C.tiotropium, perDay: 1, days: [15, 30] }],
    weight: 4,
  },
  {
    kind: '门诊',
    dx: ['I25.103'],
    age: [45, 90],
    items: [C.visitOut, C.ecg],
    maybe: [C.lipidPanel],
    drugs: [
      { code: C.atorvastatin, perDay: 1, days: [14, 30] },
      { code: C.clopidogrel, perDay: 1, days: [14, 30] },
    ],
    weight: 6,
  },
  {
    kind: '门诊',
    dx: ['J06.900', 'J02.900'],
    age: [15, 90],
    items: [C.visitOut],
    maybe: [C.cbc],
    drugs: [
      { code: C.amoxicillin, perDay: 3, days: [3, 7] },
      { code: C.paracetamol, perDay: 3, days: [2, 3] },
    ],
    weight: 14,
  },
  {
    kind: '门诊',
    dx: ['J06.900'],
    age: [1, 14],
    items: [C.visitOut, C.cbc],
    drugs: [{ code: C.paediatricCold, perDay: 3, days: [3, 5] }],
    weight: 6,
  },
  {
    kind: '门诊',
    dx: ['K52.900'],
    age: [3, 90],
    items: [C.visitOut],
    maybe: [C.cbc],
    drugs: [{ code: C.smectite, perDay: 3, days: [2, 3] }],
    weight: 5,
  },
  {
    kind: '门诊',
    dx: ['M54.500'],
    age: [25, 90],
    items: [C.visitOut],
    maybe: [C.xray],
    drugs: [{ code: C.ibuprofen, perDay: 2, days: [5, 7] }],
    weight: 6,
  },
  {
    kind: '门诊',
    dx: ['N39.000'],
    age: ADULT,
    items: [C.visitOut, C.urine],
    drugs: [{ code: C.levofloxacin, perDay: 1, days: [3, 7] }],
    weight: 4,
  },
  {
    kind: '门诊',
    dx: ['N76.000'],
    sex: '女',
    age: [20, 65],
    items: [C.visitOut, C.cervical],
    maybe: [C.colposcopy],
    drugs: [],
    weight: 3,
  },
  {
    kind: '门诊',
    dx: ['N40.x00'],
    sex: '男',
    age: [50, 90],
    items: [C.visitOut, C.psa],
    maybe: [C.usProstate],
    drugs: [{ code: C.finasteride, perDay: 1, days: [5, 7] }],
    weight: 3,
  },
  {
    kind: '门诊',
    dx: ['O20.000'],
    sex: '女',
    age: [20, 40],
    items: [C.visitOut, C.hcg, C.usObstetric],
    drugs: [{ code: C.progesterone, perDay: 2, days: [5, 7] }],
    weight: 2,
  },
  {
    kind: '门诊',
    dx: ['M81.000'],
    age: [50, 90],
    items: [C.visitOut, C.boneDensity],
    drugs: [],
    weight: 2,
  },
  {
    kind: '门诊',
    dx: ['Z00.100'],
    age: [0, 0],
    items: [C.hearing],
    drugs: [],
    weight: 1,
  },
  {
    kind: '门诊',
    dx: ['Z00.100'],
    age: [1, 14],
    items: [C.visitOut, C.growth],
    drugs: [],
    weight: 2,
  },
  {
    kind: '门诊',
    dx: ['K76.000'],
    age: [25, 80],
    items: [C.visitOut, C.liverPanel, C.usAbdomen],
    maybe: [C.lipidPanel],
    drugs: [],
    weight: 3,
  },
  {
    kind: '门诊',
    dx: ['L03.100'],
    age: [5, 90],
    items: [C.visitOut, C.dressing, C.gauze],
    drugs: [{ code: C.cefuroxime, perDay: 2, days: [3, 5] }],
    weight: 3,
  },
  {
    kind: '住院',
    dx: ['J18.900', 'J18.000'],
    age: [18, 90],
    stay: [5, 10],
    bed: C.bed3,
    care: C.care2,
    daily: [C.visitIn, C.infusion],
    dailyDrugs: [C.ceftriaxone, C.saline],
    onAdmission: [C.cbc, C.ct, C.liverPanel, C.electrolytes, C.infusionSet, C.cannula],
    onSecondDay: [],
    weight: 7,
  },
  {
    kind: '住院',
    dx: ['K35.800'],
    age: [10, 80],
    stay: [3, 6],
    bed: C.bed3,
    care: C.care2,
    daily: [C.visitIn],
    dailyDrugs: [C.cefuroxime],
    onAdmission: [C.cbc, C.usAbdomen],
    onSecondDay: [C.anaesthesia, C.appendectomy, C.gauze, C.urinaryCatheter],
    weight: 3,
  },
  {
    kind: '住院',
    dx: ['K80.200'],
    age: [25, 85],
    stay: [3, 6],
    bed: C.bed2,
    care: C.care2,
    daily: [C.visitIn],
    dailyDrugs: [C.cefuroxime],
    onAdmission: [C.cbc, C.liverPanel, C.usAbdomen],
    onSecondDay: [C.anaesthesia, C.cholecystectomy, C.gauze],
    weight: 3,
  },
  {
    kind: '住院',
    dx: ['I25.103'],
    age: [45, 90],
    stay: [4, 8],
    bed: C.bed2,
    care: C.care1,
    daily: [C.visitIn, C.ecgMonitor],
    dailyDrugs: [C.atorvastatin, C.clopidogrel],
    onAdmission: [C.cbc, C.lipidPanel, C.kidneyPanel, C.ecg],
    onSecondDay: [C.angiography, C.stent],
    weight: 3,
  },
  {
    kind: '住院',
    dx: ['I63.900'],
    age: [50, 90],
    stay: [7, 14],
    bed: C.bed3,
    care: C.care1,
    daily: [C.visitIn],
    dailyDrugs: [C.atorvastatin, C.clopidogrel],
    onAdmission: [C.cbc, C.mri, C.lipidPanel],
    onSecondDay: [],
    weight: 3,
  },
  {
    kind: '住院',
    dx: ['J44.100'],
    age: [50, 90],
    stay: [6, 12],
    bed: C.bed3,
    care: C.care2,
    daily: [C.visitIn, C.spo2],
    dailyDrugs: [C.tiotropium, C.ceftriaxone],
    onAdmission: [C.cbc, C.ct, C.electrolytes],
    onSecondDay: [],
    weight: 3,
  },
  {
    kind: '住院',
    dx: ['E11.900'],
    age: [35, 90],
    stay: [6, 12],
    bed: C.bed3,
    care: C.care2,
    daily: [C.visitIn],
    dailyDrugs: [C.insulin],
    onAdmission: [C.cbc, C.hba1c, C.kidneyPanel, C.lipidPanel],
    onSecondDay: [],
    weight: 3,
  },
  {
    kind: '住院',
    dx: ['K92.200'],
    age: [30, 90],
    stay: [4, 9],
    bed: C.bed2,
    care: C.care1,
    daily: [C.visitIn, C.infusion],
    dailyDrugs: [C.omeprazole, C.saline],
    onAdmission: [C.cbc, C.electrolytes, C.infusionSet, C.cannula],
    onSecondDay: [],
    weight: 2,
  },
  {
    kind: '住院',
    dx: ['K74.600'],
    age: [35, 85],
    stay: [7, 14],
    bed: C.bed3,
    care: C.care2,
    daily: [C.visitIn],
    dailyDrugs: [C.albumin],
    onAdmission: [C.cbc, C.liverPanel, C.usAbdomen],
    onSecondDay: [],
    weight: 1,
  },
  {
    kind: '住院',
    dx: ['O82.000'],
    sex: '女',
    age: [20, 42],
    stay: [4, 7],
    bed: C.bed1,
    care: C.care1,
    daily: [C.visitIn],
    dailyDrugs: [C.cefuroxime],
    onAdmission: [C.cbc, C.hcg, C.usObstetric],
    onSecondDay: [C.anaesthesia, C.caesarean, C.urinaryCatheter, C.gauze],
    weight: 2,
  },
  {
    kind: '住院',
    dx: ['N40.x00'],
    sex: '男',
    age: [55, 90],
    stay: [5, 9],
    bed: C.bed3,
    care: C.care2,
    daily: [C.visitIn],
    dailyDrugs: [C.ceftriaxone],
    onAdmission: [C.cbc, C.psa, C.usProstate],
    onSecondDay: [C.anaesthesia, C.turp, C.urinaryCatheter],
    weight: 2,
  },
  {
    kind: '住院',
    dx: ['P59.900'],
    age: [0, 0],
    stay: [3, 7],
    bed: C.bedNewborn,
    care: C.careNewborn,
    daily: [],
    dailyDrugs: [],
    onAdmission: [C.cbc, C.tbil],
    onSecondDay: [],
    weight: 1,
  },
  {
    kind: '住院',
    dx: ['J18.900'],
    age: [60, 90],
    stay: [4, 8],
    bed: C.bedIcu,
    care: C.careSpecial,
    daily: [C.visitIn],
    dailyDrugs: [C.ceftriaxone, C.saline],
    onAdmission: [C.cbc, C.ct, C.electrolytes],
    onSecondDay: [],
    weight: 1,
  },
];

/** A planned course: 化疗 cycles with Z51.1 first and the cancer as other diagnosis (分解住院 excludes it). */
export const CHEMO = {
  dx: 'Z51.100',
  cancers: [
    { dx: 'C16.900', drug: C.tegafur },
    { dx: 'C34.900', drug: C.gefitinib },
  ],
};

/** Share of the background paid by the fund, by visit type and level. */
export const FUND_SHARE: Record<'门诊' | '住院', Record<Institution['level'], number>> = {
  门诊: { 一级: 0.7, 二级: 0.6, 三级: 0.5 },
  住院: { 一级: 0.9, 二级: 0.8, 三级: 0.7 },
};
