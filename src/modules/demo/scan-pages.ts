import { deflateSync } from 'node:zlib';
import {
  concatTransformationMatrix,
  drawObject,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
} from 'pdf-lib';
import sharp, { type Sharp, type TiffOptions } from 'sharp';
import { chinaDay, dateOfDay, dayNumber, formatDay } from './calendar.js';
import { DEFAULT_REFERENCE_DATE, formatAmount } from './items.js';
import { generateName, generatePerson } from './people.js';
import { localInstitution, randomCounty, regionProfile, SPECIAL_DISEASES } from './places.js';
import { createRandom, pad } from './random.js';

// Synthetic scanned paper pages for tests, benchmarks and the demo: text rasterised at a real resolution,
// with that resolution written into the file, so OCR and ingest see what a scanner would hand them.

export type ScanFormat = 'png' | 'jpeg' | 'tiff';
export type ScanColour = 'color' | 'gray' | 'bitonal';
export interface ScanPageOptions {
  lines: string[]; // printed from the top margin down; lines that run past the bottom margin are dropped
  dpi?: number; // default 300: both the pixel size and the resolution written into the file
  format?: ScanFormat; // default 'png'
  colour?: ScanColour; // default 'gray'
  widthMm?: number; // default 210
  heightMm?: number; // default 297
  fontSizePt?: number; // default 12, about 50 px tall at 300 dpi
  blur?: number; // gaussian sigma in px, for a blurry, hasty scan
}

const MM_PER_INCH = 25.4;
const POINTS_PER_INCH = 72;
const MARGIN_MM = 25;
const LINE_SPACING = 1.8;
const JPEG_QUALITY = 85;
const FONT_FAMILY = 'Noto Sans CJK SC, Noto Serif CJK SC, sans-serif';
// A faint cream paper and blue-black ink, so a colour scan really has three distinct channels.
const PAPER_TINT = '#f7f2e4';
const INK_TINT = '#1c1e2b';

const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.codePointAt(0)};`);

type Pipeline = { image: Sharp; dpi: number; colour: ScanColour };
type Raster = { data: Buffer; info: sharp.OutputInfo; dpi: number; colour: ScanColour };

/**
 * The SVG is laid out in points and loaded at `dpi`: libvips then scales it to the page's pixel size and
 * records that density on the image, which keepMetadata() carries into PNG and JPEG.
 */
function pagePipeline(options: ScanPageOptions): Pipeline {
  const dpi = options.dpi ?? 300;
  const colour = options.colour ?? 'gray';
  if (!(dpi > 0)) throw new Error(`dpi must be positive, got ${dpi}`);
  const toPoints = (mm: number) => (mm / MM_PER_INCH) * POINTS_PER_INCH;
  const width = toPoints(options.widthMm ?? 210);
  const height = toPoints(options.heightMm ?? 297);
  const margin = toPoints(MARGIN_MM);
  const fontSize = options.fontSizePt ?? 12;
  const texts: string[] = [];
  options.lines.forEach((line, index) => {
    const baseline = margin + fontSize + index * fontSize * LINE_SPACING;
    if (baseline <= height - margin / 2) {
      texts.push(`<text x="${margin.toFixed(2)}" y="${baseline.toFixed(2)}">${escapeXml(line)}</text>`);
    }
  });
  const paper = colour === 'color' ? PAPER_TINT : '#ffffff';
  const ink = colour === 'color' ? INK_TINT : '#000000';
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="${paper}"/>` +
    `<g font-family="${FONT_FAMILY}" font-size="${fontSize}" fill="${ink}" xml:space="preserve">${texts.join('')}</g></svg>`;
  let image = sharp(Buffer.from(svg), { density: dpi }).removeAlpha();
  const sigma = options.blur ?? 0;
  if (sigma > 0) image = image.blur(Math.max(0.3, sigma));
  // threshold() is cheaper, but sharp runs it before its blur whatever the call order; after a blur this
  // linear map thresholds instead, clamping every pixel to 0 (below 128) or 255.
  if (colour === 'bitonal') {
    image = sigma > 0 ? image.linear(255, -127 * 255) : image.threshold(128, { greyscale: false });
  }
  // Black on white has equal channels, so the red one is the grey page: half the time of a conversion.
  image = colour === 'color' ? image.toColourspace('srgb') : image.extractChannel(0);
  // keepMetadata, not withMetadata({ density }): the latter converts to sRGB and would make grey pages RGB.
  image = image.keepMetadata();
  return { image, dpi, colour };
}

async function rasterise({ image, dpi, colour }: Pipeline): Promise<Raster> {
  return { ...(await image.raw().toBuffer({ resolveWithObject: true })), dpi, colour };
}

export async function renderScanPage(options: ScanPageOptions): Promise<Buffer> {
  const format = options.format ?? 'png';
  if (format === 'tiff') return renderScanTiff([options]);
  const pipeline = pagePipeline(options);
  if (format === 'jpeg') return pipeline.image.jpeg({ quality: JPEG_QUALITY }).toBuffer();
  return pipeline.colour === 'bitonal'
    ? bitonalPng(await rasterise(pipeline))
    : pipeline.image.png().toBuffer();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc >>> 0;
});

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let crc = 0xffffffff;
  for (const byte of body) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(data.length, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE((crc ^ 0xffffffff) >>> 0, body.length + 4);
  return chunk;
}

/**
 * A 1-bit greyscale PNG, as a scanner saves a bitonal page. sharp writes 8-bit PNGs, or 1-bit ones only
 * by palette quantisation, which takes over a second for an A4 page at 300 dpi.
 */
function bitonalPng(raster: Raster): Buffer {
  const { width, height } = raster.info;
  const bits = packBits(raster);
  const rowBytes = Math.ceil(width / 8);
  const rows = Buffer.alloc((rowBytes + 1) * height); // each row led by filter type 0
  for (let y = 0; y < height; y++) bits.copy(rows, y * (rowBytes + 1) + 1, y * rowBytes, (y + 1) * rowBytes);
  const header = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]); // bit depth 1, greyscale
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  const resolution = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 1]); // unit: metre
  resolution.writeUInt32BE(Math.round((raster.dpi / MM_PER_INCH) * 1000), 0);
  resolution.writeUInt32BE(Math.round((raster.dpi / MM_PER_INCH) * 1000), 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('pHYs', resolution),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A multi-page TIFF, every page at the same dpi (all pages same size). */
export async function renderScanTiff(pages: ScanPageOptions[]): Promise<Buffer> {
  if (pages.length === 0) throw new Error('a TIFF needs at least one page');
  const rasters = await Promise.all(pages.map((page) => rasterise(pagePipeline(page))));
  const first = rasters[0] as Raster;
  const shape = ({ info, dpi, colour }: Raster) => `${info.width}x${info.height}@${dpi} ${colour}`;
  if (rasters.some((raster) => shape(raster) !== shape(first))) {
    throw new Error(`all pages of a TIFF must share size, dpi and colour: ${rasters.map(shape).join(', ')}`);
  }
  // One tall raw image cut by pageHeight is how libvips writes a multi-page TIFF.
  const data = Buffer.concat(rasters.map((raster) => raster.data));
  const { width, height, channels } = first.info;
  const raw = { width, height: height * rasters.length, channels: channels as 1 | 3, pageHeight: height };
  const compression: TiffOptions =
    first.colour === 'bitonal'
      ? { compression: 'ccittfax4', bitdepth: 1, miniswhite: true }
      : { compression: 'lzw' };
  // sharp writes a TIFF's resolution from these options only, never from the image's own density.
  const dpmm = first.dpi / MM_PER_INCH;
  return sharp(data, { raw })
    .toColourspace(first.colour === 'color' ? 'srgb' : 'b-w')
    .tiff({ ...compression, xres: dpmm, yres: dpmm, resolutionUnit: 'inch' })
    .toBuffer();
}

/** 1 bit per pixel, rows padded to a byte, 1 = white: the row layout of bitonal PNG and PDF images. */
function packBits({ data, info }: Raster): Buffer {
  const rowBytes = Math.ceil(info.width / 8);
  const packed = Buffer.alloc(rowBytes * info.height);
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const at = y * rowBytes + (x >> 3);
      if ((data[y * info.width + x] as number) >= 128)
        packed[at] = (packed[at] as number) | (0x80 >> (x & 7));
    }
  }
  return packed;
}

type PdfImage = { width: number; height: number; dpi: number; jpeg?: Buffer; bits?: Buffer };

async function pdfImage(options: ScanPageOptions): Promise<PdfImage> {
  const pipeline = pagePipeline(options);
  const { dpi } = pipeline;
  if (pipeline.colour === 'bitonal') {
    const raster = await rasterise(pipeline);
    return { width: raster.info.width, height: raster.info.height, dpi, bits: packBits(raster) };
  }
  const { data, info } = await pipeline.image
    .jpeg({ quality: JPEG_QUALITY })
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, dpi, jpeg: data };
}

/**
 * A PDF made of page images, like a scanner's: each page sized so that its image is `dpi` dots per inch,
 * embedded as JPEG (gray/color) or as a lossless 1-bit image (bitonal).
 */
export async function renderScanPdf(pages: ScanPageOptions[]): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  for (const image of await Promise.all(pages.map(pdfImage))) {
    const width = (image.width / image.dpi) * POINTS_PER_INCH;
    const height = (image.height / image.dpi) * POINTS_PER_INCH;
    const page = pdf.addPage([width, height]);
    if (image.jpeg) {
      page.drawImage(await pdf.embedJpg(image.jpeg), { x: 0, y: 0, width, height });
      continue;
    }
    // pdf-lib's embedPng would expand the page to 8-bit RGB; scanners store bitonal pages as 1-bit images.
    const stream = pdf.context.stream(deflateSync(image.bits ?? Buffer.alloc(0)), {
      Type: 'XObject',
      Subtype: 'Image',
      Width: image.width,
      Height: image.height,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 1,
      Filter: 'FlateDecode',
    });
    const name = page.node.newXObject('Scan', pdf.context.register(stream));
    page.pushOperators(
      pushGraphicsState(),
      concatTransformationMatrix(width, 0, 0, height, 0, 0),
      drawObject(name),
      popGraphicsState(),
    );
  }
  return Buffer.from(await pdf.save());
}

const FORMS = ['门诊费用报销审核表', '住院费用结算单', '慢特病待遇认定表'] as const;
const CLOSING = [
  '本表一式两份，经办机构与参保人各执一份，请妥善保管。',
  '以上信息由参保人本人提供并签字确认，如有虚假，愿承担相应责任。',
  '如对审核结果有异议，可在收到本表之日起三十日内向经办机构申请复核。',
];
const chineseDate = (day: string) => {
  const [year, month, date] = day.split('-').map(Number);
  return `${year}年${month}月${date}日`;
};

/** Breaks prose to fit the default A4 text width, never inside a date or a run of digits or Latin letters. */
function wrap(text: string, limit = 32): string[] {
  const lines: string[] = [];
  let line = '';
  let width = 0;
  for (const token of text.match(/\d+年\d+月\d+日|[A-Za-z0-9.-]+|./gu) ?? []) {
    const tokenWidth = [...token].reduce((sum, char) => sum + (char <= '~' ? 0.55 : 1), 0);
    if (width + tokenWidth > limit && !/^[，。、；：）]/.test(token)) {
      lines.push(line);
      line = '';
      width = 0;
    }
    line += token;
    width += tokenWidth;
  }
  return line ? [...lines, line] : lines;
}

/**
 * Text for a realistic page of a medical-insurance business form (门诊费用报销审核表, 住院费用结算单 or
 * 慢特病待遇认定表): synthetic 姓名, 身份证号, 参保号, 医疗机构, 金额 and 日期 fields, then 2-3 sentences
 * of business prose wrapped to the default A4 width. Deterministic for a seed.
 */
export function formPageLines(seed: number, pageNumber = 1): string[] {
  const rng = createRandom(`scan-page:${seed}`, pageNumber);
  const region = regionProfile(randomCounty(rng));
  const form = rng.pick(FORMS);
  const day = rng.int(dayNumber(2018, 1, 1), chinaDay(DEFAULT_REFERENCE_DATE));
  const date = formatDay(day);
  const person = generatePerson(rng, {
    regionCodes: [region.code, ...region.nearby.slice(0, 3)],
    referenceDate: dateOfDay(day), // born before the form was filled in
    insuredRegionCode: region.code,
  });
  const hospital = localInstitution(rng, region);
  const staff = () => generateName(rng, rng.chance(0.5) ? 'male' : 'female', rng.int(1965, 1998));
  const money = (low: number, high: number, fundShare: number): [string, string, string] => {
    const total = rng.logUniform(low, high);
    const fund = total * fundShare * (0.85 + rng.next() * 0.15);
    return [`${formatAmount(total)}元`, `${formatAmount(fund)}元`, `${formatAmount(total - fund)}元`];
  };
  let details: Record<string, string>;
  let prose: string[];
  if (form === '门诊费用报销审核表') {
    const [total, fund, own] = money(30, 3_000, 0.6);
    details = { 就诊日期: date, 费用总额: total, 统筹支付: fund, 个人自付: own };
    prose = [
      `参保人${person.name}于${chineseDate(date)}在${hospital.name}门诊就诊，现持发票及费用清单申请报销。`,
      '经审核，所附票据真实有效，费用明细与处方相符，符合本统筹区门诊费用报销政策。',
      '同意按规定比例予以报销，款项将于十五个工作日内拨付至参保人社会保障卡账户。',
    ];
  } else if (form === '住院费用结算单') {
    const [total, fund, own] = money(3_000, 150_000, 0.75);
    const admission = formatDay(day - rng.int(3, 25));
    const stay = { 住院号: `ZY${date.slice(0, 4)}${rng.digits(6)}`, 入院日期: admission, 出院日期: date };
    details = { ...stay, 医疗费用总额: total, 基金支付: fund, 个人负担: own };
    prose = [
      `参保人${person.name}因病于${chineseDate(admission)}入住${hospital.name}，于${chineseDate(date)}出院。`,
      '住院期间发生的医疗费用已通过医保信息平台完成联网直接结算，个人仅需支付自付部分。',
    ];
  } else {
    const disease = rng.weighted(SPECIAL_DISEASES);
    const limit = `${formatAmount(rng.int(20, 150) * 100)}元`;
    details = { 认定病种: disease, 认定日期: date, 有效期至: formatDay(day + 730), 年度支付限额: limit };
    prose = [
      `申请人${person.name}经${hospital.name}专科医师诊断，病情符合${disease}门诊慢特病认定标准。`,
      '经专家评审同意认定，自认定之日起享受门诊慢特病医疗保障待遇。',
      '请参保人在定点医疗机构规范就医，认定有效期满前三个月可申请复审。',
    ];
  }
  // The sentence naming the person always comes first; one or two of the others follow.
  const others = [...prose.slice(1), rng.pick(CLOSING)].filter(() => rng.chance(0.6));
  const sentences = [prose[0] as string, ...(others.length > 0 ? others : [rng.pick(CLOSING)]).slice(0, 2)];
  const prefix = { 门诊费用报销审核表: 'MZ', 住院费用结算单: 'JS', 慢特病待遇认定表: 'MT' }[form];
  // One field per line with an ASCII colon, as system-printed forms do: Tesseract (chi_sim+eng) read short
  // words cut off by a full-width colon's gap or a column gap as English (性别 → MERI, CER ~8%), and even
  // a lone 参保号 label (→ EARS), hence 医保参保号.
  const fields = (values: Record<string, string>) => Object.entries(values).map(([k, v]) => `${k}:${v}`);
  const gender = person.gender === 'male' ? '男' : '女';
  const number = `${prefix}${date.slice(0, 4)}${pad(rng.int(1, 99_999), 5)}`;
  return [
    region.agency,
    form,
    ...fields({ 编号: number, 姓名: person.name, 性别: gender, 出生日期: person.birthDate }),
    ...fields({ 身份证号: person.idNumber, 医保参保号: person.insuredNumber }),
    ...fields({ 医疗机构: hospital.name, 机构编码: hospital.code }),
    ...fields(details),
    ...sentences.flatMap((sentence) => wrap(sentence)),
    ...fields({ 经办人: staff(), 复核人: staff(), 经办日期: chineseDate(date) }),
    `第${pageNumber}页`,
  ];
}
