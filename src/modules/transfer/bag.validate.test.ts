import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeManifestPath, encodeManifestPath, parseTagFile } from './bag.parse.js';
import { type BagReport, validateBag } from './bag.validate.js';

// Every MUST of RFC 8493 a receiver checks, one bag per rule: each test builds its own bag on disk
// (valid, then broken in exactly one way) and expects exactly the problem that names the break.

let root: string;
let n = 0;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'yidang-bag-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const hex = (alg: string, data: Buffer | string) => crypto.createHash(alg).update(data).digest('hex');

interface BagSpec {
  files?: Record<string, string | Buffer>;
  algorithm?: string;
  eol?: string;
  declaration?: string | Buffer | null;
  info?: string | null;
  tagManifest?: boolean;
}

const PAYLOAD: Record<string, string> = {
  'data/A-001/eep.xml': '<电子文件封装包/>',
  'data/A-001/files/病历.pdf': '%PDF-1.7 test',
  'data/checkpoint.txt': 'checkpoint',
};

/** Writes a valid bag (then the test breaks it); returns its directory. */
async function makeBag(spec: BagSpec = {}): Promise<string> {
  const dir = path.join(root, `bag-${++n}`);
  const files = spec.files ?? PAYLOAD;
  const alg = spec.algorithm ?? 'sha256';
  const eol = spec.eol ?? '\n';
  await fs.mkdir(path.join(dir, 'data'), { recursive: true });
  let octets = 0;
  const manifest: string[] = [];
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), content);
    octets += Buffer.byteLength(content);
    manifest.push(`${hex(alg, content)}  ${encodeManifestPath(rel)}`);
  }
  const tags: Record<string, string | Buffer> = {};
  if (spec.declaration !== null) {
    tags['bagit.txt'] =
      spec.declaration ?? `BagIt-Version: 1.0${eol}Tag-File-Character-Encoding: UTF-8${eol}`;
  }
  if (spec.info !== null) {
    tags['bag-info.txt'] =
      spec.info ??
      [
        'Source-Organization: 某市医疗保障事业管理中心',
        'External-Identifier: YJ-J001-2026-1',
        'Bagging-Date: 2026-12-28',
        `Payload-Oxum: ${octets}.${Object.keys(files).length}`,
        '',
      ].join(eol);
  }
  tags[`manifest-${alg}.txt`] = manifest.join(eol) + eol;
  for (const [rel, content] of Object.entries(tags)) await fs.writeFile(path.join(dir, rel), content);
  if (spec.tagManifest !== false) {
    const lines = Object.entries(tags).map(([rel, c]) => `${hex(alg, c)} ${rel}`);
    await fs.writeFile(path.join(dir, `tagmanifest-${alg}.txt`), lines.join(eol) + eol);
  }
  return dir;
}

const codes = (r: BagReport) => r.problems.map((p) => p.code);
async function editFile(dir: string, rel: string, edit: (s: string) => string) {
  const file = path.join(dir, rel);
  await fs.writeFile(file, edit(await fs.readFile(file, 'utf8')));
}
/** Rewrites the tag manifest after a tag file was edited, so only the edit's own rule fails. */
async function resealTags(dir: string, alg = 'sha256') {
  const names = (await fs.readdir(dir)).filter((f) => f.endsWith('.txt') && !f.startsWith('tagmanifest'));
  const lines = [];
  for (const f of names) lines.push(`${hex(alg, await fs.readFile(path.join(dir, f)))} ${f}`);
  await fs.writeFile(path.join(dir, `tagmanifest-${alg}.txt`), `${lines.join('\n')}\n`);
}

describe('a valid bag', () => {
  it('passes with LF, CRLF or CR line endings, and reports its payload and digests', async () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const r = await validateBag(await makeBag({ eol }));
      expect(r.problems, JSON.stringify(eol)).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.payload.map((f) => f.path)).toEqual(Object.keys(PAYLOAD).sort());
      expect(r.octets).toBe(Object.values(PAYLOAD).reduce((s, c) => s + Buffer.byteLength(c), 0));
      expect(r.payload[0]?.digests.sha256).toBe(hex('sha256', PAYLOAD['data/A-001/eep.xml'] ?? ''));
      expect(r.tagManifestDigests.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.info.find((f) => f.label === 'External-Identifier')?.value).toBe('YJ-J001-2026-1');
    }
  });

  it('passes with SM3 and SHA-512 manifests', async () => {
    for (const algorithm of ['sm3', 'sha512']) {
      const r = await validateBag(await makeBag({ algorithm }));
      expect(r.problems).toEqual([]);
      expect(r.algorithms).toEqual([algorithm]);
    }
  });

  it('decodes percent-encoded names (%0A, %0D, %25) in the manifest', async () => {
    const files = { 'data/100%.txt': 'a', 'data/line\nbreak.txt': 'b', 'data/cr\rname.txt': 'c' };
    const dir = await makeBag({ files });
    const manifest = await fs.readFile(path.join(dir, 'manifest-sha256.txt'), 'utf8');
    expect(manifest).toContain('data/100%25.txt');
    expect(manifest).toContain('data/line%0Abreak.txt');
    expect(manifest).toContain('data/cr%0Dname.txt');
    const r = await validateBag(dir);
    expect(r.problems).toEqual([]);
    expect(r.payload.map((f) => f.path).sort()).toEqual(Object.keys(files).sort());
    expect(decodeManifestPath('data/a%0d%0a')).toBe('data/a\r\n');
  });

  it('reads bag-info continuation lines', () => {
    const { fields, badLines } = parseTagFile('A: one\n  two\nB:x\r\nno colon here\n');
    expect(fields).toEqual([
      { label: 'A', value: 'one two' },
      { label: 'B', value: 'x' },
    ]);
    expect(badLines).toEqual([4]);
  });
});

describe('the bag declaration (§2.1.1)', () => {
  it('is required', async () => {
    const r = await validateBag(await makeBag({ declaration: null, tagManifest: false }));
    expect(codes(r)).toEqual(['BAG_DECLARATION_MISSING']);
    expect(r.ok).toBe(false);
  });
  it('names version 1.0', async () => {
    const r = await validateBag(
      await makeBag({ declaration: 'BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n' }),
    );
    expect(codes(r)).toEqual(['BAG_VERSION_UNSUPPORTED']);
    expect(r.problems[0]?.message).toContain('0.97');
  });
  it('names UTF-8', async () => {
    const r = await validateBag(
      await makeBag({ declaration: 'BagIt-Version: 1.0\nTag-File-Character-Encoding: GB18030\n' }),
    );
    expect(codes(r)).toEqual(['BAG_ENCODING_UNSUPPORTED']);
  });
  it('has exactly two lines in order, without a BOM', async () => {
    for (const declaration of [
      'Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n',
      'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nExtra: 1\n',
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from('BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n'),
      ]),
    ]) {
      const r = await validateBag(await makeBag({ declaration }));
      expect(codes(r)).toEqual(['BAG_DECLARATION_INVALID']);
      expect(r.problems[0]?.path).toBe('bagit.txt');
    }
  });
  it('is UTF-8 text', async () => {
    const r = await validateBag(await makeBag({ info: null }));
    await fs.writeFile(path.join(root, `bag-${n}`, 'bag-info.txt'), Buffer.from([0xff, 0xfe, 0x41]));
    const again = await validateBag(path.join(root, `bag-${n}`));
    expect(r.ok).toBe(true);
    expect(codes(again)).toContain('BAG_TAG_FILE_ENCODING');
  });
});

describe('the payload and its manifests (§2.1.2, §2.1.3, §3)', () => {
  it('needs the data/ directory', async () => {
    const dir = await makeBag({ files: {} });
    await fs.rm(path.join(dir, 'data'), { recursive: true });
    expect(codes(await validateBag(dir))).toEqual(['BAG_PAYLOAD_DIR_MISSING']);
  });
  it('needs at least one payload manifest', async () => {
    const dir = await makeBag({ tagManifest: false });
    await fs.rm(path.join(dir, 'manifest-sha256.txt'));
    const r = await validateBag(dir);
    expect(codes(r)).toEqual(['BAG_MANIFEST_MISSING']);
  });
  it('refuses an unsupported digest algorithm', async () => {
    const r = await validateBag(await makeBag({ algorithm: 'md5' }));
    expect(codes(r)).toEqual(['BAG_ALGORITHM_UNSUPPORTED', 'BAG_ALGORITHM_UNSUPPORTED']);
    expect(r.problems.map((p) => p.path)).toEqual(['manifest-md5.txt', 'tagmanifest-md5.txt']);
  });
  it('names a payload file missing from the manifest (an extra file)', async () => {
    const dir = await makeBag();
    await fs.writeFile(path.join(dir, 'data/A-001/files/extra.txt'), 'x');
    const r = await validateBag(dir);
    expect(r.problems.map((p) => [p.code, p.path])).toEqual([
      ['BAG_PAYLOAD_FILE_UNLISTED', 'data/A-001/files/extra.txt'],
      ['BAG_OXUM_MISMATCH', 'bag-info.txt'],
    ]);
  });
  it('names a manifest line removed', async () => {
    const dir = await makeBag();
    await editFile(dir, 'manifest-sha256.txt', (s) =>
      s
        .split('\n')
        .filter((l) => !l.includes('病历.pdf'))
        .join('\n'),
    );
    await resealTags(dir);
    expect(r2(await validateBag(dir))).toEqual([['BAG_PAYLOAD_FILE_UNLISTED', 'data/A-001/files/病历.pdf']]);
  });
  it('names a listed file that is not there, and a renamed one both ways', async () => {
    const dir = await makeBag();
    await fs.rename(
      path.join(dir, 'data/A-001/files/病历.pdf'),
      path.join(dir, 'data/A-001/files/病历2.pdf'),
    );
    expect(r2(await validateBag(dir))).toEqual([
      ['BAG_PAYLOAD_FILE_MISSING', 'data/A-001/files/病历.pdf'],
      ['BAG_PAYLOAD_FILE_UNLISTED', 'data/A-001/files/病历2.pdf'],
    ]);
  });
  it('names a file whose digest does not match (one byte changed)', async () => {
    const dir = await makeBag();
    const file = path.join(dir, 'data/A-001/files/病历.pdf');
    const bytes = await fs.readFile(file);
    bytes[3] = (bytes[3] ?? 0) ^ 1;
    await fs.writeFile(file, bytes);
    const r = await validateBag(dir);
    expect(r2(r)).toEqual([['BAG_DIGEST_MISMATCH', 'data/A-001/files/病历.pdf']]);
    expect(r.problems[0]?.message).toContain('sha256');
  });
  it('checks Payload-Oxum: its count and octets, and its form', async () => {
    const wrong = await makeBag();
    await editFile(wrong, 'bag-info.txt', (s) => s.replace(/Payload-Oxum: \d+\.3/, 'Payload-Oxum: 1.3'));
    await resealTags(wrong);
    const r = await validateBag(wrong);
    expect(codes(r)).toEqual(['BAG_OXUM_MISMATCH']);
    expect(r.problems[0]?.message).toContain('1.3');
    const malformed = await makeBag();
    await editFile(malformed, 'bag-info.txt', (s) => s.replace(/Payload-Oxum: .*/, 'Payload-Oxum: many'));
    await resealTags(malformed);
    expect(codes(await validateBag(malformed))).toEqual(['BAG_OXUM_INVALID']);
  });
  it('refuses manifest paths escaping data/ or the bag', async () => {
    for (const bad of [
      '../outside.txt',
      'data/../../etc/passwd',
      '/etc/passwd',
      'bagit.txt',
      'data\\x.txt',
    ]) {
      const dir = await makeBag();
      await fs.appendFile(path.join(dir, 'manifest-sha256.txt'), `${hex('sha256', '')}  ${bad}\n`);
      await resealTags(dir);
      const r = await validateBag(dir);
      expect(codes(r), bad).toEqual(['BAG_PATH_OUTSIDE_PAYLOAD']);
    }
  });
  it('refuses an unencoded % and a malformed or duplicate line', async () => {
    const cases: [string, string][] = [
      [`${hex('sha256', '')}  data/50%off.txt`, 'BAG_PATH_ENCODING'],
      ['not-a-digest data/x.txt', 'BAG_MANIFEST_LINE_INVALID'],
      [`${hex('sha256', '').slice(2)}  data/x.txt`, 'BAG_MANIFEST_LINE_INVALID'],
      [`${hex('sha256', 'checkpoint')}  data/checkpoint.txt`, 'BAG_MANIFEST_DUPLICATE'],
    ];
    for (const [line, code] of cases) {
      const dir = await makeBag();
      await fs.appendFile(path.join(dir, 'manifest-sha256.txt'), `${line}\n`);
      await resealTags(dir);
      expect(codes(await validateBag(dir)), line).toEqual([code]);
    }
  });
  it('refuses links and fetch.txt', async () => {
    const dir = await makeBag();
    await fs.symlink('/etc/passwd', path.join(dir, 'data/A-001/files/link'));
    const r = await validateBag(dir);
    expect(r2(r)).toEqual([['BAG_LINK', 'data/A-001/files/link']]);
    const fetching = await makeBag();
    await fs.writeFile(path.join(fetching, 'fetch.txt'), 'http://example.invalid/x 1 data/x\n');
    expect(codes(await validateBag(fetching))).toContain('BAG_FETCH_UNSUPPORTED');
  });
  it('is not a directory', async () => {
    expect(codes(await validateBag(path.join(root, 'nothing-here')))).toEqual(['BAG_NOT_FOUND']);
  });
});

describe('tag manifests (§2.2.1)', () => {
  it('catch a changed tag file', async () => {
    const dir = await makeBag();
    await editFile(dir, 'bag-info.txt', (s) => s.replace('YJ-J001-2026-1', 'YJ-J001-2026-2'));
    expect(r2(await validateBag(dir))).toEqual([['BAG_DIGEST_MISMATCH', 'bag-info.txt']]);
  });
  it('list every payload manifest and no payload file or tag manifest', async () => {
    const dir = await makeBag();
    await editFile(dir, 'tagmanifest-sha256.txt', (s) =>
      s
        .split('\n')
        .filter((l) => !l.endsWith('manifest-sha256.txt'))
        .concat(`${hex('sha256', 'checkpoint')} data/checkpoint.txt`, '')
        .join('\n'),
    );
    expect(codes(await validateBag(dir))).toEqual(['BAG_TAGMANIFEST_INVALID', 'BAG_TAGMANIFEST_INVALID']);
  });
  it('name a listed tag file that is missing; an unlisted tag file is only a warning', async () => {
    const dir = await makeBag();
    await fs.rm(path.join(dir, 'bag-info.txt'));
    expect(r2(await validateBag(dir))).toEqual([['BAG_TAG_FILE_MISSING', 'bag-info.txt']]);
    const extra = await makeBag();
    await fs.writeFile(path.join(extra, 'notes.txt'), 'x');
    const r = await validateBag(extra);
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => w.path)).toEqual(['notes.txt']);
  });
});

function r2(r: BagReport) {
  return r.problems.map((p) => [p.code, p.path]);
}
