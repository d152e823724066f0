import { describe, expect, it } from 'vitest';
import {
  appendLeaf,
  consistencyProof,
  HASH_SIZE,
  inclusionProof,
  type NodeFetcher,
  type NodeId,
  nodeKey,
  perfectSubtrees,
  rootAt,
  rootFromFrontier,
  rootFromLeafHashes,
  type TreeHasher,
  treeHasher,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

const hex = (hash: Buffer) => hash.toString('hex');
const unhex = (text: string) => Buffer.from(text, 'hex');
const sha256 = treeHasher('sha256');
const sm3 = treeHasher('sm3');

// RFC 6962 test vectors as published by transparency-dev/merkle (testonly/constants.go, proof/verify_test.go).
const words = (text: string) => text.split(/\s+/).filter(Boolean);
const RFC_LEAVES = [
  '',
  ...words('00 10 2021 3031 40414243 5051525354555657 606162636465666768696a6b6c6d6e6f'),
].map(unhex);
/** Roots of the trees of the first 0..8 leaves. */
const RFC_ROOTS = words(`
  e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
  fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
  aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77
  d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
  4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4
  76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef
  ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c
  5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328
`);
/** Every perfect subtree of the 8-leaf tree, by level. */
const RFC_NODES = [
  words(`
    6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
    96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7
    0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7
    07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7
    bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
    4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658
    b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f
    46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1
  `),
  words(`
    fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
    5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
    0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a
    ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0
  `),
  words(`
    d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
    6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4
  `),
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];
/** The frontier (compact range) of each tree size 0..8, as node keys into RFC_NODES. */
const RFC_FRONTIERS = ['', '0:0', '1:0', '1:0 0:2', '2:0', '2:0 0:4', '2:0 1:2', '2:0 1:2 0:6', '3:0'];
// Proofs abbreviated to each hash's first 4 bytes, all of which appear in RFC_NODES.
const RFC_INCLUSION = [
  { index: 0, size: 8, proof: ['96a296d2', '5f083f0a', '6b47aaf2'] },
  { index: 5, size: 8, proof: ['bc1a0643', 'ca854ea1', 'd37ee418'] },
  { index: 2, size: 3, proof: ['fac54203'] },
  { index: 1, size: 5, proof: ['6e340b9c', '5f083f0a', 'bc1a0643'] },
];
const RFC_CONSISTENCY = [
  { oldSize: 1, newSize: 8, proof: ['96a296d2', '5f083f0a', '6b47aaf2'] },
  { oldSize: 6, newSize: 8, proof: ['0ebc5d34', 'ca854ea1', 'd37ee418'] },
  { oldSize: 2, newSize: 5, proof: ['5f083f0a', 'bc1a0643'] },
  { oldSize: 6, newSize: 7, proof: ['0ebc5d34', 'b08693ec', 'd37ee418'] },
];

/** Every perfect aligned subtree of a tree, levels[L][j] = node (L, j). */
function nodeTable(hasher: TreeHasher, leafHashes: readonly Buffer[]): Buffer[][] {
  const levels = [leafHashes.slice()];
  for (let below = levels[0] ?? []; below.length >= 2; ) {
    const level: Buffer[] = [];
    for (let j = 0; 2 * j + 1 < below.length; j++)
      level.push(hasher.node(below[2 * j] as Buffer, below[2 * j + 1] as Buffer));
    levels.push(level);
    below = level;
  }
  return levels;
}

/** A fetcher over a node table that refuses nodes outside the first `size` leaves and counts its calls. */
function tableFetcher(levels: Buffer[][], size: number) {
  const calls: NodeId[][] = [];
  const fetch: NodeFetcher = async (nodes) => {
    calls.push([...nodes]);
    const found = new Map<string, Buffer>();
    for (const node of nodes) {
      // A plain throw rather than expect(): this runs for thousands of proofs.
      if ((node.index + 1) * 2 ** node.level > size)
        throw new Error(`node ${nodeKey(node)} beyond size ${size}`);
      const hash = levels[node.level]?.[node.index];
      if (hash) found.set(nodeKey(node), hash);
    }
    return found;
  };
  return { fetch, calls };
}

const syntheticLeaves = (hasher: TreeHasher, count: number) =>
  Array.from({ length: count }, (_, i) => hasher.leaf(Buffer.from(`leaf ${i}`)));

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

describe('RFC 6962 test vectors', () => {
  const leafHashes = RFC_LEAVES.map((leaf) => sha256.leaf(leaf));
  const levels = nodeTable(sha256, leafHashes);
  const byKey = (key: string) => {
    const [level = -1, index = -1] = key.split(':').map(Number);
    return RFC_NODES[level]?.[index];
  };

  it('hashes leaves, nodes and roots as the published vectors', () => {
    expect(hex(sha256.emptyRoot())).toBe(RFC_ROOTS[0]);
    expect(levels.map((level) => level.map(hex))).toEqual(RFC_NODES);
    for (let size = 0; size <= 8; size++) {
      expect(hex(rootFromLeafHashes(sha256, leafHashes.slice(0, size)))).toBe(RFC_ROOTS[size]);
    }
  });

  it('builds the published frontiers and roots by appending', () => {
    let frontier: Buffer[] = [];
    for (let size = 0; size <= 8; size++) {
      const keys = words(RFC_FRONTIERS[size] ?? '');
      expect(frontier.map(hex)).toEqual(keys.map((key) => byKey(key)));
      expect(hex(rootFromFrontier(sha256, frontier, size))).toBe(RFC_ROOTS[size]);
      const leaf = leafHashes[size];
      if (leaf) frontier = appendLeaf(sha256, frontier, size, leaf).frontier;
    }
  });

  it('produces and verifies the published inclusion proofs', async () => {
    for (const vector of RFC_INCLUSION) {
      const root = unhex(RFC_ROOTS[vector.size] as string);
      const proof = await inclusionProof(
        sha256,
        vector.index,
        vector.size,
        tableFetcher(levels, vector.size).fetch,
      );
      expect(proof.map((hash) => hex(hash).slice(0, 8))).toEqual(vector.proof);
      expect(
        verifyInclusion(sha256, vector.index, vector.size, leafHashes[vector.index] as Buffer, proof, root),
      ).toBe(true);
      expect(hex(await rootAt(sha256, vector.size, tableFetcher(levels, vector.size).fetch))).toBe(hex(root));
    }
  });

  it('produces and verifies the published consistency proofs', async () => {
    for (const { oldSize, newSize, proof: expected } of RFC_CONSISTENCY) {
      const proof = await consistencyProof(sha256, oldSize, newSize, tableFetcher(levels, newSize).fetch);
      expect(proof.map((hash) => hex(hash).slice(0, 8))).toEqual(expected);
      const [oldRoot, newRoot] = [unhex(RFC_ROOTS[oldSize] as string), unhex(RFC_ROOTS[newSize] as string)];
      expect(verifyConsistency(sha256, oldSize, newSize, oldRoot, newRoot, proof)).toBe(true);
      expect(verifyConsistency(sha256, oldSize, newSize, newRoot, oldRoot, proof)).toBe(false);
    }
  });
});

describe('perfectSubtrees', () => {
  it('splits aligned ranges largest first', () => {
    const keys = (start: number, end: number) => perfectSubtrees(start, end).map(nodeKey);
    expect(keys(0, 7)).toEqual(['2:0', '1:2', '0:6']);
    expect(keys(8, 13)).toEqual(['2:2', '0:12']);
    expect(keys(5, 5)).toEqual([]);
    expect(keys(0, 2 ** 40 + 3)).toEqual(['40:0', `1:${2 ** 39}`, `0:${2 ** 40 + 2}`]);
  });

  it('rejects backwards and fractional ranges', () => {
    for (const [start, end] of [
      [3, 2],
      [-1, 2],
      [0, 1.5],
    ] as const) {
      expect(() => perfectSubtrees(start, end)).toThrow(
        expect.objectContaining({ code: 'MERKLE_RANGE_INVALID' }),
      );
    }
  });
});

describe('appendLeaf', () => {
  it('keeps a frontier whose root is the MTH and reports the subtrees each leaf completes', () => {
    const leaves = syntheticLeaves(sha256, 200);
    const levels = nodeTable(sha256, leaves);
    let frontier: Buffer[] = [];
    for (let size = 0; size < leaves.length; size++) {
      const result = appendLeaf(sha256, frontier, size, leaves[size] as Buffer);
      frontier = result.frontier;
      const expected: string[] = [];
      for (let level = 1; (size + 1) % 2 ** level === 0; level++) {
        expected.push(hex(levels[level]?.[(size + 1) / 2 ** level - 1] as Buffer));
      }
      expect(result.completed.map(hex)).toEqual(expected);
      expect(frontier.map(hex)).toEqual(
        perfectSubtrees(0, size + 1).map((node) => hex(levels[node.level]?.[node.index] as Buffer)),
      );
      expect(hex(rootFromFrontier(sha256, frontier, size + 1))).toBe(
        hex(rootFromLeafHashes(sha256, leaves.slice(0, size + 1))),
      );
    }
  });

  it('refuses a frontier that does not fit the size', () => {
    const leaf = sha256.leaf(Buffer.from('x'));
    expect(() => appendLeaf(sha256, [], 1, leaf)).toThrow();
    expect(() => rootFromFrontier(sha256, [leaf], 3)).toThrow();
  });
});

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

describe('SM3', () => {
  it('hashes with SM3 and proves the same way', async () => {
    expect(hex(sm3.emptyRoot())).toBe('1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b');
    expect(sm3.leaf(Buffer.alloc(0)).length).toBe(HASH_SIZE);
    const leaves = syntheticLeaves(sm3, 13);
    const levels = nodeTable(sm3, leaves);
    const root = rootFromLeafHashes(sm3, leaves);
    const shaRoot = rootFromLeafHashes(sha256, syntheticLeaves(sha256, 13));
    expect(hex(root)).not.toBe(hex(shaRoot));
    expect(hex(await rootAt(sm3, 13, tableFetcher(levels, 13).fetch))).toBe(hex(root));
    const proof = await inclusionProof(sm3, 6, 13, tableFetcher(levels, 13).fetch);
    expect(verifyInclusion(sm3, 6, 13, leaves[6] as Buffer, proof, root)).toBe(true);
    expect(verifyInclusion(sha256, 6, 13, leaves[6] as Buffer, proof, root)).toBe(false);
    const oldRoot = rootFromLeafHashes(sm3, leaves.slice(0, 5));
    const consistency = await consistencyProof(sm3, 5, 13, tableFetcher(levels, 13).fetch);
    expect(verifyConsistency(sm3, 5, 13, oldRoot, root, consistency)).toBe(true);
  });

  it('refuses an unknown algorithm', () => {
    expect(() => treeHasher('md5' as never)).toThrow(/不支持的哈希算法/);
  });
});
