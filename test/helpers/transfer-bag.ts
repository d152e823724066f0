import { exportBatch } from '../../src/modules/transfer/package.js';
import { SYSTEM } from './fixture-access.js';
import { FONDS } from './fixtures.js';
import type { TestSystem } from './system.js';

/**
 * The sender's bag of batch `code` holding these filed items, written to `out` — as the export job
 * writes it, without a drawn batch behind it (the tests using this are about the receiving side).
 */
export async function exportFiledAsBag(
  sender: TestSystem,
  code: string,
  items: ReadonlyArray<{ id: number; archiveCode: string }>,
  out: string,
): Promise<string> {
  const result = await exportBatch(
    {
      db: sender.database.db,
      store: sender.store,
      signingKey: sender.signingKey,
      digest: 'sha256',
      home: sender.home,
      batches: {
        batchForExport: async () => ({
          code,
          fonds: FONDS.code,
          kind: 'fonds',
          drawnBy: 'test',
          items: items.map((item) => ({ itemId: item.id, archiveCode: item.archiveCode })),
        }),
        markExported: async () => {},
      },
    },
    SYSTEM,
    code,
    { out },
  );
  return result.dir;
}
