import crypto from 'node:crypto';

// Content that is random from its 13th byte but identifies as a WAV recording, an accepted type: what
// tests of storage (encryption, replicas, streaming) attach now that unidentifiable content is refused.

const WAV_HEAD = Buffer.from('RIFF\0\0\0\0WAVE', 'latin1');

export function opaqueBytes(size: number): Buffer {
  if (size < WAV_HEAD.length) throw new Error(`opaque content needs at least ${WAV_HEAD.length} bytes`);
  return Buffer.concat([WAV_HEAD, crypto.randomBytes(size - WAV_HEAD.length)]);
}
