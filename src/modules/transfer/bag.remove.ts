import fsp from 'node:fs/promises';
import path from 'node:path';
import { safeSegment } from './bag.write.js';

// The exported bag holds every item unmasked and its files decrypted, outside the encrypted store and
// out of reach of crypto-shredding: once the batch is settled (accepted or withdrawn) it goes (G9).

/** Where the export job writes a batch's bag: YIDANG_HOME/transfer/<code>. */
export const bagDirOf = (home: string, code: string) => path.join(home, 'transfer', safeSegment(code));

/** Removes the batch's bag (and any half-written copy of it), if there is one. */
export async function removeBag(home: string | undefined, code: string): Promise<void> {
  if (!home) return;
  const dir = bagDirOf(home, code);
  for (const suffix of ['', '.old', '.new', '.new.partial'])
    await fsp.rm(`${dir}${suffix}`, { recursive: true, force: true });
}
