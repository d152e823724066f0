import { Alert, App, Button, Form, Input, Modal, Popconfirm, Select, Space } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { asApiError, showFieldErrors, useRequest } from '../../app/hooks';
import { type SavedSearch, type SearchState, savedFilters, stateOfSaved } from './searchState';

// 检索方案: the user's own saved searches (words and filters under a name). Choosing one restores it;
// saving under an existing name replaces that one, as the API does.

const MAX_NAME = 40;

function SaveModal({
  open,
  state,
  names,
  onClose,
  onSaved,
}: {
  open: boolean;
  state: SearchState;
  names: string[];
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<{ name: string }>();
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState<string>();

  const save = async ({ name }: { name: string }) => {
    const trimmed = name.trim();
    setSaving(true);
    setProblem(undefined);
    try {
      await unwrap(
        api.PUT('/api/v1/saved-searches/{name}', {
          params: { path: { name: trimmed } },
          body: { query: state.q.trim(), filters: savedFilters(state) },
        }),
      );
      message.success(names.includes(trimmed) ? `已更新检索方案“${trimmed}”` : `已保存检索方案“${trimmed}”`);
      form.resetFields();
      onSaved(trimmed);
    } catch (reason) {
      setProblem(showFieldErrors(form, reason));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title="保存检索方案"
      okText="保存"
      confirmLoading={saving}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={save}>
        <Form.Item
          name="name"
          label="名称"
          extra="同名方案将被覆盖"
          rules={[
            { required: true, whitespace: true, message: '请填写方案名称' },
            { max: MAX_NAME, message: `名称最多 ${MAX_NAME} 个字符` },
          ]}
        >
          <Input maxLength={MAX_NAME} placeholder="如：江宁区2024年零星报销" />
        </Form.Item>
        {problem && <Alert type="error" showIcon title={problem} />}
      </Form>
    </Modal>
  );
}

export function SavedSearches({
  state,
  onRestore,
}: {
  state: SearchState;
  onRestore: (state: SearchState) => void;
}) {
  const { message } = App.useApp();
  const saved = useRequest(
    () => unwrap(api.GET('/api/v1/saved-searches')).then((answer) => answer.searches),
    [],
  );
  const [chosen, setChosen] = useState<string>();
  const [saving, setSaving] = useState(false);
  const searches: SavedSearch[] = saved.data ?? [];

  const restore = (name: string) => {
    setChosen(name);
    const found = searches.find((search) => search.name === name);
    if (found) onRestore(stateOfSaved(found));
  };

  const remove = async () => {
    if (!chosen) return;
    try {
      await unwrap(api.DELETE('/api/v1/saved-searches/{name}', { params: { path: { name: chosen } } }));
      message.success(`已删除检索方案“${chosen}”`);
      setChosen(undefined);
      saved.reload();
    } catch (reason) {
      message.error(asApiError(reason).message);
    }
  };

  return (
    <Space wrap>
      <Select
        aria-label="检索方案"
        style={{ width: 240 }}
        allowClear
        placeholder={saved.error ? '检索方案加载失败' : '选择检索方案'}
        value={chosen}
        // onSelect fires again for the option already chosen, so a changed search can be restored.
        onSelect={restore}
        onClear={() => setChosen(undefined)}
        loading={saved.loading}
        options={searches.map((search) => ({ value: search.name, label: search.name }))}
        notFoundContent="尚无检索方案"
      />
      <Button onClick={() => setSaving(true)}>保存检索方案</Button>
      <Popconfirm
        title={`删除检索方案“${chosen ?? ''}”？`}
        okText="删除"
        cancelText="取消"
        onConfirm={remove}
        disabled={!chosen}
      >
        <Button danger disabled={!chosen}>
          删除方案
        </Button>
      </Popconfirm>
      <SaveModal
        open={saving}
        state={state}
        names={searches.map((search) => search.name)}
        onClose={() => setSaving(false)}
        onSaved={(name) => {
          setSaving(false);
          setChosen(name);
          saved.reload();
        }}
      />
    </Space>
  );
}
