import { type Cell, type CellContext, cellOf, isBlank, type TableRow } from './cells.js';
import { type ReadStats, type SpreadsheetLimits, tooLarge } from './limits.js';
import { parseXmlPart } from './xml.js';
import type { SafeZip } from './zip.js';

// One worksheet's rows, read as its XML is inflated: rows and cells are counted as they come and the
// sheet is refused the moment a bound is passed, so a sheet of millions of rows costs what its first
// rows past the bound cost, not the whole file. Merged ranges (listed after the rows) repeat their
// first cell's value over the range, as Excel shows them.

const columnOf = (reference: string): number => {
  let column = 0;
  for (const char of reference) {
    const code = char.charCodeAt(0);
    if (code < 65 || code > 90) break;
    column = column * 26 + code - 64;
  }
  return column;
};

const rowOf = (reference: string): number => Number.parseInt(reference.replace(/^[A-Z]+/, ''), 10);

const tooManyRows = (limits: SpreadsheetLimits) =>
  tooLarge(`一次最多导入 ${limits.maxRows} 行，文件超过 ${limits.maxRows} 行，请拆分`);

interface Tally {
  rows: number;
  cells: number;
}

function countRow(cells: Cell[], tally: Tally, limits: SpreadsheetLimits, stats: ReadStats): void {
  tally.rows++;
  stats.rowsRead++;
  tally.cells += cells.length;
  // The header row is not a data row.
  if (tally.rows > limits.maxRows + 1) throw tooManyRows(limits);
  if (tally.cells > limits.maxCells)
    throw tooLarge(`单元格总数超过 ${limits.maxCells}（上限），请拆分后导入`);
}

const fill = (cells: Cell[]): Cell[] => {
  for (let index = 0; index < cells.length; index++) cells[index] ??= { text: '' };
  return cells;
};

/** Copies each merged range's first cell over the range; rows the range covers are made if missing. */
function applyMerges(
  rows: TableRow[],
  merges: readonly string[],
  tally: Tally,
  limits: SpreadsheetLimits,
  stats: ReadStats,
): TableRow[] {
  const byLine = new Map(rows.map((row) => [row.line, row]));
  for (const merge of merges) {
    const [from, to] = merge.split(':');
    if (!from || !to) continue;
    const top = rowOf(from);
    const bottom = rowOf(to);
    const left = columnOf(from);
    const right = Math.min(columnOf(to), limits.maxColumns);
    if (!(top >= 1 && bottom >= top && left >= 1 && right >= left)) continue;
    const master = byLine.get(top)?.cells[left - 1];
    if (!master || isBlank([master])) continue;
    for (let line = top; line <= bottom; line++) {
      let row = byLine.get(line);
      if (!row) {
        row = { line, cells: [] };
        byLine.set(line, row);
        countRow(row.cells, tally, limits, stats);
      }
      const before = row.cells.length;
      for (let column = left; column <= right; column++)
        if (line !== top || column !== left) row.cells[column - 1] = { ...master };
      tally.cells += Math.max(0, row.cells.length - before);
      if (tally.cells > limits.maxCells)
        throw tooLarge(`单元格总数超过 ${limits.maxCells}（上限），请拆分后导入`);
    }
  }
  return [...byLine.values()]
    .sort((a, b) => a.line - b.line)
    .map((row) => ({ ...row, cells: fill(row.cells) }));
}

export async function readSheet(
  zip: SafeZip,
  part: string,
  context: CellContext,
  limits: SpreadsheetLimits,
  stats: ReadStats,
): Promise<{ rows: TableRow[]; firstLine: number }> {
  let rows: TableRow[] = [];
  const merges: string[] = [];
  const tally: Tally = { rows: 0, cells: 0 };
  let inSheetData = false;
  let row: Cell[] | undefined;
  let line = 0;
  let ordered = true;
  // The cell being read.
  let column = 0;
  let type: string | undefined;
  let style = 0;
  let value: string[] | undefined;
  let capture = false;
  let inFormula = false;
  let formula = false;
  let inInline = false;
  let phonetic = 0;
  await parseXmlPart(zip, part, {
    open(name, attributes) {
      switch (name) {
        case 'sheetData':
          inSheetData = true;
          return;
        case 'row': {
          if (!inSheetData) return;
          const number = Number.parseInt(attributes.r ?? '', 10);
          const next = number >= 1 ? number : line + 1;
          if (next <= line) ordered = false;
          line = next;
          row = [];
          column = 0;
          return;
        }
        case 'c': {
          if (!row) return;
          const at = attributes.r ? columnOf(attributes.r) : 0;
          column = at >= 1 ? at : column + 1;
          type = attributes.t;
          style = Number.parseInt(attributes.s ?? '0', 10) || 0;
          value = undefined;
          formula = false;
          inInline = false;
          return;
        }
        case 'f':
          inFormula = true;
          // A shared formula's other cells carry only its kind, no text.
          if (attributes.t) formula = true;
          return;
        case 'v':
          capture = true;
          return;
        case 'is':
          inInline = true;
          return;
        case 'rPh':
          phonetic++;
          return;
        case 't':
          if (inInline && phonetic === 0) capture = true;
          return;
        case 'mergeCell':
          if (attributes.ref) merges.push(attributes.ref);
          return;
      }
    },
    text(text) {
      if (capture) {
        value ??= [];
        value.push(text);
      } else if (inFormula && text.length > 0) formula = true;
    },
    close(name) {
      switch (name) {
        case 'v':
        case 't':
          capture = false;
          return;
        case 'f':
          inFormula = false;
          return;
        case 'is':
          inInline = false;
          return;
        case 'rPh':
          phonetic--;
          return;
        case 'c': {
          if (!row) return;
          const cell = cellOf(type, style, value?.join(''), formula, context);
          if (!cell) return;
          if (column > limits.maxColumns)
            throw tooLarge(`第${line}行超过 ${limits.maxColumns} 列（上限），请删去多余的列后导入`);
          row[column - 1] = cell;
          return;
        }
        case 'row': {
          const cells = row;
          row = undefined;
          if (!cells || isBlank(fill(cells))) return;
          countRow(cells, tally, limits, stats);
          rows.push({ line, cells });
          return;
        }
        case 'sheetData':
          inSheetData = false;
          return;
      }
    },
  });
  if (!ordered) {
    // Rows out of order or repeated: the last one of a number stands, as in Excel's own reading.
    const byLine = new Map(rows.map((entry) => [entry.line, entry]));
    rows = [...byLine.values()].sort((a, b) => a.line - b.line);
  }
  if (merges.length > 0) rows = applyMerges(rows, merges, tally, limits, stats);
  return { rows, firstLine: rows[0]?.line ?? 1 };
}
