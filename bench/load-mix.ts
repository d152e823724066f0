import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import type { ItemInput, Sensitivity } from '../src/modules/catalog/item.schema.js';
import { BUILTIN_CATEGORIES } from '../src/modules/catalog/builtin-categories.js';
import { sensitivityWithDiagnosis } from '../src/modules/catalog/sensitivity.js';
import { generateItemBatch } from '../src/modules/demo/items.js';
import { expectOk, type HttpClient, type Kind, type NextOperation, type Outcome } from './load-client.js';

// The work of bench/load.ts, as a county bureau's clerks do it: 60% searches (names, 档号, insured
// and ID numbers, business words, hospitals and employers, with and without filters), 25% filings
// (an item, then a small scanned PDF or JPEG as multipart, as the console files), 15% listings
// (档案管理 with filters, paging on). Terms are drawn from the demo items the home holds (the
// generator is a pure function of seed and index), so searches hit; every client has its own seeded
// random stream, so two servers measured in one run are asked the same things.

export const MIX: Record<Kind, number> = { search: 60, filing: 25, listing: 15 };
const DEMO_SEED = '1';
const FONDS = 'D001';
const REGION = '320115';
const COMMON_WORDS = [
  '门诊',
  '住院',
  '结算',
  '报销',
  '审核表',
  '申请表',
  '慢特病',
  '异地就医',
  '参保登记',
  '缴费',
];

const SENSITIVE_BY_DEFAULT = new Map(
  BUILTIN_CATEGORIES.map((category) => [category.code, category.sensitivity]),
);

/** mulberry32: small, fast, and the same sequence for the same seed. */
export class Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)] as T;
  }
  weighted<T extends string>(weights: Record<T, number>): T {
    const entries = Object.entries(weights) as [T, number][];
    let roll = this.next() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [value, weight] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return (entries.at(-1) as [T, number])[0];
  }
}

export interface Terms {
  names: string[];
  idNumbers: string[];
  insuredNumbers: string[];
  places: string[];
  words: string[];
  /** A business word with the category it is filed under (or that category's parent). */
  filed: { word: string; category: string }[];
  categories: string[];
  years: number[];
}

const PARENT = new Map(BUILTIN_CATEGORIES.map((category) => [category.code, category.parent]));

/** The sensitivity the server gives an item: chosen, else its category's, raised by a diagnosis. */
const sensitivityOf = (item: ItemInput) =>
  sensitivityWithDiagnosis(
    (item.sensitivity as Sensitivity | undefined) ?? SENSITIVE_BY_DEFAULT.get(item.category) ?? 'normal',
    item.extra ?? {},
  );

/**
 * Terms of the demo items in a home of `items` items (40 runs of 50 spread over the whole range)
 * that a clerk sees: sensitive items are outside the searches of anyone without a grant.
 */
export function sampleTerms(items: number): Terms {
  const sample: ItemInput[] = [];
  const runs = Math.min(40, Math.max(1, Math.floor(items / 50)));
  for (let run = 0; run < runs; run++) {
    const start = Math.floor((run * Math.max(0, items - 50)) / runs);
    sample.push(...generateItemBatch(DEMO_SEED, FONDS, REGION, start, Math.min(50, items)));
  }
  const seen = sample.filter((item) => sensitivityOf(item) === 'normal');
  const unique = <T>(values: (T | undefined)[]) => [...new Set(values.filter((v) => v !== undefined))] as T[];
  const leaves = unique(seen.map((item) => item.category));
  const withParent = (code: string) => [code, PARENT.get(code)];
  return {
    names: unique(seen.map((item) => item.name)),
    idNumbers: unique(seen.map((item) => item.idNumber)),
    insuredNumbers: unique(seen.map((item) => item.insuredNumber)),
    places: unique(
      seen.flatMap((item) => [item.extra?.hospital, item.extra?.unitName] as (string | undefined)[]),
    ).filter((value) => typeof value === 'string'),
    words: [...COMMON_WORDS, ...unique(seen.map((item) => item.businessType))],
    filed: seen.flatMap((item) =>
      item.businessType
        ? unique(withParent(item.category)).map((category) => ({
            word: item.businessType as string,
            category,
          }))
        : [],
    ),
    // Leaf categories and their parents (a filter takes a category with its sub-categories).
    categories: unique(leaves.flatMap(withParent)),
    years: unique(seen.map((item) => item.year)),
  };
}

/** Small attachments made distinct per filing by a same-length id, so the store never deduplicates them. */
export class Attachments {
  private constructor(
    private readonly pdf: Buffer,
    private readonly pdfMark: number,
    private readonly jpeg: Buffer,
  ) {}

  static async make(): Promise<Attachments> {
    const document = await PDFDocument.create();
    const font = await document.embedFont(StandardFonts.Helvetica);
    const page = document.addPage([595, 842]);
    for (let line = 0; line < 40; line++)
      page.drawText(
        `Application form, line ${line + 1}: insured person, business handled, amount and signature.`,
        {
          x: 40,
          y: 800 - line * 19,
          size: 10,
          font,
        },
      );
    // The title is written as UTF-16 hex: 'X' is 0058, each character of the id replaces one.
    document.setTitle('X'.repeat(32));
    const pdf = Buffer.from(await document.save({ useObjectStreams: false }));
    const pdfMark = pdf.indexOf('0058'.repeat(32), 0, 'latin1');
    if (pdfMark < 0) throw new Error('PDF template: title not found');
    const stripes = Array.from(
      { length: 30 },
      (_, n) => `<rect x="40" y="${60 + n * 24}" width="${320 + ((n * 37) % 180)}" height="6" fill="#555"/>`,
    ).join('');
    const jpeg = await sharp({ create: { width: 600, height: 800, channels: 3, background: '#f4f1e8' } })
      .composite([{ input: Buffer.from(`<svg width="600" height="800">${stripes}</svg>`) }])
      .jpeg({ quality: 70 })
      .toBuffer();
    return new Attachments(pdf, pdfMark, jpeg);
  }

  /** A PDF (a few KB) or a JPEG scan (a few tens of KB), distinct from every other one. */
  next(random: Random): { name: string; type: string; data: Buffer } {
    const id = Array.from({ length: 32 }, () => Math.floor(random.next() * 16).toString(16)).join('');
    if (random.next() < 0.5) {
      const pdf = Buffer.from(this.pdf);
      pdf.write([...id].map((c) => `00${c.charCodeAt(0).toString(16)}`).join(''), this.pdfMark, 'latin1');
      return { name: `申请材料-${id.slice(0, 8)}.pdf`, type: 'application/pdf', data: pdf };
    }
    // A comment segment right after the start-of-image marker.
    const comment = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 34]), Buffer.from(id, 'latin1')]);
    return {
      name: `扫描件-${id.slice(0, 8)}.jpg`,
      type: 'image/jpeg',
      data: Buffer.concat([this.jpeg.subarray(0, 2), comment, this.jpeg.subarray(2)]),
    };
  }

  get sizes(): { pdf: number; jpeg: number } {
    return { pdf: this.pdf.length, jpeg: this.jpeg.length + 36 };
  }
}

function multipart(file: { name: string; type: string; data: Buffer }): { type: string; data: Buffer } {
  const boundary = `----yidangbench${file.data.length}${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n` +
      `Content-Type: ${file.type}\r\n\r\n`,
    'utf8',
  );
  return {
    type: `multipart/form-data; boundary=${boundary}`,
    data: Buffer.concat([head, file.data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}

type SearchShape =
  | 'name'
  | 'nameField'
  | 'word'
  | 'wordByDate'
  | 'wordCategory'
  | 'wordYears'
  | 'place'
  | 'code'
  | 'insured'
  | 'id'
  | 'filters';
const SEARCHES: Record<SearchShape, number> = {
  name: 20,
  nameField: 5,
  word: 20,
  wordByDate: 5,
  wordCategory: 10,
  wordYears: 5,
  place: 8,
  code: 10,
  insured: 5,
  id: 4,
  filters: 8,
};

interface ClientState {
  random: Random;
  listing?: { query: URLSearchParams; cursor: number; pages: number };
}

/** The mix over one server; `seed` makes the same sequence of operations for every server measured. */
export class Mix {
  private readonly clients = new Map<number, ClientState>();
  /** 档号 seen in listings and filings, searched as a clerk pastes one. */
  private readonly codes: string[] = [];
  private searches = { done: 0, empty: 0 };
  private generated = 0;
  private remembered = 0;
  private pending: ItemInput[] = [];

  constructor(
    private readonly http: HttpClient,
    private readonly terms: Terms,
    private readonly attachments: Attachments,
    private readonly seed: number,
  ) {}

  readonly next: NextOperation = (client) => {
    let state = this.clients.get(client);
    if (!state) {
      state = { random: new Random(this.seed * 1000 + client) };
      this.clients.set(client, state);
    }
    const kind = state.random.weighted(MIX);
    const current = state;
    const run =
      kind === 'search'
        ? () => this.search(current)
        : kind === 'filing'
          ? () => this.filing(current)
          : () => this.listing(current);
    return { kind, run };
  };

  private remember(code: string): void {
    this.codes[this.remembered++ % 2000] = code;
  }

  private async search(state: ClientState): Promise<Outcome> {
    const { random } = state;
    const t = this.terms;
    const query = new URLSearchParams();
    const shape = random.weighted(SEARCHES);
    if (shape === 'name') query.set('q', random.pick(t.names));
    else if (shape === 'nameField') query.set('q', `姓名:${random.pick(t.names)}`);
    else if (shape === 'place' && t.places.length > 0) query.set('q', random.pick(t.places));
    else if (shape === 'code' && this.codes.length > 0) query.set('q', random.pick(this.codes));
    else if (shape === 'insured') query.set('q', random.pick(t.insuredNumbers));
    else if (shape === 'id') query.set('q', random.pick(t.idNumbers));
    else if (shape === 'filters') {
      const year = random.pick(t.years);
      query.set('category', random.pick(t.categories));
      query.set('yearFrom', String(year));
      query.set('yearTo', String(year));
    } else {
      query.set('q', random.pick(t.words));
      if (shape === 'wordByDate') query.set('sort', 'date');
      if (shape === 'wordCategory') {
        const { word, category } = random.pick(t.filed);
        query.set('q', word);
        query.set('category', category);
      }
      if (shape === 'wordYears') {
        const year = random.pick(t.years);
        query.set('yearFrom', String(year - 1));
        query.set('yearTo', String(year));
      }
    }
    const reply = await this.http.request('GET', `/api/v1/search?${query}`);
    const failed = expectOk(reply, 'search');
    if (failed) return failed;
    this.searches.done++;
    if (/^\{"total":0[,}]/.test(reply.body.toString('utf8', 0, 20))) {
      this.searches.empty++;
      if (process.env.BENCH_LOAD_DEBUG) console.error(`empty ${shape}: ${query}`);
    }
    return { ok: true };
  }

  /** Searches answered since the last call, and how many found nothing (the terms should hit). */
  takeSearchCounts(): { done: number; empty: number } {
    const counts = { ...this.searches };
    this.searches = { done: 0, empty: 0 };
    return counts;
  }

  /**
   * The next item to file. Sensitive ones (chosen, by category, or by a diagnosis) are left out: their
   * filer may not attach a file without an approved request, which is a different day's work.
   */
  private nextItem(): ItemInput {
    while (this.pending.length === 0) {
      this.pending = generateItemBatch(`bench-load-${this.seed}`, FONDS, REGION, this.generated, 500).filter(
        (item) => sensitivityOf(item) === 'normal',
      );
      this.generated += 500;
    }
    return this.pending.shift() as ItemInput;
  }

  private async filing(state: ClientState): Promise<Outcome> {
    const created = await this.http.request('POST', '/api/v1/items', {
      type: 'application/json',
      data: JSON.stringify(this.nextItem()),
    });
    const failed = expectOk(created, 'item');
    if (failed) return failed;
    const { archiveCode } = JSON.parse(created.body.toString('utf8')) as { archiveCode: string };
    const upload = await this.http.request(
      'POST',
      `/api/v1/items/${encodeURIComponent(archiveCode)}/files`,
      multipart(this.attachments.next(state.random)),
    );
    this.remember(archiveCode);
    return expectOk(upload, 'file') ?? { ok: true };
  }

  private async listing(state: ClientState): Promise<Outcome> {
    const { random } = state;
    // Paging on through what was listed (up to five pages), or a new filter.
    if (!state.listing || state.listing.pages >= 5 || random.next() < 0.4) {
      const query = new URLSearchParams({ fonds: FONDS, limit: '50' });
      const filter = random.weighted({ none: 1, category: 2, categoryYear: 2, year: 1 });
      if (filter === 'category' || filter === 'categoryYear')
        query.set('category', random.pick(this.terms.categories));
      if (filter === 'year' || filter === 'categoryYear')
        query.set('year', String(random.pick(this.terms.years)));
      state.listing = { query, cursor: 0, pages: 0 };
    }
    const { listing } = state;
    const query = new URLSearchParams(listing.query);
    if (listing.cursor) query.set('cursor', String(listing.cursor));
    const reply = await this.http.request('GET', `/api/v1/items?${query}`);
    const failed = expectOk(reply, 'listing');
    if (failed) return failed;
    const page = JSON.parse(reply.body.toString('utf8')) as {
      items: { archiveCode: string }[];
      nextCursor: number | null;
    };
    const first = page.items[Math.floor(random.next() * page.items.length)];
    if (first) this.remember(first.archiveCode);
    listing.pages++;
    if (page.nextCursor === null) state.listing = undefined;
    else listing.cursor = page.nextCursor;
    return { ok: true };
  }
}
