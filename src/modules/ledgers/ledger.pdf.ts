import fs from 'node:fs';
import path from 'node:path';
// pdfkit is loaded when a PDF is drawn, not by every process that imports this module.
import { beijingTime } from '../../shared/beijing-time.js';
import { YidangError } from '../../shared/errors.js';
import type { LedgerCellValue, LedgerColumn, LedgerDocument, LedgerSection } from './ledger.document.js';
import { breakLines, widestPiece } from './ledger.pdf.wrap.js';
import { cellText } from './ledger.xlsx.js';

// The ledger as a printable PDF: A4 landscape, a cover page, then each table from a new page with its
// headings repeated on every page, and 第 N 页 / 共 M 页 with 制表时间 and 制表人 in every footer.
// Cells are laid out by hand (no pdfkit line wrapper) so 50,000 rows take seconds, not minutes.

export interface CjkFont {
  path: string;
  /** The PostScript name of the face inside a font collection (.ttc). */
  family?: string;
}

// Debian/Ubuntu, Alpine, Arch, Fedora, then macOS and Windows; the first that exists wins.
const KNOWN_FONTS: CjkFont[] = [
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf' },
  { path: '/usr/share/fonts/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc', family: 'NotoSerifCJKsc-Regular' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', family: 'WenQuanYiZenHei' },
  { path: '/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc', family: 'WenQuanYiZenHei' },
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYiMicroHei' },
  { path: '/System/Library/Fonts/PingFang.ttc', family: 'PingFangSC-Regular' },
  { path: 'C:\\Windows\\Fonts\\simhei.ttf' },
];

const fontMissing = (reason: string) =>
  new YidangError(
    'PDF_FONT_MISSING',
    'invalid',
    `${reason}请管理员安装中文字体（Debian/Ubuntu：apt install fonts-noto-cjk），或设置环境变量 YIDANG_PDF_FONT 为字体文件路径（.ttf/.otf/.ttc；字体集可写作“路径#PostScript名”，如 NotoSansCJK-Regular.ttc#NotoSansCJKsc-Regular）。`,
  );

const isFile = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;

/** A face for a collection given without one, when its file name says which (Noto CJK, WenQuanYi). */
function guessFace(file: string): string | undefined {
  const name = path.basename(file);
  const noto = /^Noto(Sans|Serif)CJK-(\w+)\.ttc$/i.exec(name);
  if (noto) return `Noto${noto[1]}CJKsc-${noto[2]}`;
  if (/^wqy-zenhei\.ttc$/i.test(name)) return 'WenQuanYiZenHei';
  if (/^wqy-microhei\.ttc$/i.test(name)) return 'WenQuanYiMicroHei';
  return undefined;
}

/** The Chinese font to embed: YIDANG_PDF_FONT (path or path#PostScriptName), else a known location. */
export function findCjkFont(env: NodeJS.ProcessEnv = process.env): CjkFont {
  const configured = env.YIDANG_PDF_FONT?.trim();
  if (configured) {
    // A whole path may itself contain '#'; only split when it does not name a file as given.
    const hash = configured.lastIndexOf('#');
    const split = !isFile(configured) && hash > 0;
    const file = split ? configured.slice(0, hash) : configured;
    const family = (split ? configured.slice(hash + 1).trim() : '') || guessFace(file);
    if (!isFile(file)) throw fontMissing(`环境变量 YIDANG_PDF_FONT 指向的字体文件不存在：${file}。`);
    return family ? { path: file, family } : { path: file };
  }
  const found = KNOWN_FONTS.find((candidate) => isFile(candidate.path));
  if (!found) throw fontMissing('未找到可用的中文字体，无法生成 PDF 台账。');
  return found;
}

const MARGIN = 36;
const BODY_SIZE = 9;
const SMALLER_SIZES = [7.5, 6];
/** The smallest a cell's text is drawn so that a date, amount or code fits its column whole. */
const MIN_SIZE = 6;
/** The smallest a cell is drawn to keep a bracketed qualifier on one line (below it, it breaks). */
const GROUP_MIN_SIZE = 7.5;
const LINE_RATIO = 1.3;
const PAD_X = 3;
const PAD_Y = 3;
const FOOTER_SIZE = 8;
/**
 * Spaces are drawn half an em wide: at the font's own 0.22 em, pdftotext -layout drops the space in
 * short runs such as 第 1 页 or 7 人, and readers of the text (tests, audits) look for those.
 */
const SPACE_EM = 0.5;
/** Grey levels (0 black, 1 white) of the column headers' and the 合计 row's shading. */
const HEADER_FILL = 0.9;
const TOTAL_FILL = 0.94;
const BORDER = '#555555';

type Align = 'left' | 'right' | 'center';
/** A cell laid out: its lines, at the size they fit. */
type Cell = { lines: string[]; size: number; align: Align };

/** The parts of pdfkit's embedded font (0.20) that writing text straight into a page needs. */
interface EmbeddedFont {
  id: string;
  ascender: number;
  encode(text: string): [string[], unknown];
  ref(): unknown;
}

/**
 * pdfkit's text() costs eight content operations and an OpenType shaping of every distinct word (each
 * ID number is one), which made 50,000 rows take 30 seconds; a table needs no ligatures or kerning, so
 * lines go straight into the page as one text object each, from glyphs encoded once per character.
 * These are pdfkit internals, checked here so that an upgrade that changes them fails loudly.
 */
function embeddedFont(pdf: PDFKit.PDFDocument): EmbeddedFont {
  const font = (pdf as unknown as { _font?: Partial<EmbeddedFont> })._font;
  const usable = ['encode', 'ref'].every((key) => typeof font?.[key as keyof EmbeddedFont] === 'function');
  if (!usable || typeof font?.id !== 'string' || typeof font.ascender !== 'number')
    throw new Error('pdfkit internals changed: ledger.pdf.ts writes text with the embedded font directly');
  return font as EmbeddedFont;
}

const fixed = (value: number) => String(Math.round(value * 100) / 100);

/**
 * Lays out and draws text. Widths are per-character advances, measured once each and then summed: far
 * cheaper than pdfkit's heightOfString per cell, and never narrower than drawn (no kerning either way).
 */
class Pen {
  private readonly ems = new Map<string, number>();
  private readonly glyphs = new Map<string, string>();
  private readonly font: EmbeddedFont;
  private readonly spaceExtra: number;
  /** Content written inside batch() goes to the page as one chunk: fewer buffers, far less GC. */
  private pending: string[] | undefined;

  constructor(
    readonly pdf: PDFKit.PDFDocument,
    /** Drawn large and pale across every page, behind its content (a preview's 预览 · 未归档). */
    readonly mark?: string,
  ) {
    pdf.fontSize(BODY_SIZE);
    this.font = embeddedFont(pdf);
    this.spaceExtra = Math.max(SPACE_EM - this.em(' '), 0);
    this.ems.set(' ', this.em(' ') + this.spaceExtra);
  }

  private em(char: string): number {
    let em = this.ems.get(char);
    if (em === undefined) {
      em = this.pdf.widthOfString(char) / BODY_SIZE;
      this.ems.set(char, em);
    }
    return em;
  }

  width(text: string, size: number): number {
    let ems = 0;
    for (const char of text) ems += this.em(char);
    return ems * size;
  }

  /** Line breaking where a reader allows it: never inside a date, number or code (ledger.pdf.wrap.ts). */
  wrap(text: string, maxWidth: number, size: number): string[] {
    return breakLines(text, maxWidth, (part) => this.width(part, size));
  }

  /**
   * Wrapped at the body size; drawn smaller (down to MIN_SIZE) when a piece that may not be broken is
   * wider than the column, and when too tall for a page; cut with … as the last resort.
   */
  cell(text: string, width: number, maxHeight: number, align: Align): Cell {
    const inner = Math.max(width - 2 * PAD_X, 1);
    let size = BODY_SIZE;
    if (this.width(text, size) > inner) {
      const em = (part: string) => this.width(part, 1);
      const fitting = (widest: number) => Math.floor((inner / widest) * 4) / 4;
      const widest = widestPiece(text, em);
      if (widest * size > inner) size = Math.max(MIN_SIZE, fitting(widest));
      // A bracketed qualifier is kept whole too when slightly smaller type is enough.
      const group = widestPiece(text, em, { groups: true });
      if (group * size > inner && fitting(group) >= GROUP_MIN_SIZE) size = fitting(group);
    }
    let lines = this.wrap(text, inner, size);
    for (const smaller of SMALLER_SIZES) {
      if (smaller >= size) continue;
      if (lines.length * size * LINE_RATIO <= maxHeight) break;
      size = smaller;
      lines = this.wrap(text, inner, size);
    }
    const room = Math.max(Math.floor(maxHeight / (size * LINE_RATIO)), 1);
    if (lines.length > room) {
      lines = lines.slice(0, room);
      let last = `${lines[room - 1] ?? ''}…`;
      while (last.length > 1 && this.width(last, size) > inner)
        last = `${Array.from(last).slice(0, -2).join('')}…`;
      lines[room - 1] = last;
    }
    return { lines, size, align };
  }

  batch(draw: () => void): void {
    const ops: string[] = [];
    this.pending = ops;
    draw();
    this.pending = undefined;
    this.pdf.addContent(ops.join('\n'));
  }

  private write(op: string): void {
    if (this.pending) this.pending.push(op);
    else this.pdf.addContent(op);
  }

  /** A shaded box, behind whatever is drawn after it. */
  shade(x: number, y: number, width: number, height: number, grey: number): void {
    this.write(`q ${grey} g ${fixed(x)} ${fixed(y)} ${fixed(width)} ${fixed(height)} re f Q`);
  }

  /** A thin line: the operators pdfkit's moveTo/lineTo/stroke write, in the same page space. */
  rule(x1: number, y1: number, x2: number, y2: number): void {
    this.write(`${fixed(x1)} ${fixed(y1)} m ${fixed(x2)} ${fixed(y2)} l S`);
  }

  /** A new page needs the font in its resources before text is written straight into its content. */
  pageAdded(): void {
    (this.pdf.page as unknown as { fonts: Record<string, unknown> }).fonts[this.font.id] = this.font.ref();
  }

  /** The mark across the page from lower left to upper right, pale, so the table reads through it. */
  watermark(text: string): void {
    const { width, height } = this.pdf.page;
    const angle = Math.atan2(height, width);
    const size = Math.min(96, (Math.hypot(width, height) * 0.6) / Math.max(this.width(text, 1), 1));
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    // Centred: start half the text's length back along the diagonal, half its height below it.
    const half = this.width(text, size) / 2;
    const x = width / 2 - half * cos + (size / 3) * sin;
    const y = height / 2 + half * sin + (size / 3) * cos;
    // Page space has y downwards: the text matrix flips the glyphs upright and turns them up the page.
    const matrix = [cos, -sin, -sin, -cos, x, y].map(fixed).join(' ');
    this.write(`q 0.86 g BT /${this.font.id} ${fixed(size)} Tf ${matrix} Tm ${this.shown(text)} ET Q`);
  }

  /** One line at (x, y) as its top left; bold is faked by stroking the outline too (q/Q resets it). */
  draw(text: string, x: number, y: number, size: number, bold = false): void {
    // pdfkit's page space has y downwards, so the text matrix flips the glyphs back upright.
    const baseline = y + (this.font.ascender * size) / 1000;
    const show = `BT /${this.font.id} ${size} Tf 1 0 0 -1 ${fixed(x)} ${fixed(baseline)} Tm ${this.shown(text)}`;
    this.write(bold ? `q ${fixed(size / 30)} w 0 G ${show} 2 Tr ET Q` : `${show} ET`);
  }

  /** Glyph ids in hex, each character encoded by pdfkit once (which also adds it to the subset). */
  private shown(text: string): string {
    let shown = '<';
    for (const char of text) {
      let glyphs = this.glyphs.get(char);
      if (glyphs === undefined) {
        glyphs = this.font.encode(char)[0].join('');
        // A space is widened to SPACE_EM (see there): its glyph, then the rest as a TJ displacement.
        if (char === ' ') glyphs += `> ${Math.round(-this.spaceExtra * 1000)} <`;
        this.glyphs.set(char, glyphs);
      }
      shown += glyphs;
    }
    return `[${shown}>] TJ`;
  }

  drawCell(cell: Cell, left: number, width: number, top: number, bold = false): void {
    const lineHeight = cell.size * LINE_RATIO;
    let y = top + PAD_Y + (lineHeight - cell.size) / 2;
    for (const line of cell.lines) {
      let x = left + PAD_X;
      if (cell.align !== 'left') {
        const room = width - 2 * PAD_X - this.width(line, cell.size);
        x += cell.align === 'right' ? room : room / 2;
      }
      if (line) this.draw(line, x, y, cell.size, bold);
      y += lineHeight;
    }
  }
}

const rowHeight = (cells: Cell[]) =>
  2 * PAD_Y +
  Math.max(BODY_SIZE * LINE_RATIO, ...cells.map((cell) => cell.lines.length * cell.size * LINE_RATIO));

/** Adds a page; returns where its body ends and the footer begins. */
function newPage(pen: Pen): number {
  pen.pdf.addPage();
  pen.pageAdded();
  // A new page starts from the default graphics state, so the line style is set again.
  pen.pdf.lineWidth(0.5).strokeColor(BORDER).fillColor('black');
  // First, so that everything drawn after it lies on top.
  if (pen.mark) pen.watermark(pen.mark);
  return pen.pdf.page.height - MARGIN - FOOTER_SIZE * 2;
}

function renderCover(pen: Pen, doc: LedgerDocument): void {
  const bottom = newPage(pen);
  const width = pen.pdf.page.width - 2 * MARGIN;
  let y = MARGIN + 40;
  const centred = (text: string, size: number, bold = false) => {
    const lines = pen.wrap(text, width - 2 * PAD_X, size);
    pen.drawCell({ lines, size, align: 'center' }, MARGIN, width, y, bold);
    y += lines.length * size * LINE_RATIO + 2 * PAD_Y;
  };
  centred(doc.title, 24, true);
  if (doc.mark) centred(`（${doc.mark}）`, 16, true);
  y += 8;
  centred(doc.period, 13);
  centred(`编制单位：${doc.agency}`, 13);
  y += 24;
  // The summary as a two-column table, labels shaded, centred on the page.
  const labelWidth = 220;
  const valueWidth = 340;
  const left = (pen.pdf.page.width - labelWidth - valueWidth) / 2;
  const pairs = [
    ...doc.cover,
    { label: '制表时间', value: beijingTime(doc.madeAt) },
    { label: '制表人', value: doc.madeBy },
  ];
  for (const pair of pairs) {
    const label = pen.cell(pair.label, labelWidth, bottom - MARGIN, 'left');
    const value = pen.cell(pair.value, valueWidth, bottom - MARGIN, 'left');
    const height = rowHeight([label, value]);
    if (y + height > bottom) {
      newPage(pen);
      y = MARGIN;
    }
    pen.shade(left, y, labelWidth, height, HEADER_FILL);
    pen.pdf.rect(left, y, labelWidth + valueWidth, height).stroke();
    pen.rule(left + labelWidth, y, left + labelWidth, y + height);
    pen.drawCell(label, left, labelWidth, y);
    pen.drawCell(value, left + labelWidth, valueWidth, y);
    y += height;
  }
}

const alignOf = (column: LedgerColumn): Align =>
  column.kind === 'money' || column.kind === 'count' ? 'right' : 'left';

function renderSection(pen: Pen, section: LedgerSection): void {
  const pdf = pen.pdf;
  const bottom = newPage(pen);
  const left = MARGIN;
  const right = pdf.page.width - MARGIN;
  const weights = section.columns.map((column) => Math.max(column.width, 1));
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0) || 1;
  const edges = [left];
  for (const weight of weights) edges.push((edges.at(-1) ?? left) + ((right - left) * weight) / totalWeight);
  const widths = section.columns.map((_, index) => (edges[index + 1] ?? right) - (edges[index] ?? left));
  // The tallest a row may be: a page's body below the heading and the column headers.
  const headers = section.columns.map((column, index) =>
    pen.cell(column.header, widths[index] ?? 0, bottom / 4, 'center'),
  );
  const maxRow = bottom - MARGIN - 30 - rowHeight(headers);
  let y = 0;
  let tableTop = 0;

  const line = pen.rule.bind(pen);
  const drawRow = (cells: Cell[], fill?: number, bold = false) => {
    const height = rowHeight(cells);
    pen.batch(() => {
      // Inset by half a rule, so the shading leaves the row's borders whole.
      if (fill) pen.shade(left, y + 0.25, right - left, height - 0.5, fill);
      cells.forEach((cell, index) => {
        pen.drawCell(cell, edges[index] ?? left, widths[index] ?? 0, y, bold);
      });
      y += height;
      line(left, y, right, y);
    });
  };
  // The column rules are drawn once per page, from the table's top to its last row.
  const closePage = () => {
    for (const x of edges) line(x, tableTop, x, y);
  };
  const startPage = (continued: boolean) => {
    if (continued) newPage(pen);
    y = MARGIN;
    const title = continued ? `${section.title}（续）` : section.title;
    const size = continued ? 10 : 14;
    const heading = pen.wrap(title, right - left, size).slice(0, 2);
    for (const text of heading) {
      pen.draw(text, left, y, size, !continued);
      y += size * LINE_RATIO;
    }
    y += 6;
    tableTop = y;
    line(left, y, right, y);
    drawRow(headers, HEADER_FILL, true);
  };
  const addRow = (cells: Cell[], fill?: number, bold = false) => {
    if (y + rowHeight(cells) > bottom) {
      closePage();
      startPage(true);
    }
    drawRow(cells, fill, bold);
  };
  const rowCells = (row: Record<string, LedgerCellValue>) =>
    section.columns.map((column, index) =>
      pen.cell(cellText(row[column.key], column.kind), widths[index] ?? 0, maxRow, alignOf(column)),
    );

  startPage(false);
  for (const row of section.rows) addRow(rowCells(row));
  if (section.rows.length === 0) {
    // One cell across the whole table, so the column rules stop above it.
    const top = y;
    closePage();
    pen.drawCell({ lines: ['无记录'], size: BODY_SIZE, align: 'center' }, left, right - left, y);
    y += BODY_SIZE * LINE_RATIO + 2 * PAD_Y;
    line(left, y, right, y);
    line(left, top, left, y);
    line(right, top, right, y);
    tableTop = y;
  }
  if (section.totals) addRow(rowCells(section.totals), TOTAL_FILL, true);
  closePage();
}

function renderFooters(pen: Pen, doc: LedgerDocument): void {
  const pdf = pen.pdf;
  const range = pdf.bufferedPageRange();
  const signed = `制表时间：${beijingTime(doc.madeAt)}　　制表人：${doc.madeBy}`;
  const left = doc.mark ? `【${doc.mark}】　${signed}` : signed;
  for (let index = 0; index < range.count; index++) {
    pdf.switchToPage(range.start + index);
    const y = pdf.page.height - MARGIN - FOOTER_SIZE;
    const pages = `第 ${index + 1} 页 / 共 ${range.count} 页`;
    pen.draw(left, MARGIN, y, FOOTER_SIZE);
    pen.draw(pages, pdf.page.width - MARGIN - pen.width(pages, FOOTER_SIZE), y, FOOTER_SIZE);
  }
}

export async function renderLedgerPdf(doc: LedgerDocument): Promise<Buffer> {
  const font = findCjkFont();
  const { default: PDFDocument } = await import('pdfkit');
  const pdf = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: MARGIN,
    bufferPages: true,
    autoFirstPage: false,
    info: { Title: doc.title, Author: doc.agency, Creator: '医档 Yidang', CreationDate: doc.madeAt },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  try {
    pdf.registerFont('cjk', font.path, font.family);
    pdf.font('cjk');
    pdf.widthOfString('中文');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw fontMissing(`字体文件无法使用：${font.path}（${reason}）。`);
  }
  const pen = new Pen(pdf, doc.mark);
  renderCover(pen, doc);
  for (const section of doc.sections) renderSection(pen, section);
  renderFooters(pen, doc);
  pdf.end();
  return finished;
}
