import type { Db } from '../../db/database.js';
import { type NoteVerifier, openNote, parseCheckpointBody } from './checkpoint-note.js';
import { eventsAfter, listCheckpoints, readLogHead, type StoredEvent } from './event.repo.js';
import { encodeEntry, splitHashes } from './event-log.js';
import { appendLeaf, type LogHashAlgorithm, rootFromFrontier, treeHasher } from './merkle.js';

// Recomputes the event log from its rows: every hash, every chain link, every stored tree node,
// every checkpoint's signature and root. What the events say of other records is handed to
// `onEvent` so the record checks can compare.

export interface Problem {
  /** Stable code: event.altered, event.missing, checkpoint.invalid, item.altered, blob.copy_corrupt, … */
  kind: string;
  /** The record concerned, e.g. 事件 #12, 档案 J013-…, 文件 sha256:… */
  record: string;
  message: string;
}

export class ProblemList {
  readonly items: Problem[] = [];
  total = 0;
  constructor(private readonly limit = 1000) {}
  add(kind: string, record: string, message: string): void {
    this.total += 1;
    if (this.items.length < this.limit) this.items.push({ kind, record, message });
  }
}

export interface ExternalCheckpoint {
  label: string;
  note: string;
}

const BATCH = 10_000;

export async function verifyLog(
  db: Db,
  verifier: Omit<NoteVerifier, 'name'>,
  problems: ProblemList,
  onEvent: (event: StoredEvent) => void,
  external: readonly ExternalCheckpoint[] = [],
  onProgress?: (done: number, total: number) => void,
): Promise<{ events: number; checkpoints: number; algorithm: LogHashAlgorithm }> {
  const head = await readLogHead(db);
  const algorithm = (head?.algorithm ?? 'sha256') as LogHashAlgorithm;
  const hasher = treeHasher(algorithm);
  const origin = head?.origin ?? '';
  const noteVerifier: NoteVerifier = { ...verifier, name: origin };

  // Each signed tree head the log must reproduce, by size.
  const expected = new Map<number, Array<{ label: string; root: Buffer }>>();
  const expect = (size: number, label: string, root: Buffer) =>
    expected.set(size, [...(expected.get(size) ?? []), { label, root }]);
  const stored = await listCheckpoints(db);
  for (const row of stored) {
    const label = `检查点 #${row.id}`;
    try {
      const body = parseCheckpointBody(openNote(row.note, noteVerifier));
      if (body.size !== row.treeSize || !body.rootHash.equals(row.rootHash) || body.origin !== origin) {
        problems.add('checkpoint.altered', label, `${label} 的记录与其签名内容不符`);
      }
      expect(body.size, label, body.rootHash);
    } catch (error) {
      problems.add('checkpoint.invalid', label, `${label} 签名无效或格式错误：${(error as Error).message}`);
    }
  }
  for (const copy of external) {
    try {
      const body = parseCheckpointBody(openNote(copy.note, noteVerifier));
      expect(body.size, copy.label, body.rootHash);
    } catch (error) {
      problems.add('checkpoint.invalid', copy.label, `${copy.label} 无法验证：${(error as Error).message}`);
    }
  }

  let frontier: Buffer[] = [];
  let size = 0;
  let prevHash: Buffer | null = null;
  let afterSeq = -1;
  let treeBroken = false;
  const checkRoot = () => {
    const targets = expected.get(size);
    if (!targets) return;
    const root = rootFromFrontier(hasher, frontier, size);
    for (const target of targets) {
      if (!target.root.equals(root)) {
        problems.add(
          'checkpoint.mismatch',
          target.label,
          `${target.label}（树大小 ${size}）的根哈希与日志重算结果不符：其前的历史被改写`,
        );
      }
    }
  };
  checkRoot();
  for (;;) {
    const batch = await eventsAfter(db, afterSeq, BATCH);
    if (batch.length === 0) break;
    for (const event of batch) {
      // After a gap the tree can no longer be rebuilt and the next event's predecessor is gone: the
      // gap is reported once, and from there on only each event's own hash link is checked.
      const afterGap = event.seq !== size;
      if (afterGap) {
        problems.add(
          'event.missing',
          `事件 #${size}`,
          `事件 #${size}${event.seq - size > 1 ? `–#${event.seq - 1}` : ''} 缺失（被删除）`,
        );
        treeBroken = true;
        size = event.seq;
      }
      const recomputed = hasher.leaf(encodeEntry({ ...event, prevHash }));
      if (!afterGap && !recomputed.equals(event.hash)) {
        problems.add(
          'event.altered',
          `事件 #${event.seq}`,
          `事件 #${event.seq}（${event.action} ${event.subject}）的内容或顺序被改动`,
        );
      }
      if (!treeBroken) {
        const appended = appendLeaf(hasher, frontier, size, event.hash);
        const storedNodes = splitHashes(event.subtrees);
        if (
          storedNodes.length !== appended.completed.length ||
          storedNodes.some((node, index) => !node.equals(appended.completed[index] as Buffer))
        ) {
          problems.add(
            'event.tree_altered',
            `事件 #${event.seq}`,
            `事件 #${event.seq} 处保存的默克尔树节点被改动`,
          );
        }
        frontier = appended.frontier;
      }
      size += 1;
      prevHash = event.hash;
      afterSeq = event.seq;
      if (!treeBroken) checkRoot();
      onEvent(event);
    }
    onProgress?.(size, head?.size ?? size);
  }
  if (head) {
    if (head.size !== size) {
      problems.add(
        'log.head_altered',
        '日志头',
        `日志头记录 ${head.size} 条事件，实际有 ${size} 条（日志被截断或插入）`,
      );
    } else if (
      (size > 0 && !head.lastHash?.equals(prevHash as Buffer)) ||
      (!treeBroken && !Buffer.concat(frontier).equals(head.frontier))
    ) {
      problems.add('log.head_altered', '日志头', '日志头保存的哈希与重算结果不符');
    }
  }
  for (const [treeSize, targets] of expected) {
    if (treeSize > size) {
      for (const target of targets)
        problems.add(
          'log.truncated',
          target.label,
          `${target.label} 证明日志曾有 ${treeSize} 条事件，现在只有 ${size} 条：日志末尾被删除`,
        );
    }
  }
  return { events: size, checkpoints: stored.length, algorithm };
}
