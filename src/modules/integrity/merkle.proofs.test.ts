import { describe, expect, it } from 'vitest';
import { hex, nodeTable, sha256, syntheticLeaves, tableFetcher } from '../../../test/helpers/merkle.js';
import {
  consistencyProof,
  inclusionProof,
  type NodeFetcher,
  nodeKey,
  rootAt,
  rootFromLeafHashes,
  type TreeHasher,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

// The Merkle tree, part 2: inclusion and consistency proofs checked against the RFC's own recursion
// for every small tree, tampering, and exact arithmetic past 2^31 leaves. The shared helpers are in
// test/helpers/merkle.ts; part 1 (the RFC 6962 vectors, the frontier and SM3) is merkle.tree.test.ts.

// Direct transcriptions of RFC 9162 PATH and SUBPROOF, to compare the node-based proofs against.
function refPath(hasher: TreeHasher, m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m < k) return [...refPath(hasher, m, leaves.slice(0, k)), rootFromLeafHashes(hasher, leaves.slice(k))];
  return [...refPath(hasher, m - k, leaves.slice(k)), rootFromLeafHashes(hasher, leaves.slice(0, k))];
}

function refSubproof(hasher: TreeHasher, m: number, leaves: readonly Buffer[], complete: boolean): Buffer[] {
  if (m === leaves.length) return complete ? [] : [rootFromLeafHashes(hasher, leaves)];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m <= k) {
    return [
      ...refSubproof(hasher, m, leaves.slice(0, k), complete),
      rootFromLeafHashes(hasher, leaves.slice(k)),
    ];
  }
  return [
    ...refSubproof(hasher, m - k, leaves.slice(k), false),
    rootFromLeafHashes(hasher, leaves.slice(0, k)),
  ];
}

const flipped = (proof: readonly Buffer[], at: number) =>
  proof.map((hash, i) =>
    i === at ? Buffer.from(hash.map((byte, b) => (b === 0 ? byte ^ 0x08 : byte))) : hash,
  );

describe('inclusion proofs', () => {
  const leaves = syntheticLeaves(sha256, 70);
  const levels = nodeTable(sha256, leaves);
  const roots = Array.from({ length: leaves.length + 1 }, (_, n) =>
    rootFromLeafHashes(sha256, leaves.slice(0, n)),
  );

  it('verify for every leaf of every size up to 70, match RFC PATH, and fetch once; tampering fails', async () => {
    for (let size = 1; size <= leaves.length; size++) {
      const root = roots[size] as Buffer;
      for (let index = 0; index < size; index++) {
        const leaf = leaves[index] as Buffer;
        const { fetch, calls } = tableFetcher(levels, size);
        const proof = await inclusionProof(sha256, index, size, fetch);
        expect(calls.length).toBe(proof.length === 0 ? 0 : 1);
        expect(proof.map(hex)).toEqual(refPath(sha256, index, leaves.slice(0, size)).map(hex));
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
        expect(verifyInclusion(sha256, index, size, leaf, proof, root)).toBe(true);

        const wrong: [string, boolean][] = [
          ['other leaf', verifyInclusion(sha256, index, size, sha256.leaf(Buffer.from('?')), proof, root)],
          ['index - 1', verifyInclusion(sha256, index - 1, size, leaf, proof, root)],
          ['index + 1', verifyInclusion(sha256, index + 1, size, leaf, proof, root)],
          ['index ^ 2', verifyInclusion(sha256, index ^ 2, size, leaf, proof, root)],
          ['extra element', verifyInclusion(sha256, index, size, leaf, [...proof, root], root)],
          ['extra first', verifyInclusion(sha256, index, size, leaf, [root, ...proof], root)],
          ['root of size - 1', verifyInclusion(sha256, index, size, leaf, proof, roots[size - 1] as Buffer)],
        ];
        for (const other of [size - 1, size + 1, size * 2, Math.floor(size / 2)]) {
          if (other > index && other <= leaves.length && other !== size) {
            wrong.push([
              `size ${other}`,
              verifyInclusion(sha256, index, other, leaf, proof, roots[other] as Buffer),
            ]);
          }
        }
        if (proof.length > 0)
          wrong.push(['missing', verifyInclusion(sha256, index, size, leaf, proof.slice(1), root)]);
        if (proof.length > 0)
          wrong.push(['short', verifyInclusion(sha256, index, size, leaf, proof.slice(0, -1), root)]);
        for (let at = 0; at < proof.length; at++) {
          wrong.push([`flip ${at}`, verifyInclusion(sha256, index, size, leaf, flipped(proof, at), root)]);
        }
        expect(wrong.filter(([, ok]) => ok).map(([what]) => `${what} @ ${index}/${size}`)).toEqual([]);
      }
    }
  });

  it('reject bad arguments without throwing', () => {
    const leaf = leaves[0] as Buffer;
    const root = roots[4] as Buffer;
    expect(verifyInclusion(sha256, 0, 0, leaf, [], sha256.emptyRoot())).toBe(false);
    expect(verifyInclusion(sha256, 4, 4, leaf, [], root)).toBe(false);
    expect(verifyInclusion(sha256, Number.NaN, 4, leaf, [], root)).toBe(false);
    expect(verifyInclusion(sha256, 0, 1, leaf.subarray(1), [], leaf)).toBe(false);
    expect(verifyInclusion(sha256, 0, 2, leaf, [Buffer.alloc(3)], root)).toBe(false);
    expect(verifyInclusion(sha256, 0, 1, leaf, [], leaf)).toBe(true);
  });

  it('refuses to build a proof for a leaf outside the tree', async () => {
    const { fetch } = tableFetcher(levels, 4);
    await expect(inclusionProof(sha256, 4, 4, fetch)).rejects.toMatchObject({ code: 'MERKLE_RANGE_INVALID' });
    await expect(inclusionProof(sha256, -1, 4, fetch)).rejects.toMatchObject({
      code: 'MERKLE_RANGE_INVALID',
    });
    await expect(consistencyProof(sha256, 5, 4, fetch)).rejects.toMatchObject({
      code: 'MERKLE_RANGE_INVALID',
    });
  });
});

describe('consistency proofs', () => {
  const leaves = syntheticLeaves(sha256, 40);
  const levels = nodeTable(sha256, leaves);
  const roots = Array.from({ length: leaves.length + 1 }, (_, n) =>
    rootFromLeafHashes(sha256, leaves.slice(0, n)),
  );

  it('verify for every 1 <= m <= n <= 40, match RFC PROOF, and fetch once; tampering fails', async () => {
    for (let newSize = 1; newSize <= leaves.length; newSize++) {
      const newRoot = roots[newSize] as Buffer;
      expect(hex(await rootAt(sha256, newSize, tableFetcher(levels, newSize).fetch))).toBe(hex(newRoot));
      for (let oldSize = 1; oldSize <= newSize; oldSize++) {
        const oldRoot = roots[oldSize] as Buffer;
        const { fetch, calls } = tableFetcher(levels, newSize);
        const proof = await consistencyProof(sha256, oldSize, newSize, fetch);
        expect(calls.length).toBe(oldSize === newSize ? 0 : 1);
        expect(proof.map(hex)).toEqual(refSubproof(sha256, oldSize, leaves.slice(0, newSize), true).map(hex));
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(newSize)) + 1);
        expect(verifyConsistency(sha256, oldSize, newSize, oldRoot, newRoot, proof)).toBe(true);
        if (oldSize === newSize) continue;

        const check = (m: number, n: number, p: readonly Buffer[]) =>
          verifyConsistency(sha256, m, n, roots[m] ?? oldRoot, roots[n] ?? newRoot, p);
        const wrong: [string, boolean][] = [
          ['old size - 1', check(oldSize - 1, newSize, proof)],
          ['old size + 1', check(oldSize + 1, newSize, proof)],
          ['new size - 1', oldSize < newSize - 1 && check(oldSize, newSize - 1, proof)],
          ['new size + 1', newSize < leaves.length && check(oldSize, newSize + 1, proof)],
          ['swapped roots', verifyConsistency(sha256, oldSize, newSize, newRoot, oldRoot, proof)],
          ['empty proof', check(oldSize, newSize, [])],
          ['extra element', check(oldSize, newSize, [...proof, newRoot])],
          ['extra first', check(oldSize, newSize, [oldRoot, ...proof])],
          ['missing last', check(oldSize, newSize, proof.slice(0, -1))],
          ['missing first', check(oldSize, newSize, proof.slice(1))],
        ];
        for (let at = 0; at < proof.length; at++)
          wrong.push([`flip ${at}`, check(oldSize, newSize, flipped(proof, at))]);
        expect(wrong.filter(([, ok]) => ok).map(([what]) => `${what} @ ${oldSize}->${newSize}`)).toEqual([]);
      }
    }
  });

  it('treat the empty and the unchanged tree as trivially consistent', async () => {
    const { fetch, calls } = tableFetcher(levels, 10);
    expect(await consistencyProof(sha256, 0, 10, fetch)).toEqual([]);
    expect(calls.length).toBe(0);
    const root = roots[10] as Buffer;
    expect(verifyConsistency(sha256, 0, 10, sha256.emptyRoot(), root, [])).toBe(true);
    expect(verifyConsistency(sha256, 0, 10, root, root, [])).toBe(false);
    expect(verifyConsistency(sha256, 10, 10, root, root, [])).toBe(true);
    expect(verifyConsistency(sha256, 10, 10, root, roots[9] as Buffer, [])).toBe(false);
    expect(verifyConsistency(sha256, 10, 10, root, root, [root])).toBe(false);
    expect(verifyConsistency(sha256, 10, 9, root, root, [])).toBe(false);
    expect(verifyConsistency(sha256, 3, 10, Buffer.alloc(5), root, [root])).toBe(false);
  });
});

describe('trees past 2^31 leaves', () => {
  // With every leaf equal, node (L, j) has the same hash for every j, so a fetcher can serve any size.
  const leaf = sha256.leaf(Buffer.from('same'));
  const byLevel = [leaf];
  for (let level = 1; level <= 52; level++)
    byLevel.push(sha256.node(byLevel[level - 1] as Buffer, byLevel[level - 1] as Buffer));
  const uniformFetcher =
    (size: number): NodeFetcher =>
    async (nodes) => {
      for (const node of nodes) {
        expect(Number.isSafeInteger(node.index) && node.index >= 0).toBe(true);
        expect((node.index + 1) * 2 ** node.level).toBeLessThanOrEqual(size);
      }
      return new Map(nodes.map((node) => [nodeKey(node), byLevel[node.level] as Buffer]));
    };

  it('proves inclusion and consistency with exact arithmetic', async () => {
    const sizes = [2 ** 31 + 5, 3 * 2 ** 31 + 12_345, 100_000_007, 2 ** 40 + 3];
    for (const size of sizes) {
      const root = await rootAt(sha256, size, uniformFetcher(size));
      for (const index of [0, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, size - 2, size - 1]) {
        if (index >= size) continue;
        const proof = await inclusionProof(sha256, index, size, uniformFetcher(size));
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
        expect(verifyInclusion(sha256, index, size, leaf, proof, root)).toBe(true);
      }
      for (const oldSize of [1, 2 ** 31, 2 ** 31 + 1, size - 1]) {
        if (oldSize >= size) continue;
        const oldRoot = await rootAt(sha256, oldSize, uniformFetcher(oldSize));
        const proof = await consistencyProof(sha256, oldSize, size, uniformFetcher(size));
        expect(verifyConsistency(sha256, oldSize, size, oldRoot, root, proof)).toBe(true);
      }
    }
  });
});
