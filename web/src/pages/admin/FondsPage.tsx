import { Button, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useRequest } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { type Fonds, FondsModal, ScanPolicyModal } from './FondsModals';

// 全宗与档号规则: the agency's fonds, each with the 档号 pattern its items are numbered by and the
// scan resolution its digitised pages must reach.

export default function FondsPage() {
  const fonds = useRequest(() => unwrap(api.GET('/api/v1/fonds')), []);
  const [editing, setEditing] = useState<{ fonds?: Fonds }>();
  const [policyOf, setPolicyOf] = useState<Fonds>();

  const columns: ColumnsType<Fonds> = [
    { title: '全宗号', dataIndex: 'code', width: 90 },
    { title: '全宗名称', dataIndex: 'name' },
    { title: '地区代码', dataIndex: 'regionCode', width: 100 },
    {
      title: '档号规则',
      dataIndex: 'archiveCodePattern',
      render: (pattern: string) => <Typography.Text code>{pattern}</Typography.Text>,
    },
    {
      title: '操作',
      key: 'actions',
      width: 180,
      render: (_, row) => (
        <Space size={4}>
          <Button size="small" onClick={() => setEditing({ fonds: row })}>
            修改
          </Button>
          <Button size="small" onClick={() => setPolicyOf(row)}>
            扫描要求
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <Typography.Title level={3}>全宗与档号规则</Typography.Title>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => setEditing({})}>
          新建全宗
        </Button>
        <Typography.Text type="secondary">档号规则只能在全宗尚未归档任何档案时修改。</Typography.Text>
      </Space>
      <ErrorNotice error={fonds.error} retry={fonds.reload} />
      <Table<Fonds>
        rowKey="code"
        size="middle"
        loading={fonds.loading}
        columns={columns}
        dataSource={fonds.data ?? []}
        pagination={false}
      />
      {editing && (
        <FondsModal fonds={editing.fonds} onClose={() => setEditing(undefined)} onDone={fonds.reload} />
      )}
      {policyOf && <ScanPolicyModal fonds={policyOf} onClose={() => setPolicyOf(undefined)} />}
    </>
  );
}
