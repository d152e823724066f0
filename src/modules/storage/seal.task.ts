import type { MessagePort } from 'node:worker_threads';
import type { DigestAlgorithm } from '../../config/config.js';
import type { CipherSuite } from './envelope.js';
import { BlobSealing } from './seal.js';

// The pool thread's side of sealing an upload (seal-stream.ts is the server thread's): plaintext
// pieces arrive on the port, and for each the envelope bytes it completes go back, handed over
// rather than copied; at the end the digests. The thread is free between pieces, for other uploads.

export interface SealStreamInput {
  port: MessagePort;
  suite: CipherSuite;
  dataKey: Uint8Array;
  algorithm: DigestAlgorithm;
}

export type SealRequest = { type: 'piece'; bytes: Uint8Array } | { type: 'end' };

export type SealReply =
  | { type: 'sealed'; bytes: Uint8Array }
  | { type: 'done'; bytes: Uint8Array; digest: string; storedDigest: string; storedSize: number };

/** One buffer of its own (never a view of a shared pool), so it can be handed over. */
function joined(parts: Buffer[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function sealStream(input: SealStreamInput): Promise<void> {
  const { port } = input;
  const sealing = new BlobSealing(input.suite, Buffer.from(input.dataKey), input.algorithm);
  return new Promise((resolve) => {
    // The server thread closes the port when the upload fails or is abandoned.
    port.on('close', () => resolve());
    port.on('message', (request: SealRequest) => {
      if (request.type === 'piece') {
        const bytes = joined(sealing.update(request.bytes));
        port.postMessage({ type: 'sealed', bytes } satisfies SealReply, [bytes.buffer]);
        return;
      }
      const { parts, facts } = sealing.final();
      const bytes = joined(parts);
      port.postMessage({ type: 'done', bytes, ...facts } satisfies SealReply, [bytes.buffer]);
      port.close();
    });
  });
}
