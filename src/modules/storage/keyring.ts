import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { YidangError } from '../../shared/errors.js';
import { checkMode, decodeKey, ensureDir, readSecret, syncDir, writeFileAtomic } from './key-files.js';

// YIDANG_HOME/keys (mode 0700) holds:
//   master-<id>.key      {"version":1,"id","createdAt","key":base64 of 32 bytes}, mode 0600
//   current              the id of the master key that wraps new data keys
//   log-signing.pem      PKCS#8 private key (Ed25519 or SM2) that signs the audit log, mode 0600
//   log-signing.pub.pem  its SPKI public key, for verifiers that lack the private key
// Every file is written to a dot-prefixed temp file, fsynced, renamed and the directory fsynced, so a
// crash leaves either the old or the new file, plus at worst a stray temp file that loading ignores.
// With YIDANG_MASTER_KEY set ("new,old,…" base64 keys), master keys come from there, never from files.

export interface MasterKey {
  id: string;
  key: Buffer;
}

export type SigningAlgorithm = 'ed25519' | 'sm2';

export interface Keyring {
  dir: string;
  source: 'file' | 'env';
  current: MasterKey;
  all: MasterKey[];
  get(id: string): MasterKey;
  /** Sign and verify through signWithKey / verifyWithKey, which suit both algorithms. */
  signing: { algorithm: SigningAlgorithm; privateKey: KeyObject; publicKey: KeyObject };
}

export interface KeyMaterial {
  version: 1;
  masterKeySource: 'file' | 'env';
  currentMasterKeyId: string;
  masterKeys: { id: string; createdAt: string | null; key: string }[];
  signing: { algorithm: SigningAlgorithm; privateKeyPem: string; publicKeyPem: string };
  /** The field key (see field-key.ts), base64; absent in backups made before ID numbers were encrypted. */
  fieldKey?: string;
}

type Env = Record<string, string | undefined>;

const MASTER_KEY_BYTES = 32;
const MASTER_FILE_RE = /^master-([0-9a-f]{16})\.key$/;
const CURRENT_FILE = 'current';
const SIGNING_FILE = 'log-signing.pem';
const SIGNING_PUB_FILE = 'log-signing.pub.pem';
// OID 1.2.156.10197.1.301 (the SM2 curve) as it appears DER-encoded in a PKCS#8 key.
const SM2_OID = Buffer.from('06082a811ccf5501822d', 'hex');

export function masterKeyId(key: Buffer): string {
  const digest = crypto.createHash('sha256').update('yidang-master-key-id\n').update(key).digest();
  return digest.subarray(0, 8).toString('hex');
}

export const keysDir = (home: string) => path.join(home, 'keys');
const masterFile = (id: string) => `master-${id}.key`;

const keysMissing = (dir: string, what: string) =>
  new YidangError(
    'KEYS_MISSING',
    'invalid',
    `密钥目录 ${dir} 中缺少${what}。YIDANG_HOME/keys 保存解密档案所需的密钥：新安装请先运行 yidang init；` +
      '已有数据请从密钥备份恢复该目录。',
  );

const malformed = (file: string, reason: string) =>
  new YidangError(
    'KEY_FILE_MALFORMED',
    'invalid',
    `密钥文件 ${file} 已损坏：${reason}。请从密钥备份恢复该文件。`,
  );

type StoredMasterKey = MasterKey & { createdAt: string | null };

function parseMasterKeyFile(file: string, expectedId: string): StoredMasterKey {
  const text = readSecret(file);
  let record: { version?: unknown; id?: unknown; createdAt?: unknown; key?: unknown } | null;
  try {
    record = JSON.parse(text);
  } catch {
    throw malformed(file, '不是有效的 JSON');
  }
  if (record?.version !== 1) throw malformed(file, '格式版本不受支持');
  const key = typeof record.key === 'string' ? decodeKey(record.key, MASTER_KEY_BYTES) : null;
  if (!key) throw malformed(file, '密钥不是 32 字节的 base64');
  const id = masterKeyId(key);
  if (record.id !== id || id !== expectedId) throw malformed(file, '密钥编号与内容不符');
  return { id, key, createdAt: typeof record.createdAt === 'string' ? record.createdAt : null };
}

function masterKeysFromEnv(value: string): MasterKey[] {
  const keys: MasterKey[] = [];
  for (const [index, part] of value.split(',').entries()) {
    const key = decodeKey(part, MASTER_KEY_BYTES);
    if (!key) {
      throw new YidangError(
        'CONFIG_INVALID',
        'invalid',
        `配置错误：YIDANG_MASTER_KEY 的第 ${index + 1} 个密钥不是 32 字节密钥的 base64 编码` +
          '（多个密钥用英文逗号分隔，第一个为当前密钥）',
      );
    }
    const id = masterKeyId(key);
    if (!keys.some((known) => known.id === id)) keys.push({ id, key });
  }
  return keys;
}

function readMasterKeyFiles(dir: string): { currentId: string; keys: StoredMasterKey[] } {
  const currentPath = path.join(dir, CURRENT_FILE);
  if (!fs.existsSync(currentPath)) throw keysMissing(dir, '当前主密钥记录（current）');
  const currentId = fs.readFileSync(currentPath, 'utf8').trim();
  if (!/^[0-9a-f]{16}$/.test(currentId)) throw malformed(currentPath, '内容不是主密钥编号');
  const keys: StoredMasterKey[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const match = MASTER_FILE_RE.exec(name);
    if (match?.[1]) keys.push(parseMasterKeyFile(path.join(dir, name), match[1]));
  }
  // Newest first after the current key, so lookups try the likeliest keys first.
  keys.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  return { currentId, keys };
}

function signingAlgorithmOf(privateKey: KeyObject): SigningAlgorithm | null {
  if (privateKey.asymmetricKeyType === 'ed25519') return 'ed25519';
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  return der.includes(SM2_OID) ? 'sm2' : null;
}

function readSigningKey(dir: string): Keyring['signing'] {
  const file = path.join(dir, SIGNING_FILE);
  if (!fs.existsSync(file)) throw keysMissing(dir, '日志签名密钥（log-signing.pem）');
  let privateKey: KeyObject;
  try {
    privateKey = crypto.createPrivateKey(readSecret(file));
  } catch (error) {
    if (error instanceof YidangError) throw error;
    throw malformed(file, '不是有效的 PKCS#8 PEM 私钥');
  }
  const algorithm = signingAlgorithmOf(privateKey);
  if (!algorithm) throw malformed(file, '签名算法不是 Ed25519 或 SM2');
  const publicKey = crypto.createPublicKey(privateKey);
  const pubFile = path.join(dir, SIGNING_PUB_FILE);
  if (fs.existsSync(pubFile)) {
    let stored: KeyObject;
    try {
      stored = crypto.createPublicKey(fs.readFileSync(pubFile, 'utf8'));
    } catch {
      throw malformed(pubFile, '不是有效的 PEM 公钥');
    }
    const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
    if (!spki(stored).equals(spki(publicKey))) throw malformed(pubFile, '公钥与签名私钥不匹配');
  }
  return { algorithm, privateKey, publicKey };
}

/** Signs with the log-signing key: Ed25519, or SM2 with SM3 and the default user id. */
export function signWithKey(privateKey: KeyObject, data: Buffer): Buffer {
  return crypto.sign(null, data, privateKey);
}

export function verifyWithKey(publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return crypto.verify(null, data, publicKey, signature);
  } catch {
    return false;
  }
}

function generateSigningPem(algorithm: SigningAlgorithm): string {
  const pair =
    algorithm === 'ed25519'
      ? crypto.generateKeyPairSync('ed25519')
      : crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' });
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function writeSigningKey(dir: string, privatePem: string): void {
  // Loading the PEM back is what makes an SM2 key sign with SM2 rather than ECDSA-on-the-SM2-curve,
  // so the public key is derived from the reloaded key, exactly as every later load will.
  const publicPem = crypto.createPublicKey(crypto.createPrivateKey(privatePem)).export({
    type: 'spki',
    format: 'pem',
  });
  writeFileAtomic(dir, SIGNING_FILE, privatePem);
  writeFileAtomic(dir, SIGNING_PUB_FILE, publicPem.toString());
}

function writeMasterKey(dir: string, key: Buffer, createdAt = new Date().toISOString()): string {
  const id = masterKeyId(key);
  const record = { version: 1, id, createdAt, key: key.toString('base64') };
  writeFileAtomic(dir, masterFile(id), `${JSON.stringify(record, null, 2)}\n`);
  return id;
}

function envMasterKey(env: Env): string | undefined {
  const value = env.YIDANG_MASTER_KEY?.trim();
  return value ? value : undefined;
}

/** Creates <home>/keys with a master key and a signing key pair where missing; returns the keyring. */
export function initKeyring(
  home: string,
  options: { env?: Env; signingAlgorithm?: SigningAlgorithm } = {},
): Keyring {
  const env = options.env ?? process.env;
  const dir = keysDir(home);
  const fromEnv = envMasterKey(env);
  // Validate the variable before creating anything; with it set, no master key file is made.
  if (fromEnv) masterKeysFromEnv(fromEnv);
  ensureDir(dir);
  if (!fromEnv && !fs.existsSync(path.join(dir, CURRENT_FILE))) {
    const existing = fs.readdirSync(dir).flatMap((name) => MASTER_FILE_RE.exec(name)?.[1] ?? []);
    if (existing.length > 1) throw keysMissing(dir, '当前主密钥记录（current）');
    // A crash between writing the first key and `current` leaves one key: adopt it, never mint a second.
    const id = existing[0] ?? writeMasterKey(dir, crypto.randomBytes(MASTER_KEY_BYTES));
    writeFileAtomic(dir, CURRENT_FILE, `${id}\n`);
  }
  if (!fs.existsSync(path.join(dir, SIGNING_FILE))) {
    writeSigningKey(dir, generateSigningPem(options.signingAlgorithm ?? 'ed25519'));
  }
  const keyring = loadKeyring(home, env);
  if (options.signingAlgorithm && keyring.signing.algorithm !== options.signingAlgorithm) {
    throw new YidangError(
      'SIGNING_KEY_MISMATCH',
      'conflict',
      `日志签名密钥已存在且算法为 ${keyring.signing.algorithm}，与要求的 ${options.signingAlgorithm} 不同；` +
        '已有密钥不会被替换。',
    );
  }
  return keyring;
}

const masterKeyMissing = (dir: string, id: string) =>
  new YidangError(
    'MASTER_KEY_MISSING',
    'invalid',
    `找不到主密钥 ${id}：请从密钥备份恢复 ${path.join(dir, masterFile(id))}，` +
      '或在环境变量 YIDANG_MASTER_KEY 中加入该密钥（多个密钥用英文逗号分隔，当前密钥在前）。',
  );

function buildKeyring(
  dir: string,
  source: Keyring['source'],
  all: MasterKey[],
  signing: Keyring['signing'],
): Keyring {
  const current = all[0];
  if (!current) throw keysMissing(dir, '主密钥');
  const byId = new Map(all.map((key) => [key.id, key]));
  const get = (id: string): MasterKey => {
    const found = byId.get(id);
    if (!found) throw masterKeyMissing(dir, id);
    return found;
  };
  return { dir, source, current, all, get, signing };
}

/** Loads <home>/keys without creating anything. */
export function loadKeyring(home: string, env: Env = process.env): Keyring {
  const dir = keysDir(home);
  if (!fs.existsSync(dir)) throw keysMissing(dir, '全部密钥（目录不存在）');
  checkMode(dir, fs.statSync(dir));
  const signing = readSigningKey(dir);
  const fromEnv = envMasterKey(env);
  if (fromEnv) return buildKeyring(dir, 'env', masterKeysFromEnv(fromEnv), signing);
  const files = readMasterKeyFiles(dir);
  const current = files.keys.find((key) => key.id === files.currentId);
  if (!current) throw masterKeyMissing(dir, files.currentId);
  const all = [current, ...files.keys.filter((key) => key !== current)].map(({ id, key }) => ({ id, key }));
  return buildKeyring(dir, 'file', all, signing);
}

const fromEnvError = (action: string) =>
  new YidangError(
    'MASTER_KEY_FROM_ENV',
    'conflict',
    `主密钥来自环境变量 YIDANG_MASTER_KEY，无法在此${action}。请修改该变量：新密钥放在最前，` +
      '旧密钥以英文逗号分隔放在其后（如 "新密钥,旧密钥"），旧密钥在不再使用后方可移除。',
  );

/** Creates a new master key file and makes it current; older keys stay until retired. */
export function addMasterKey(keyring: Keyring): Keyring {
  if (keyring.source === 'env') throw fromEnvError('添加主密钥');
  const id = writeMasterKey(keyring.dir, crypto.randomBytes(MASTER_KEY_BYTES));
  writeFileAtomic(keyring.dir, CURRENT_FILE, `${id}\n`);
  return loadKeyring(path.dirname(keyring.dir), {});
}

/** Deletes an old master key file; the caller has checked that no data key is wrapped under it. */
export function retireMasterKey(keyring: Keyring, id: string): Keyring {
  if (keyring.source === 'env') throw fromEnvError('停用主密钥');
  keyring.get(id);
  if (id === keyring.current.id) {
    throw new YidangError('MASTER_KEY_CURRENT', 'conflict', `主密钥 ${id} 是当前主密钥，不能停用。`);
  }
  fs.rmSync(path.join(keyring.dir, masterFile(id)), { force: true });
  syncDir(keyring.dir);
  return loadKeyring(path.dirname(keyring.dir), {});
}

/** Everything in keys/ (and master keys from the environment) as a JSON-able object, for backups. */
export function exportKeyMaterial(keyring: Keyring): KeyMaterial {
  const createdAt = new Map<string, string | null>();
  if (keyring.source === 'file') {
    for (const key of readMasterKeyFiles(keyring.dir).keys) createdAt.set(key.id, key.createdAt);
  }
  return {
    version: 1,
    masterKeySource: keyring.source,
    currentMasterKeyId: keyring.current.id,
    masterKeys: keyring.all.map(({ id, key }) => ({
      id,
      createdAt: createdAt.get(id) ?? null,
      key: key.toString('base64'),
    })),
    signing: {
      algorithm: keyring.signing.algorithm,
      privateKeyPem: keyring.signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: keyring.signing.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
  };
}

/** Reads a key file for import: null when absent or damaged (the backup then replaces it). */
function readIfIntact<T>(read: () => T, file: string): T | null {
  if (!fs.existsSync(file)) return null;
  try {
    return read();
  } catch (error) {
    if (error instanceof YidangError && error.code === 'KEY_FILE_MALFORMED') return null;
    throw error;
  }
}

/**
 * Writes exported key material into <home>/keys, refusing (before writing anything) to replace a
 * different existing key. Master keys that came from YIDANG_MASTER_KEY are written as files only when
 * masterKeysToFiles is set, since that deployment chose to keep them off the disk.
 */
export function importKeyMaterial(
  home: string,
  material: KeyMaterial,
  options: { masterKeysToFiles?: boolean } = {},
): void {
  const bad = (reason: string) =>
    new YidangError('KEY_MATERIAL_MALFORMED', 'invalid', `密钥备份内容无效：${reason}`);
  if (material?.version !== 1 || !Array.isArray(material.masterKeys)) throw bad('格式版本不受支持');
  const masterKeys = material.masterKeys.map((entry) => {
    const key = typeof entry?.key === 'string' ? decodeKey(entry.key, MASTER_KEY_BYTES) : null;
    if (!key || masterKeyId(key) !== entry.id) throw bad('主密钥数据不正确');
    return { key, createdAt: typeof entry.createdAt === 'string' ? entry.createdAt : undefined };
  });
  if (!masterKeys.some(({ key }) => masterKeyId(key) === material.currentMasterKeyId)) {
    throw bad('当前主密钥不在备份中');
  }
  let privatePem: string;
  try {
    const privateKey = crypto.createPrivateKey(material.signing.privateKeyPem);
    if (signingAlgorithmOf(privateKey) !== material.signing.algorithm) throw new Error('algorithm');
    privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw bad('日志签名私钥不正确');
  }

  const dir = keysDir(home);
  ensureDir(dir);
  const conflict = (what: string) =>
    new YidangError(
      'KEY_CONFLICT',
      'conflict',
      `${dir} 中已有不同的${what}，为避免覆盖现有密钥，未导入任何内容。请改用空的 YIDANG_HOME 恢复。`,
    );
  const writeMasters = options.masterKeysToFiles ?? material.masterKeySource === 'file';
  const currentPath = path.join(dir, CURRENT_FILE);
  const currentId = fs.existsSync(currentPath) ? fs.readFileSync(currentPath, 'utf8').trim() : null;
  if (writeMasters && currentId !== null && currentId !== material.currentMasterKeyId)
    throw conflict('当前主密钥');
  const existingSigning = readIfIntact(() => readSigningKey(dir).privateKey, path.join(dir, SIGNING_FILE));
  const der = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'der' });
  if (existingSigning && !der(existingSigning).equals(der(crypto.createPrivateKey(privatePem)))) {
    throw conflict('日志签名密钥');
  }
  if (!existingSigning) writeSigningKey(dir, privatePem);
  if (!writeMasters) return;
  for (const { key, createdAt } of masterKeys) {
    // A file named by a key's id can only hold that key, so it is rewritten only when damaged.
    const id = masterKeyId(key);
    const file = path.join(dir, masterFile(id));
    if (!readIfIntact(() => parseMasterKeyFile(file, id), file)) writeMasterKey(dir, key, createdAt);
  }
  if (currentId === null) writeFileAtomic(dir, CURRENT_FILE, `${material.currentMasterKeyId}\n`);
}
