import { App, Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useAuth } from '../../app/auth';
import { asApiError, showFieldErrors, useRequest } from '../../app/hooks';
import { RETENTION_NAMES } from '../../app/labels';
import { ErrorNotice } from '../../components/ErrorNotice';
import { retentionOptions } from './CategoryModals';

// 保管期限表: each category's default period and its basis, and the periods some regions set for
// themselves (地区调整), each with its stated basis. An adjustment applies to items filed afterwards.

type ScheduleRow = ResponseOf<'/api/v1/retention-schedule', 'get'>[number];
type Override = ScheduleRow['overrides'][number];
type Retention = ReturnType<typeof retentionOptions>[number]['value'];

interface OverrideValues {
  regionCode: string;
  retention: Retention;
  reason: string;
}

function OverrideModal({
  row,
  existing,
  onClose,
  onDone,
}: {
  row: ScheduleRow;
  existing?: Override;
  onClose: () => void;
  onDone: () => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<OverrideValues>();
  const [saving, setSaving] = useState(false);

  const submit = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setSaving(true);
    try {
      await unwrap(
        api.PUT('/api/v1/retention-schedule/{category}/{regionCode}', {
          params: { path: { category: row.category, regionCode: values.regionCode.trim() } },
          body: { retention: values.retention, reason: values.reason.trim() },
        }),
      );
      message.success(`已设置 ${row.categoryName} 在 ${values.regionCode} 的保管期限`);
      onDone();
      onClose();
    } catch (error) {
      message.error(showFieldErrors(form, error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={`${existing ? '修改' : '设置'}地区调整：${row.category} ${row.categoryName}`}
      open
      okText="保存"
      cancelText="取消"
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">
        默认保管期限：{row.defaultLabel}（{row.basis}）。调整只影响此后归档的档案。
      </Typography.Paragraph>
      <Form<OverrideValues>
        form={form}
        layout="vertical"
        name="retention-override"
        preserve={false}
        initialValues={{
          regionCode: existing?.regionCode,
          retention: (existing?.retention ?? row.defaultRetention) as Retention,
          reason: existing?.reason,
        }}
      >
        <Form.Item
          name="regionCode"
          label="地区代码"
          extra="6 位行政区划代码（省、市或县），如 320115"
          rules={[
            { required: true, whitespace: true, message: '请填写地区代码' },
            { pattern: /^\d{6}$/, message: '地区代码应为 6 位数字' },
          ]}
        >
          <Input maxLength={6} disabled={Boolean(existing)} />
        </Form.Item>
        <Form.Item name="retention" label="保管期限" rules={[{ required: true, message: '请选择保管期限' }]}>
          <Select options={retentionOptions()} />
        </Form.Item>
        <Form.Item
          name="reason"
          label="调整依据"
          rules={[
            { required: true, whitespace: true, message: '调整保管期限须说明依据' },
            { max: 500, message: '依据最多500个字' },
          ]}
        >
          <Input.TextArea
            rows={3}
            maxLength={500}
            placeholder="如：省医保局关于异地就医备案材料保管期限的通知（2025）"
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function RetentionPage() {
  const { message } = App.useApp();
  const { can } = useAuth();
  const manage = can('catalog.manage');
  const schedule = useRequest(() => unwrap(api.GET('/api/v1/retention-schedule')), []);
  const [editing, setEditing] = useState<{ row: ScheduleRow; existing?: Override }>();

  const remove = async (row: ScheduleRow, override: Override) => {
    try {
      await unwrap(
        api.DELETE('/api/v1/retention-schedule/{category}/{regionCode}', {
          params: { path: { category: row.category, regionCode: override.regionCode } },
        }),
      );
      message.success(`已撤销 ${row.categoryName} 在 ${override.regionName} 的调整，恢复默认期限`);
      schedule.reload();
    } catch (error) {
      message.error(asApiError(error).message);
    }
  };

  const overrideColumns = (row: ScheduleRow): ColumnsType<Override> => [
    {
      title: '地区',
      key: 'region',
      width: 200,
      render: (_, override) => `${override.regionName}（${override.regionCode}）`,
    },
    {
      title: '保管期限',
      dataIndex: 'retention',
      width: 110,
      render: (code: string) => RETENTION_NAMES[code] ?? code,
    },
    { title: '调整依据', dataIndex: 'reason' },
    { title: '设置人', dataIndex: 'setBy', width: 110 },
    ...(manage
      ? [
          {
            title: '操作',
            key: 'actions',
            width: 140,
            render: (_: unknown, override: Override) => (
              <Space size={4}>
                <Button size="small" onClick={() => setEditing({ row, existing: override })}>
                  修改
                </Button>
                <Popconfirm
                  title={`撤销 ${override.regionName} 的调整？`}
                  description={`恢复默认期限 ${row.defaultLabel}`}
                  okText="撤销"
                  cancelText="取消"
                  onConfirm={() => remove(row, override)}
                >
                  <Button size="small" danger>
                    撤销
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]
      : []),
  ];

  const columns: ColumnsType<ScheduleRow> = [
    {
      title: '类别',
      key: 'category',
      width: 220,
      render: (_, row) => (
        <Space size={4}>
          {row.category} {row.categoryName}
          {row.status === 'retired' && <Tag>已停用</Tag>}
        </Space>
      ),
    },
    { title: '默认保管期限', dataIndex: 'defaultLabel', width: 120 },
    { title: '依据', dataIndex: 'basis' },
    {
      title: '地区调整',
      key: 'overrides',
      width: 110,
      render: (_, row) =>
        row.overrides.length > 0 ? <Tag color="orange">{row.overrides.length} 个地区</Tag> : '—',
    },
    ...(manage
      ? [
          {
            title: '操作',
            key: 'actions',
            width: 120,
            render: (_: unknown, row: ScheduleRow) => (
              <Button size="small" onClick={() => setEditing({ row })}>
                设置地区调整
              </Button>
            ),
          },
        ]
      : []),
  ];

  return (
    <>
      <Typography.Title level={3}>保管期限表</Typography.Title>
      <Typography.Paragraph type="secondary">
        各类别的默认保管期限及其依据；个别统筹区可按本地规定单独调整，须写明依据，调整只影响此后归档的档案。
      </Typography.Paragraph>
      <ErrorNotice error={schedule.error} retry={schedule.reload} />
      <Table<ScheduleRow>
        rowKey="category"
        size="middle"
        loading={schedule.loading}
        columns={columns}
        dataSource={schedule.data ?? []}
        pagination={false}
        expandable={{
          rowExpandable: (row) => row.overrides.length > 0,
          expandedRowRender: (row) => (
            <Table<Override>
              rowKey="regionCode"
              size="small"
              columns={overrideColumns(row)}
              dataSource={row.overrides}
              pagination={false}
            />
          ),
        }}
      />
      {editing && (
        <OverrideModal
          row={editing.row}
          existing={editing.existing}
          onClose={() => setEditing(undefined)}
          onDone={schedule.reload}
        />
      )}
    </>
  );
}
