import { invalid } from '../../shared/errors.js';

// Which column of an imported table fills which field of an item. Without a mapping, columns headed
// with a field's Chinese name (题名, 身份证号 …) or its API name (title, idNumber …) are taken; a mapping
// names the rest, sends columns to the category's own fields (extra.hospital) and gives fixed values
// for what the file lacks (the fonds, the category).

export interface ImportMapping {
  /** Column header → field: an item field (title) or one of the category's fields (extra.hospital). */
  columns?: Record<string, string>;
  /** Field → a value for every row (fonds: J013, category: JSLX). */
  defaults?: Record<string, string>;
}

/** The item fields a column may fill, with the headers taken for them without a mapping. */
export const FIELD_HEADERS: Record<string, string[]> = {
  fonds: ['全宗号', '全宗'],
  category: ['类别', '类别代码', '门类'],
  year: ['年度'],
  org: ['机构', '机构代码', '问题'],
  retention: ['保管期限'],
  title: ['题名'],
  docNumber: ['文件编号', '文号'],
  responsible: ['责任者'],
  date: ['日期', '形成日期'],
  securityLevel: ['密级'],
  insuredNumber: ['参保号', '个人编号'],
  idNumber: ['身份证号', '公民身份号码', '身份证号码'],
  name: ['姓名'],
  businessType: ['业务类型'],
  handledAt: ['办理时间'],
  handler: ['经办人'],
  agency: ['经办机构'],
  poolingRegion: ['统筹区', '统筹区编码'],
  amount: ['金额'],
  carrier: ['载体'],
  sensitivity: ['敏感级别'],
};

const FIELD_OF_HEADER = new Map<string, string>(
  Object.entries(FIELD_HEADERS).flatMap(([field, headers]) =>
    [field, ...headers].map((header): [string, string] => [header, field]),
  ),
);

const isField = (field: string) =>
  Object.hasOwn(FIELD_HEADERS, field) || /^extra\.[^.\s]{1,50}$/u.test(field);

/** A mapping read from JSON, checked: every field it names must exist. */
export function checkMapping(raw: unknown): ImportMapping {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid(
      'MAPPING_INVALID',
      '列映射应为 JSON 对象：{ "columns": { "列名": "字段" }, "defaults": { "字段": "值" } }',
    );
  const { columns, defaults, ...rest } = raw as Record<string, unknown>;
  if (Object.keys(rest).length > 0)
    throw invalid(
      'MAPPING_INVALID',
      `列映射中不认识的键：${Object.keys(rest).join('、')}（只有 columns 与 defaults）`,
    );
  const entries = (value: unknown, what: string): Record<string, string> => {
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw invalid('MAPPING_INVALID', `列映射的 ${what} 应为对象`);
    for (const [key, text] of Object.entries(value))
      if (typeof text !== 'string') throw invalid('MAPPING_INVALID', `列映射 ${what}.${key} 的值应为文字`);
    return value as Record<string, string>;
  };
  const mapping = { columns: entries(columns, 'columns'), defaults: entries(defaults, 'defaults') };
  for (const field of [...Object.values(mapping.columns), ...Object.keys(mapping.defaults)])
    if (!isField(field))
      throw invalid(
        'MAPPING_INVALID',
        `列映射中的字段“${field}”不存在（可用：${Object.keys(FIELD_HEADERS).join('、')}，或 extra.字段名）`,
      );
  return mapping;
}

export interface ColumnPlan {
  /** Column index → field. */
  fields: Map<number, string>;
  defaults: Record<string, string>;
}

/** Which column fills which field; a column the mapping names but the file lacks is an error. */
export function planColumns(headers: readonly string[], mapping: ImportMapping): ColumnPlan {
  const fields = new Map<number, string>();
  const named = mapping.columns ?? {};
  const missing = Object.keys(named).filter((header) => !headers.includes(header));
  if (missing.length > 0)
    throw invalid(
      'IMPORT_COLUMNS_MISSING',
      `文件缺少列映射中的列：${missing.join('、')}（文件的列：${headers.join('、')}）`,
    );
  headers.forEach((header, index) => {
    const field =
      named[header] ??
      FIELD_OF_HEADER.get(header) ??
      (/^extra\./.test(header) && isField(header) ? header : undefined);
    if (field) fields.set(index, field);
  });
  const seen = new Map<string, string>();
  for (const [index, field] of fields) {
    const other = seen.get(field);
    if (other)
      throw invalid('IMPORT_COLUMNS_AMBIGUOUS', `列“${other}”与“${headers[index]}”都对应字段 ${field}`);
    seen.set(field, headers[index] as string);
  }
  const covered = new Set([...fields.values(), ...Object.keys(mapping.defaults ?? {})]);
  const required = ['fonds', 'category', 'title', 'date'].filter((field) => !covered.has(field));
  if (required.length > 0)
    throw invalid(
      'IMPORT_COLUMNS_MISSING',
      `缺少必需的列：${required.map((field) => FIELD_HEADERS[field]?.[0] ?? field).join('、')}（可在列映射中指定列名或固定值）`,
    );
  return { fields, defaults: mapping.defaults ?? {} };
}

/** One row as an item input, and the cells that could not be used (with their field). */
export function rowToItem(
  cells: ReadonlyArray<{ text: string; problem?: string }>,
  plan: ColumnPlan,
): { item: Record<string, unknown>; problems: Array<{ field: string; message: string }> } {
  const item: Record<string, unknown> = {};
  const extra: Record<string, string> = {};
  const problems: Array<{ field: string; message: string }> = [];
  const put = (field: string, text: string) => {
    const value = text.trim();
    if (value === '') return;
    if (field.startsWith('extra.')) extra[field.slice('extra.'.length)] = value;
    else if (field === 'year') item.year = /^\d{4}$/.test(value) ? Number(value) : value;
    else item[field] = value;
  };
  for (const [field, value] of Object.entries(plan.defaults)) put(field, value);
  for (const [index, field] of plan.fields) {
    const cell = cells[index];
    if (cell?.problem) problems.push({ field, message: cell.problem });
    else if (cell) put(field, cell.text);
  }
  if (Object.keys(extra).length > 0) item.extra = extra;
  return { item, problems };
}
