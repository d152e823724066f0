import crypto from 'node:crypto';
import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { isYidangError } from '../../shared/errors.js';
import {
  CHUNK,
  type CipherSuite,
  createDecryptStream,
  createEncryptStream,
  DATA_KEY_BYTES,
  encryptedSize,
  HEADER_BYTES,
  newDataKey,
  TAG_BYTES,
  unwrapDataKey,
  wrapDataKey,
} from './envelope.js';

const SUITES: CipherSuite[] = ['aes-256-gcm', 'sm4'];
const SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5];

function* pieces(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

async function collect(source: Iterable<Buffer>, transform: Transform): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(source), transform, async (stream) => {
    for await (const chunk of stream as AsyncIterable<Buffer>) out.push(chunk);
  });
  return Buffer.concat(out);
}

const encrypt = (suite: CipherSuite, key: Buffer, plain: Buffer, writeSize = 64 * 1024) =>
  collect(pieces(plain, writeSize), createEncryptStream(suite, key));

/** Decrypts and reports both the plaintext released before any error and the error itself. */
async function decrypt(key: Buffer, sealed: Buffer, writeSize = 100_000) {
  const released: Buffer[] = [];
  let error: unknown = null;
  try {
    await pipeline(Readable.from(pieces(sealed, writeSize)), createDecryptStream(key), async (stream) => {
      for await (const chunk of stream as AsyncIterable<Buffer>) released.push(chunk);
    });
  } catch (caught) {
    error = caught;
  }
  return { plain: Buffer.concat(released), error };
}

function expectCorrupt(error: unknown): void {
  expect(isYidangError(error) && error.code).toBe('BLOB_CORRUPT');
  expect(isYidangError(error) && error.kind).toBe('invalid');
  expect((error as Error).message).toMatch(/^文件已损坏：/);
}

describe.each(SUITES)('round trips with %s', (suite) => {
  it.each(SIZES)('encrypts and decrypts %i bytes exactly', async (size) => {
    const key = newDataKey(suite);
    const plain = crypto.randomBytes(size);
    const sealed = await encrypt(suite, key, plain, 7 * 1024 + 3);
    expect(sealed.length).toBe(encryptedSize(size, suite));
    expect(sealed.subarray(0, 4).toString('ascii')).toBe('YDB1');
    const { plain: opened, error } = await decrypt(key, sealed);
    expect(error).toBeNull();
    expect(opened.equals(plain)).toBe(true);
  });

  it('accepts any write sizes on both sides', async () => {
    const key = newDataKey(suite);
    const plain = crypto.randomBytes(CHUNK + 4321);
    const tiny = await encrypt(suite, key, plain.subarray(0, 20_000), 7);
    expect((await decrypt(key, tiny, 7)).plain.equals(plain.subarray(0, 20_000))).toBe(true);
    const huge = await encrypt(suite, key, plain, 3 * CHUNK);
    expect((await decrypt(key, huge, 3 * CHUNK)).plain.equals(plain)).toBe(true);
    expect((await decrypt(key, huge, 13)).plain.equals(plain)).toBe(true);
  });

  it('never produces the same ciphertext twice', async () => {
    const key = newDataKey(suite);
    const plain = Buffer.alloc(1000, 1);
    expect((await encrypt(suite, key, plain)).equals(await encrypt(suite, key, plain))).toBe(false);
  });
});

describe.each(SUITES)('tampering with %s', (suite) => {
  const key = newDataKey(suite);
  const plain = crypto.randomBytes(3 * CHUNK + 5);
  const sealedPromise = encrypt(suite, key, plain);
  const sealedChunk = CHUNK + TAG_BYTES;
  const chunkStart = (i: number) => HEADER_BYTES + i * sealedChunk;

  /** Plaintext released before the error must be a prefix of whole, untouched chunks. */
  async function expectRejected(damaged: Buffer, firstBadChunk: number) {
    const { plain: released, error } = await decrypt(key, damaged);
    expectCorrupt(error);
    expect(released.length).toBeLessThanOrEqual(firstBadChunk * CHUNK);
    expect(released.length % CHUNK).toBe(0);
    expect(released.equals(plain.subarray(0, released.length))).toBe(true);
  }

  it('detects a flipped byte anywhere', async () => {
    const sealed = await sealedPromise;
    const positions: [number, number][] = [
      [0, 0],
      [4, 0],
      [5, 0],
      [6, 0],
      [9, 0],
      [HEADER_BYTES - 1, 0],
      [chunkStart(0), 0],
      [chunkStart(1) + CHUNK / 2, 1],
      [chunkStart(1) + CHUNK + 3, 1],
      [chunkStart(2) - 1, 1],
      [sealed.length - 1, 3],
      [sealed.length - TAG_BYTES - 1, 3],
    ];
    for (const [position, chunk] of positions) {
      const damaged = Buffer.from(sealed);
      damaged[position] = (damaged[position] ?? 0) ^ 0x01;
      await expectRejected(damaged, chunk);
    }
  });

  it('detects truncation', async () => {
    const sealed = await sealedPromise;
    for (const length of [0, 3, HEADER_BYTES - 1, HEADER_BYTES, HEADER_BYTES + 10, chunkStart(1) - 1]) {
      await expectRejected(sealed.subarray(0, length), 0);
    }
    await expectRejected(sealed.subarray(0, chunkStart(1)), 0);
    await expectRejected(sealed.subarray(0, chunkStart(2) + 100), 2);
    await expectRejected(sealed.subarray(0, sealed.length - 1), 3);
  });

  it('detects a dropped final chunk, swapped chunks and appended bytes', async () => {
    const sealed = await sealedPromise;
    await expectRejected(sealed.subarray(0, chunkStart(3)), 2);
    const swapped = Buffer.concat([
      sealed.subarray(0, chunkStart(1)),
      sealed.subarray(chunkStart(2), chunkStart(3)),
      sealed.subarray(chunkStart(1), chunkStart(2)),
      sealed.subarray(chunkStart(3)),
    ]);
    await expectRejected(swapped, 1);
    const duplicated = Buffer.concat([sealed.subarray(0, chunkStart(2)), sealed.subarray(chunkStart(1))]);
    await expectRejected(duplicated, 2);
    await expectRejected(Buffer.concat([sealed, Buffer.from([0])]), 3);
    await expectRejected(Buffer.concat([sealed, sealed.subarray(chunkStart(3))]), 3);
    await expectRejected(Buffer.concat([sealed, sealed]), 3);
  });

  it('detects a chunk moved between two blobs under the same key', async () => {
    const sealed = await sealedPromise;
    const other = await encrypt(suite, key, plain);
    const mixed = Buffer.concat([sealed.subarray(0, chunkStart(1)), other.subarray(chunkStart(1))]);
    await expectRejected(mixed, 1);
  });

  it('rejects a wrong data key, unknown versions and suites', async () => {
    const sealed = await sealedPromise;
    const wrong = await decrypt(newDataKey(suite), sealed);
    expectCorrupt(wrong.error);
    expect(wrong.plain.length).toBe(0);
    const otherSuite = await decrypt(newDataKey(suite === 'sm4' ? 'aes-256-gcm' : 'sm4'), sealed);
    expectCorrupt(otherSuite.error);
    for (const [offset, value] of [
      [4, 2],
      [5, 9],
    ] as const) {
      const damaged = Buffer.from(sealed);
      damaged[offset] = value;
      expectCorrupt((await decrypt(key, damaged)).error);
    }
  });
});

describe('empty and size edge cases', () => {
  it('rejects an empty final chunk after a full one', async () => {
    const key = newDataKey('aes-256-gcm');
    const sealed = await encrypt('aes-256-gcm', key, crypto.randomBytes(CHUNK));
    const empty = await encrypt('aes-256-gcm', key, Buffer.alloc(0));
    expect(empty.length).toBe(HEADER_BYTES + TAG_BYTES);
    expectCorrupt((await decrypt(key, Buffer.concat([sealed, empty.subarray(HEADER_BYTES)]))).error);
  });

  it('computes sizes', () => {
    expect(DATA_KEY_BYTES).toEqual({ 'aes-256-gcm': 32, sm4: 16 });
    expect(encryptedSize(0, 'sm4')).toBe(HEADER_BYTES + TAG_BYTES);
    expect(encryptedSize(CHUNK, 'aes-256-gcm')).toBe(HEADER_BYTES + CHUNK + TAG_BYTES);
    expect(encryptedSize(CHUNK + 1, 'aes-256-gcm')).toBe(HEADER_BYTES + CHUNK + 1 + 2 * TAG_BYTES);
    expect(() => encryptedSize(-1, 'sm4')).toThrow(RangeError);
  });

  it('refuses a data key of the wrong length', () => {
    expect(() => createEncryptStream('sm4', newDataKey('aes-256-gcm'))).toThrow(TypeError);
  });
});

describe('bounded memory', () => {
  it('encrypts a 64 MiB stream without retaining it', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let total = 0;
    let seen = 0;
    const block = crypto.randomBytes(256 * 1024);
    async function* source() {
      for (let i = 0; i < 256; i += 1) yield Buffer.from(block);
    }
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        total += chunk.length;
        seen += 1;
        if (seen % 16 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
        }
        callback();
      },
    });
    await pipeline(source(), createEncryptStream('aes-256-gcm', newDataKey('aes-256-gcm')), sink);
    expect(total).toBe(encryptedSize(64 * CHUNK, 'aes-256-gcm'));
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  });
});

describe('data-key wrapping', () => {
  const master = crypto.randomBytes(32);
  const aad = crypto.createHash('sha256').update('blob').digest();

  it.each(SUITES)('round trips a %s data key', (suite) => {
    const dataKey = newDataKey(suite);
    const wrapped = wrapDataKey(master, dataKey, suite, aad);
    expect(wrapped.includes(dataKey)).toBe(false);
    expect(unwrapDataKey(master, wrapped, aad).equals(dataKey)).toBe(true);
    expect(wrapDataKey(master, dataKey, suite, aad).equals(wrapped)).toBe(false);
  });

  it.each(SUITES)('rejects a wrong master key, aad or a flipped byte with %s', (suite) => {
    const wrapped = wrapDataKey(master, newDataKey(suite), suite, aad);
    const wrongMaster = () => unwrapDataKey(crypto.randomBytes(32), wrapped, aad);
    expect(wrongMaster).toThrow(/^主密钥不正确，无法解开文件密钥/);
    try {
      wrongMaster();
    } catch (error) {
      expect(isYidangError(error) && error.code).toBe('MASTER_KEY_WRONG');
    }
    const otherAad = crypto.createHash('sha256').update('other blob').digest();
    expect(() => unwrapDataKey(master, wrapped, otherAad)).toThrow(/主密钥不正确/);
    for (let i = 2; i < wrapped.length; i += 1) {
      const damaged = Buffer.from(wrapped);
      damaged[i] = (damaged[i] ?? 0) ^ 0x80;
      expect(() => unwrapDataKey(master, damaged, aad)).toThrow(/主密钥不正确/);
    }
    for (const damaged of [wrapped.subarray(0, wrapped.length - 1), Buffer.from([9, 1]), Buffer.alloc(0)]) {
      expect(() => unwrapDataKey(master, damaged, aad)).toThrow(/文件密钥记录已损坏/);
    }
  });

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => wrapDataKey(Buffer.alloc(16), newDataKey('sm4'), 'sm4', aad)).toThrow(TypeError);
  });
});
