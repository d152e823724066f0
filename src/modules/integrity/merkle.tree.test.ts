import { describe, expect, it } from 'vitest';
import { hex, nodeTable, sha256, sm3, syntheticLeaves, tableFetcher } from '../../../test/helpers/merkle.js';
import {
  appendLeaf,
  consistencyProof,
  HASH_SIZE,
  inclusionProof,
  nodeKey,
  perfectSubtrees,
  rootAt,
  rootFromFrontier,
  rootFromLeafHashes,
  treeHasher,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

// The Merkle tree, part 1: the published RFC 6962 vectors, subtree ranges, the append-only frontier
// and the SM3 hasher. The shared helpers are in test/helpers/merkle.ts; part 2 (inclusion and
// consistency proofs exhaustively, and trees past 2^31 leaves) is merkle.proofs.test.ts.

const unhex = (text: string) => Buffer.from(text, 'hex');

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
