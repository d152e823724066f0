// RFC 6962 / 9162 inclusion proofs checked in the browser with WebCrypto, the same hashing as the
// server's src/modules/integrity/merkle.ts and event-log.ts encodeEntry. SHA-256 only: WebCrypto
// has no SM3, so an SM3 log is shown but not recomputed here.

export interface ProofEntry {
  seq: number;
  recordedAt: string;
  actor: string;
  action: string;
  subject: string;
  payload: string;
  prevHash: string;
}

const ENTRY_VERSION = 'yidang-event/1';

export function hexToBytes(hex: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error('不是十六进制');
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export const bytesToHex = (bytes: Uint8Array) =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

export function base64ToHex(text: string): string {
  const binary = atob(text.trim());
  return bytesToHex(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}

/** WebCrypto exists only in a secure context (https, or the loopback address). */
export const canVerifyInBrowser = () => typeof crypto !== 'undefined' && crypto.subtle !== undefined;

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
}

const leafHash = (data: Uint8Array) => sha256(Uint8Array.of(0), data);
const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(1), left, right);

/** The bytes the log hashes for an event: a fixed JSON array of its fields and the previous hash. */
export function encodeEntry(entry: ProofEntry): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify([
      ENTRY_VERSION,
      entry.seq,
      entry.recordedAt,
      entry.actor,
      entry.action,
      entry.subject,
      entry.payload,
      entry.prevHash,
    ]),
  );
}

export const entryLeafHash = async (entry: ProofEntry) => bytesToHex(await leafHash(encodeEntry(entry)));

/** RFC 9162 §2.1.3.2: the root the audit path leads to from the leaf, or null if the path is malformed. */
export async function rootFromInclusion(
  index: number,
  size: number,
  leafHex: string,
  proofHex: readonly string[],
): Promise<string | null> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = hexToBytes(leafHex);
  for (const hex of proofHex) {
    const p = hexToBytes(hex);
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? bytesToHex(r) : null;
}

export interface CheckpointHead {
  origin: string;
  size: number;
  rootHex: string;
}

/** The signed checkpoint's body (C2SP tlog-checkpoint): origin, tree size, base64 root hash. */
export function parseCheckpoint(note: string): CheckpointHead | null {
  const body = note.split('\n\n')[0] ?? '';
  const [origin, sizeText, rootText] = body.split('\n');
  if (!origin || !sizeText || !/^\d+$/.test(sizeText) || !rootText) return null;
  try {
    return { origin, size: Number(sizeText), rootHex: base64ToHex(rootText) };
  } catch {
    return null;
  }
}
