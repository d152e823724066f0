import { invalid } from '../../shared/errors.js';
import { type Cell, readTable, type Table, type TableRow } from '../import/import.table.js';
import { nameProblems, normaliseName, readId, SPACES } from './list.person.js';

// Reads a list of people sent by the poverty office or civil affairs (建档立卡, 低保, 特困) and cleans it
// for reconciliation against the insured roster: finds the real header under any title rows, normalises
// names and ID numbers, and says per row what cannot be trusted. Matching is done elsewhere.

export type ListIdentity = 'poverty' | 'monitored' | 'subsistence' | 'destitute';

export interface ListRow {
  /** Row number as the user sees it in the file. */
  line: number;
  rawName: string;
  /** NFKC, whitespace removed, dot variants unified to '·' (U+00B7), no leading/trailing dots. */
  name: string;
  rawId: string;
  /** NFKC, spaces/hyphens removed, X upper-case; a valid 15-digit number converted to 18 digits. */
  idNumber: string;
  /** What is wrong with idNumber (Chinese); undefined when valid. */
  idProblem?: string;
  /** How many leading characters of idNumber can be trusted (15 or fewer when Excel mangled it). */
  idTrustedDigits: number;
  identity?: ListIdentity;
  address?: string;
  phone?: string;
  /** Row-level problems (Chinese). */
  problems: string[];
  /** On the 2nd+ occurrence of the same (idNumber, name): the line of the first. */
  duplicateOf?: number;
  /** When the same idNumber appears on another line with a different name: that line. */
  conflictsWith?: number;
  /** The cells of the further columns the caller asked for, by their key. */
  more?: Record<string, Cell>;
}

export interface ParsedList {
  format: 'csv' | 'xlsx';
  /** Encoding (CSV) or sheet name (XLSX). */
  source: string;
  headerLine: number;
  columns: { name: string; idNumber: string; identity?: string; address?: string; phone?: string };
  /** The further columns found, by key: the header text the file used. */
  moreColumns?: Record<string, string>;
  rows: ListRow[];
  skipped: Array<{ line: number; reason: string }>;
}

type Role = keyof ParsedList['columns'];

// In order of preference: when a list has both 户主姓名 and 成员姓名, the row's person is the member.
const HEADERS: Record<Role, readonly string[]> = {
  name: ['姓名', '成员姓名', '人员姓名', '参保人姓名', '名字', '户主姓名'],
  idNumber: ['身份证号', '身份证号码', '公民身份号码', '身份证件号码', '证件号码', '证件号'],
  identity: ['人员类别', '身份类别', '困难类别', '人员身份', '救助类别', '类别'],
  address: ['家庭住址', '现住址', '户籍地址', '住址', '地址'],
  phone: ['联系电话', '手机号码', '手机号', '电话'],
};
const ROLES = Object.keys(HEADERS) as Role[];
const NAME_HEADERS = new Set(HEADERS.name);
const ID_HEADERS = new Set(HEADERS.idNumber);
const HEADER_SEARCH_ROWS = 10;

// Base words, each also with one trailing 人口/人员/对象/户/家庭. Kept exact on purpose: a loose match
// would read 低保边缘家庭 (a different benefit) as 低保.
const IDENTITY_WORDS: ReadonlyArray<[ListIdentity, readonly string[]]> = [
  ['poverty', ['建档立卡贫困', '贫困', '脱贫', '建档立卡']],
  ['monitored', ['监测', '防返贫监测', '防止返贫监测', '边缘易致贫', '脱贫不稳定', '突发严重困难']],
  ['subsistence', ['低保', '城乡低保', '农村低保', '城市低保', '最低生活保障']],
  ['destitute', ['特困', '特困供养', '农村特困', '城市特困']],
];
const IDENTITY_SUFFIXES = ['', '人口', '人员', '对象', '户', '家庭'];
const IDENTITIES = new Map(
  IDENTITY_WORDS.flatMap(([identity, words]) =>
    words.flatMap((word) => IDENTITY_SUFFIXES.map((suffix) => [`${word}${suffix}`, identity] as const)),
  ),
);

const TOTAL_ROW = /^\s*[合总小共]\s*计/;
const FOOTER_ROW = /^(制表|填表|审核|审批|负责人|单位负责人|填报单位|联系人|备注|说明|注[:：])/;

function headerKey(text: string): string {
  return text
    .normalize('NFKC')
    .replace(SPACES, '')
    .replace(/^\*+/, '')
    .replace(/\([^()]*\)$/, '');
}

type Found = Partial<Record<Role, { column: number; text: string }>>;

function findColumns(texts: readonly string[]): Found {
  const keys = texts.map(headerKey);
  const found: Found = {};
  for (const role of ROLES) {
    for (const synonym of HEADERS[role]) {
      const column = keys.indexOf(synonym);
      if (column >= 0) {
        found[role] = { column, text: texts[column] ?? synonym };
        break;
      }
    }
  }
  return found;
}

interface Header {
  line: number;
  /** Index into table.rows of the first row after the header. */
  dataStart: number;
  found: Found;
  /** The rows above the header (titles), to recognise them when an export repeats them. */
  titles: Set<string>;
  /** The header's texts by column (both rows of a two-row header). */
  texts: string[];
}

const lookedFor = (role: Role) => HEADERS[role].join('、');
const signature = (texts: readonly string[]) =>
  texts
    .map((text) => text.trim())
    .filter(Boolean)
    .join('\u0001');

function locateHeader(table: Table): Header {
  const firstLine = table.headerLine;
  const candidates = [
    { line: firstLine, texts: table.headers },
    ...table.rows
      .slice(0, HEADER_SEARCH_ROWS - 1)
      .map((row) => ({ line: row.line, texts: row.cells.map((cell) => cell.text.trim()) })),
  ];
  const found = candidates.map((candidate) => findColumns(candidate.texts));
  let index = found.findIndex((columns) => columns.name && columns.idNumber);
  if (index < 0) {
    const partial = found.findIndex((columns) => columns.name || columns.idNumber);
    const at = candidates[partial];
    if (at && found[partial]?.name)
      throw invalid(
        'LIST_NO_ID_COLUMN',
        `第${at.line}行的表头有姓名列，但没有身份证号列（应为：${lookedFor('idNumber')} 之一）`,
      );
    if (at)
      throw invalid(
        'LIST_NO_NAME_COLUMN',
        `第${at.line}行的表头有身份证号列，但没有姓名列（应为：${lookedFor('name')} 之一）`,
      );
    throw invalid(
      'LIST_NO_HEADER',
      `前${HEADER_SEARCH_ROWS}行中找不到表头：需要一列姓名（${lookedFor('name')}）和一列身份证号（${lookedFor('idNumber')}）`,
    );
  }
  const titles = new Set(candidates.slice(0, index).map((candidate) => signature(candidate.texts)));
  // A two-row header whose 姓名/身份证号 cells are merged down repeats them on the second row; the
  // second row then holds the remaining columns (e.g. 家庭信息 over 住址 and 电话).
  const columns: Found = { ...found[index] };
  const texts = [...(candidates[index]?.texts ?? [])];
  while (
    index + 1 < candidates.length &&
    found[index + 1]?.name?.column === columns.name?.column &&
    found[index + 1]?.idNumber?.column === columns.idNumber?.column
  ) {
    index++;
    for (const role of ROLES) columns[role] ??= found[index]?.[role];
    (candidates[index]?.texts ?? []).forEach((text, column) => {
      if (text && !texts[column]) texts[column] = text;
    });
  }
  return { line: candidates[index]?.line ?? firstLine, dataStart: index, found: columns, titles, texts };
}

// Brackets lists put around a qualifier, as typed in either width or CJK style: 脱贫人口（建档立卡）,
// 脱贫人口(建档立卡), 脱贫人口【建档立卡】, 低保对象〔A类〕. NFKC folds （）［］｛｝ but not 【】〔〕《》「」.
const OPENING = '(\\[{【〔〖《〈「『<';
const CLOSING = ')\\]}】〕〗》〉」』>';
// A pair, or an opening bracket whose cell was cut short before it closed.
const BRACKETED = new RegExp(`[${OPENING}]([^${OPENING}${CLOSING}]*)(?:[${CLOSING}]|$)`, 'g');
const STRAY_BRACKETS = new RegExp(`[${OPENING}${CLOSING}]`, 'g');

/**
 * The identity a 人员类别 cell names. The words outside brackets decide (脱贫人口 in 脱贫人口（建档立卡）);
 * a qualifier in brackets may repeat the identity or say something else (低保对象（A类）), never name
 * another one; a cell that is all brackets is read by what is inside.
 */
export function identityOf(text: string): ListIdentity | undefined {
  const exact = IDENTITIES.get(text);
  if (exact) return exact;
  const plain = text.normalize('NFKC').replace(SPACES, '');
  const inner: string[] = [];
  const outer = plain
    .replace(BRACKETED, (_whole, content: string) => {
      inner.push(content);
      return '';
    })
    .replace(STRAY_BRACKETS, '');
  const named = inner.map((content) => IDENTITIES.get(content)).filter((found) => found !== undefined);
  const identity = outer ? IDENTITIES.get(outer) : named[0];
  if (identity === undefined || named.some((other) => other !== identity)) return undefined;
  return identity;
}

type Columns = Partial<Record<Role, number>>;
const EMPTY: Cell = { text: '' };
const cellAt = (row: TableRow, column: number | undefined): Cell =>
  column === undefined ? EMPTY : (row.cells[column] ?? EMPTY);

function skipReason(row: TableRow, header: Header, rawName: string, rawId: string): string | undefined {
  const lead = row.cells.find((cell) => cell.text.trim() !== '')?.text ?? '';
  if (TOTAL_ROW.test(lead) || TOTAL_ROW.test(rawName)) return '合计行';
  // An ID cell starting with six digits is a person's row: no header, title or footer row has one.
  if (/^\d{6}/.test(rawId)) return undefined;
  if (NAME_HEADERS.has(headerKey(rawName)) && ID_HEADERS.has(headerKey(rawId))) return '重复的表头行';
  if (header.titles.size > 0 && header.titles.has(signature(row.cells.map((cell) => cell.text))))
    return '重复的标题行';
  if (!rawId && FOOTER_ROW.test(lead.trim())) return '表尾说明行';
  return undefined;
}

function readRow(row: TableRow, columns: Columns, today: Date): ListRow {
  const nameCell = cellAt(row, columns.name);
  const idCell = cellAt(row, columns.idNumber);
  const rawName = nameCell.text.trim();
  const name = normaliseName(rawName);
  const problems = nameCell.problem ? [`姓名${nameCell.problem}`] : nameProblems(name);
  const id = readId(idCell, today);
  if (!id.idNumber && !idCell.problem) problems.push('缺少身份证号');
  const listRow: ListRow = { line: row.line, rawName, name, rawId: idCell.text.trim(), ...id, problems };
  const identityCell = cellAt(row, columns.identity);
  const identityText = identityCell.text.trim();
  if (identityCell.problem) problems.push(`人员类别${identityCell.problem}`);
  else if (identityText) {
    const identity = identityOf(identityText);
    if (identity) listRow.identity = identity;
    else problems.push(`人员类别“${identityText}”无法识别`);
  }
  const address = cellAt(row, columns.address).text.trim();
  if (address) listRow.address = address;
  const phone = cellAt(row, columns.phone).text.trim();
  if (phone) listRow.phone = phone;
  return listRow;
}

/** Marks repeated people: the same ID and name again, or the same ID under another name. */
function markDuplicates(rows: ListRow[]): void {
  // Per ID, the rows kept so far (one name each); almost always just one.
  const byId = new Map<string, ListRow[]>();
  for (const row of rows) {
    // A mangled ID (trusted digits short) would make twins born the same day look like one person.
    if (!row.idNumber || row.idTrustedDigits < row.idNumber.length) continue;
    const earlier = byId.get(row.idNumber);
    if (!earlier) {
      byId.set(row.idNumber, [row]);
      continue;
    }
    // 阿依古丽·买买提 and 阿依古丽 买买提 are one person written twice.
    const same = earlier.find((candidate) => candidate.name.replace(/·/g, '') === row.name.replace(/·/g, ''));
    if (same) {
      row.duplicateOf = same.line;
      row.problems.push(`与第${same.line}行重复`);
      continue;
    }
    const other = earlier[0] as ListRow;
    earlier.push(row);
    row.conflictsWith = other.line;
    row.problems.push(`身份证号与第${other.line}行相同，但姓名不同（第${other.line}行为“${other.name}”）`);
    other.conflictsWith ??= row.line;
    other.problems.push(`身份证号与第${row.line}行相同，但姓名不同（第${row.line}行为“${row.name}”）`);
  }
}

export interface ReadListOptions {
  today?: Date;
  /** False: the 人员类别 column is not read as an assistance identity (default true). */
  identity?: boolean;
  /** Further columns to read, each by its header synonyms in order of preference (roster imports). */
  more?: Record<string, readonly string[]>;
}

/** The column of each further header asked for, and its text as the file wrote it. */
function moreColumns(header: Header, more: Record<string, readonly string[]>) {
  const keys = header.texts.map((text) => headerKey(text ?? ''));
  const found: Record<string, { column: number; text: string }> = {};
  for (const [key, synonyms] of Object.entries(more)) {
    const column = synonyms.map((synonym) => keys.indexOf(synonym)).find((at) => at >= 0);
    if (column !== undefined) found[key] = { column, text: header.texts[column] as string };
  }
  return found;
}

/** Reads and cleans a list of people (CSV or XLSX) for reconciliation against the insured roster. */
export async function readList(content: Buffer, options: ReadListOptions = {}): Promise<ParsedList> {
  const today = options.today ?? new Date();
  const table = await readTable(content);
  const header = locateHeader(table);
  const { found } = header;
  const columns: Columns = {};
  for (const role of ROLES) columns[role] = found[role]?.column;
  if (options.identity === false) {
    columns.identity = undefined;
    found.identity = undefined;
  }
  const more = options.more ? moreColumns(header, options.more) : {};
  const rows: ListRow[] = [];
  const skipped: ParsedList['skipped'] = [];
  for (let index = header.dataStart; index < table.rows.length; index++) {
    const row = table.rows[index] as TableRow;
    const nameCell = cellAt(row, columns.name);
    const idCell = cellAt(row, columns.idNumber);
    const rawName = nameCell.text.trim();
    const rawId = idCell.text.trim();
    const empty = !rawName && !rawId && !nameCell.problem && !idCell.problem;
    const reason = skipReason(row, header, rawName, rawId) ?? (empty ? '姓名和身份证号均为空' : undefined);
    if (reason) skipped.push({ line: row.line, reason });
    else {
      const listRow = readRow(row, columns, today);
      if (options.more)
        listRow.more = Object.fromEntries(
          Object.entries(more).map(([key, { column }]) => [key, cellAt(row, column)]),
        );
      rows.push(listRow);
    }
  }
  markDuplicates(rows);
  return {
    format: table.format,
    source: table.source,
    headerLine: header.line,
    columns: {
      name: found.name?.text ?? '',
      idNumber: found.idNumber?.text ?? '',
      ...(found.identity && { identity: found.identity.text }),
      ...(found.address && { address: found.address.text }),
      ...(found.phone && { phone: found.phone.text }),
    },
    ...(options.more && {
      moreColumns: Object.fromEntries(Object.entries(more).map(([key, { text }]) => [key, text])),
    }),
    rows,
    skipped,
  };
}
