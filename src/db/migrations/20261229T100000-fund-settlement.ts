import { type Kysely, sql } from 'kysely';

// 结算数据 (issue 27): the 医保目录 the audit rules read (fund_item, seeded here with a synthetic but
// realistic catalogue), the insured people as the rules need them (fund_person: blind index, sealed ID
// number, sex and birth from GB 11643, death date), settlements in the shape of the national 医保结算清单
// (fund_settlement, fund_settlement_line) and the extracts imported (fund_import). The archive side
// gets an optional 结算流水号 (settlementSerial) on the categories that file settlements, with a partial
// expression index so a settlement finds its archive items.

type Item = [
  code: string,
  name: string,
  category: '药品' | '诊疗' | '耗材' | '床位',
  price: number,
  extra?: {
    sex?: '男' | '女';
    ageMin?: number;
    ageMax?: number;
    perDay?: boolean;
    dx?: string[];
    includes?: string[];
    parts?: string[];
  },
];

// Codes are synthetic: 药品 X + ATC group + serial, 医疗服务 the 15-digit shape of the national
// 医疗服务项目 codes, 耗材 C + 13 digits. Frozen here as shipped.
const ITEMS: Item[] = [
  // 床位 (per day of stay)
  ['110200001000000', '普通病房床位费（三人间）', '床位', 30, { perDay: true }],
  ['110200002000000', '普通病房床位费（双人间）', '床位', 45, { perDay: true }],
  ['110200003000000', '单人病房床位费', '床位', 80, { perDay: true }],
  ['110200005000000', '重症监护病房床位费', '床位', 150, { perDay: true }],
  ['110200006000000', '新生儿床位费', '床位', 25, { perDay: true, ageMax: 0 }],
  // 诊查、护理 (per day)
  ['110100001000000', '门诊诊查费', '诊疗', 10, { perDay: true }],
  ['110100004000000', '住院诊查费', '诊疗', 15, { perDay: true }],
  [
    '120100001000000',
    '特级护理',
    '诊疗',
    120,
    { perDay: true, includes: ['120400001000000', '120400006000000'] },
  ],
  ['120100002000000', 'Ⅰ级护理', '诊疗', 40, { perDay: true }],
  ['120100003000000', 'Ⅱ级护理', '诊疗', 25, { perDay: true }],
  ['120100004000000', 'Ⅲ级护理', '诊疗', 15, { perDay: true }],
  ['120100009000000', '新生儿护理', '诊疗', 30, { perDay: true, ageMax: 0 }],
  // 一般诊疗
  ['120400001000000', '心电监测', '诊疗', 8, {}],
  ['120400006000000', '血氧饱和度监测', '诊疗', 5, {}],
  ['120400002000000', '静脉注射', '诊疗', 6, {}],
  ['120400003000000', '静脉输液（第一组）', '诊疗', 12, { includes: ['120400002000000'] }],
  ['120400004000000', '肌肉注射', '诊疗', 4, {}],
  ['120400011000000', '换药（中）', '诊疗', 20, {}],
  ['120400012000000', '导尿', '诊疗', 18, {}],
  ['120400013000000', '静脉采血', '诊疗', 3, {}],
  // 检验: the four panels are bundles; billing two or more parts without the panel is 分解收费
  [
    '250301001000000',
    '肝功能组合',
    '诊疗',
    60,
    {
      parts: ['250301002000000', '250301003000000', '250301004000000', '250301005000000'],
    },
  ],
  ['250301002000000', '丙氨酸氨基转移酶测定', '诊疗', 8, {}],
  ['250301003000000', '天门冬氨酸氨基转移酶测定', '诊疗', 8, {}],
  ['250301004000000', '血清总胆红素测定', '诊疗', 6, {}],
  ['250301005000000', '血清白蛋白测定', '诊疗', 6, {}],
  [
    '250302001000000',
    '肾功能组合',
    '诊疗',
    40,
    { parts: ['250302002000000', '250302003000000', '250302004000000'] },
  ],
  ['250302002000000', '尿素测定', '诊疗', 7, {}],
  ['250302003000000', '肌酐测定', '诊疗', 7, {}],
  ['250302004000000', '尿酸测定', '诊疗', 7, {}],
  [
    '250303001000000',
    '血脂四项',
    '诊疗',
    45,
    {
      parts: ['250303002000000', '250303003000000', '250303004000000', '250303005000000'],
    },
  ],
  ['250303002000000', '总胆固醇测定', '诊疗', 6, {}],
  ['250303003000000', '甘油三酯测定', '诊疗', 6, {}],
  ['250303004000000', '高密度脂蛋白胆固醇测定', '诊疗', 10, {}],
  ['250303005000000', '低密度脂蛋白胆固醇测定', '诊疗', 10, {}],
  [
    '250304001000000',
    '电解质组合',
    '诊疗',
    20,
    { parts: ['250304002000000', '250304003000000', '250304004000000'] },
  ],
  ['250304002000000', '血清钾测定', '诊疗', 5, {}],
  ['250304003000000', '血清钠测定', '诊疗', 5, {}],
  ['250304004000000', '血清氯测定', '诊疗', 5, {}],
  ['250101001000000', '血常规', '诊疗', 20, {}],
  ['250102001000000', '尿常规', '诊疗', 10, {}],
  ['250305001000000', '糖化血红蛋白测定', '诊疗', 50, {}],
  ['250401001000000', '前列腺特异性抗原测定', '诊疗', 60, { sex: '男' }],
  ['250402001000000', '人绒毛膜促性腺激素测定', '诊疗', 45, { sex: '女' }],
  // 影像、功能检查
  ['210102001000000', '胸部X线摄影', '诊疗', 50, {}],
  ['210300001000000', '胸部CT平扫', '诊疗', 200, {}],
  ['210400001000000', '头颅磁共振平扫', '诊疗', 450, {}],
  ['220301001000000', '腹部彩色多普勒超声', '诊疗', 120, {}],
  ['220302001000000', '经直肠前列腺彩超', '诊疗', 130, { sex: '男' }],
  ['220303001000000', '产科彩色多普勒超声', '诊疗', 150, { sex: '女' }],
  ['310701001000000', '常规心电图', '诊疗', 25, {}],
  ['311400001000000', '宫颈细胞学检查', '诊疗', 90, { sex: '女' }],
  ['311400002000000', '阴道镜检查', '诊疗', 110, { sex: '女' }],
  ['311201001000000', '新生儿听力筛查', '诊疗', 60, { ageMax: 0 }],
  ['311202001000000', '儿童生长发育评估', '诊疗', 30, { ageMax: 14 }],
  ['311203001000000', '骨密度测定', '诊疗', 80, { ageMin: 40 }],
  // 手术、麻醉
  ['330100001000000', '全身麻醉', '诊疗', 800, { includes: ['330100010000000'] }],
  ['330100010000000', '麻醉中监测', '诊疗', 100, {}],
  ['330703001000000', '阑尾切除术', '诊疗', 900, {}],
  ['330704001000000', '腹腔镜胆囊切除术', '诊疗', 1800, {}],
  ['330801001000000', '冠状动脉造影术', '诊疗', 1500, { includes: ['330801002000000'] }],
  ['330801002000000', '左心室造影', '诊疗', 600, {}],
  ['331101001000000', '经尿道前列腺电切术', '诊疗', 2200, { sex: '男' }],
  ['331301001000000', '子宫下段剖宫产术', '诊疗', 1600, { sex: '女' }],
  ['310800001000000', '血液透析', '诊疗', 420, {}],
  // 药品: chronic (慢性病) and acute, some with permitted diagnoses or sex/age limits
  ['XA10BAM001', '盐酸二甲双胍片', '药品', 0.2, { dx: ['E11'] }],
  ['XA10BBG002', '格列美脲片', '药品', 1.1, { dx: ['E11'] }],
  ['XA10ABY003', '门冬胰岛素注射液', '药品', 45, { dx: ['E10', 'E11', 'O24'] }],
  ['XC08CAN004', '硝苯地平控释片', '药品', 2.5, {}],
  ['XC08CAA005', '苯磺酸氨氯地平片', '药品', 0.6, {}],
  ['XC09CAX006', '缬沙坦胶囊', '药品', 1.4, {}],
  ['XC10AAT007', '阿托伐他汀钙片', '药品', 1.8, { dx: ['I20', 'I21', 'I25', 'I63', 'E78', 'E11'] }],
  ['XB01ACL008', '硫酸氢氯吡格雷片', '药品', 3.2, { dx: ['I20', 'I21', 'I25', 'I63'] }],
  ['XR03BBT009', '噻托溴铵粉吸入剂', '药品', 6.5, { dx: ['J44'] }],
  ['XJ01CAA010', '阿莫西林胶囊', '药品', 0.5, {}],
  ['XJ01DCC011', '头孢呋辛酯片', '药品', 2.2, {}],
  ['XJ01MAL012', '左氧氟沙星片', '药品', 1.6, { ageMin: 18 }],
  ['XN02BEP013', '对乙酰氨基酚片', '药品', 0.3, {}],
  ['XM01AEB014', '布洛芬缓释胶囊', '药品', 0.9, {}],
  ['XA07BCM015', '蒙脱石散', '药品', 1.2, {}],
  ['XR05XAX016', '小儿氨酚黄那敏颗粒', '药品', 0.8, { ageMax: 14 }],
  ['XA02BCO017', '注射用奥美拉唑钠', '药品', 18, { dx: ['K25', 'K26', 'K27', 'K92', 'K21'] }],
  ['XB05AAR018', '人血白蛋白', '药品', 380, { dx: ['R57', 'K70', 'K74', 'E88', 'T30'] }],
  ['XL01BCT019', '替吉奥胶囊', '药品', 28, { dx: ['C16', 'C15', 'C18', 'C25'] }],
  ['XL01XEG020', '吉非替尼片', '药品', 55, { dx: ['C34'] }],
  ['XG04CBF021', '非那雄胺片', '药品', 3.5, { sex: '男' }],
  ['XG03DAP022', '黄体酮胶囊', '药品', 4.2, { sex: '女' }],
  ['XJ01DDC023', '注射用头孢曲松钠', '药品', 9.5, {}],
  ['XB05BB0024', '0.9%氯化钠注射液', '药品', 3, {}],
  // 耗材
  ['C0101010010001', '一次性使用输液器', '耗材', 2.5, {}],
  ['C0101010020001', '一次性使用无菌注射器', '耗材', 0.8, {}],
  ['C0101010030001', '静脉留置针', '耗材', 12, {}],
  ['C0201010010001', '一次性使用导尿管', '耗材', 9, {}],
  ['C0301010010001', '医用脱脂纱布', '耗材', 1.5, {}],
  ['C0401010010001', '冠状动脉药物洗脱支架', '耗材', 700, {}],
  ['C0501010010001', '人工晶状体', '耗材', 1200, { ageMin: 18 }],
  ['C0601010010001', '血液透析器', '耗材', 160, {}],
];

const SETTLEMENT_CATEGORIES = ['DYMZ', 'DYZY', 'DYMT', 'JSLX', 'JSYD', 'JZ', 'DB'];
const SERIAL_FIELD = {
  key: 'settlementSerial',
  label: '结算流水号',
  type: 'text',
  required: false,
  maxLength: 64,
};

const textArray = (values: string[] | undefined) => `{${(values ?? []).join(',')}}`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table fund_item (
      code varchar(32) primary key,
      name varchar(200) not null,
      category varchar(4) not null check (category in ('药品','诊疗','耗材','床位')),
      unit_price numeric(12,2) not null,
      sex_limit varchar(1) null check (sex_limit in ('男','女')),
      age_min integer null,
      age_max integer null,
      per_day boolean not null default false,
      permitted_dx text[] not null default '{}',
      includes text[] not null default '{}',
      parts text[] not null default '{}'
    )`.execute(db);
  await sql`
    create table fund_person (
      person_key char(32) primary key,
      id_number_sealed text not null,
      sex varchar(1) not null check (sex in ('男','女')),
      birth_date date not null,
      death_date date null,
      region varchar(6) not null
    )`.execute(db);
  await sql`
    create table fund_import (
      id integer generated always as identity primary key,
      file_digest varchar(80) not null,
      file_name varchar(300) not null,
      encoding varchar(8) not null,
      via varchar(8) not null check (via in ('file','push')),
      total_rows integer not null default 0,
      total_settlements integer not null default 0,
      imported integer not null default 0,
      refused integer not null default 0,
      report jsonb not null default '[]',
      created_by varchar(100) not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz null
    )`.execute(db);
  await sql`create unique index fund_import_file on fund_import (file_digest) where via = 'file'`.execute(db);
  await sql`
    create table fund_settlement (
      id bigint generated always as identity primary key,
      serial varchar(64) not null unique,
      person_key char(32) not null references fund_person (person_key),
      region varchar(6) not null,
      institution_code varchar(32) not null,
      institution_name varchar(200) not null,
      institution_level varchar(4) not null check (institution_level in ('一级','二级','三级','未定级')),
      visit_type varchar(2) not null check (visit_type in ('门诊','住院')),
      admit_date date not null,
      discharge_date date not null check (discharge_date >= admit_date),
      primary_dx varchar(16) not null,
      other_dx text[] not null default '{}',
      total_cost numeric(14,2) not null,
      fund_paid numeric(14,2) not null,
      self_paid numeric(14,2) not null,
      settled_on date not null,
      import_id integer null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index fund_settlement_person on fund_settlement (person_key, admit_date)`.execute(db);
  await sql`create index fund_settlement_institution on fund_settlement (institution_code, admit_date)`.execute(
    db,
  );
  await sql`create index fund_settlement_region on fund_settlement (region, settled_on)`.execute(db);
  await sql`
    create table fund_settlement_line (
      settlement_id bigint not null references fund_settlement (id),
      line_no integer not null,
      item_category varchar(4) not null,
      item_code varchar(32) not null,
      item_name varchar(200) not null,
      quantity numeric(12,3) not null check (quantity > 0),
      unit_price numeric(12,2) not null,
      amount numeric(14,2) not null,
      days_supply integer null,
      line_date date not null,
      primary key (settlement_id, line_no)
    )`.execute(db);
  for (const [code, name, category, price, extra = {}] of ITEMS) {
    await sql`
      insert into fund_item (code, name, category, unit_price, sex_limit, age_min, age_max, per_day,
        permitted_dx, includes, parts)
      values (${code}, ${name}, ${category}, ${price}, ${extra.sex ?? null}, ${extra.ageMin ?? null},
        ${extra.ageMax ?? null}, ${extra.perDay ?? false}, ${textArray(extra.dx)}::text[],
        ${textArray(extra.includes)}::text[], ${textArray(extra.parts)}::text[])`.execute(db);
  }
  for (const code of SETTLEMENT_CATEGORIES) {
    await sql`
      update category set extra_fields = extra_fields || ${JSON.stringify([SERIAL_FIELD])}::jsonb
      where code = ${code}
        and not exists (select 1 from jsonb_array_elements(extra_fields) f where f->>'key' = 'settlementSerial')`.execute(
      db,
    );
  }
  await sql`
    create index archive_item_settlement_serial on archive_item ((extra->>'settlementSerial'))
    where extra ? 'settlementSerial'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists archive_item_settlement_serial`.execute(db);
  for (const code of SETTLEMENT_CATEGORIES) {
    await sql`
      update category set extra_fields = coalesce((select jsonb_agg(f) from jsonb_array_elements(extra_fields) f
        where f->>'key' <> 'settlementSerial'), '[]'::jsonb)
      where code = ${code}`.execute(db);
  }
  await sql`drop table if exists fund_settlement_line`.execute(db);
  await sql`drop table if exists fund_settlement`.execute(db);
  await sql`drop table if exists fund_import`.execute(db);
  await sql`drop table if exists fund_person`.execute(db);
  await sql`drop table if exists fund_item`.execute(db);
}
