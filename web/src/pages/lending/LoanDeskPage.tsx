import { Alert, Button, Card, Form, Input, InputNumber, Modal, Select, Table, Tabs, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import type { ApiError } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { type Loan, loanColumns, loanStep, RETURN_CONDITION_NAMES, useLoans } from './lendingView';

// 出库与归还: the archivist's desk for paper loans. 待出库: approved loans whose paper is handed over
// (the pages may be counted); 在借: loans out, taken back item by item with the page count and the
// condition (damage or missing pages written down). Two archivists confirming one return: the
// server takes the first and tells the second it was already confirmed.

interface ReturnValues {
  item?: string;
  pages?: number;
  condition: string;
  damage?: string;
}

export default function LoanDeskPage() {
  const loans = useLoans('desk');
  const [tab, setTab] = useState<'out' | 'back'>('out');
  const [handing, setHanding] = useState<Loan>();
  const [pages, setPages] = useState<number | null>(null);
  const [returning, setReturning] = useState<Loan>();
  const [form] = Form.useForm<ReturnValues>();
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<Loan>, close: () => void) => {
    setBusy(true);
    setError(undefined);
    try {
      const after = await work();
      setDone(
        `借阅单 ${after.loanNo}：${after.stateName}${after.dueOn ? `，应还日 ${after.dueOn}` : ''}${after.returnedOn ? `，实还日 ${after.returnedOn}` : ''}`,
      );
      close();
      loans.reload();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const all = loans.data?.loans ?? [];
  const toHand = all.filter((loan) => loan.state === 'approved');
  const out = all.filter((loan) => loan.state === 'on_loan');
  const handColumns: ColumnsType<Loan> = [
    ...loanColumns(),
    {
      title: '操作',
      key: 'actions',
      width: 90,
      render: (_, loan) => (
        <Button
          type="primary"
          size="small"
          onClick={() => {
            setPages(null);
            setError(undefined);
            setHanding(loan);
          }}
        >
          出库
        </Button>
      ),
    },
  ];
  const backColumns: ColumnsType<Loan> = [
    ...loanColumns(),
    {
      title: '操作',
      key: 'actions',
      width: 90,
      render: (_, loan) => (
        <Button
          type="primary"
          size="small"
          onClick={() => {
            form.resetFields();
            setError(undefined);
            setReturning(loan);
          }}
        >
          归还
        </Button>
      ),
    },
  ];
  const outstanding = returning?.items.filter((item) => item.handedOverAt && !item.returnedAt) ?? [];

  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          出库与归还
        </Typography.Title>
      }
    >
      {done && <Alert type="success" showIcon style={{ marginBottom: 16 }} message={done} />}
      <ErrorNotice error={loans.error} retry={loans.reload} />
      <Tabs
        activeKey={tab}
        onChange={(key) => setTab(key as 'out' | 'back')}
        items={[
          {
            key: 'out',
            label: `待出库（${toHand.length}）`,
            children: (
              <Table
                rowKey="loanNo"
                size="middle"
                loading={loans.loading}
                columns={handColumns}
                dataSource={toHand}
                locale={{ emptyText: '没有待出库的借阅' }}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
              />
            ),
          },
          {
            key: 'back',
            label: `在借（${out.length}）`,
            children: (
              <Table
                rowKey="loanNo"
                size="middle"
                loading={loans.loading}
                columns={backColumns}
                dataSource={out}
                locale={{ emptyText: '没有在借的纸质档案' }}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
              />
            ),
          },
        ]}
      />
      <Modal
        open={!!handing}
        title={handing ? `出库：借阅单 ${handing.loanNo}` : ''}
        okText="确认出库"
        cancelText="取消"
        confirmLoading={busy}
        onCancel={() => setHanding(undefined)}
        onOk={() =>
          handing &&
          run(
            () =>
              loanStep(
                handing.loanNo,
                'hand-over',
                pages !== null && handing.items.length === 1
                  ? { pages: { [handing.items[0]?.archiveCode ?? '']: pages } }
                  : {},
              ),
            () => setHanding(undefined),
          )
        }
      >
        {error && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={error.message} />}
        <Typography.Paragraph>
          将 {handing?.items.length} 件纸质档案交给借阅人，应还日自今日起算{' '}
          {handing?.daysApproved ?? handing?.daysRequested} 天。
        </Typography.Paragraph>
        {handing?.items.length === 1 && (
          <InputNumber
            aria-label="出库页数"
            min={0}
            max={100000}
            value={pages}
            onChange={setPages}
            placeholder="页数（可不填）"
          />
        )}
      </Modal>
      <Modal
        open={!!returning}
        title={returning ? `归还：借阅单 ${returning.loanNo}` : ''}
        okText="确认归还"
        cancelText="取消"
        confirmLoading={busy}
        onCancel={() => setReturning(undefined)}
        onOk={() => form.submit()}
      >
        {error && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={error.message} />}
        <Form<ReturnValues>
          form={form}
          layout="vertical"
          initialValues={{ condition: 'intact' }}
          onFinish={(values) =>
            returning &&
            run(
              () =>
                loanStep(returning.loanNo, 'return', {
                  ...(values.item ? { items: [values.item] } : {}),
                  ...(values.pages !== undefined && values.pages !== null ? { pages: values.pages } : {}),
                  condition: values.condition,
                  ...(values.damage ? { damage: values.damage } : {}),
                }),
              () => setReturning(undefined),
            )
          }
        >
          {outstanding.length > 1 && (
            <Form.Item name="item" label="档号（不选为全部未还的）">
              <Select
                allowClear
                options={outstanding.map((item) => ({ value: item.archiveCode, label: item.archiveCode }))}
              />
            </Form.Item>
          )}
          <Form.Item
            name="pages"
            label={`归还页数${outstanding[0]?.pagesOut != null ? `（出库 ${outstanding[0]?.pagesOut} 页）` : ''}`}
          >
            <InputNumber aria-label="归还页数" min={0} max={100000} />
          </Form.Item>
          <Form.Item name="condition" label="状况">
            <Select
              aria-label="状况"
              options={Object.entries(RETURN_CONDITION_NAMES).map(([value, label]) => ({ value, label }))}
            />
          </Form.Item>
          <Form.Item name="damage" label="破损或缺页情况">
            <Input.TextArea aria-label="破损或缺页情况" rows={2} maxLength={200} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
