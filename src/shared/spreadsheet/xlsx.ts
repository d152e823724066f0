import { invalid } from '../errors.js';
import { type CellContext, isBuiltInDate, isDateFormat, type SheetData } from './cells.js';
import type { ReadStats, SpreadsheetLimits } from './limits.js';
import { readSheet } from './xlsx.sheet.js';
import { attribute, parseXmlPart } from './xml.js';
import { SafeZip } from './zip.js';

// An XLSX read part by part from its zip: the workbook's sheets in order, the shared strings and the
// date formats, then the first sheet with anything in it, row by row (see xlsx.sheet.ts).

interface Relationship {
  target: string;
  type: string;
}

/** A part's name resolved against the folder of the part that names it (OPC rules, no escaping). */
function resolvePart(from: string, target: string): string {
  const parts = target.startsWith('/') ? [] : from.split('/').slice(0, -1);
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') parts.pop();
    else parts.push(segment);
  }
  return parts.join('/');
}

const relsOf = (part: string) => {
  const slash = part.lastIndexOf('/');
  return `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
};

async function relationships(zip: SafeZip, part: string): Promise<Map<string, Relationship>> {
  const found = new Map<string, Relationship>();
  const rels = relsOf(part);
  if (!zip.has(rels)) return found;
  await parseXmlPart(zip, rels, {
    open(name, attributes) {
      if (name !== 'Relationship' || attributes.TargetMode === 'External') return;
      const { Id: id, Target: target, Type: type } = attributes;
      if (id && target) found.set(id, { target: resolvePart(part, target), type: type ?? '' });
    },
  });
  return found;
}

const byType = (rels: Map<string, Relationship>, suffix: string) =>
  [...rels.values()].find((rel) => rel.type.endsWith(suffix))?.target;

interface Workbook {
  sheets: Array<{ name: string; part: string | undefined }>;
  date1904: boolean;
}

async function readWorkbook(zip: SafeZip, part: string, rels: Map<string, Relationship>): Promise<Workbook> {
  const workbook: Workbook = { sheets: [], date1904: false };
  await parseXmlPart(zip, part, {
    open(name, attributes) {
      if (name === 'workbookPr') workbook.date1904 = ['1', 'true'].includes(attributes.date1904 ?? '');
      else if (name === 'sheet') {
        const id = attribute(attributes, 'id');
        workbook.sheets.push({
          name: attributes.name ?? `Sheet${workbook.sheets.length + 1}`,
          part: id ? rels.get(id)?.target : undefined,
        });
      }
    },
  });
  return workbook;
}

/** Per cell style (xf) index: whether its number format shows a date. */
async function readDateStyles(zip: SafeZip, part: string | undefined): Promise<boolean[]> {
  const dates: boolean[] = [];
  if (!part || !zip.has(part)) return dates;
  const custom = new Map<number, string>();
  let inCellXfs = false;
  await parseXmlPart(zip, part, {
    open(name, attributes) {
      if (name === 'numFmt') custom.set(Number(attributes.numFmtId), attributes.formatCode ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) {
        const id = Number(attributes.numFmtId ?? 0);
        const code = custom.get(id);
        dates.push(code !== undefined ? isDateFormat(code) : isBuiltInDate(id));
      }
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  return dates;
}

/** The shared strings' texts (rich text joined, phonetic guides left out). */
async function readSharedStrings(zip: SafeZip, part: string | undefined): Promise<string[]> {
  const strings: string[] = [];
  if (!part || !zip.has(part)) return strings;
  let current: string[] | undefined;
  let inText = false;
  let phonetic = 0;
  await parseXmlPart(zip, part, {
    open(name) {
      if (name === 'si') current = [];
      else if (name === 'rPh') phonetic++;
      else if (name === 't' && current && phonetic === 0) inText = true;
    },
    text(text) {
      if (inText) current?.push(text);
    },
    close(name) {
      if (name === 't') inText = false;
      else if (name === 'rPh') phonetic--;
      else if (name === 'si' && current) {
        strings.push(current.join(''));
        current = undefined;
      }
    },
  });
  return strings;
}

export async function readXlsx(
  content: Buffer,
  limits: SpreadsheetLimits,
  stats: ReadStats,
): Promise<SheetData> {
  const zip = await SafeZip.open(content, limits, stats);
  try {
    const root = await relationships(zip, '');
    const workbookPart = byType(root, '/officeDocument') ?? 'xl/workbook.xml';
    if (!zip.has(workbookPart))
      throw invalid('IMPORT_UNREADABLE', 'XLSX 无法读取：缺少工作簿（workbook.xml）');
    const rels = await relationships(zip, workbookPart);
    const workbook = await readWorkbook(zip, workbookPart, rels);
    const context: CellContext = {
      dateStyles: await readDateStyles(zip, byType(rels, '/styles')),
      shared: await readSharedStrings(zip, byType(rels, '/sharedStrings')),
      date1904: workbook.date1904,
      maxCellChars: limits.maxCellChars,
    };
    const [first] = workbook.sheets;
    if (!first) throw invalid('IMPORT_EMPTY', 'XLSX 中没有工作表');
    // The first sheet with anything in it, as a person opening the file would look for the data.
    for (const sheet of workbook.sheets) {
      if (!sheet.part || !zip.has(sheet.part)) continue;
      const { rows, firstLine } = await readSheet(zip, sheet.part, context, limits, stats);
      if (rows.length > 0) return { format: 'xlsx', source: sheet.name, firstLine, rows };
    }
    return { format: 'xlsx', source: first.name, firstLine: 1, rows: [] };
  } finally {
    zip.close();
  }
}
