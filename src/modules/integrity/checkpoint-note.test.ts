import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isYidangError } from '../../shared/errors.js';
import {
  type CheckpointBody,
  formatCheckpointBody,
  formatVerifierKey,
  type NoteSigner,
  type NoteVerifier,
  noteKeyId,
  openNote,
  parseCheckpointBody,
  parseVerifierKey,
  type SignatureAlgorithm,
  signNote,
} from './checkpoint-note.js';

function signer(name: string, algorithm: SignatureAlgorithm): NoteSigner {
  const pair =
    algorithm === 'ed25519'
      ? crypto.generateKeyPairSync('ed25519')
      : crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' });
  return { name, algorithm, ...pair };
}

/** A verifier key's three fields; only the first two '+' separate them, base64 may contain more. */
function keyFields(text: string): [string, string, string] {
  const [name = '', id = '', ...rest] = text.split('+');
  return [name, id, rest.join('+')];
}

const verifierOf = ({ name, algorithm, publicKey }: NoteSigner): NoteVerifier => ({
  name,
  algorithm,
  publicKey,
});

/** The code of the YidangError `run` throws. */
function errorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isYidangError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a YidangError, nothing was thrown');
}

const BODY: CheckpointBody = {
  origin: 'yidang.example/log/J013',
  size: 123_456_789,
  rootHash: crypto.createHash('sha256').update('root').digest(),
  time: new Date('2024-05-06T07:08:09.010Z'),
};
const BODY_TEXT = formatCheckpointBody(BODY);

describe('checkpoint body', () => {
  it('formats as origin, size, base64 root and a time extension line', () => {
    expect(BODY_TEXT).toBe(
      `yidang.example/log/J013\n123456789\n${BODY.rootHash.toString('base64')}\ntime 2024-05-06T07:08:09.010Z\n`,
    );
    expect(parseCheckpointBody(BODY_TEXT)).toEqual(BODY);
  });

  it('ignores unknown extension lines and accepts a zero-size tree', () => {
    const text = `o\n0\n${BODY.rootHash.toString('base64')}\nother extension\ntime 2024-05-06T07:08:09Z\n`;
    expect(parseCheckpointBody(text)).toMatchObject({ origin: 'o', size: 0 });
  });

  it('rejects malformed bodies with CHECKPOINT_MALFORMED', () => {
    const root = BODY.rootHash.toString('base64');
    const time = 'time 2024-05-06T07:08:09.010Z';
    const bad = [
      `o\n5\n${root}\n${time}`, // no final newline
      `\n5\n${root}\n${time}\n`, // empty origin
      `o\n-5\n${root}\n${time}\n`,
      `o\n05\n${root}\n${time}\n`,
      `o\n5.0\n${root}\n${time}\n`,
      `o\n0x5\n${root}\n${time}\n`,
      `o\n99999999999999999999\n${root}\n${time}\n`,
      `o\n5\n${root.slice(0, -1)}\n${time}\n`, // bad base64
      `o\n5\n${root.replace(/=$/, '!')}\n${time}\n`,
      `o\n5\n${Buffer.alloc(31).toString('base64')}\n${time}\n`, // root of wrong length
      `o\n5\n${Buffer.alloc(33).toString('base64')}\n${time}\n`,
      `o\n5\n${root}\n`, // no time
      `o\n5\n${root}\ntime 2024-02-30T00:00:00Z\n`,
      `o\n5\n${root}\ntime 2024-05-06 07:08:09\n`,
      `o\n5\n${root}\ntime 2024-05-06T07:08:09+08:00\n`,
      `o\n5\n${root}\n${time}\n${time}\n`,
      `o\n5\n${root}\n\n${time}\n`, // blank line
      `o\u0007\n5\n${root}\n${time}\n`,
    ];
    for (const text of bad)
      expect(
        errorCode(() => parseCheckpointBody(text)),
        JSON.stringify(text),
      ).toBe('CHECKPOINT_MALFORMED');
  });

  it('refuses to format what it could not parse', () => {
    for (const body of [
      { ...BODY, origin: '' },
      { ...BODY, origin: 'a\nb' },
      { ...BODY, size: -1 },
      { ...BODY, size: 1.5 },
      { ...BODY, rootHash: Buffer.alloc(20) },
      { ...BODY, time: new Date(Number.NaN) },
    ]) {
      expect(errorCode(() => formatCheckpointBody(body))).toBe('CHECKPOINT_MALFORMED');
    }
  });
});

describe.each(['ed25519', 'sm2'] as const)('signed note (%s)', (algorithm) => {
  const key = signer('yidang.example/log', algorithm);
  const verifier = verifierOf(key);
  const note = signNote(BODY_TEXT, key);

  it('round-trips', () => {
    expect(note.startsWith(`${BODY_TEXT}\n\u2014 yidang.example/log `)).toBe(true);
    expect(note.endsWith('\n')).toBe(true);
    expect(openNote(note, verifier)).toBe(BODY_TEXT);
    expect(parseCheckpointBody(openNote(note, verifier))).toEqual(BODY);
    const encoded = note.slice(note.lastIndexOf(' ') + 1, -1);
    expect(Buffer.from(encoded, 'base64').subarray(0, 4)).toEqual(
      noteKeyId(key.name, algorithm, key.publicKey),
    );
  });

  it('verifies with a key stored and reloaded as PEM, in both directions', () => {
    const reloaded: NoteSigner = {
      ...key,
      privateKey: crypto.createPrivateKey(key.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      publicKey: crypto.createPublicKey(key.publicKey.export({ type: 'spki', format: 'pem' })),
    };
    expect(openNote(note, verifierOf(reloaded))).toBe(BODY_TEXT);
    expect(openNote(signNote(BODY_TEXT, reloaded), verifier)).toBe(BODY_TEXT);
  });

  it('rejects a tampered body', () => {
    const root = BODY.rootHash.toString('base64');
    const otherRoot = Buffer.alloc(32, 7).toString('base64');
    for (const tampered of [
      note.replace('\n123456789\n', '\n123456788\n'),
      note.replace(root, otherRoot),
      note.replace('yidang.example/log/J013', 'yidang.example/log/J0134'),
      `x${note}`,
    ]) {
      expect(tampered).not.toBe(note);
      expect(errorCode(() => openNote(tampered, verifier))).toBe('CHECKPOINT_SIGNATURE_INVALID');
    }
  });

  it('rejects a note signed by another key, or under another key id', () => {
    const other = signer('yidang.example/log', algorithm);
    expect(errorCode(() => openNote(signNote(BODY_TEXT, other), verifier))).toBe(
      'CHECKPOINT_SIGNATURE_INVALID',
    );
    const renamed = signer('someone.else/log', algorithm);
    expect(errorCode(() => openNote(signNote(BODY_TEXT, renamed), verifier))).toBe(
      'CHECKPOINT_SIGNATURE_INVALID',
    );

    const signatureStart = note.lastIndexOf(' ') + 1;
    const bytes = Buffer.from(note.slice(signatureStart, -1), 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    const wrongId = `${note.slice(0, signatureStart)}${bytes.toString('base64')}\n`;
    expect(errorCode(() => openNote(wrongId, verifier))).toBe('CHECKPOINT_SIGNATURE_INVALID');
  });

  it('names the key when its signature is missing', () => {
    const other = signer('yidang.example/log', algorithm);
    expect(() => openNote(signNote(BODY_TEXT, other), verifier)).toThrow(/yidang\.example\/log/);
  });

  it('rejects a bad signature under the right key id', () => {
    const signatureStart = note.lastIndexOf(' ') + 1;
    const bytes = Buffer.from(note.slice(signatureStart, -1), 'base64');
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    const broken = `${note.slice(0, signatureStart)}${bytes.toString('base64')}\n`;
    expect(errorCode(() => openNote(broken, verifier))).toBe('CHECKPOINT_SIGNATURE_INVALID');
    const truncated = `${note.slice(0, signatureStart)}${bytes.subarray(0, 6).toString('base64')}\n`;
    expect(errorCode(() => openNote(truncated, verifier))).toBe('CHECKPOINT_SIGNATURE_INVALID');
  });

  it('ignores signature lines from unknown keys, before or after', () => {
    const stranger = signer('witness.example/w1', 'ed25519');
    const strangerLine = signNote(BODY_TEXT, stranger).slice(BODY_TEXT.length + 1);
    const ownLine = note.slice(BODY_TEXT.length + 1);
    expect(openNote(`${note}${strangerLine}`, verifier)).toBe(BODY_TEXT);
    expect(openNote(`${BODY_TEXT}\n${strangerLine}${ownLine}`, verifier)).toBe(BODY_TEXT);
    expect(openNote(`${note}\u2014 unknown.example/k AAAAAAAAAAAA\n`, verifier)).toBe(BODY_TEXT);
  });

  it('round-trips its verifier key', () => {
    const text = formatVerifierKey(verifier);
    const keyId = noteKeyId(key.name, algorithm, key.publicKey).toString('hex');
    expect(text.startsWith(`yidang.example/log+${keyId}+`)).toBe(true);
    const parsed = parseVerifierKey(text);
    expect(parsed.name).toBe(key.name);
    expect(parsed.algorithm).toBe(algorithm);
    expect(formatVerifierKey(parsed)).toBe(text);
    expect(openNote(note, parsed)).toBe(BODY_TEXT);
  });
});

describe('signed note format', () => {
  const key = signer('yidang.example/log', 'ed25519');
  const verifier = verifierOf(key);
  const note = signNote(BODY_TEXT, key);
  const line = note.slice(BODY_TEXT.length + 1);

  it('computes the Ed25519 key id as the signed-note spec does', () => {
    const raw = key.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
    const expected = crypto
      .createHash('sha256')
      .update(Buffer.concat([Buffer.from('yidang.example/log\n'), Buffer.of(0x01), raw]))
      .digest()
      .subarray(0, 4);
    expect(noteKeyId(key.name, 'ed25519', key.publicKey)).toEqual(expected);
    const [, hexId, encoded] = keyFields(formatVerifierKey(verifier));
    expect(hexId).toBe(expected.toString('hex'));
    expect(Buffer.from(encoded, 'base64')).toEqual(Buffer.concat([Buffer.of(0x01), raw]));
  });

  it('rejects malformed notes with CHECKPOINT_MALFORMED', () => {
    const encoded = line.slice(line.lastIndexOf(' ') + 1, -1);
    const bad = [
      `${BODY_TEXT}${line}`, // missing blank line
      note.slice(0, -1), // no final newline
      `${BODY_TEXT}\n`, // no signature lines
      `${BODY_TEXT}\n${line.replace('\u2014', '-')}`,
      `${BODY_TEXT}\n${line.replace(encoded, `${encoded.slice(0, -2)}!!`)}`, // bad base64
      `${BODY_TEXT}\n${line.replace(encoded, encoded.replace(/=+$/, ''))}`, // unpadded
      `${BODY_TEXT}\n\u2014 yidang.example/log AAAA\n`, // shorter than a key id and one byte
      `${BODY_TEXT}\n\u2014 yidang.example/log ${encoded} extra\n`,
      `${BODY_TEXT}\n\u2014  ${encoded}\n`, // empty name
      `${BODY_TEXT}\n\u2014 a+b ${encoded}\n`,
      `${BODY_TEXT}\n${line}${line.slice(0, -1)}`,
      `${BODY_TEXT.replace('J013', 'J\u0000')}\n${line}`,
      `${BODY_TEXT}\n${line.repeat(101)}`,
    ];
    for (const text of bad)
      expect(
        errorCode(() => openNote(text, verifier)),
        JSON.stringify(text),
      ).toBe('CHECKPOINT_MALFORMED');
  });

  it('refuses bodies and key names the format cannot carry', () => {
    expect(errorCode(() => signNote('no newline', key))).toBe('CHECKPOINT_MALFORMED');
    expect(errorCode(() => signNote('bell\u0007\n', key))).toBe('CHECKPOINT_MALFORMED');
    for (const name of ['', 'a b', 'a+b', 'a\nb', 'a\u3000b']) {
      expect(errorCode(() => signNote(BODY_TEXT, { ...key, name }))).toBe('NOTE_KEY_NAME_INVALID');
    }
    const other = signer('x', 'ed25519');
    expect(errorCode(() => signNote(BODY_TEXT, { ...key, publicKey: other.publicKey }))).toBe(
      'NOTE_KEY_INVALID',
    );
    expect(errorCode(() => signNote(BODY_TEXT, { ...key, algorithm: 'sm2' }))).toBe('NOTE_KEY_INVALID');
  });

  it('rejects malformed verifier keys', () => {
    const good = formatVerifierKey(verifier);
    const [name, id, encoded] = keyFields(good);
    const otherId = (Number.parseInt(id, 16) ^ 1).toString(16).padStart(8, '0');
    const sm2Key = Buffer.concat([Buffer.of(0xff), Buffer.from(encoded, 'base64').subarray(1)]).toString(
      'base64',
    );
    // Hex digits in either case, as Go's note package accepts.
    expect(parseVerifierKey(`${name}+${id.toUpperCase()}+${encoded}`).name).toBe(name);
    for (const text of [
      '',
      name,
      `${name}+${id}`,
      `${name}+${otherId}+${encoded}`,
      `${name}+${id.slice(1)}+${encoded}`,
      `${name}+${id}0+${encoded}`,
      `${name}+${id}+${encoded.slice(0, -4)}`,
      `${name}+${id}+${Buffer.from([0x02, ...Buffer.alloc(32)]).toString('base64')}`,
      `${name}+${id}+${sm2Key}`,
      `a b+${id}+${encoded}`,
    ]) {
      expect(
        errorCode(() => parseVerifierKey(text)),
        text,
      ).toBe('NOTE_VERIFIER_KEY_INVALID');
    }
  });
});
