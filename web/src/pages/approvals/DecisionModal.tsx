import { Alert, App, Descriptions, Form, Input, InputNumber, Modal } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { showFieldErrors } from '../../app/hooks';
import { type AccessRequest, durationText, formatTime, ItemCodes } from './requestView';

// The 安全保密员's three decisions, each confirmed in a dialog: 批准 (for the time asked or less),
// 驳回 and 收回 (each with a reason the requester and the audit trail will see).

export type Decision = 'approve' | 'reject' | 'revoke';

interface Values {
  duration?: number;
  note?: string;
}

const TITLES: Record<Decision, string> = {
  approve: '批准查阅申请',
  reject: '驳回查阅申请',
  revoke: '收回查阅授权',
};
const OK_TEXT: Record<Decision, string> = { approve: '确认批准', reject: '确认驳回', revoke: '确认收回' };
const NOTE_LABEL: Record<Decision, string> = { approve: '审批意见', reject: '驳回理由', revoke: '收回理由' };

export function DecisionModal({
  request,
  decision,
  onClose,
  onDone,
}: {
  request: AccessRequest;
  decision: Decision;
  onClose: () => void;
  onDone: () => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  // Requests made in the console ask whole days; one made by another system may ask hours.
  const inDays = request.hours % 24 === 0;
  const maxDuration = inDays ? request.hours / 24 : request.hours;

  const submit = async () => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    const note = values.note?.trim() || undefined;
    const path = { params: { path: { id: request.id } } };
    setSaving(true);
    try {
      if (decision === 'approve') {
        const hours = values.duration ? (inDays ? values.duration * 24 : values.duration) : undefined;
        await unwrap(api.POST('/api/v1/access-requests/{id}/approve', { ...path, body: { hours, note } }));
        message.success(`已批准查阅申请 ${request.id}`);
      } else if (decision === 'reject') {
        await unwrap(api.POST('/api/v1/access-requests/{id}/reject', { ...path, body: { note } }));
        message.success(`已驳回查阅申请 ${request.id}`);
      } else {
        await unwrap(api.POST('/api/v1/access-requests/{id}/revoke', { ...path, body: { note } }));
        message.success(`已收回查阅申请 ${request.id} 的授权`);
      }
      onDone();
      onClose();
    } catch (error) {
      message.error(showFieldErrors(form, error, { hours: 'duration' }));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      title={TITLES[decision]}
      open
      okText={OK_TEXT[decision]}
      okButtonProps={{ danger: decision !== 'approve' }}
      cancelText="取消"
      confirmLoading={saving}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Descriptions column={1} size="small" bordered style={{ marginBottom: 16 }}>
        <Descriptions.Item label="申请编号">{request.id}</Descriptions.Item>
        <Descriptions.Item label="申请人">
          {request.requesterName}（{request.requester}）
        </Descriptions.Item>
        <Descriptions.Item label="档号">
          <ItemCodes request={request} linked={false} />
        </Descriptions.Item>
        <Descriptions.Item label="查阅目的">{request.purpose}</Descriptions.Item>
        <Descriptions.Item label="申请期限">{durationText(request.hours)}</Descriptions.Item>
        {decision === 'revoke' && (
          <Descriptions.Item label="授权有效期至">{formatTime(request.expiresAt)}</Descriptions.Item>
        )}
      </Descriptions>
      {decision === 'revoke' && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title="收回后申请人立即不能再查阅这些档案"
        />
      )}
      <Form
        form={form}
        layout="vertical"
        initialValues={{ duration: maxDuration }}
        preserve={false}
        name={`decision-${decision}`}
      >
        {decision === 'approve' && (
          <Form.Item
            name="duration"
            label={inDays ? '批准天数' : '批准小时数'}
            extra={`授权自批准时起算，可缩短但不能超过申请的 ${durationText(request.hours)}`}
            rules={[
              { required: true, message: '请填写批准的期限' },
              {
                type: 'number',
                min: 1,
                max: maxDuration,
                message: `期限应在 1–${maxDuration} ${inDays ? '天' : '小时'}之间`,
              },
            ]}
          >
            <InputNumber min={1} max={maxDuration} precision={0} suffix={inDays ? '天' : '小时'} />
          </Form.Item>
        )}
        <Form.Item
          name="note"
          label={NOTE_LABEL[decision]}
          rules={[
            ...(decision === 'approve'
              ? []
              : [{ required: true, whitespace: true, message: `请填写${NOTE_LABEL[decision]}` }]),
            { max: 200, message: `${NOTE_LABEL[decision]}最多200个字` },
          ]}
        >
          <Input.TextArea
            rows={3}
            placeholder={decision === 'approve' ? '可不填' : '申请人与审计员都将看到'}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
