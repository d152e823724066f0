import crypto from 'node:crypto';
import type { DigestAlgorithm } from '../../config/config.js';
import { type CipherSuite, EnvelopeSealer } from './envelope.js';

// The CPU work of storing a blob: the digest of its content, its envelope, and the digest of the
// envelope (what fixity re-reads). Done inline for small content, on a pool thread for the rest
// (seal-stream.ts); both give the same digests and an envelope the same decryption opens.

export interface SealedFacts {
  /** Hex digest of the plain content. */
  digest: string;
  /** Hex digest of the envelope as stored. */
  storedDigest: string;
  storedSize: number;
}

export class BlobSealing {
  private readonly plainHash: crypto.Hash;
  private readonly storedHash: crypto.Hash;
  private readonly sealer: EnvelopeSealer;
  private storedSize = 0;

  constructor(suite: CipherSuite, dataKey: Buffer, algorithm: DigestAlgorithm) {
    this.plainHash = crypto.createHash(algorithm);
    this.storedHash = crypto.createHash(algorithm);
    this.sealer = new EnvelopeSealer(suite, dataKey);
  }

  /** Takes plaintext; returns the envelope bytes now ready to write. */
  update(plain: Uint8Array): Buffer[] {
    this.plainHash.update(plain);
    return this.stored(this.sealer.update(plain));
  }

  final(): { parts: Buffer[]; facts: SealedFacts } {
    const parts = this.stored(this.sealer.final());
    return {
      parts,
      facts: {
        digest: this.plainHash.digest('hex'),
        storedDigest: this.storedHash.digest('hex'),
        storedSize: this.storedSize,
      },
    };
  }

  private stored(parts: Buffer[]): Buffer[] {
    for (const part of parts) {
      this.storedHash.update(part);
      this.storedSize += part.length;
    }
    return parts;
  }
}
