import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CsvError, parse } from 'csv-parse';
import { invalid, isYidangError } from '../errors.js';
import { type Cell, isBlank, type SheetData, type TableRow, textCell } from './cells.js';
import { type ReadStats, type SpreadsheetLimits, tooLarge } from './limits.js';

// A CSV read record by record as it is decoded, never decoded or parsed whole: rows, columns and cells
// are counted as they come and the file is refused the moment a bound is passed. CSV exported by
// Chinese office software is usually GBK: text that is not valid UTF-8 is read as GB 18030 (a superset
// of GBK).

const CHUNK = 1024 * 1024;

function encodingOf(content: Buffer): { encoding: string; start: number } {
  if (content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf)
    return { encoding: 'utf-8', start: 3 };
  if (content[0] === 0xff && content[1] === 0xfe) return { encoding: 'utf-16le', start: 2 };
  return { encoding: isUtf8(content) ? 'utf-8' : 'gb18030', start: 0 };
}

function* decoded(content: Buffer, encoding: string, start: number, stats: ReadStats): Generator<string> {
  const decoder = new TextDecoder(encoding);
  for (let at = start; at < content.length; at += CHUNK) {
    const chunk = content.subarray(at, Math.min(at + CHUNK, content.length));
    stats.bytesRead += chunk.length;
    yield decoder.decode(chunk, { stream: true });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

export async function readCsv(
  content: Buffer,
  limits: SpreadsheetLimits,
  stats: ReadStats,
): Promise<SheetData> {
  const { encoding, start } = encodingOf(content);
  const rows: TableRow[] = [];
  let firstLine = 1;
  let previousEnd = 0;
  let cells = 0;
  // Each record is taken as it is parsed (nothing is queued on the stream); a refusal thrown here ends
  // the parse.
  const take = (record: string[], lines: number) => {
    const startLine = previousEnd + 1;
    previousEnd = lines;
    if (record.length > limits.maxColumns)
      throw tooLarge(`第${lines}行超过 ${limits.maxColumns} 列（上限），请删去多余的列后导入`);
    const row: Cell[] = record.map((text) => textCell(text, limits.maxCellChars));
    if (isBlank(row)) return;
    if (rows.length === 0) firstLine = startLine;
    rows.push({ line: lines, cells: row });
    stats.rowsRead++;
    cells += row.length;
    // The header row is not a data row.
    if (rows.length > limits.maxRows + 1)
      throw tooLarge(`一次最多导入 ${limits.maxRows} 行，文件超过 ${limits.maxRows} 行，请拆分`);
    if (cells > limits.maxCells) throw tooLarge(`单元格总数超过 ${limits.maxCells}（上限），请拆分后导入`);
  };
  const parser = parse({
    relax_column_count: true,
    skip_empty_lines: false,
    // One record can hold no more than a full row of full cells: an unclosed quote is not read to the end.
    max_record_size: limits.maxColumns * (limits.maxCellChars + 3),
    on_record: (record: string[], context: { lines: number }) => {
      take(record, context.lines);
      return null;
    },
  });
  try {
    await pipeline(Readable.from(decoded(content, encoding, start, stats)), parser);
  } catch (error) {
    if (isYidangError(error)) throw error;
    const code = (error as CsvError).code;
    if (code === 'CSV_MAX_RECORD_SIZE')
      throw tooLarge(
        `一行超过 ${limits.maxColumns * limits.maxCellChars} 个字符（上限），请检查引号是否成对`,
      );
    throw invalid('IMPORT_UNREADABLE', `CSV 无法解析：${(error as Error).message}`);
  }
  return { format: 'csv', source: encoding, firstLine, rows };
}
