import { invalid, YidangError } from '../../shared/errors.js';
import { readSpreadsheet } from '../../shared/spreadsheet/spreadsheet.js';
import type { SeriesPoint } from './forecast.engine.js';
import { MIN_POINTS } from './forecast.engine.js';
import { monthIndex, monthsBetween, parseMonth } from './forecast.months.js';

// A series given as a CSV of (period, value), UTF-8 or GBK (the shared reader tells them apart). A
// header row is optional. Every bad row is refused with its line and reason, all of them at once; the
// months must be consecutive, or the missing ones are named.

/** A series file is small: a century of months fits many times over. */
const LIMITS = { maxFileBytes: 1024 * 1024, maxRows: 5000, maxColumns: 16, maxCellChars: 200 };
const SHOWN = 20;

const VALUE = /^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/;

function numberIn(text: string): number | null {
  const trimmed = text.trim();
  if (!VALUE.test(trimmed)) return null;
  return Number(trimmed.replaceAll(',', ''));
}

const listed = (lines: string[]) =>
  lines.length > SHOWN ? `${lines.slice(0, SHOWN).join('；')}；……共 ${lines.length} 处` : lines.join('；');

export async function readSeriesCsv(content: Buffer): Promise<SeriesPoint[]> {
  if (content.length === 0) throw invalid('FORECAST_SERIES_INVALID', '序列文件是空的');
  const sheet = await readSpreadsheet(content, { limits: LIMITS, thread: 'inline' });
  if (sheet.format !== 'csv')
    throw invalid('FORECAST_SERIES_INVALID', '序列文件应为 CSV（两列：月份，数值）');
  const rows = [...sheet.rows];
  // A first row whose first cell is not a month is the header (期间,数值 / period,value).
  const first = rows[0];
  if (
    first &&
    parseMonth(first.cells[0]?.text ?? '') === null &&
    numberIn(first.cells[1]?.text ?? '') === null
  )
    rows.shift();
  const problems: string[] = [];
  const points: Array<SeriesPoint & { line: number }> = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const cells = row.cells.filter((cell, i) => i < 2 || cell.text.trim() !== '');
    const problem = cells.find((cell) => cell.problem)?.problem;
    const period = parseMonth(cells[0]?.text ?? '');
    const value = numberIn(cells[1]?.text ?? '');
    const reason = problem
      ? problem
      : cells.length !== 2
        ? `应为两列（月份，数值），此行有 ${cells.length} 列`
        : period === null
          ? `月份“${(cells[0]?.text ?? '').slice(0, 20)}”不是 YYYY-MM 格式的月份`
          : value === null
            ? `数值“${(cells[1]?.text ?? '').slice(0, 20)}”不是数字`
            : seen.has(period)
              ? `月份 ${period} 与第 ${seen.get(period)} 行重复`
              : null;
    if (reason) {
      problems.push(`第 ${row.line} 行：${reason}`);
      continue;
    }
    seen.set(period as string, row.line);
    points.push({ period: period as string, value: value as number, line: row.line });
  }
  if (problems.length)
    throw new YidangError(
      'FORECAST_CSV_ROW',
      'invalid',
      `序列文件有 ${problems.length} 行无法读取：${listed(problems)}`,
    );
  if (points.length < MIN_POINTS)
    throw invalid(
      'FORECAST_TOO_SHORT',
      `序列只有 ${points.length} 个月，至少需要 ${MIN_POINTS} 个月才能预测`,
    );
  for (let i = 1; i < points.length; i++) {
    const previous = points[i - 1] as SeriesPoint & { line: number };
    const point = points[i] as SeriesPoint & { line: number };
    if (monthIndex(point.period) < monthIndex(previous.period))
      throw invalid(
        'FORECAST_SERIES_INVALID',
        `月份应按时间先后排列：第 ${point.line} 行的 ${point.period} 早于第 ${previous.line} 行的 ${previous.period}`,
      );
  }
  const have = new Set(points.map((point) => point.period));
  const all = monthsBetween(
    (points[0] as SeriesPoint).period,
    (points[points.length - 1] as SeriesPoint).period,
  );
  const missing = all.filter((month) => !have.has(month));
  if (missing.length)
    throw invalid(
      'FORECAST_MONTHS_MISSING',
      `序列缺少 ${missing.length} 个月：${listed(missing)}；请补齐（没有发生可填 0）后再预测`,
    );
  return points.map(({ period, value }) => ({ period, value }));
}
