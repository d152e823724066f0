import zlib from 'node:zlib';

// XLSX files built byte by byte, in memory, so tests can make what no spreadsheet program would: entries
// that lie about their sizes, names that climb out of the package, sheets of a million rows in a second.

export interface ZipPart {
  name: string;
  data: Buffer | string;
  /** Sizes written in the local header and the central directory instead of the true ones. */
  declare?: { compressed?: number; uncompressed?: number };
  /** Deflate level: 1 (fast, the default) to 9 (a bomb compresses about a thousand times). */
  level?: number;
}

export function buildZip(parts: readonly ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const data = typeof part.data === 'string' ? Buffer.from(part.data) : part.data;
    const deflated = zlib.deflateRawSync(data, { level: part.level ?? 1 });
    const name = Buffer.from(part.name);
    const crc = zlib.crc32(data);
    const compressed = part.declare?.compressed ?? deflated.length;
    const uncompressed = part.declare?.uncompressed ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // names in UTF-8
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed, 18);
    local.writeUInt32LE(uncompressed, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed, 20);
    central.writeUInt32LE(uncompressed, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, deflated);
    centrals.push(central, name);
    offset += local.length + name.length + deflated.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const xmlText = (text: string) =>
  /[&<>]/.test(text) ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : text;

const columnName = (index: number): string =>
  index < 26
    ? String.fromCharCode(65 + index)
    : columnName(Math.floor(index / 26) - 1) + columnName(index % 26);

/** A sheet's XML rows with inline strings, row numbers from 1 (a plain loop: tests build 200,000 rows). */
export function rowsXml(rows: ReadonlyArray<readonly string[]>): string {
  const columns = Array.from(
    { length: Math.max(0, ...rows.slice(0, 100).map((row) => row.length)) + 50 },
    (_, index) => columnName(index),
  );
  const parts: string[] = [];
  for (let index = 0; index < rows.length; index++) {
    const line = index + 1;
    let xml = `<row r="${line}">`;
    const cells = rows[index] as readonly string[];
    for (let column = 0; column < cells.length; column++)
      xml += `<c r="${columns[column] ?? columnName(column)}${line}" t="inlineStr"><is><t>${xmlText(cells[column] as string)}</t></is></c>`;
    parts.push(`${xml}</row>`);
  }
  return parts.join('');
}

export const sheetXml = (rowsPart: string, after = '') =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rowsPart}</sheetData>${after}</worksheet>`;

/** The parts every workbook needs around one sheet (and optionally its styles and shared strings). */
export function workbookParts(
  sheet: Omit<ZipPart, 'name'>,
  more: { styles?: string; sharedStrings?: string; date1904?: boolean } = {},
): ZipPart[] {
  const relation = (id: string, type: string, target: string) =>
    `<Relationship Id="${id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/${type}" Target="${target}"/>`;
  const rels = [relation('rId1', 'worksheet', 'worksheets/sheet1.xml')];
  const parts: ZipPart[] = [
    {
      name: '_rels/.rels',
      data: `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${relation('rId1', 'officeDocument', 'xl/workbook.xml')}</Relationships>`,
    },
    {
      name: 'xl/workbook.xml',
      data: `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">${more.date1904 ? '<workbookPr date1904="1"/>' : ''}<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    },
    { name: 'xl/worksheets/sheet1.xml', ...sheet },
  ];
  if (more.styles !== undefined) {
    rels.push(relation('rId2', 'styles', 'styles.xml'));
    parts.push({ name: 'xl/styles.xml', data: more.styles });
  }
  if (more.sharedStrings !== undefined) {
    rels.push(relation('rId3', 'sharedStrings', 'sharedStrings.xml'));
    parts.push({ name: 'xl/sharedStrings.xml', data: more.sharedStrings });
  }
  parts.push({
    name: 'xl/_rels/workbook.xml.rels',
    data: `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels.join('')}</Relationships>`,
  });
  return parts;
}

/** An XLSX of one sheet holding these rows (inline strings). */
export const xlsxOf = (rows: ReadonlyArray<readonly string[]>): Buffer =>
  buildZip(workbookParts({ data: sheetXml(rowsXml(rows)) }));
