import crypto from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { YidangError } from '../../shared/errors.js';

// Blob envelope, version 1 (all integers big-endian):
//
//   header (26 bytes) = 'YDB1' | version u8 = 1 | suite u8 (1 = aes-256-gcm, 2 = sm4) | chunk size u32 | salt (16)
//   then one or more chunks: ciphertext (chunk size bytes, the last one 1..chunk size bytes, or 0 bytes
//   only when the whole plaintext is empty) | tag (16)
//
// The salt makes a per-blob key: HKDF(data key, salt) with SHA-256 (aes) or SM3 (sm4), so even a reused
// data key never reuses a (key, nonce) pair. Chunk i is sealed under a nonce made of the 8-byte counter i
// and a final-chunk flag (the STREAM construction of age and Tink), and the whole header is authenticated
// with every chunk. A dropped, reordered, swapped or appended chunk, or a stream cut at a chunk boundary,
// therefore fails a tag.
//   aes-256-gcm: nonce (12) = counter (8) | 0 0 0 | flag; AAD = header; tag = the GCM tag.
//   sm4:         SM4-CTR with IV (16) = counter (8) | flag | 0 × 7 (the low bytes count blocks, so
//                chunks never share keystream); tag = HMAC-SM3(mac key, header | counter | flag | ciphertext)
//                truncated to 16 bytes, computed over the ciphertext (encrypt-then-MAC).

export type CipherSuite = 'aes-256-gcm' | 'sm4';

export const CHUNK = 1024 * 1024;
export const HEADER_BYTES = 26;
export const TAG_BYTES = 16;
export const DATA_KEY_BYTES: Record<CipherSuite, number> = { 'aes-256-gcm': 32, sm4: 16 };

const MAGIC = Buffer.from('YDB1', 'ascii');
const VERSION = 1;
const SUITE_IDS: Record<CipherSuite, number> = { 'aes-256-gcm': 1, sm4: 2 };
const SALT_BYTES = 16;
// Decryption trusts the header's chunk size before it can authenticate it, so bound the buffer it implies.
const MAX_CHUNK = 16 * 1024 * 1024;

const suiteById = (id: number): CipherSuite | undefined =>
  id === 1 ? 'aes-256-gcm' : id === 2 ? 'sm4' : undefined;

const corrupt = (reason: string) => new YidangError('BLOB_CORRUPT', 'invalid', `文件已损坏：${reason}`);

export function newDataKey(suite: CipherSuite): Buffer {
  return crypto.randomBytes(DATA_KEY_BYTES[suite]);
}

function checkKey(suite: CipherSuite, key: Buffer, what: string): void {
  if (key.length !== DATA_KEY_BYTES[suite]) {
    throw new TypeError(`${what} for ${suite} must be ${DATA_KEY_BYTES[suite]} bytes, got ${key.length}`);
  }
}

const hkdf = (hash: string, key: Buffer, salt: Buffer, info: string, length: number) =>
  Buffer.from(crypto.hkdfSync(hash, key, salt, Buffer.from(info, 'utf8'), length));

interface ChunkKeys {
  suite: CipherSuite;
  header: Buffer;
  encKey: Buffer;
  macKey: Buffer | null;
}

function chunkKeys(suite: CipherSuite, dataKey: Buffer, header: Buffer): ChunkKeys {
  const salt = header.subarray(HEADER_BYTES - SALT_BYTES, HEADER_BYTES);
  if (suite === 'aes-256-gcm') {
    return {
      suite,
      header,
      encKey: hkdf('sha256', dataKey, salt, 'yidang blob v1 aes-256-gcm', 32),
      macKey: null,
    };
  }
  return {
    suite,
    header,
    encKey: hkdf('sm3', dataKey, salt, 'yidang blob v1 sm4-ctr', 16),
    macKey: hkdf('sm3', dataKey, salt, 'yidang blob v1 hmac-sm3', 32),
  };
}

function chunkPosition(counter: number, final: boolean): Buffer {
  const position = Buffer.alloc(9);
  position.writeBigUInt64BE(BigInt(counter), 0);
  position[8] = final ? 1 : 0;
  return position;
}

function aesNonce(position: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  position.copy(nonce, 0, 0, 8);
  nonce[11] = position[8] ?? 0;
  return nonce;
}

function sm4Iv(position: Buffer): Buffer {
  const iv = Buffer.alloc(16);
  position.copy(iv, 0, 0, 9);
  return iv;
}

function sm4Tag(keys: ChunkKeys, position: Buffer, ciphertext: Buffer): Buffer {
  const mac = crypto.createHmac('sm3', keys.macKey as Buffer);
  mac.update(keys.header).update(position).update(ciphertext);
  return mac.digest().subarray(0, TAG_BYTES);
}

function sealChunk(keys: ChunkKeys, counter: number, final: boolean, plain: Buffer): [Buffer, Buffer] {
  const position = chunkPosition(counter, final);
  if (keys.suite === 'aes-256-gcm') {
    const cipher = crypto.createCipheriv('aes-256-gcm', keys.encKey, aesNonce(position));
    cipher.setAAD(keys.header);
    const ciphertext = cipher.update(plain);
    cipher.final();
    return [ciphertext, cipher.getAuthTag()];
  }
  const cipher = crypto.createCipheriv('sm4-ctr', keys.encKey, sm4Iv(position));
  const ciphertext = cipher.update(plain);
  cipher.final();
  return [ciphertext, sm4Tag(keys, position, ciphertext)];
}

/** Returns the plaintext, or null when the tag does not verify. */
function openChunk(keys: ChunkKeys, counter: number, final: boolean, sealed: Buffer): Buffer | null {
  const position = chunkPosition(counter, final);
  const ciphertext = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  if (keys.suite === 'aes-256-gcm') {
    const decipher = crypto.createDecipheriv('aes-256-gcm', keys.encKey, aesNonce(position));
    decipher.setAAD(keys.header);
    decipher.setAuthTag(tag);
    const plain = decipher.update(ciphertext);
    try {
      decipher.final();
    } catch {
      return null;
    }
    return plain;
  }
  if (!crypto.timingSafeEqual(sm4Tag(keys, position, ciphertext), tag)) return null;
  const decipher = crypto.createDecipheriv('sm4-ctr', keys.encKey, sm4Iv(position));
  const plain = decipher.update(ciphertext);
  decipher.final();
  return plain;
}

/**
 * Seals plaintext into the envelope piece by piece: update() and final() return the bytes to write
 * (the header first). Synchronous, so a pool thread can seal an upload's pieces as they arrive.
 */
export class EnvelopeSealer {
  private readonly header: Buffer;
  private readonly keys: ChunkKeys;
  // One chunk is held back until we know whether more input follows, since the nonce depends on it.
  private readonly staging = Buffer.allocUnsafe(CHUNK);
  private filled = 0;
  private counter = 0;
  private headerSent = false;

  constructor(suite: CipherSuite, dataKey: Buffer) {
    checkKey(suite, dataKey, 'data key');
    this.header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(this.header, 0);
    this.header[4] = VERSION;
    this.header[5] = SUITE_IDS[suite];
    this.header.writeUInt32BE(CHUNK, 6);
    crypto.randomFillSync(this.header, HEADER_BYTES - SALT_BYTES, SALT_BYTES);
    this.keys = chunkKeys(suite, dataKey, this.header);
  }

  update(data: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < data.length) {
      if (this.filled === CHUNK) this.emit(out, false);
      const n = Math.min(CHUNK - this.filled, data.length - offset);
      this.staging.set(data.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
    }
    return out;
  }

  final(): Buffer[] {
    const out: Buffer[] = [];
    this.emit(out, true);
    return out;
  }

  private emit(out: Buffer[], final: boolean): void {
    if (!this.headerSent) {
      out.push(Buffer.from(this.header));
      this.headerSent = true;
    }
    const [ciphertext, tag] = sealChunk(
      this.keys,
      this.counter,
      final,
      this.staging.subarray(0, this.filled),
    );
    this.counter += 1;
    this.filled = 0;
    if (ciphertext.length > 0) out.push(ciphertext);
    out.push(tag);
  }
}

/** Transform: plaintext in → header + encrypted chunks out. Buffers one chunk of plaintext. */
export function createEncryptStream(suite: CipherSuite, dataKey: Buffer): Transform {
  const sealer = new EnvelopeSealer(suite, dataKey);
  const pass = (stream: Transform, parts: Buffer[]) => {
    for (const part of parts) stream.push(part);
  };
  return new Transform({
    transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        pass(this, sealer.update(data));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        pass(this, sealer.final());
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Transform: encrypted in → plaintext out, releasing a chunk only after its tag verifies. */
export function createDecryptStream(dataKey: Buffer): Transform {
  const header = Buffer.alloc(HEADER_BYTES);
  let headerFilled = 0;
  let keys: ChunkKeys | null = null;
  let staging: Buffer = Buffer.alloc(0);
  let filled = 0;
  let counter = 0;

  const parseHeader = () => {
    if (!header.subarray(0, 4).equals(MAGIC)) throw corrupt('不是医档加密文件（文件头标识不符）');
    if (header[4] !== VERSION) throw corrupt(`不支持的加密格式版本 ${header[4]}`);
    const suite = suiteById(header[5] ?? 0);
    if (!suite) throw corrupt(`未知的加密套件编号 ${header[5]}`);
    const chunkSize = header.readUInt32BE(6);
    if (chunkSize < 1 || chunkSize > MAX_CHUNK) throw corrupt(`分块大小 ${chunkSize} 超出范围`);
    if (dataKey.length !== DATA_KEY_BYTES[suite]) throw corrupt('文件密钥与文件的加密套件不匹配');
    keys = chunkKeys(suite, dataKey, Buffer.from(header));
    staging = Buffer.allocUnsafe(chunkSize + TAG_BYTES);
  };

  const open = (stream: Transform, final: boolean) => {
    if (!keys) throw corrupt('文件头不完整');
    if (filled < TAG_BYTES) throw corrupt('数据被截断');
    // Only the empty file has an empty chunk; anywhere else it would be a forged or cut ending.
    if (filled === TAG_BYTES && counter > 0) throw corrupt('数据被截断');
    const plain = openChunk(keys, counter, final, staging.subarray(0, filled));
    if (!plain) throw corrupt(`第 ${counter + 1} 块校验失败（数据被篡改、截断，或文件密钥不正确）`);
    counter += 1;
    filled = 0;
    if (plain.length > 0) stream.push(plain);
  };

  return new Transform({
    transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        let offset = 0;
        if (headerFilled < HEADER_BYTES) {
          const n = Math.min(HEADER_BYTES - headerFilled, data.length);
          data.copy(header, headerFilled, 0, n);
          headerFilled += n;
          offset = n;
          if (headerFilled === HEADER_BYTES) parseHeader();
        }
        while (offset < data.length) {
          if (filled === staging.length) open(this, false);
          const n = Math.min(staging.length - filled, data.length - offset);
          data.copy(staging, filled, offset, offset + n);
          filled += n;
          offset += n;
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (headerFilled < HEADER_BYTES) throw corrupt('文件头不完整');
        open(this, true);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Exact size of createEncryptStream's output for a plaintext of plainSize bytes. */
export function encryptedSize(plainSize: number, _suite: CipherSuite): number {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0)
    throw new RangeError(`bad plaintext size ${plainSize}`);
  const chunks = Math.max(1, Math.ceil(plainSize / CHUNK));
  return HEADER_BYTES + plainSize + chunks * TAG_BYTES;
}

// Wrapped data key, version 1:
//   version u8 = 1 | suite u8 | nonce (12 for aes, 16 for sm4) | encrypted data key | tag (16)
// The wrapping keys are derived from the 32-byte master key per suite (domain separation), and the
// version and suite bytes plus the caller's aad (the blob digest) are authenticated.

const WRAP_VERSION = 1;
const WRAP_NONCE_BYTES: Record<CipherSuite, number> = { 'aes-256-gcm': 12, sm4: 16 };

const masterKeyWrong = () =>
  new YidangError(
    'MASTER_KEY_WRONG',
    'invalid',
    '主密钥不正确，无法解开文件密钥（也可能是文件密钥记录已损坏，或它属于另一个文件）',
  );

function wrapKeys(masterKey: Buffer, suite: CipherSuite): { encKey: Buffer; macKey: Buffer | null } {
  if (masterKey.length !== 32) throw new TypeError(`master key must be 32 bytes, got ${masterKey.length}`);
  const none = Buffer.alloc(0);
  if (suite === 'aes-256-gcm') {
    return { encKey: hkdf('sha256', masterKey, none, 'yidang wrap v1 aes-256-gcm', 32), macKey: null };
  }
  return {
    encKey: hkdf('sm3', masterKey, none, 'yidang wrap v1 sm4-ctr', 16),
    macKey: hkdf('sm3', masterKey, none, 'yidang wrap v1 hmac-sm3', 32),
  };
}

function wrapTag(macKey: Buffer, prefix: Buffer, aad: Buffer, ciphertext: Buffer): Buffer {
  const aadLength = Buffer.alloc(4);
  aadLength.writeUInt32BE(aad.length, 0);
  const mac = crypto.createHmac('sm3', macKey);
  mac.update(prefix).update(aadLength).update(aad).update(ciphertext);
  return mac.digest().subarray(0, TAG_BYTES);
}

export function wrapDataKey(masterKey: Buffer, dataKey: Buffer, suite: CipherSuite, aad: Buffer): Buffer {
  checkKey(suite, dataKey, 'data key');
  const { encKey, macKey } = wrapKeys(masterKey, suite);
  const nonce = crypto.randomBytes(WRAP_NONCE_BYTES[suite]);
  const prefix = Buffer.concat([Buffer.from([WRAP_VERSION, SUITE_IDS[suite]]), nonce]);
  if (suite === 'aes-256-gcm') {
    const cipher = crypto.createCipheriv('aes-256-gcm', encKey, nonce);
    cipher.setAAD(Buffer.concat([prefix, aad]));
    const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([prefix, ciphertext, cipher.getAuthTag()]);
  }
  const cipher = crypto.createCipheriv('sm4-ctr', encKey, nonce);
  const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([prefix, ciphertext, wrapTag(macKey as Buffer, prefix, aad, ciphertext)]);
}

export function unwrapDataKey(masterKey: Buffer, wrapped: Buffer, aad: Buffer): Buffer {
  const suite = suiteById(wrapped[1] ?? 0);
  if (wrapped[0] !== WRAP_VERSION || !suite) {
    throw new YidangError('WRAPPED_KEY_MALFORMED', 'invalid', '文件密钥记录已损坏或格式不受支持');
  }
  const nonceBytes = WRAP_NONCE_BYTES[suite];
  if (wrapped.length !== 2 + nonceBytes + DATA_KEY_BYTES[suite] + TAG_BYTES) {
    throw new YidangError('WRAPPED_KEY_MALFORMED', 'invalid', '文件密钥记录已损坏（长度不符）');
  }
  const prefix = wrapped.subarray(0, 2 + nonceBytes);
  const nonce = prefix.subarray(2);
  const ciphertext = wrapped.subarray(prefix.length, wrapped.length - TAG_BYTES);
  const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
  const { encKey, macKey } = wrapKeys(masterKey, suite);
  if (suite === 'aes-256-gcm') {
    const decipher = crypto.createDecipheriv('aes-256-gcm', encKey, nonce);
    decipher.setAAD(Buffer.concat([prefix, aad]));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw masterKeyWrong();
    }
  }
  if (!crypto.timingSafeEqual(wrapTag(macKey as Buffer, prefix, aad, ciphertext), tag))
    throw masterKeyWrong();
  const decipher = crypto.createDecipheriv('sm4-ctr', encKey, nonce);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
