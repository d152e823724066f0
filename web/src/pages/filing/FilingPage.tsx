import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Result,
  Row,
  Select,
  Space,
  Spin,
  TreeSelect,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import type { ResponseOf } from '../../api/types';
import { useAuth } from '../../app/auth';
import { showFieldErrors } from '../../app/hooks';
import { ErrorNotice } from '../../components/ErrorNotice';
import { categoryTree, itemPath, useCategories, useFonds } from './catalog';
import { ItemFormFields } from './ItemFormFields';
import { type FilingValues, issueFields, itemBody } from './itemBody';

// 著录归档: one item typed in by a clerk. The category decides which fields are required and which
// of its own fields appear; the server checks everything again and its issues land beside the fields.

type FiledItem = ResponseOf<'/api/v1/items', 'post', 201>;

const INITIAL: FilingValues = { carrier: 'electronic', securityLevel: 'internal' };

export default function FilingPage() {
  const { message } = App.useApp();
  const { can } = useAuth();
  const navigate = useNavigate();
  const [form] = Form.useForm<FilingValues>();
  const fonds = useFonds();
  const categories = useCategories();
  const [submitting, setSubmitting] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [filed, setFiled] = useState<FiledItem>();
  const fondsCode = Form.useWatch('fonds', form);
  const categoryCode = Form.useWatch('category', form);

  const tree = useMemo(() => categoryTree(categories.data ?? [], 'filing'), [categories.data]);
  const category = categories.data?.find((row) => row.code === categoryCode);
  const chosenFonds = fonds.data?.find((row) => row.code === fondsCode);

  const onFondsChange = (code: string) => {
    // The fonds' own agency is the usual 责任者; the clerk may change it.
    const name = fonds.data?.find((row) => row.code === code)?.name;
    if (name && !form.getFieldValue('responsible')) form.setFieldValue('responsible', name);
  };

  const submit = async (values: FilingValues) => {
    setSubmitting(true);
    setProblem(undefined);
    try {
      const item = await unwrap(api.POST('/api/v1/items', { body: itemBody(values, category) }));
      setFiled(item as FiledItem);
      message.success(`已归档，档号 ${item.archiveCode}`);
    } catch (reason) {
      setProblem(showFieldErrors(form, reason, issueFields(category)));
    } finally {
      setSubmitting(false);
    }
  };

  const fileAnother = () => {
    const keep = { fonds: form.getFieldValue('fonds'), category: form.getFieldValue('category') };
    form.resetFields();
    form.setFieldsValue({ ...keep, responsible: chosenFonds?.name });
    setFiled(undefined);
  };

  if (filed)
    return (
      <Card>
        <Result
          status="success"
          title="归档成功"
          subTitle={
            <Space orientation="vertical">
              <span>
                档号：
                <Typography.Text strong copyable data-testid="filed-code">
                  {filed.archiveCode}
                </Typography.Text>
              </span>
              <span>
                {filed.title}（{filed.categoryName}，保管期限 {filed.retention}）
              </span>
            </Space>
          }
          extra={[
            <Button key="open" type="primary" onClick={() => navigate(itemPath(filed.archiveCode))}>
              查看档案
            </Button>,
            can('file.add') ? (
              <Button
                key="scans"
                onClick={() => navigate(`/filing/scans?item=${encodeURIComponent(filed.archiveCode)}`)}
              >
                上传电子文件与扫描件
              </Button>
            ) : null,
            <Button key="again" onClick={fileAnother}>
              继续著录
            </Button>,
          ]}
        />
      </Card>
    );

  return (
    <>
      <Typography.Title level={3}>著录归档</Typography.Title>
      <ErrorNotice
        error={fonds.error ?? categories.error}
        retry={fonds.error ? fonds.reload : categories.reload}
      />
      <Spin spinning={fonds.loading || categories.loading}>
        <Form<FilingValues>
          form={form}
          layout="vertical"
          initialValues={INITIAL}
          onFinish={submit}
          onFinishFailed={() => setProblem('请按提示修改标红的字段')}
          scrollToFirstError
        >
          <Card title="全宗与类别" size="small" style={{ marginBottom: 16 }}>
            <Row gutter={16}>
              <Col xs={24} md={12}>
                <Form.Item name="fonds" label="全宗" rules={[{ required: true, message: '请选择全宗' }]}>
                  <Select
                    showSearch={{ optionFilterProp: 'label' }}
                    placeholder="请选择全宗"
                    onChange={onFondsChange}
                    options={(fonds.data ?? []).map((row) => ({
                      value: row.code,
                      label: `${row.code} ${row.name}`,
                    }))}
                  />
                </Form.Item>
              </Col>
              <Col xs={24} md={12}>
                <Form.Item
                  name="category"
                  label="类别"
                  rules={[{ required: true, message: '请选择类别' }]}
                  extra={
                    category
                      ? `保管期限默认 ${category.defaultRetention}：${category.retentionBasis}`
                      : undefined
                  }
                >
                  <TreeSelect
                    showSearch={{ treeNodeFilterProp: 'title' }}
                    treeDefaultExpandAll
                    placeholder="请选择具体类别"
                    treeData={tree}
                  />
                </Form.Item>
              </Col>
            </Row>
          </Card>
          {category ? (
            <ItemFormFields category={category} fonds={chosenFonds} />
          ) : (
            <Alert
              type="info"
              showIcon
              style={{ marginBottom: 16 }}
              title="请先选择全宗和类别，再填写著录项"
            />
          )}
          {problem && (
            <Alert type="error" showIcon style={{ marginBottom: 16 }} title="未归档" description={problem} />
          )}
          <Space>
            <Button type="primary" htmlType="submit" loading={submitting} disabled={!category}>
              归档
            </Button>
            <Button onClick={() => form.resetFields()}>清空</Button>
          </Space>
        </Form>
      </Spin>
    </>
  );
}
