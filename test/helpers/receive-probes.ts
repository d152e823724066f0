import tar from 'tar-stream';
import { type Call, type ScopeWorld, send } from './scope-fixture.js';
import type { Probe, ProbeContext } from './scope-probes.js';

// The scope-and-masking probes of 接收 (/transfer/received): the other user (all fonds) receives a bag
// into J014 and one into J013 (both rejected: they are bags in name only, which still records them with
// their batch, sender and problems). Every J013 caller must not see the J014 one listed and must find it
// exactly as an id never issued; the J013 one is shown. The upload itself is probed with a bag whose
// bag-info names a J013 batch.

const api = (path: string) => `/api/v1${path}`;
const received = new WeakMap<ScopeWorld, Promise<{ own: number; foreign: number }>>();

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => {
    chunks.push(chunk as Buffer);
  });
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const [name, body] of Object.entries(files)) pack.entry({ name }, body);
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** A bag in name only: declaration and bag-info, no manifest, no payload. */
const bagOf = (fonds: 'J013' | 'J014') =>
  tarOf({
    'bag/bagit.txt': 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n',
    'bag/bag-info.txt': `Source-Organization: 外地医疗保障局\nExternal-Identifier: YJ-${fonds}-2026-77\n`,
  });

const upload = async (fonds: 'J013' | 'J014'): Promise<Call> => ({
  method: 'POST',
  url: api(`/transfer/received?fonds=${fonds}`),
  file: { name: 'bag.tar', content: await bagOf(fonds) },
});

function worldReceived(world: ScopeWorld) {
  let made = received.get(world);
  if (!made) {
    made = (async () => {
      const ids: number[] = [];
      for (const fonds of ['J013', 'J014'] as const) {
        const answer = await send(world.app, world.other, await upload(fonds));
        if (answer.statusCode !== 201)
          throw new Error(`receive ${fonds}: ${answer.statusCode} ${answer.body}`);
        ids.push((answer.json() as { id: number }).id);
      }
      return { own: ids[0] as number, foreign: ids[1] as number };
    })();
    received.set(world, made);
  }
  return made;
}

const onReceived =
  (tail: string): Probe =>
  async ({ world, call, sameAsMissing }: ProbeContext) => {
    const { own, foreign } = await worldReceived(world);
    const at = (id: number): Call => ({ method: 'GET', url: api(`/transfer/received/${id}${tail}`) });
    await call(at(own));
    await sameAsMissing({ ...at(foreign), id: foreign }, { ...at(999_999), id: 999_999 });
  };

export const RECEIVE_ROUTES: Record<string, Probe | string> = {
  'POST /api/v1/transfer/received': async ({ world, call }: ProbeContext) => {
    await worldReceived(world);
    await call(await upload('J013'));
  },
  'GET /api/v1/transfer/received': async ({ world, call }: ProbeContext) => {
    await worldReceived(world);
    await call({ method: 'GET', url: api('/transfer/received') });
  },
  'GET /api/v1/transfer/received/{id}': onReceived(''),
  'GET /api/v1/transfer/received/{id}/receipt': onReceived('/receipt'),
};
