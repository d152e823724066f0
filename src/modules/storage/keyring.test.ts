import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isYidangError } from '../../shared/errors.js';
import {
  addMasterKey,
  exportKeyMaterial,
  importKeyMaterial,
  initKeyring,
  type Keyring,
  loadKeyring,
  masterKeyId,
  retireMasterKey,
  signWithKey,
  verifyWithKey,
} from './keyring.js';

let home: string;
const keysDir = () => path.join(home, 'keys');
const mode = (file: string) => fs.statSync(file).mode & 0o777;
const NO_ENV = {};

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-keyring-'));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (isYidangError(error)) return error.code;
    throw error;
  }
  throw new Error('no error was thrown');
}

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('no error was thrown');
}

const sameKeys = (a: Keyring, b: Keyring) => {
  expect(b.all.map((key) => key.id)).toEqual(a.all.map((key) => key.id));
  expect(b.all.every((key, i) => key.key.equals(a.all[i]?.key ?? Buffer.alloc(0)))).toBe(true);
  const der = (k: Keyring) => k.signing.privateKey.export({ type: 'pkcs8', format: 'der' });
  expect(der(b).equals(der(a))).toBe(true);
};

describe('init and load', () => {
  it('creates private files in a private directory', () => {
    const keyring = initKeyring(home, { env: NO_ENV });
    expect(keyring.source).toBe('file');
    expect(keyring.dir).toBe(keysDir());
    expect(keyring.all).toHaveLength(1);
    expect(keyring.current.key).toHaveLength(32);
    expect(keyring.current.id).toMatch(/^[0-9a-f]{16}$/);
    expect(keyring.current.id).toBe(masterKeyId(keyring.current.key));
    expect(keyring.signing.algorithm).toBe('ed25519');
    expect(mode(keysDir())).toBe(0o700);
    const names = fs.readdirSync(keysDir()).sort();
    expect(names).toEqual(
      ['current', 'log-signing.pem', 'log-signing.pub.pem', `master-${keyring.current.id}.key`].sort(),
    );
    for (const name of names) expect(mode(path.join(keysDir(), name))).toBe(0o600);
    const record = JSON.parse(
      fs.readFileSync(path.join(keysDir(), `master-${keyring.current.id}.key`), 'utf8'),
    );
    expect(record).toMatchObject({
      version: 1,
      id: keyring.current.id,
      key: keyring.current.key.toString('base64'),
    });
  });

  it('is idempotent and loads the same keys', () => {
    const first = initKeyring(home, { env: NO_ENV });
    sameKeys(first, initKeyring(home, { env: NO_ENV }));
    sameKeys(first, loadKeyring(home, NO_ENV));
    expect(loadKeyring(home, NO_ENV).get(first.current.id).key.equals(first.current.key)).toBe(true);
  });

  it('explains missing keys', () => {
    expect(codeOf(() => loadKeyring(home, NO_ENV))).toBe('KEYS_MISSING');
    expect(messageOf(() => loadKeyring(home, NO_ENV))).toMatch(/yidang init/);
    initKeyring(home, { env: NO_ENV });
    fs.rmSync(path.join(keysDir(), 'log-signing.pem'));
    expect(codeOf(() => loadKeyring(home, NO_ENV))).toBe('KEYS_MISSING');
  });

  it('names a missing master key and how to supply it', () => {
    const keyring = initKeyring(home, { env: NO_ENV });
    expect(codeOf(() => keyring.get('0123456789abcdef'))).toBe('MASTER_KEY_MISSING');
    expect(messageOf(() => keyring.get('0123456789abcdef'))).toMatch(
      /^找不到主密钥 0123456789abcdef.*YIDANG_MASTER_KEY/,
    );
    fs.rmSync(path.join(keysDir(), `master-${keyring.current.id}.key`));
    expect(codeOf(() => loadKeyring(home, NO_ENV))).toBe('MASTER_KEY_MISSING');
  });

  it('refuses key files other users can read', () => {
    const keyring = initKeyring(home, { env: NO_ENV });
    const file = path.join(keysDir(), `master-${keyring.current.id}.key`);
    fs.chmodSync(file, 0o640);
    expect(codeOf(() => loadKeyring(home, NO_ENV))).toBe('KEY_FILE_PERMISSIONS');
    expect(messageOf(() => loadKeyring(home, NO_ENV))).toContain(`chmod 600 ${file}`);
    fs.chmodSync(file, 0o600);
    fs.chmodSync(path.join(keysDir(), 'log-signing.pem'), 0o604);
    expect(codeOf(() => loadKeyring(home, NO_ENV))).toBe('KEY_FILE_PERMISSIONS');
    fs.chmodSync(path.join(keysDir(), 'log-signing.pem'), 0o600);
    fs.chmodSync(keysDir(), 0o750);
    expect(messageOf(() => loadKeyring(home, NO_ENV))).toContain('chmod 700');
  });

  it('reports malformed key files without echoing them', () => {
    const keyring = initKeyring(home, { env: NO_ENV });
    const file = path.join(keysDir(), `master-${keyring.current.id}.key`);
    const secret = keyring.current.key.toString('base64');
    for (const content of ['{', '{"version":2}', JSON.stringify({ version: 1, id: 'x', key: secret })]) {
      fs.writeFileSync(file, content);
      expect(codeOf(() => loadKeyring(home, NO_ENV))).toBe('KEY_FILE_MALFORMED');
      expect(messageOf(() => loadKeyring(home, NO_ENV))).not.toContain(secret);
    }
    const other = initKeyring(path.join(home, 'other'), { env: NO_ENV });
    fs.copyFileSync(path.join(other.dir, `master-${other.current.id}.key`), file);
    expect(codeOf(() => loadKeyring(home, NO_ENV))).toBe('KEY_FILE_MALFORMED');
    fs.writeFileSync(path.join(keysDir(), 'log-signing.pem'), 'not a key');
    expect(codeOf(() => loadKeyring(home, NO_ENV))).toBe('KEY_FILE_MALFORMED');
  });

  it('ignores temp files left by an interrupted write', () => {
    const keyring = initKeyring(home, { env: NO_ENV });
    fs.writeFileSync(path.join(keysDir(), `.master-${'a'.repeat(16)}.key.tmp-1-abcd`), '{"ver', {
      mode: 0o644,
    });
    fs.writeFileSync(path.join(keysDir(), '.current.tmp-1-abcd'), '', { mode: 0o600 });
    sameKeys(keyring, loadKeyring(home, NO_ENV));
    sameKeys(keyring, initKeyring(home, { env: NO_ENV }));
  });

  it('adopts the single master key a crash left without `current`', () => {
    const keyring = initKeyring(home, { env: NO_ENV });
    fs.rmSync(path.join(keysDir(), 'current'));
    sameKeys(keyring, initKeyring(home, { env: NO_ENV }));
  });
});

describe('YIDANG_MASTER_KEY', () => {
  const newKey = () => crypto.randomBytes(32).toString('base64');

  it('overrides master key files, first key current', () => {
    initKeyring(home, { env: NO_ENV });
    const [a, b] = [newKey(), newKey()];
    const keyring = loadKeyring(home, { YIDANG_MASTER_KEY: ` ${a} , ${b} ` });
    expect(keyring.source).toBe('env');
    expect(keyring.current.key.toString('base64')).toBe(a);
    expect(keyring.all.map((key) => key.key.toString('base64'))).toEqual([a, b]);
    expect(keyring.get(keyring.all[1]?.id ?? '').key.toString('base64')).toBe(b);
  });

  it('creates no master key file at init', () => {
    const keyring = initKeyring(home, { env: { YIDANG_MASTER_KEY: newKey() } });
    expect(keyring.source).toBe('env');
    expect(fs.readdirSync(keysDir()).sort()).toEqual(['log-signing.pem', 'log-signing.pub.pem']);
    // A blank variable counts as unset, and there is no master key file to fall back to.
    expect(codeOf(() => loadKeyring(home, { YIDANG_MASTER_KEY: '  ' }))).toBe('KEYS_MISSING');
  });

  it('rejects malformed values without echoing them', () => {
    initKeyring(home, { env: NO_ENV });
    const short = crypto.randomBytes(16).toString('base64');
    for (const value of [short, 'not base64!', `${newKey()},`, `${newKey()}x`, 'A'.repeat(44)]) {
      const env = { YIDANG_MASTER_KEY: value };
      expect(codeOf(() => loadKeyring(home, env))).toBe('CONFIG_INVALID');
      expect(messageOf(() => loadKeyring(home, env))).toMatch(/^配置错误：YIDANG_MASTER_KEY/);
      expect(messageOf(() => loadKeyring(home, env))).not.toContain(value.slice(0, 10));
      expect(codeOf(() => initKeyring(path.join(home, 'fresh'), { env }))).toBe('CONFIG_INVALID');
    }
  });

  it('cannot add or retire keys', () => {
    const keyring = initKeyring(home, { env: { YIDANG_MASTER_KEY: `${newKey()},${newKey()}` } });
    expect(codeOf(() => addMasterKey(keyring))).toBe('MASTER_KEY_FROM_ENV');
    expect(messageOf(() => addMasterKey(keyring))).toContain('YIDANG_MASTER_KEY');
    expect(codeOf(() => retireMasterKey(keyring, keyring.all[1]?.id ?? ''))).toBe('MASTER_KEY_FROM_ENV');
  });
});

describe('rotation', () => {
  it('adds a current key and retires old ones, never the current one', () => {
    const first = initKeyring(home, { env: NO_ENV });
    const second = addMasterKey(first);
    expect(second.current.id).not.toBe(first.current.id);
    expect(second.all.map((key) => key.id)).toEqual([second.current.id, first.current.id]);
    const third = addMasterKey(second);
    expect(third.all.map((key) => key.id)).toEqual([third.current.id, second.current.id, first.current.id]);
    sameKeys(third, loadKeyring(home, NO_ENV));
    expect(fs.readFileSync(path.join(keysDir(), 'current'), 'utf8').trim()).toBe(third.current.id);
    expect(mode(path.join(keysDir(), `master-${third.current.id}.key`))).toBe(0o600);

    expect(codeOf(() => retireMasterKey(third, third.current.id))).toBe('MASTER_KEY_CURRENT');
    expect(codeOf(() => retireMasterKey(third, '0123456789abcdef'))).toBe('MASTER_KEY_MISSING');
    const retired = retireMasterKey(third, first.current.id);
    expect(retired.all.map((key) => key.id)).toEqual([third.current.id, second.current.id]);
    expect(fs.existsSync(path.join(keysDir(), `master-${first.current.id}.key`))).toBe(false);
    sameKeys(retired, loadKeyring(home, NO_ENV));
    expect(codeOf(() => retired.get(first.current.id))).toBe('MASTER_KEY_MISSING');
  });
});

describe('signing keys', () => {
  it.each(['ed25519', 'sm2'] as const)('%s keys sign and verify across loads', (algorithm) => {
    const keyring = initKeyring(home, { env: NO_ENV, signingAlgorithm: algorithm });
    expect(keyring.signing.algorithm).toBe(algorithm);
    const reloaded = loadKeyring(home, NO_ENV);
    expect(reloaded.signing.algorithm).toBe(algorithm);
    const data = Buffer.from('审计日志 #1');
    const signature = signWithKey(keyring.signing.privateKey, data);
    expect(verifyWithKey(reloaded.signing.publicKey, data, signature)).toBe(true);
    const external = crypto.createPublicKey(fs.readFileSync(path.join(keysDir(), 'log-signing.pub.pem')));
    expect(verifyWithKey(external, data, signWithKey(reloaded.signing.privateKey, data))).toBe(true);
    expect(verifyWithKey(external, Buffer.from('审计日志 #2'), signature)).toBe(false);
    expect(verifyWithKey(external, data, Buffer.alloc(3))).toBe(false);
  });

  it('keeps an existing signing key rather than switching algorithms', () => {
    initKeyring(home, { env: NO_ENV });
    expect(initKeyring(home, { env: NO_ENV }).signing.algorithm).toBe('ed25519');
    expect(codeOf(() => initKeyring(home, { env: NO_ENV, signingAlgorithm: 'sm2' }))).toBe(
      'SIGNING_KEY_MISMATCH',
    );
  });
});

describe('export and import', () => {
  it('round trips into an empty home', () => {
    const keyring = addMasterKey(initKeyring(home, { env: NO_ENV, signingAlgorithm: 'sm2' }));
    const material = JSON.parse(JSON.stringify(exportKeyMaterial(keyring)));
    expect(material.masterKeys).toHaveLength(2);
    const restored = path.join(home, 'restored');
    importKeyMaterial(restored, material);
    const loaded = loadKeyring(restored, NO_ENV);
    sameKeys(keyring, loaded);
    expect(loaded.current.id).toBe(keyring.current.id);
    expect(loaded.signing.algorithm).toBe('sm2');
    expect(mode(path.join(restored, 'keys'))).toBe(0o700);
    for (const name of fs.readdirSync(path.join(restored, 'keys'))) {
      expect(mode(path.join(restored, 'keys', name))).toBe(0o600);
    }
    importKeyMaterial(restored, material);
    sameKeys(keyring, loadKeyring(restored, NO_ENV));
  });

  it('repairs a damaged key file from the backup', () => {
    const keyring = initKeyring(home, { env: NO_ENV });
    const material = exportKeyMaterial(keyring);
    fs.writeFileSync(path.join(keysDir(), `master-${keyring.current.id}.key`), '{');
    importKeyMaterial(home, material);
    sameKeys(keyring, loadKeyring(home, NO_ENV));
  });

  it('refuses to overwrite different keys, before writing anything', () => {
    const material = exportKeyMaterial(initKeyring(home, { env: NO_ENV }));
    const other = path.join(home, 'other');
    const otherKeyring = initKeyring(other, { env: NO_ENV });
    const before = fs.readdirSync(path.join(other, 'keys')).sort();
    expect(codeOf(() => importKeyMaterial(other, material))).toBe('KEY_CONFLICT');
    expect(fs.readdirSync(path.join(other, 'keys')).sort()).toEqual(before);
    sameKeys(otherKeyring, loadKeyring(other, NO_ENV));
  });

  it('keeps env master keys off the disk unless asked', () => {
    const envKey = crypto.randomBytes(32).toString('base64');
    const material = exportKeyMaterial(initKeyring(home, { env: { YIDANG_MASTER_KEY: envKey } }));
    expect(material.masterKeySource).toBe('env');
    expect(material.masterKeys[0]?.key).toBe(envKey);
    const restored = path.join(home, 'restored');
    importKeyMaterial(restored, material);
    expect(fs.readdirSync(path.join(restored, 'keys')).sort()).toEqual([
      'log-signing.pem',
      'log-signing.pub.pem',
    ]);
    expect(loadKeyring(restored, { YIDANG_MASTER_KEY: envKey }).current.key.toString('base64')).toBe(envKey);
    importKeyMaterial(restored, material, { masterKeysToFiles: true });
    expect(loadKeyring(restored, NO_ENV).current.key.toString('base64')).toBe(envKey);
  });

  it('rejects malformed material', () => {
    const material = exportKeyMaterial(initKeyring(home, { env: NO_ENV }));
    const target = path.join(home, 'target');
    const broken = [
      { ...material, version: 2 },
      { ...material, masterKeys: [{ ...material.masterKeys[0], key: 'AAAA' }] },
      { ...material, currentMasterKeyId: '0123456789abcdef' },
      { ...material, signing: { ...material.signing, privateKeyPem: 'x' } },
      { ...material, signing: { ...material.signing, algorithm: 'sm2' } },
    ];
    for (const entry of broken) {
      expect(codeOf(() => importKeyMaterial(target, entry as typeof material))).toBe(
        'KEY_MATERIAL_MALFORMED',
      );
    }
    expect(fs.existsSync(target)).toBe(false);
  });
});
