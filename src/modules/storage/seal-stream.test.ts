import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { chunked, readAll } from '../../../test/helpers/file-service.js';
import type { DigestAlgorithm } from '../../config/config.js';
import { loadConfig } from '../../config/config.js';
import { closeCpuPool } from '../../shared/cpu-pool/cpu-pool.js';
import { isYidangError, type YidangError } from '../../shared/errors.js';
import { BlobStore } from './blob-store.js';
import { type CipherSuite, createDecryptStream, encryptedSize, newDataKey } from './envelope.js';
import { initKeyring } from './keyring.js';
import { POOL_THRESHOLD, SealStream, type SealThread } from './seal-stream.js';

// Hashing and encryption of uploads on a CPU pool thread give what sealing in place gives: the same
// digest, an envelope of the same size that the existing decryption opens, the digest of that
// envelope — and the server thread stays free while a large upload is sealed.

afterAll(() => closeCpuPool());

async function seal(
  content: Buffer,
  suite: CipherSuite,
  algorithm: DigestAlgorithm,
  thread: SealThread,
  pieces = 300_001,
) {
  const dataKey = newDataKey(suite);
  const stream = new SealStream(suite, dataKey, algorithm, thread);
  const out: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => out.push(chunk));
  await pipeline(chunked(content, pieces), stream, sink);
  return { envelope: Buffer.concat(out), facts: stream.facts(), dataKey };
}

const hex = (algorithm: DigestAlgorithm, data: Buffer) =>
  crypto.createHash(algorithm).update(data).digest('hex');

describe('sealing an upload on the pool', () => {
  const cases: Array<[CipherSuite, DigestAlgorithm]> = [
    ['aes-256-gcm', 'sha256'],
    ['sm4', 'sm3'],
  ];
  for (const [suite, algorithm] of cases)
    for (const size of [0, 1000, POOL_THRESHOLD, 3 * 1024 * 1024 + 17])
      it(`${suite}/${algorithm}, ${size} bytes: same digest and a decryptable envelope as in place`, async () => {
        const content = crypto.randomBytes(size);
        const pooled = await seal(content, suite, algorithm, 'pool');
        const inline = await seal(content, suite, algorithm, 'inline');
        const auto = await seal(content, suite, algorithm, 'auto');
        for (const sealed of [pooled, inline, auto]) {
          expect(sealed.facts.digest).toBe(hex(algorithm, content));
          expect(sealed.envelope.length).toBe(encryptedSize(size, suite));
          expect(sealed.facts.storedSize).toBe(sealed.envelope.length);
          expect(sealed.facts.storedDigest).toBe(hex(algorithm, sealed.envelope));
          const plain = await readAll(
            Readable.from([sealed.envelope]).pipe(createDecryptStream(sealed.dataKey)),
          );
          expect(plain.equals(content)).toBe(true);
        }
      });

  it('keeps the server thread free while a large upload is sealed', async () => {
    // SM4 and SM3 have no hardware help: 24 MB sealed in place holds the thread for about a second
    // (a push hands over each file as one buffer).
    const content = crypto.randomBytes(24 * 1024 * 1024);
    await seal(Buffer.alloc(POOL_THRESHOLD), 'sm4', 'sm3', 'pool'); // the thread is up
    const stall = async (thread: SealThread) => {
      let last = performance.now();
      let longest = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 5);
      const sealed = await seal(content, 'sm4', 'sm3', thread, content.length);
      clearInterval(timer);
      longest = Math.max(longest, performance.now() - last);
      expect(sealed.facts.digest).toBe(hex('sm3', content));
      return longest;
    };
    const inline = await stall('inline');
    const pooled = await stall('pool');
    expect(inline).toBeGreaterThan(200);
    // A shared 2-core machine under CI's load stalls even a free loop now and then: half the inline stall
    // still tells a pooled seal from one on the server thread.
    expect(pooled).toBeLessThan(inline / 2);
  }, 60_000);
});

describe('staging through the pool', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-seal-'));
  const env = { YIDANG_HOME: home, YIDANG_REPLICAS: 'r1=replica-1,r2=replica-2' };
  const store = new BlobStore(loadConfig(env), initKeyring(home, { env }));
  const temporary = () =>
    ['replica-1', 'replica-2'].flatMap((replica) => fs.readdirSync(path.join(home, replica, 'tmp')));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('refuses content over the limit as before and leaves nothing staged', async () => {
    await store.initialize();
    const error = await store
      .stage(chunked(crypto.randomBytes(3 * 1024 * 1024), 64 * 1024), 2 * 1024 * 1024)
      .catch((e: unknown) => e);
    expect(isYidangError(error)).toBe(true);
    expect((error as YidangError).code).toBe('FILE_TOO_LARGE');
    expect((error as YidangError).message).toBe('文件超过上限 2 MB');
    expect(temporary()).toEqual([]);
  });

  it('fails an upload whose pool thread ends with a clear error, leaves nothing staged, and recovers', async () => {
    const content = crypto.randomBytes(8 * 1024 * 1024);
    // A source that pauses after its first megabytes, while the thread holds the upload's state.
    const source = new PassThrough();
    const staging = store.stage(source).catch((e: unknown) => e);
    source.write(content.subarray(0, 2 * 1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await closeCpuPool();
    source.end(content.subarray(2 * 1024 * 1024));
    const error = await staging;
    expect(isYidangError(error), String(error)).toBe(true);
    expect((error as YidangError).code).toBe('CPU_TASK_FAILED');
    expect((error as YidangError).message).toBe(
      '文件加密与摘要计算时后台计算线程意外退出，操作未完成，请重试；反复出现请联系管理员',
    );
    expect(temporary()).toEqual([]);
    const staged = await store.stage(Readable.from([content]));
    expect(staged.digest).toBe(`sha256:${hex('sha256', content)}`);
    const { stored } = await store.commit(staged);
    expect(stored).toEqual(['r1', 'r2']);
    const { stream } = await store.open(staged, async () => {});
    expect((await readAll(stream)).equals(content)).toBe(true);
  });
});
