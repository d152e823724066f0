import crypto from 'node:crypto';
import { YidangError } from '../../shared/errors.js';
import { HASH_SIZE } from './merkle.js';

// Checkpoints of the integrity log as C2SP signed notes (https://c2sp.org/tlog-checkpoint,
// https://c2sp.org/signed-note), so standard witnesses and verifiers can read them.
//
// Ed25519 signatures follow the spec (type byte 0x01). SM2 has no assigned type byte, so it uses 0xff, the
// byte the spec reserves for signature types without one; the key bytes after it are the DER SPKI, whose
// SM2 curve OID (1.2.156.10197.1.301) is the longer identifier the spec recommends following 0xff with.

export type SignatureAlgorithm = 'ed25519' | 'sm2';

export interface CheckpointBody {
  origin: string;
  size: number;
  rootHash: Buffer;
  time: Date;
}

export interface NoteSigner {
  name: string;
  algorithm: SignatureAlgorithm;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

export interface NoteVerifier {
  name: string;
  algorithm: SignatureAlgorithm;
  publicKey: crypto.KeyObject;
}

const TYPE_BYTE: Record<SignatureAlgorithm, number> = { ed25519: 0x01, sm2: 0xff };
const SIGNATURE_PREFIX = '\u2014 ';
/** Spec minimum is 16; past this a note is more likely an attack on the verifier than a real cosigned one. */
const MAX_SIGNATURES = 100;
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** SEQUENCE { id-ecPublicKey, curve SM2 } as it opens every SM2 SubjectPublicKeyInfo. */
const SM2_ALGORITHM_ID = Buffer.from('301306072a8648ce3d020106082a811ccf5501822d', 'hex');

const malformed = (message: string) => new YidangError('CHECKPOINT_MALFORMED', 'invalid', message);
const badKey = (message: string) => new YidangError('NOTE_KEY_INVALID', 'invalid', message);

/** Signed notes must be valid UTF-8 (no lone surrogates) without ASCII control characters other than newline. */
function hasForbiddenCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
    if (code >= 0xdc00 && code <= 0xdfff) return true;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i += 1;
    }
  }
  return false;
}

function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !hasForbiddenCharacters(name);
}

function checkKeyName(name: string): void {
  if (typeof name !== 'string' || !isValidKeyName(name)) {
    throw new YidangError(
      'NOTE_KEY_NAME_INVALID',
      'invalid',
      `签名密钥名称无效：“${name}”（不能为空，不能含空白或“+”）`,
    );
  }
}

/** Standard base64 with padding, and only the canonical encoding of its bytes (Buffer.from is lenient). */
function decodeBase64(text: string): Buffer | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

const TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

export function formatCheckpointBody(body: CheckpointBody): string {
  const { origin, size, rootHash, time } = body;
  if (
    typeof origin !== 'string' ||
    origin.length === 0 ||
    origin.includes('\n') ||
    hasForbiddenCharacters(origin)
  ) {
    throw malformed('检查点的来源（origin）应为不含换行和控制字符的非空文本');
  }
  if (!Number.isSafeInteger(size) || size < 0) throw malformed(`检查点的树大小应为非负整数：${size}`);
  if (!Buffer.isBuffer(rootHash) || rootHash.length !== HASH_SIZE) {
    throw malformed(`检查点的根哈希应为 ${HASH_SIZE} 字节`);
  }
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) throw malformed('检查点的时间无效');
  return `${origin}\n${size}\n${rootHash.toString('base64')}\ntime ${time.toISOString()}\n`;
}

/** Parses a checkpoint body; extension lines other than `time` are accepted and ignored, as the spec allows. */
export function parseCheckpointBody(text: string): CheckpointBody {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw malformed('检查点正文应以换行结尾');
  if (hasForbiddenCharacters(text)) throw malformed('检查点正文含有控制字符或无效字符');
  const [origin, sizeText, rootText, ...extensions] = text.slice(0, -1).split('\n');
  if (!origin) throw malformed('检查点缺少来源（origin）行');
  if (sizeText === undefined || !/^(?:0|[1-9][0-9]*)$/.test(sizeText)) {
    throw malformed(`检查点的树大小应为不带前导零的十进制数：“${sizeText ?? ''}”`);
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed(`检查点的树大小过大：${sizeText}`);
  const rootHash = rootText === undefined ? undefined : decodeBase64(rootText);
  if (rootHash === undefined) throw malformed('检查点的根哈希不是有效的 base64');
  if (rootHash.length !== HASH_SIZE) {
    throw malformed(`检查点的根哈希应为 ${HASH_SIZE} 字节，实际 ${rootHash.length} 字节`);
  }

  let time: Date | undefined;
  for (const line of extensions) {
    if (line.length === 0) throw malformed('检查点正文不能含空行');
    if (!line.startsWith('time ')) continue;
    if (time !== undefined) throw malformed('检查点含有多个时间行');
    const iso = line.slice('time '.length);
    const parsed = new Date(iso);
    // The round trip rejects dates Date would roll over, such as 02-30.
    if (
      !TIME_PATTERN.test(iso) ||
      Number.isNaN(parsed.getTime()) ||
      parsed.toISOString().slice(0, 19) !== iso.slice(0, 19)
    ) {
      throw malformed(`检查点的时间应为 UTC 的 ISO 8601 格式：“${iso}”`);
    }
    time = parsed;
  }
  if (time === undefined) throw malformed('检查点缺少时间行（time …）');
  return { origin, size, rootHash, time };
}

// Node generates SM2 keys as EC keys on the SM2 curve, and signing with those is ECDSA with SM3, not SM2;
// keys decoded from DER are OpenSSL SM2 keys and sign with real SM2 (SM3, empty distinguishing ID). Every SM2
// key is therefore passed through DER once so that a stored, reloaded key signs and verifies the same way.
const sm2Keys = new WeakMap<crypto.KeyObject, crypto.KeyObject>();

function sm2Key(key: crypto.KeyObject): crypto.KeyObject {
  let normalized = sm2Keys.get(key);
  if (normalized === undefined) {
    normalized =
      key.type === 'private'
        ? crypto.createPrivateKey({
            key: key.export({ type: 'pkcs8', format: 'der' }),
            format: 'der',
            type: 'pkcs8',
          })
        : crypto.createPublicKey({
            key: key.export({ type: 'spki', format: 'der' }),
            format: 'der',
            type: 'spki',
          });
    sm2Keys.set(key, normalized);
  }
  return normalized;
}

/** The key bytes a verifier key and key id carry: raw 32 bytes for Ed25519, DER SPKI for SM2. */
function publicKeyBytes(algorithm: SignatureAlgorithm, publicKey: crypto.KeyObject): Buffer {
  if (!(publicKey instanceof crypto.KeyObject) || publicKey.type !== 'public') throw badKey('需要公钥');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  if (algorithm === 'ed25519') {
    if (publicKey.asymmetricKeyType !== 'ed25519') throw badKey('公钥不是 Ed25519 密钥');
    return spki.subarray(ED25519_SPKI_PREFIX.length);
  }
  if (algorithm === 'sm2') {
    if (!spki.subarray(2, 2 + SM2_ALGORITHM_ID.length).equals(SM2_ALGORITHM_ID))
      throw badKey('公钥不是 SM2 密钥');
    return spki;
  }
  throw badKey(`不支持的签名算法：${String(algorithm)}`);
}

export function noteKeyId(name: string, algorithm: SignatureAlgorithm, publicKey: crypto.KeyObject): Buffer {
  checkKeyName(name);
  const keyBytes = publicKeyBytes(algorithm, publicKey);
  const digest = crypto
    .createHash('sha256')
    .update(name, 'utf8')
    .update(Uint8Array.of(0x0a, TYPE_BYTE[algorithm]))
    .update(keyBytes)
    .digest();
  return digest.subarray(0, 4);
}

function signBytes(algorithm: SignatureAlgorithm, text: Buffer, privateKey: crypto.KeyObject): Buffer {
  return algorithm === 'ed25519'
    ? crypto.sign(null, text, privateKey)
    : crypto.sign('sm3', text, sm2Key(privateKey));
}

function verifyBytes(
  algorithm: SignatureAlgorithm,
  text: Buffer,
  publicKey: crypto.KeyObject,
  signature: Buffer,
) {
  try {
    return algorithm === 'ed25519'
      ? crypto.verify(null, text, publicKey, signature)
      : crypto.verify('sm3', text, sm2Key(publicKey), signature);
  } catch {
    // OpenSSL rejects some malformed signatures by throwing; for us they are simply invalid.
    return false;
  }
}

/** Signs a note text (which must end with a newline) and returns the signed note with one signature line. */
export function signNote(body: string, signer: NoteSigner): string {
  if (typeof body !== 'string' || !body.endsWith('\n') || hasForbiddenCharacters(body)) {
    throw malformed('待签名的正文应以换行结尾，且不含控制字符');
  }
  const keyId = noteKeyId(signer.name, signer.algorithm, signer.publicKey);
  if (!(signer.privateKey instanceof crypto.KeyObject) || signer.privateKey.type !== 'private') {
    throw badKey('签名需要私钥');
  }
  const derived = publicKeyBytes(signer.algorithm, crypto.createPublicKey(signer.privateKey));
  if (!derived.equals(publicKeyBytes(signer.algorithm, signer.publicKey)))
    throw badKey('签名私钥与公钥不匹配');
  const signature = signBytes(signer.algorithm, Buffer.from(body, 'utf8'), signer.privateKey);
  const encoded = Buffer.concat([keyId, signature]).toString('base64');
  return `${body}\n${SIGNATURE_PREFIX}${signer.name} ${encoded}\n`;
}

interface SignatureLine {
  name: string;
  keyId: Buffer;
  signature: Buffer;
}

function splitNote(note: string): { body: string; signatures: SignatureLine[] } {
  if (typeof note !== 'string' || !note.endsWith('\n')) throw malformed('签名检查点应以换行结尾');
  if (hasForbiddenCharacters(note)) throw malformed('签名检查点含有控制字符或无效字符');
  // The text ends at the last blank line; everything after it is signature lines.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed('签名检查点缺少正文与签名之间的空行');
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 1 && lines[0] === '') throw malformed('签名检查点没有签名行');
  if (lines.length > MAX_SIGNATURES) throw malformed(`签名检查点的签名行超过 ${MAX_SIGNATURES} 条`);
  const signatures = lines.map((line, i) => {
    const where = `第 ${i + 1} 条签名行`;
    if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed(`${where}应以“— ”开头`);
    const parts = line.slice(SIGNATURE_PREFIX.length).split(' ');
    const [name, encoded] = parts;
    if (parts.length !== 2 || name === undefined || encoded === undefined || !isValidKeyName(name)) {
      throw malformed(`${where}应为“— 密钥名称 签名”`);
    }
    const bytes = decodeBase64(encoded);
    if (bytes === undefined || bytes.length < 5) throw malformed(`${where}的签名不是有效的 base64`);
    return { name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) };
  });
  return { body, signatures };
}

/**
 * Verifies that `note` carries a valid signature by `verifier` and returns its text. Lines from other keys,
 * even ones sharing the name or the key id (but not both), are ignored, as the spec requires.
 */
export function openNote(note: string, verifier: NoteVerifier): string {
  const { body, signatures } = splitNote(note);
  const keyId = noteKeyId(verifier.name, verifier.algorithm, verifier.publicKey);
  const text = Buffer.from(body, 'utf8');
  let verified = false;
  for (const line of signatures) {
    if (line.name !== verifier.name || !line.keyId.equals(keyId)) continue;
    // A line that claims to be from this key and fails condemns the whole note, as the spec recommends.
    if (!verifyBytes(verifier.algorithm, text, verifier.publicKey, line.signature)) {
      throw new YidangError(
        'CHECKPOINT_SIGNATURE_INVALID',
        'invalid',
        `检查点上密钥“${verifier.name}”的签名无效`,
      );
    }
    verified = true;
  }
  if (!verified) {
    throw new YidangError(
      'CHECKPOINT_SIGNATURE_INVALID',
      'invalid',
      `检查点没有密钥“${verifier.name}”（ID ${keyId.toString('hex')}）的签名`,
    );
  }
  return body;
}

/** The signed-note verifier key `<name>+<hex key id>+<base64(type byte || key)>`. */
export function formatVerifierKey(verifier: NoteVerifier): string {
  const keyId = noteKeyId(verifier.name, verifier.algorithm, verifier.publicKey);
  const key = Buffer.concat([
    Uint8Array.of(TYPE_BYTE[verifier.algorithm]),
    publicKeyBytes(verifier.algorithm, verifier.publicKey),
  ]);
  return `${verifier.name}+${keyId.toString('hex')}+${key.toString('base64')}`;
}

export function parseVerifierKey(text: string): NoteVerifier {
  const fail = (why: string) =>
    new YidangError('NOTE_VERIFIER_KEY_INVALID', 'invalid', `验证密钥格式错误：${why}`);
  if (typeof text !== 'string') throw fail('应为文本');
  // Split at the first two '+' only: base64 may itself contain '+'.
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw fail('应为“名称+密钥ID+密钥”');
  const name = text.slice(0, first);
  const idText = text.slice(first + 1, second);
  if (!isValidKeyName(name)) throw fail(`密钥名称“${name}”无效`);
  if (!/^[0-9a-fA-F]{8}$/.test(idText)) throw fail('密钥 ID 应为 8 位十六进制数');
  const key = decodeBase64(text.slice(second + 1));
  if (key === undefined || key.length < 2) throw fail('密钥不是有效的 base64');

  let verifier: NoteVerifier;
  try {
    if (key[0] === TYPE_BYTE.ed25519) {
      if (key.length !== 33) throw fail('Ed25519 公钥应为 32 字节');
      const publicKey = crypto.createPublicKey({
        key: Buffer.concat([ED25519_SPKI_PREFIX, key.subarray(1)]),
        format: 'der',
        type: 'spki',
      });
      verifier = { name, algorithm: 'ed25519', publicKey };
    } else if (key[0] === TYPE_BYTE.sm2) {
      const publicKey = crypto.createPublicKey({ key: key.subarray(1), format: 'der', type: 'spki' });
      publicKeyBytes('sm2', publicKey);
      verifier = { name, algorithm: 'sm2', publicKey };
    } else {
      throw fail(`不支持的签名类型 0x${(key[0] ?? 0).toString(16).padStart(2, '0')}`);
    }
  } catch (error) {
    if (error instanceof YidangError && error.code === 'NOTE_VERIFIER_KEY_INVALID') throw error;
    throw fail('公钥无法解析');
  }
  if (noteKeyId(name, verifier.algorithm, verifier.publicKey).toString('hex') !== idText.toLowerCase()) {
    throw fail('密钥 ID 与公钥不符');
  }
  return verifier;
}
