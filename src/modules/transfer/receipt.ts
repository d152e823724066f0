import crypto, { type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical-json.js';
import { invalid } from '../../shared/errors.js';
import type { SigningAlgorithm } from '../storage/keyring.js';
import { signWithKey, verifyWithKey } from '../storage/keyring.js';
import type { BagProblem } from './bag.parse.js';

// The 回执 (receipt) a receiving archive returns for a bag: which batch and which bag (by the digest of
// its tag manifest, which covers bag-info and the payload manifest, so every byte), what was accepted
// and what was rejected with the reason, signed with the receiving system's key. The sender's
// `transfer accept` reads it with verifyReceipt before marking anything 已移交.

export const RECEIPT_TYPE = 'yidang-transfer-receipt/1';

export interface ReceiptItem {
  /** The sender's 档号 (as in the bag). */
  archiveCode: string;
  accepted: boolean;
  /** Why an item was rejected (Chinese). */
  reason?: string;
  /** The 档号 the receiver filed it under. */
  receivedAs?: string;
}

export interface ReceiptBody {
  type: typeof RECEIPT_TYPE;
  /** The batch code (bag-info External-Identifier). */
  batch: string;
  bagDigest: { algorithm: 'sha256' | 'sha512' | 'sm3'; value: string };
  /** The sending organisation (bag-info Source-Organization). */
  sender: string;
  receiver: string;
  /** Beijing time, ISO 8601 with +08:00. */
  receivedAt: string;
  items: ReceiptItem[];
  /** Problems of the bag as a whole; when any, every item is rejected. */
  bagProblems: BagProblem[];
}

export interface ReceiptSignature {
  algorithm: SigningAlgorithm;
  /** Base64 of the DER SPKI public key. */
  publicKey: string;
  /** Base64 signature over the canonical JSON of the body. */
  value: string;
}

export interface Receipt extends ReceiptBody {
  signature: ReceiptSignature;
}

export interface VerifiedReceipt extends Receipt {
  key: KeyObject;
}

export interface ReceiptSigner {
  algorithm: SigningAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const signedBytes = (body: ReceiptBody) => Buffer.from(canonicalJson(body), 'utf8');

/** Signs a receipt; returns the file's bytes (pretty JSON, UTF-8). */
export function signReceipt(body: Omit<ReceiptBody, 'type'>, signer: ReceiptSigner): Buffer {
  const full: ReceiptBody = { type: RECEIPT_TYPE, ...body };
  const signature: ReceiptSignature = {
    algorithm: signer.algorithm,
    publicKey: signer.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    value: signWithKey(signer.privateKey, signedBytes(full)).toString('base64'),
  };
  return Buffer.from(`${JSON.stringify({ ...full, signature }, null, 2)}\n`, 'utf8');
}

const bad = (why: string) => invalid('TRANSFER_RECEIPT_INVALID', `接收回执无效：${why}`);
const isString = (v: unknown): v is string => typeof v === 'string';

function checkShape(value: unknown): Receipt {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad('不是 JSON 对象');
  const r = value as Record<string, unknown>;
  if (r.type !== RECEIPT_TYPE) throw bad(`类型应为 ${RECEIPT_TYPE}`);
  for (const key of ['batch', 'sender', 'receiver', 'receivedAt'] as const) {
    if (!isString(r[key]) || r[key] === '') throw bad(`缺少 ${key}`);
  }
  const digest = r.bagDigest as Record<string, unknown> | undefined;
  if (
    !digest ||
    !['sha256', 'sha512', 'sm3'].includes(digest.algorithm as string) ||
    !isString(digest.value) ||
    !/^[0-9a-f]{64,128}$/.test(digest.value)
  ) {
    throw bad('bagDigest 应含算法与十六进制摘要值');
  }
  if (!Array.isArray(r.items) || !Array.isArray(r.bagProblems)) throw bad('缺少 items 或 bagProblems');
  for (const item of r.items as Record<string, unknown>[]) {
    if (!item || !isString(item.archiveCode) || typeof item.accepted !== 'boolean') {
      throw bad('items 的每一项应有 archiveCode 与 accepted');
    }
  }
  const sig = r.signature as Record<string, unknown> | undefined;
  if (
    !sig ||
    !['ed25519', 'sm2'].includes(sig.algorithm as string) ||
    !isString(sig.publicKey) ||
    !isString(sig.value)
  ) {
    throw bad('缺少签名（signature 的 algorithm、publicKey、value）');
  }
  return value as Receipt;
}

/**
 * Reads and verifies a receipt file: its shape and its signature by the key it carries. Throws
 * TRANSFER_RECEIPT_INVALID naming what is wrong. `expectedKey`, when the receiver's key is known,
 * must be the signer.
 */
export function verifyReceipt(bytes: Buffer, expectedKey?: KeyObject): VerifiedReceipt {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('不是 UTF-8 编码的 JSON');
  }
  const receipt = checkShape(parsed);
  const { signature, ...body } = receipt;
  let key: KeyObject;
  try {
    key = crypto.createPublicKey({
      key: Buffer.from(signature.publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
  } catch {
    throw bad('签名公钥无法读取');
  }
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (expectedKey && !spki(expectedKey).equals(spki(key))) throw bad('不是由预期的接收方密钥签署的');
  const ok = verifyWithKey(key, signedBytes(body as ReceiptBody), Buffer.from(signature.value, 'base64'));
  if (!ok) throw bad('签名验证失败（回执内容被改动或签名不符）');
  return { ...receipt, key };
}

/** The receipt's file name: 回执-<batch>.json (the batch code is already a safe name). */
export function receiptFileName(batch: string): string {
  return `回执-${batch.replace(/[^\p{L}\p{N}._-]/gu, '_')}.json`;
}
