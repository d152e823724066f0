import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BagWriter } from '../src/modules/transfer/bag.write.js';
import { validateBag } from '../src/modules/transfer/bag.validate.js';

// Validating a received bag (issue 26): validateBag over a bag of many 件 — every RFC 8493 rule, every
// payload file hashed (SHA-256) and compared with the manifest, tag manifests and Payload-Oxum —
// against GNU `sha256sum` over the very same payload files, measured in the same run on a warm cache
// (each is run once to warm it, then timed). MB/s counts the payload bytes.
//
// Size: `--items=N --mb=M` (or BENCH_RECEIVE_ITEMS / BENCH_RECEIVE_MB); the default (1,000 件 of
// three files, 200 MB) runs in well under a minute; the figure is `--items=10000 --mb=1024`.

const flag = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
const ITEMS = Number(flag('items') ?? process.env.BENCH_RECEIVE_ITEMS ?? 1_000);
const MB = Number(flag('mb') ?? process.env.BENCH_RECEIVE_MB ?? 200);
const FILE_BYTES = Math.max(1, Math.floor((MB * 1024 * 1024) / ITEMS));

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'yidang-bench-receive-'));
try {
  const dir = path.join(root, 'bag');
  const bag = await BagWriter.open(dir, { digest: 'sha256' });
  const chunk = crypto.randomBytes(FILE_BYTES);
  for (let i = 0; i < ITEMS; i++) {
    const folder = `J013-JSLX·2026-Y-${String(i + 1).padStart(5, '0')}`;
    // A different first byte per file, so no two files are the same.
    chunk.writeUInt32BE(i, 0);
    await bag.addFile(`${folder}/files/审核表.pdf`, chunk);
    await bag.addFile(`${folder}/eep.xml`, `<电子文件封装包>${i}</电子文件封装包>\n`);
    await bag.addFile(`${folder}/history.json`, `{"events":[${i}]}\n`);
  }
  const summary = await bag.finish({
    sourceOrganization: '基准测试局',
    baggingDate: '2026-12-28',
    externalIdentifier: 'YJ-B001-2026-1',
    transferKind: 'fonds',
    signingKey: 'AA==',
  });
  const octets = summary.payloadOxum.octets;
  const files = summary.payloadOxum.count;

  const timeValidate = async () => {
    const started = performance.now();
    const report = await validateBag(dir);
    if (!report.ok)
      throw new Error(`the bench bag is not valid: ${JSON.stringify(report.problems.slice(0, 3))}`);
    return (performance.now() - started) / 1000;
  };
  const timeSha256sum = () => {
    const started = performance.now();
    // One sha256sum process per few thousand names, over exactly the payload files (NUL-separated).
    execFileSync('sh', ['-c', 'find data -type f -print0 | xargs -0 sha256sum > /dev/null'], { cwd: dir });
    return (performance.now() - started) / 1000;
  };
  await timeValidate();
  timeSha256sum();
  const validate = await timeValidate();
  const sha256sum = timeSha256sum();
  const mb = octets / 1024 / 1024;
  const rate = (seconds: number) => (mb / seconds).toFixed(1);
  console.log(
    `bag of ${ITEMS} 件, ${files} files, ${mb.toFixed(1)} MB of payload (SHA-256)\n` +
      `  validateBag:  ${validate.toFixed(2)} s, ${rate(validate)} MB/s\n` +
      `  sha256sum:    ${sha256sum.toFixed(2)} s, ${rate(sha256sum)} MB/s\n` +
      `  ratio validateBag / sha256sum throughput: ${(sha256sum / validate).toFixed(2)}`,
  );
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
