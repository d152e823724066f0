import {
  type NodeFetcher,
  type NodeId,
  nodeKey,
  type TreeHasher,
  treeHasher,
} from '../../src/modules/integrity/merkle.js';

// Shared helpers for the src/modules/integrity/merkle.*.test.ts files: the two hashers, full node
// tables built the slow way, and a fetcher over such a table that serves the node-based proofs.

export const hex = (hash: Buffer) => hash.toString('hex');
export const sha256 = treeHasher('sha256');
export const sm3 = treeHasher('sm3');

/** Every perfect aligned subtree of a tree, levels[L][j] = node (L, j). */
export function nodeTable(hasher: TreeHasher, leafHashes: readonly Buffer[]): Buffer[][] {
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
export function tableFetcher(levels: Buffer[][], size: number) {
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

export const syntheticLeaves = (hasher: TreeHasher, count: number) =>
  Array.from({ length: count }, (_, i) => hasher.leaf(Buffer.from(`leaf ${i}`)));
