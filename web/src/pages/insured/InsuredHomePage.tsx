import { Alert, App, Button, Card, Empty, Form, Input, List, Modal, Spin, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { asApiError, useRequest } from '../../app/hooks';
import { beijingText } from '../../app/time';
import { ErrorNotice } from '../../components/ErrorNotice';

// 我的档案: the person's own archives (masked), their enrollment and contributions where the roster
// holds them, and a certified copy (复制件) asked for from any archive with an electronic file.

type Archive = ResponseOf<'/api/v1/insured/archives', 'get'>['items'][number];
type Copy = ResponseOf<'/api/v1/insured/copies', 'post', 201>;

const SCHEMES: Record<string, string> = { employee: '职工医保', resident: '城乡居民医保' };

function RequestCopy({ archive, onDone }: { archive: Archive; onDone: (copy: Copy) => void }) {
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ purpose: string }>();
  const submit = async ({ purpose }: { purpose: string }) => {
    setBusy(true);
    try {
      const copy = await unwrap(
        api.POST('/api/v1/insured/copies', { body: { archiveCode: archive.archiveCode, purpose } }),
      );
      setOpen(false);
      form.resetFields();
      onDone(copy);
    } catch (error) {
      message.error(asApiError(error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size="small" onClick={() => setOpen(true)}>
        申请复制件
      </Button>
      <Modal
        title="申请复制件"
        open={open}
        onCancel={() => setOpen(false)}
        onOk={() => form.submit()}
        okText="申请"
        cancelText="取消"
        confirmLoading={busy}
        width={360}
      >
        <Typography.Paragraph type="secondary">
          档号 {archive.archiveCode}。复制件加盖水印与核验码，任何人可在核验页凭核验码查验真伪。
        </Typography.Paragraph>
        <Form form={form} layout="vertical" onFinish={submit}>
          <Form.Item
            name="purpose"
            label="用途"
            rules={[{ required: true, min: 2, message: '请写明用途（至少2个字）' }]}
          >
            <Input maxLength={100} placeholder="如：办理退休" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

export default function InsuredHomePage() {
  const archives = useRequest(
    () => unwrap(api.GET('/api/v1/insured/archives', { params: { query: { limit: 50 } } })),
    [],
  );
  const records = useRequest(() => unwrap(api.GET('/api/v1/insured/records')), []);
  const [issued, setIssued] = useState<Copy>();
  return (
    <>
      {issued && (
        <Alert
          type="success"
          showIcon
          closable
          onClose={() => setIssued(undefined)}
          style={{ marginBottom: 12 }}
          title={`复制件 ${issued.copyNo} 已出具`}
          description={
            <span>
              核验码{' '}
              <Typography.Text copyable strong>
                {issued.code}
              </Typography.Text>
              ，可在“复制件”中下载。
            </span>
          }
        />
      )}
      <ErrorNotice error={archives.error} retry={archives.reload} />
      <Card size="small" title="我的档案" style={{ marginBottom: 12 }}>
        {archives.loading ? (
          <Spin />
        ) : (
          <List
            dataSource={archives.data?.items ?? []}
            locale={{ emptyText: <Empty description="没有登记在您名下的档案" /> }}
            renderItem={(archive) => (
              <List.Item
                data-testid="insured-archive"
                actions={[<RequestCopy key="copy" archive={archive} onDone={setIssued} />]}
              >
                <List.Item.Meta
                  title={archive.title}
                  description={
                    <span style={{ wordBreak: 'break-all' }}>
                      {archive.archiveCode} · {archive.categoryName} · {archive.date}
                      {archive.sensitivity !== 'normal' && <Tag style={{ marginLeft: 6 }}>敏感</Tag>}
                    </span>
                  }
                />
              </List.Item>
            )}
          />
        )}
        {(archives.data?.destroyed.length ?? 0) > 0 && (
          <List
            size="small"
            header="保管期满后已依法销毁的档案（仅保留目录信息）"
            dataSource={archives.data?.destroyed ?? []}
            renderItem={(archive) => (
              <List.Item data-testid="insured-archive-destroyed">
                <List.Item.Meta
                  title={
                    <span>
                      {archive.title}
                      <Tag style={{ marginLeft: 6 }}>{archive.stateLabel}</Tag>
                    </span>
                  }
                  description={
                    <span style={{ wordBreak: 'break-all' }}>
                      {archive.archiveCode} · {archive.categoryName} · 于{' '}
                      {beijingText(archive.destroyedAt, 'day')} 按销毁清册 {archive.register} 销毁
                    </span>
                  }
                />
              </List.Item>
            )}
          />
        )}
      </Card>
      <ErrorNotice error={records.error} retry={records.reload} />
      <Card size="small" title="参保与缴费">
        {records.loading ? (
          <Spin />
        ) : (records.data?.enrollments.length ?? 0) + (records.data?.contributions.length ?? 0) === 0 ? (
          <Typography.Text type="secondary">名册中暂无您的参保与缴费记录。</Typography.Text>
        ) : (
          <>
            <List
              size="small"
              header="参保登记"
              dataSource={records.data?.enrollments ?? []}
              renderItem={(row) => (
                <List.Item>
                  {SCHEMES[row.scheme] ?? row.scheme}
                  {row.employer ? ` · ${row.employer}` : ''} · {row.startedOn} 起
                  {row.endedOn ? `，${row.endedOn} 止` : ''}
                </List.Item>
              )}
            />
            <List
              size="small"
              header="缴费"
              dataSource={records.data?.contributions ?? []}
              renderItem={(row) => (
                <List.Item>
                  {row.periodYear} 年度 · {SCHEMES[row.scheme] ?? row.scheme} · {row.amount} 元（{row.paidOn}
                  ）
                </List.Item>
              )}
            />
          </>
        )}
      </Card>
    </>
  );
}
