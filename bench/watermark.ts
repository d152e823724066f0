import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { newTraceId } from '../src/modules/watermark/stamp.js';
import { watermark } from '../src/modules/watermark/watermark.js';
import { median } from './stats.js';

// What a visible watermark costs per copy: a 20-page A4 PDF and a 300 dpi A4 scan (JPEG), each
// against the plain re-encode of the same document (PDF load + save; JPEG decode + encode) in the same run.

const ROUNDS = Number(process.env.BENCH_ROUNDS_WATERMARK ?? 7);
const PAGES = 20;

async function samplePdf(): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let page = 0; page < PAGES; page++)
    pdf.addPage([595, 842]).drawText(`Settlement page ${page + 1}`, { x: 50, y: 780, size: 14, font });
  return Buffer.from(await pdf.save());
}

async function sampleScan(): Promise<Buffer> {
  // Noise compresses like a real scan, unlike a blank page.
  const width = 2480;
  const height = 3508;
  const noise = Buffer.alloc(width * height);
  for (let index = 0; index < noise.length; index++) noise[index] = 200 + ((index * 2654435761) >>> 27);
  return sharp(noise, { raw: { width, height, channels: 1 } })
    .jpeg({ quality: 85 })
    .withMetadata({ density: 300 })
    .toBuffer();
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const stamp = () => ({
  username: 'bench',
  displayName: '基准测试',
  at: new Date(),
  purpose: '性能测试',
  traceId: newTraceId(),
});

const pdf = await samplePdf();
const scan = await sampleScan();
// Warm-up: the first render loads fonts.
await watermark(pdf, 'application/pdf', 'a.pdf', stamp());
await watermark(scan, 'image/jpeg', 'a.jpg', stamp());

const marked = { pdf: [] as number[], scan: [] as number[] };
const plain = { pdf: [] as number[], scan: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  marked.pdf.push(await time(() => watermark(pdf, 'application/pdf', 'a.pdf', stamp())));
  plain.pdf.push(await time(async () => (await PDFDocument.load(pdf)).save()));
  marked.scan.push(await time(() => watermark(scan, 'image/jpeg', 'a.jpg', stamp())));
  plain.scan.push(await time(() => sharp(scan).rotate().jpeg({ quality: 90 }).toBuffer()));
}

const row = (label: string, ms: number, baseline: number, unit: string) =>
  console.log(
    `${label}: ${ms.toFixed(0)} ms${unit} | plain re-encode ${baseline.toFixed(0)} ms | ratio ${(ms / baseline).toFixed(2)}`,
  );
row(`watermark a ${PAGES}-page A4 PDF (median of ${ROUNDS})`, median(marked.pdf), median(plain.pdf), '');
console.log(`  = ${((PAGES * 1000) / median(marked.pdf)).toFixed(0)} pages/s`);
row(`watermark a 300 dpi A4 JPEG scan (median of ${ROUNDS})`, median(marked.scan), median(plain.scan), '');
