import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ReceiptSigner, receiptFileName, signReceipt, verifyReceipt } from './receipt.js';

// The receipt is what the sender's `transfer accept` trusts: it must verify as written, with both
// signing algorithms, and any change to a byte of its content or a different key must fail.

function signer(algorithm: 'ed25519' | 'sm2'): ReceiptSigner {
  const pair =
    algorithm === 'ed25519'
      ? crypto.generateKeyPairSync('ed25519')
      : crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' });
  // Reloaded from PEM, as the keyring does, so an SM2 key signs with SM2.
  const privateKey = crypto.createPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { algorithm, privateKey, publicKey: crypto.createPublicKey(privateKey) };
}

const body = {
  batch: 'YJ-J001-2026-1',
  bagDigest: { algorithm: 'sha256' as const, value: 'ab'.repeat(32) },
  sender: '甲市医疗保障事业管理中心',
  receiver: '甲市档案馆',
  receivedAt: '2026-12-28T10:00:00+08:00',
  items: [
    { archiveCode: 'J001-WS·2026-Y-0001', accepted: true, receivedAs: 'G001-WS·2026-Y-0001' },
    { archiveCode: 'J001-WS·2026-Y-0002', accepted: false, reason: '文件摘要不符' },
  ],
  bagProblems: [],
};

describe('receipt', () => {
  it('verifies as signed, with Ed25519 and SM2, and names the key', () => {
    for (const algorithm of ['ed25519', 'sm2'] as const) {
      const s = signer(algorithm);
      const bytes = signReceipt(body, s);
      const r = verifyReceipt(bytes, s.publicKey);
      expect(r.batch).toBe(body.batch);
      expect(r.items).toEqual(body.items);
      expect(r.signature.algorithm).toBe(algorithm);
      expect(r.key.export({ type: 'spki', format: 'der' })).toEqual(
        s.publicKey.export({ type: 'spki', format: 'der' }),
      );
      // Key order in the file does not matter: the signature is over canonical JSON.
      const reordered = JSON.parse(bytes.toString());
      const { batch, ...rest } = reordered;
      expect(verifyReceipt(Buffer.from(JSON.stringify({ ...rest, batch }))).batch).toBe(body.batch);
    }
  });

  it('fails on any change, another key, or a malformed file', () => {
    const s = signer('ed25519');
    const bytes = signReceipt(body, s);
    const flipped = Buffer.from(bytes.toString().replace('"accepted": false', '"accepted": true'));
    expect(() => verifyReceipt(flipped)).toThrow(/签名验证失败/);
    const swappedDigest = Buffer.from(bytes.toString().replace('ab'.repeat(32), 'cd'.repeat(32)));
    expect(() => verifyReceipt(swappedDigest)).toThrow(/签名验证失败/);
    expect(() => verifyReceipt(bytes, signer('ed25519').publicKey)).toThrow(/预期的接收方密钥/);
    // Re-signed by someone else with their own key inside: valid alone, refused when the key is pinned.
    const forged = signReceipt(body, signer('ed25519'));
    expect(verifyReceipt(forged).batch).toBe(body.batch);
    expect(() => verifyReceipt(forged, s.publicKey)).toThrow(/预期的接收方密钥/);
    for (const junk of [
      'not json',
      '[]',
      '{"type":"other"}',
      JSON.stringify({ ...body, type: 'yidang-transfer-receipt/1' }),
    ]) {
      expect(() => verifyReceipt(Buffer.from(junk))).toThrow(
        expect.objectContaining({ code: 'TRANSFER_RECEIPT_INVALID' }),
      );
    }
    expect(receiptFileName('YJ-J001-2026-1')).toBe('回执-YJ-J001-2026-1.json');
    expect(receiptFileName('../x')).toBe('回执-.._x.json');
  });
});
