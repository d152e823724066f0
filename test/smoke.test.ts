import { describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../src/modules/integrity/checkpoint.service.js';
import { proveInclusion } from '../src/modules/integrity/proof.service.js';
import { verifyAll } from '../src/modules/integrity/verify.service.js';
import { addFile, openFile } from '../src/modules/storage/file.service.js';
import { fileOneItem, openTestSystem, storage, streamOf } from './helpers/system.js';

describe('smoke', () => {
  it('files, attaches, verifies', async () => {
    const system = await openTestSystem();
    try {
      const code = await fileOneItem(system);
      const added = await addFile(
        storage(system),
        code,
        { stream: streamOf('hello 医档'), fileName: 'a.txt' },
        't',
      );
      expect(added.replicas).toEqual(['r1', 'r2']);
      const { stream } = await openFile(storage(system), code, 1, 't');
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('hello 医档');
      await writeCheckpoint(system.database.db, system.signingKey, 't');
      const proof = await proveInclusion(system.database.db, 0);
      expect(proof.checkpoint).not.toBeNull();
      const report = await verifyAll({
        db: system.database.db,
        store: system.store,
        signingKey: system.signingKey,
      });
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    } finally {
      await system.dispose();
    }
  });
});
