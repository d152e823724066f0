import {
  Alert,
  Button,
  Card,
  Descriptions,
  Input,
  Modal,
  Progress,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { type ApiError, download } from '../../api/client';
import { useAuth } from '../../app/auth';
import { useRequest } from '../../app/hooks';
import { FIELD_LABELS } from '../../app/labels';
import { itemPath } from '../../app/paths';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';
import { roundPath } from './appraisalView';
import { type Refusal, type Register, type RegisterRow, registerPaths } from './destructionView';
import { getJson, postJson } from './dispositionApi';
import { PaperModal } from './PaperModal';
import { registerColour } from './RegistersPage';
import { SignatureBlock } from './SignatureBlock';

// 销毁清册: the cover (全宗, count, round, the dated signatures of the appraisal lead, the approver and
// two 监销人) and the rows. Each signature is the signer's own signed-in action. Once approved and
// witnessed it is carried out by a job (progress shown while it runs; it waits for a replica that is
// offline); paper rows are confirmed with the method, place, time and 监销人. The register's XLSX
// and printable PDF are downloaded here.

const PAPER_CARRIERS = new Set(['paper', 'hybrid']);

export default function RegisterPage() {
  const { code = '' } = useParams();
  const { user, can } = useAuth();
  const register = useRequest(() => getJson<Register>(registerPaths.one(code)), [code]);
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [paperRow, setPaperRow] = useState<RegisterRow>();
  const [withdrawing, setWithdrawing] = useState(false);
  const [withdrawReason, setWithdrawReason] = useState('');
  const data = register.data;
  const carrying = data?.state === 'carrying';
  const filedCode = typeof data?.filed === 'string' ? data.filed : (data?.filed?.archiveCode ?? null);
  // The items a drawing refused, handed over by the round page that drew it.
  const refused = (useLocation().state as { refused?: Refusal[] } | null)?.refused ?? [];

  // While the job runs the page follows it.
  useEffect(() => {
    if (!carrying) return;
    const timer = setInterval(register.reload, 2000);
    return () => clearInterval(timer);
  }, [carrying, register.reload]);

  const run = async (work: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      setDone(message);
      register.reload();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  // A paper original is destroyed by hand once the register is being carried out; the archivist
  // confirms it here (the job then reduces the item to its tombstone).
  const paperAwaited = (row: RegisterRow) =>
    (data?.state === 'carrying' || data?.state === 'carried') &&
    PAPER_CARRIERS.has(row.carrier) &&
    (row.state === 'pending' || row.state === 'paper_pending');
  const signed = (role: string) => data?.signatures.filter((entry) => entry.role === role) ?? [];
  const mine = data?.signatures.some((entry) => entry.user === user?.username) ?? false;
  const open = data?.state === 'drawn' || data?.state === 'approved';

  const columns: ColumnsType<RegisterRow> = [
    { title: '序号', dataIndex: 'seq', width: 60 },
    {
      title: '档号',
      dataIndex: 'archiveCode',
      width: 230,
      render: (archiveCode: string) => <Link to={itemPath(archiveCode)}>{archiveCode}</Link>,
    },
    { title: FIELD_LABELS.title, dataIndex: 'title', ellipsis: true },
    { title: '年度', dataIndex: 'year', width: 70 },
    {
      title: '保管期限',
      key: 'retention',
      width: 130,
      render: (_, row) => (
        <>
          <div>{row.retentionLabel}</div>
          <Typography.Text type="secondary">
            应保管 {row.keepYears ?? '—'} 年 · 已保管 {row.keptYears} 年
          </Typography.Text>
        </>
      ),
    },
    { title: '页数/文件数', key: 'size', width: 100, render: (_, row) => `${row.pages}/${row.files}` },
    { title: '销毁原因', dataIndex: 'reason', ellipsis: true },
    { title: '备注', dataIndex: 'note', width: 100, render: (note: string | null) => note ?? '' },
    {
      title: '状态',
      key: 'state',
      width: 150,
      render: (_, row) => (
        <>
          <Tag color={row.state === 'destroyed' || row.state === 'paper_confirmed' ? 'green' : 'default'}>
            {row.stateLabel}
          </Tag>
          {row.refusal ? (
            <div>
              <Typography.Text type="danger">{row.refusal}</Typography.Text>
            </div>
          ) : null}
          {row.paper ? (
            <div>
              <Typography.Text type="secondary">
                {row.paper.method} · {row.paper.place} · {beijingText(row.paper.at, 'minute')}
              </Typography.Text>
            </div>
          ) : paperAwaited(row) && can('destruction.carry') ? (
            <Button size="small" onClick={() => setPaperRow(row)}>
              确认纸质销毁
            </Button>
          ) : null}
        </>
      ),
    },
  ];

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          销毁清册 {code}
        </Typography.Title>
      }
      extra={
        data ? (
          <Space wrap>
            <Button
              onClick={() =>
                run(
                  () => download(registerPaths.file(code, 'xlsx'), `销毁清册-${code}.xlsx`),
                  '已下载清册 XLSX',
                )
              }
            >
              下载 XLSX
            </Button>
            <Button
              onClick={() =>
                run(() => download(registerPaths.file(code, 'pdf'), `销毁清册-${code}.pdf`), '已下载清册 PDF')
              }
            >
              下载 PDF
            </Button>
          </Space>
        ) : null
      }
    >
      {done && <Alert type="success" showIcon style={{ marginBottom: 16 }} message={done} />}
      {error && <Alert type="error" showIcon style={{ marginBottom: 16 }} message={error.message} />}
      <ErrorNotice error={register.error} retry={register.reload} />
      {data && (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 16 }}>
            <Descriptions.Item label="全宗号">{data.fonds}</Descriptions.Item>
            <Descriptions.Item label="鉴定批次">
              <Link to={roundPath(data.round)}>{data.round}</Link>
            </Descriptions.Item>
            <Descriptions.Item label="数量">{data.count} 件</Descriptions.Item>
            <Descriptions.Item label="状态">
              <Tag color={registerColour(data.state)}>{data.stateLabel}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label="编制">
              {beijingText(data.drawnAt, 'minute')} {data.drawnBy}
            </Descriptions.Item>
            {filedCode ? (
              <Descriptions.Item label="清册档号">
                <Link to={itemPath(filedCode)}>{filedCode}</Link>
              </Descriptions.Item>
            ) : null}
          </Descriptions>
          <SignatureBlock signatures={data.signatures} />
          {data.progress && data.state !== 'drawn' && data.state !== 'approved' ? (
            <div style={{ margin: '16px 0' }} data-testid="carry-progress">
              <Typography.Text>
                已销毁 {data.progress.destroyed}/{data.progress.total} 件
                {data.progress.waitingReplicas ? `，${data.progress.waitingReplicas} 件等待副本确认删除` : ''}
                {data.progress.paperPending ? `，${data.progress.paperPending} 件待确认纸质销毁` : ''}
              </Typography.Text>
              <Progress
                percent={Math.floor((100 * data.progress.destroyed) / Math.max(1, data.progress.total))}
              />
            </div>
          ) : null}
          <Space wrap style={{ margin: '16px 0' }}>
            {data.state === 'drawn' && can('appraisal.work') && signed('lead').length === 0 && (
              <Button
                loading={busy}
                onClick={() => run(() => postJson(registerPaths.sign(code), { role: 'lead' }), '组长已签字')}
              >
                组长签字
              </Button>
            )}
            {data.state === 'drawn' && can('destruction.approve') && (
              <Button
                type="primary"
                loading={busy}
                onClick={() => run(() => postJson(registerPaths.approve(code)), '清册已批准')}
              >
                批准销毁
              </Button>
            )}
            {open && can('destruction.witness') && signed('witness').length < 2 && !mine && (
              <Button
                loading={busy}
                onClick={() =>
                  run(() => postJson(registerPaths.sign(code), { role: 'witness' }), '监销人已签字')
                }
              >
                监销签字
              </Button>
            )}
            {open && (can('appraisal.work') || can('destruction.approve')) && (
              <Button
                onClick={() => {
                  setWithdrawReason('');
                  setWithdrawing(true);
                }}
              >
                撤销清册
              </Button>
            )}
            {data.state === 'approved' && can('destruction.carry') && (
              <Button
                type="primary"
                danger
                loading={busy}
                onClick={() => run(() => postJson(registerPaths.carry(code)), '已开始执行销毁')}
              >
                执行销毁
              </Button>
            )}
          </Space>
          {refused.length ? (
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 16 }}
              message={`${refused.length} 件未列入清册`}
              description={refused.map((entry) => `${entry.archiveCode}：${entry.message}`).join('；')}
            />
          ) : null}
          {data.olderBackups.length ? (
            <Alert
              data-testid="register-older-backups"
              type="warning"
              showIcon
              style={{ marginBottom: 16 }}
              message={`须同时销毁或到期的备份 ${data.olderBackups.length} 份：执行销毁完成前所做的备份仍含所销毁档案及其密钥`}
              description={data.olderBackups
                .map((backup) => `${backup.dir}（${beijingText(backup.at, 'minute')}）`)
                .join('；')}
            />
          ) : null}
        </>
      )}
      <Table
        data-testid="register-rows-table"
        rowKey="seq"
        size="middle"
        loading={register.loading && !data}
        columns={columns}
        dataSource={data?.rows ?? []}
        locale={{ emptyText: '清册没有条目' }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
      />
      <Modal
        open={withdrawing}
        title={`撤销销毁清册 ${code}`}
        okText="撤销清册"
        okButtonProps={{ danger: true, disabled: withdrawReason.trim() === '' }}
        cancelText="取消"
        confirmLoading={busy}
        onOk={() =>
          run(async () => {
            await postJson(registerPaths.withdraw(code), { reason: withdrawReason });
            setWithdrawing(false);
          }, '清册已撤销，所列档案可重新编制')
        }
        onCancel={() => setWithdrawing(false)}
      >
        <Input.TextArea
          aria-label="撤销理由"
          rows={3}
          maxLength={500}
          value={withdrawReason}
          onChange={(event) => setWithdrawReason(event.target.value)}
          placeholder="撤销理由（必填）"
        />
      </Modal>
      <PaperModal
        register={code}
        row={paperRow}
        witnesses={
          data?.signatures.filter((entry) => entry.role === 'witness').map((entry) => entry.user) ?? []
        }
        onClose={() => setPaperRow(undefined)}
        onDone={(message) => {
          setPaperRow(undefined);
          setDone(message);
          register.reload();
        }}
      />
    </Card>
  );
}
