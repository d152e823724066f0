import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Form, Input, Modal, Select, Space, TreeSelect, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { showFieldErrors } from '../../app/hooks';
import { IMPORT_FIELDS } from '../../app/labels';
import { categoryTree, useCategories, useFonds } from './catalog';

// 新建列映射: which column of a source's ledger fills which field, and fixed values (全宗号, 类别) for
// what its files lack, saved under the source's name (PUT /import-mappings/{name}) for later imports.

/** Item fields a column may fill (the server's FIELD_HEADERS), with their Chinese names. */
export { IMPORT_FIELDS };

interface MappingValues {
  name: string;
  fonds?: string;
  category?: string;
  org?: string;
  columns?: Array<{ header?: string; field?: string }>;
}

export function MappingModal({
  open,
  onClose,
  onSaved,
}: {
  open: boolean;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<MappingValues>();
  const fonds = useFonds();
  const categories = useCategories();
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<string>();
  const tree = useMemo(() => categoryTree(categories.data ?? [], 'filing'), [categories.data]);
  const fieldOptions = useMemo(() => {
    const extra = new Map<string, string>();
    for (const category of categories.data ?? [])
      for (const field of category.extraFields) if (!extra.has(field.key)) extra.set(field.key, field.label);
    return [
      ...Object.entries(IMPORT_FIELDS).map(([value, label]) => ({ value, label: `${label}（${value}）` })),
      ...[...extra].map(([key, label]) => ({ value: `extra.${key}`, label: `${label}（extra.${key}）` })),
    ];
  }, [categories.data]);

  const save = async (values: MappingValues) => {
    const name = values.name.trim();
    const defaults: Record<string, string> = {};
    if (values.fonds) defaults.fonds = values.fonds;
    if (values.category) defaults.category = values.category;
    if (values.org?.trim()) defaults.org = values.org.trim().toUpperCase();
    const columns: Record<string, string> = {};
    for (const row of values.columns ?? [])
      if (row.header?.trim() && row.field) columns[row.header.trim()] = row.field;
    setSaving(true);
    setProblem(undefined);
    try {
      await unwrap(
        api.PUT('/api/v1/import-mappings/{name}', {
          params: { path: { name } },
          body: { columns, defaults },
        }),
      );
      message.success(`已保存列映射“${name}”`);
      form.resetFields();
      onSaved(name);
    } catch (reason) {
      setProblem(showFieldErrors(form, reason));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title="新建列映射"
      okText="保存"
      width={720}
      confirmLoading={saving}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">
        表头为字段中文名（题名、日期、身份证号……）或 extra.字段
        的列无需映射；这里登记其他表头对应的字段，以及文件中没有的固定值。同名映射将被覆盖。
      </Typography.Paragraph>
      <Form<MappingValues> form={form} layout="vertical" onFinish={save}>
        <Form.Item
          name="name"
          label="映射名称"
          extra="如来源部门：扶贫办、结算系统"
          rules={[
            { required: true, whitespace: true, message: '请填写映射名称' },
            { max: 50, message: '最多50个字符' },
          ]}
        >
          <Input maxLength={50} />
        </Form.Item>
        <Space wrap style={{ width: '100%' }} align="start">
          <Form.Item name="fonds" label="固定全宗号" style={{ minWidth: 220 }}>
            <Select
              allowClear
              placeholder="由文件提供"
              options={(fonds.data ?? []).map((row) => ({
                value: row.code,
                label: `${row.code} ${row.name}`,
              }))}
            />
          </Form.Item>
          <Form.Item name="category" label="固定类别" style={{ minWidth: 260 }}>
            <TreeSelect
              allowClear
              showSearch={{ treeNodeFilterProp: 'title' }}
              treeData={tree}
              placeholder="由文件提供"
            />
          </Form.Item>
          <Form.Item
            name="org"
            label="固定机构/问题"
            rules={[{ pattern: /^[A-Za-z0-9]{1,16}$/, message: '应为1–16位字母或数字' }]}
          >
            <Input maxLength={16} placeholder="由文件提供" />
          </Form.Item>
        </Space>
        <Typography.Text strong>列对应</Typography.Text>
        <Form.List name="columns">
          {(rows, { add, remove }) => (
            <>
              {rows.map((row) => (
                <Space key={row.key} align="baseline" style={{ display: 'flex' }}>
                  <Form.Item
                    name={[row.name, 'header']}
                    label="文件中的列名"
                    rules={[{ required: true, message: '请填写列名' }]}
                  >
                    <Input placeholder="如：标题" />
                  </Form.Item>
                  <Form.Item
                    name={[row.name, 'field']}
                    label="对应字段"
                    rules={[{ required: true, message: '请选择字段' }]}
                  >
                    <Select
                      style={{ width: 280 }}
                      showSearch={{ optionFilterProp: 'label' }}
                      options={fieldOptions}
                    />
                  </Form.Item>
                  <Button
                    type="text"
                    icon={<MinusCircleOutlined />}
                    aria-label="删除此列对应"
                    onClick={() => remove(row.name)}
                  />
                </Space>
              ))}
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add()}>
                添加列对应
              </Button>
            </>
          )}
        </Form.List>
        {problem && <Alert type="error" showIcon title={problem} style={{ marginTop: 12 }} />}
      </Form>
    </Modal>
  );
}
