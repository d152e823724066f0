import { CheckCircleFilled, CloseCircleFilled } from '@ant-design/icons';
import { Alert, Button, Descriptions, Modal, Skeleton, Typography } from 'antd';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { saveBlob } from './csv';
import { canVerifyInBrowser, entryLeafHash, parseCheckpoint, rootFromInclusion } from './merkle';

// 包含证明 of one event: the tree it is proved against (a signed checkpoint when one covers the
// event, else the current tree head), the audit path, and — for a SHA-256 log in a secure context
// — the root recomputed here from the event's own content. "已在浏览器中验证" is said only then.

type Proof = ResponseOf<'/api/v1/integrity/events/{seq}/proof', 'get'>;

interface Verdict {
  /** Recomputed here: leaf from the entry, root from leaf and path. */
  checked: boolean;
  leafOk?: boolean;
  rootOk?: boolean;
  computedRoot?: string | null;
  reason?: string;
}

interface Loaded {
  proof: Proof;
  rootHex: string | null;
  rootSource: string;
  verdict: Verdict;
}

async function verify(proof: Proof, rootHex: string | null): Promise<Verdict> {
  if (proof.algorithm !== 'sha256')
    return {
      checked: false,
      reason: `日志使用 ${proof.algorithm.toUpperCase()} 哈希，浏览器无法计算，未在浏览器中验证`,
    };
  if (!canVerifyInBrowser())
    return {
      checked: false,
      reason: '当前页面不是安全连接（https），浏览器不提供哈希计算，未在浏览器中验证',
    };
  if (!rootHex) return { checked: false, reason: '未取得树根哈希，无法验证' };
  const leafOk = (await entryLeafHash(proof.entry)) === proof.leafHash;
  const computedRoot = await rootFromInclusion(proof.entry.seq, proof.treeSize, proof.leafHash, proof.proof);
  return { checked: true, leafOk, rootOk: computedRoot === rootHex, computedRoot };
}

async function loadProof(seq: number): Promise<Loaded> {
  let proof = await unwrap(api.GET('/api/v1/integrity/events/{seq}/proof', { params: { path: { seq } } }));
  let rootHex: string | null = null;
  let rootSource: string;
  const head = proof.checkpoint ? parseCheckpoint(proof.checkpoint) : null;
  if (head && head.size === proof.treeSize) {
    rootHex = head.rootHex;
    rootSource = '签名检查点（签名未在浏览器中核验，可用 yidang proof verify 离线验签）';
  } else {
    // No checkpoint covers the event yet: prove it against the current tree head, at its size.
    const tree = await unwrap(api.GET('/api/v1/integrity/tree'));
    proof = await unwrap(
      api.GET('/api/v1/integrity/events/{seq}/proof', {
        params: { path: { seq }, query: { treeSize: tree.size } },
      }),
    );
    rootHex = tree.rootHash;
    rootSource = '当前树头（尚无覆盖该事件的签名检查点）';
  }
  return { proof, rootHex, rootSource, verdict: await verify(proof, rootHex) };
}

function VerdictNotice({ verdict }: { verdict: Verdict }) {
  if (!verdict.checked) return <Alert type="info" showIcon title="仅显示证明" description={verdict.reason} />;
  if (verdict.leafOk && verdict.rootOk)
    return (
      <Alert
        type="success"
        icon={<CheckCircleFilled />}
        showIcon
        title="已在浏览器中验证"
        description="由事件原文重新计算叶哈希，沿证明路径算出的树根与上述树根一致：该事件在日志中，且内容未被改动。"
      />
    );
  return (
    <Alert
      type="error"
      icon={<CloseCircleFilled />}
      showIcon
      title="验证未通过"
      description={
        !verdict.leafOk
          ? '事件原文重新计算的叶哈希与日志记录不符（事件内容可能被改动）。'
          : `沿证明路径算出的树根（${verdict.computedRoot ?? '路径无效'}）与树根不一致。`
      }
    />
  );
}

const hash = (value: string) => (
  <Typography.Text code copyable style={{ wordBreak: 'break-all', fontSize: 12 }}>
    {value}
  </Typography.Text>
);

export function ProofModal({ seq, onClose }: { seq: number | undefined; onClose: () => void }) {
  return (
    <Modal
      title={seq === undefined ? '' : `事件 #${seq} 的包含证明`}
      open={seq !== undefined}
      onCancel={onClose}
      footer={null}
      width={900}
      destroyOnHidden
    >
      {seq !== undefined && <ProofBody seq={seq} />}
    </Modal>
  );
}

function ProofBody({ seq }: { seq: number }) {
  const loaded = useRequest(() => loadProof(seq), [seq]);
  if (loaded.loading && !loaded.data) return <Skeleton active />;
  if (!loaded.data) return <ErrorNotice error={loaded.error} retry={loaded.reload} />;
  const { proof, rootHex, rootSource, verdict } = loaded.data;
  return (
    <div>
      <VerdictNotice verdict={verdict} />
      <Descriptions
        bordered
        size="small"
        column={1}
        style={{ marginTop: 16 }}
        items={[
          { key: 'origin', label: '日志', children: proof.origin },
          { key: 'algorithm', label: '哈希算法', children: proof.algorithm.toUpperCase() },
          { key: 'size', label: '树大小', children: proof.treeSize },
          { key: 'root', label: '树根哈希', children: rootHex ? hash(rootHex) : '—' },
          { key: 'source', label: '树根来源', children: rootSource },
          {
            key: 'event',
            label: '事件',
            children: `#${proof.entry.seq} ${proof.entry.action} · ${proof.entry.actor} · ${beijingText(proof.entry.recordedAt)}`,
          },
          { key: 'leaf', label: '叶哈希', children: hash(proof.leafHash) },
          {
            key: 'path',
            label: `证明路径（${proof.proof.length} 个哈希）`,
            children:
              proof.proof.length === 0 ? (
                '（空：树中只有这一条事件）'
              ) : (
                <ol style={{ margin: 0, paddingInlineStart: 20 }} aria-label="证明路径">
                  {proof.proof.map((entry, index) => (
                    // The same hash may appear twice on a path; the position is the identity.
                    // biome-ignore lint/suspicious/noArrayIndexKey: position on the path is the key
                    <li key={index}>{hash(entry)}</li>
                  ))}
                </ol>
              ),
          },
        ]}
      />
      <Button
        style={{ marginTop: 16 }}
        onClick={() =>
          saveBlob(
            new Blob([JSON.stringify(proof, null, 2)], { type: 'application/json' }),
            `inclusion-proof-${proof.entry.seq}.json`,
          )
        }
      >
        下载证明文件（JSON）
      </Button>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
        证明文件可用 <Typography.Text code>yidang proof verify</Typography.Text> 配合签名检查点离线验证。
      </Typography.Paragraph>
    </div>
  );
}
