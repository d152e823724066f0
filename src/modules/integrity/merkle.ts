import { createHash } from 'node:crypto';
import { invalid } from '../../shared/errors.js';

// RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification, as pure functions over node hashes.
// The log stores the hash of every perfect aligned subtree (see appendLeaf), so any proof or root is a
// handful of stored nodes combined here. Sizes reach ~10^8, so all index arithmetic uses plain division and
// powers of two (exact up to 2^53), never the 32-bit bitwise operators.

export type LogHashAlgorithm = 'sha256' | 'sm3';

/** Both SHA-256 and SM3 produce 32-byte digests. */
export const HASH_SIZE = 32;

export interface TreeHasher {
  algorithm: LogHashAlgorithm;
  /** HASH() of the empty string: the root of the empty tree. */
  emptyRoot(): Buffer;
  /** HASH(0x00 || data). */
  leaf(data: Uint8Array): Buffer;
  /** HASH(0x01 || left || right). */
  node(left: Uint8Array, right: Uint8Array): Buffer;
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

export function treeHasher(algorithm: LogHashAlgorithm): TreeHasher {
  if (algorithm !== 'sha256' && algorithm !== 'sm3') {
    throw invalid(
      'MERKLE_ALGORITHM_UNSUPPORTED',
      `不支持的哈希算法：${String(algorithm)}（应为 sha256 或 sm3）`,
    );
  }
  const empty = createHash(algorithm).digest();
  return {
    algorithm,
    emptyRoot: () => Buffer.from(empty),
    leaf: (data) => createHash(algorithm).update(LEAF_PREFIX).update(data).digest(),
    node: (left, right) => createHash(algorithm).update(NODE_PREFIX).update(left).update(right).digest(),
  };
}

/** A perfect aligned subtree: level L, index j covers leaves [j*2^L, (j+1)*2^L). */
export interface NodeId {
  level: number;
  index: number;
}

/** A node fetcher: given node ids, returns their hashes (level 0 = leaf hash). Keyed by `${level}:${index}`. */
export type NodeFetcher = (nodes: readonly NodeId[]) => Promise<Map<string, Buffer>>;

export const nodeKey = (node: NodeId) => `${node.level}:${node.index}`;

const isCount = (value: number) => Number.isSafeInteger(value) && value >= 0;

function checkSize(size: number): void {
  if (!isCount(size)) throw invalid('MERKLE_RANGE_INVALID', `树的大小应为非负整数：${size}`);
}

/** The largest power of two strictly below n (n >= 2): where RFC 6962 splits a tree of n leaves. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function bitCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`内部错误：下标 ${index} 越界（共 ${items.length} 项）`);
  return item;
}

/** MTH of consecutive perfect subtrees listed largest first: the right-hand ones nest deepest. */
function foldRight(hasher: TreeHasher, hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return hasher.emptyRoot();
  let acc = at(hashes, hashes.length - 1);
  for (let i = hashes.length - 2; i >= 0; i--) acc = hasher.node(at(hashes, i), acc);
  return acc;
}

/** Reference MTH over leaf hashes (recursive split at largest power of two < n). For tests and small trees. */
export function rootFromLeafHashes(hasher: TreeHasher, leafHashes: readonly Buffer[]): Buffer {
  const mth = (start: number, end: number): Buffer => {
    if (end - start === 1) return at(leafHashes, start);
    const middle = start + splitPoint(end - start);
    return hasher.node(mth(start, middle), mth(middle, end));
  };
  return leafHashes.length === 0 ? hasher.emptyRoot() : mth(0, leafHashes.length);
}

function checkFrontier(frontier: readonly Buffer[], size: number): void {
  checkSize(size);
  if (frontier.length !== bitCount(size)) {
    throw new Error(
      `内部错误：大小为 ${size} 的树应有 ${bitCount(size)} 个边界节点，实际 ${frontier.length} 个`,
    );
  }
}

/**
 * The compact range / frontier of a tree of `size` leaves: the roots of its perfect subtrees, left to right,
 * largest first (one per set bit of size). Appending a leaf returns the new frontier and the hashes of
 * the perfect subtrees this leaf completed, by level 1..t (t = number of trailing 1-bits of the old size, i.e.
 * the leaf with index i completes the subtree at level L covering [i+1-2^L, i+1) for each L>=1 with
 * (i+1) % 2^L === 0).
 */
export function appendLeaf(
  hasher: TreeHasher,
  frontier: readonly Buffer[],
  size: number,
  leafHash: Buffer,
): { frontier: Buffer[]; completed: Buffer[] } {
  checkFrontier(frontier, size);
  const next = frontier.slice();
  const completed: Buffer[] = [];
  let carry = leafHash;
  // Like binary increment: each trailing 1-bit of the old size is a sibling subtree the new leaf completes.
  for (let rest = size; rest % 2 === 1; rest = Math.floor(rest / 2)) {
    const left = next.pop();
    if (left === undefined) throw new Error('内部错误：边界节点不足');
    carry = hasher.node(left, carry);
    completed.push(carry);
  }
  next.push(carry);
  return { frontier: next, completed };
}

/** The root of a tree from its frontier; equals MTH of its leaves. */
export function rootFromFrontier(hasher: TreeHasher, frontier: readonly Buffer[], size: number): Buffer {
  checkFrontier(frontier, size);
  return foldRight(hasher, frontier);
}

/**
 * Perfect aligned subtrees whose concatenation is [start, end), left to right. When start is a multiple of
 * the largest power of two needed (as for every range an RFC 6962 proof asks for) they come largest first.
 */
export function perfectSubtrees(start: number, end: number): NodeId[] {
  if (!isCount(start) || !isCount(end) || start > end) {
    throw invalid('MERKLE_RANGE_INVALID', `叶子范围无效：[${start}, ${end})`);
  }
  const nodes: NodeId[] = [];
  let position = start;
  while (position < end) {
    let width = 1;
    let level = 0;
    while (position % (width * 2) === 0 && position + width * 2 <= end) {
      width *= 2;
      level += 1;
    }
    nodes.push({ level, index: position / width });
    position += width;
  }
  return nodes;
}

type Range = readonly [start: number, end: number];

/** The subtrees PATH(index, D[0:size]) hashes, leaf side first (RFC 9162 §2.1.3.1, unrolled). */
function inclusionRanges(index: number, size: number): Range[] {
  const topDown: Range[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const middle = start + splitPoint(end - start);
    if (index < middle) {
      topDown.push([middle, end]);
      end = middle;
    } else {
      topDown.push([start, middle]);
      start = middle;
    }
  }
  return topDown.reverse();
}

/** The subtrees PROOF(oldSize, D[0:newSize]) hashes, in proof order (RFC 9162 §2.1.4.1, unrolled). */
function consistencyRanges(oldSize: number, newSize: number): Range[] {
  const topDown: Range[] = [];
  let start = 0;
  let end = newSize;
  // SUBPROOF's flag b: true while the old tree is still a prefix of the left spine, whose root the verifier has.
  let onLeftSpine = true;
  while (oldSize !== end) {
    const middle = start + splitPoint(end - start);
    if (oldSize <= middle) {
      topDown.push([middle, end]);
      end = middle;
    } else {
      topDown.push([start, middle]);
      start = middle;
      onLeftSpine = false;
    }
  }
  if (!onLeftSpine) topDown.push([start, end]);
  return topDown.reverse();
}

/** Hashes each range from stored nodes, with a single call to fetch for all of them. */
async function hashRanges(
  hasher: TreeHasher,
  ranges: readonly Range[],
  fetch: NodeFetcher,
): Promise<Buffer[]> {
  const pieces = ranges.map(([start, end]) => perfectSubtrees(start, end));
  const wanted = new Map<string, NodeId>();
  for (const nodes of pieces) for (const node of nodes) wanted.set(nodeKey(node), node);
  if (wanted.size === 0) return ranges.map(() => hasher.emptyRoot());
  const found = await fetch([...wanted.values()]);
  const hashOf = (node: NodeId): Buffer => {
    const hash = found.get(nodeKey(node));
    if (hash === undefined || hash.length !== HASH_SIZE) {
      throw new Error(`内部错误：Merkle 节点 ${nodeKey(node)} 缺失或长度不对`);
    }
    return hash;
  };
  return pieces.map((nodes) => foldRight(hasher, nodes.map(hashOf)));
}

/**
 * RFC 9162 §2.1.3.1 inclusion proof PATH(m, D[n]) for leaf `index` in a tree of `size`, built with one call
 * to fetch (none when the proof is empty, i.e. size 1).
 */
export async function inclusionProof(
  hasher: TreeHasher,
  index: number,
  size: number,
  fetch: NodeFetcher,
): Promise<Buffer[]> {
  checkSize(size);
  if (!isCount(index) || index >= size) {
    throw invalid('MERKLE_RANGE_INVALID', `叶子序号 ${index} 不在大小为 ${size} 的树内`);
  }
  return hashRanges(hasher, inclusionRanges(index, size), fetch);
}

/**
 * RFC 9162 §2.1.4.1 consistency proof PROOF(m, D[n]) between sizes m <= n, one call to fetch. Empty when
 * m === n or m === 0 (every tree is consistent with the empty one), without calling fetch.
 */
export async function consistencyProof(
  hasher: TreeHasher,
  oldSize: number,
  newSize: number,
  fetch: NodeFetcher,
): Promise<Buffer[]> {
  checkSize(oldSize);
  checkSize(newSize);
  if (oldSize > newSize) {
    throw invalid('MERKLE_RANGE_INVALID', `旧树大小 ${oldSize} 大于新树大小 ${newSize}，无法证明一致性`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  return hashRanges(hasher, consistencyRanges(oldSize, newSize), fetch);
}

/** Root at `size` from stored nodes, one call to fetch (none for the empty tree). */
export async function rootAt(hasher: TreeHasher, size: number, fetch: NodeFetcher): Promise<Buffer> {
  checkSize(size);
  if (size === 0) return hasher.emptyRoot();
  const [root] = await hashRanges(hasher, [[0, size]], fetch);
  if (root === undefined) throw new Error('内部错误：未能计算根哈希');
  return root;
}

const isHash = (value: unknown): value is Buffer => Buffer.isBuffer(value) && value.length === HASH_SIZE;

/** RFC 9162 §2.1.3.2 verification. Returns true/false, never throws on bad input. */
export function verifyInclusion(
  hasher: TreeHasher,
  index: number,
  size: number,
  leafHash: Buffer,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  if (!isCount(index) || !isCount(size) || index >= size) return false;
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hasher.node(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = hasher.node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/**
 * RFC 9162 §2.1.4.2 verification. Equal sizes need equal roots and an empty proof; an old size of 0 needs
 * the empty-tree root and an empty proof. Returns true/false, never throws on bad input.
 */
export function verifyConsistency(
  hasher: TreeHasher,
  oldSize: number,
  newSize: number,
  oldRoot: Buffer,
  newRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (!isCount(oldSize) || !isCount(newSize) || oldSize > newSize) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash)) return false;
  if (oldSize === 0) return proof.length === 0 && oldRoot.equals(hasher.emptyRoot());
  if (oldSize === newSize) return proof.length === 0 && oldRoot.equals(newRoot);
  if (proof.length === 0) return false;

  // When the old tree is a perfect subtree its root is the starting point the proof leaves out.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = at(path, 0);
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hasher.node(c, fr);
      sr = hasher.node(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = hasher.node(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}

function isPowerOfTwo(n: number): boolean {
  let rest = n;
  while (rest > 1 && rest % 2 === 0) rest /= 2;
  return rest === 1;
}
