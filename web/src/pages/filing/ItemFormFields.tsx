import { Card, Col, DatePicker, Form, Input, InputNumber, Row, Select } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import {
  CARRIER_NAMES,
  type Category,
  type Fonds,
  optionsOf,
  RETENTION_NAMES,
  SECURITY_LEVEL_NAMES,
  SENSITIVITY_LEVELS,
} from './catalog';
import { ExtraFields } from './ExtraFields';
import {
  amountRule,
  INSURED_RE,
  idNumberRule,
  maxChars,
  ORG_RE,
  REGION_RE,
  required,
  requiredText,
} from './validators';

// The item's fields below the fonds and category: which are required follows the category
// (requiresPerson, requiresAmount, its own fields) and the fonds' 档号 pattern ({org}).

const notFuture = (current: Dayjs) => current.isAfter(dayjs().endOf('day'));
const col = { xs: 24, md: 12, xl: 8 } as const;

export function ItemFormFields({ category, fonds }: { category?: Category; fonds?: Fonds }) {
  const carrier = Form.useWatch<string | undefined>('carrier');
  const orgRequired = fonds?.archiveCodePattern.includes('{org}') ?? true;
  const person = category?.requiresPerson ?? false;
  const amount = category?.requiresAmount ?? false;
  const thisYear = new Date().getFullYear();
  const categoryNote = category ? `（类别“${category.name}”涉及参保人）` : '';
  const paper = carrier === 'paper' || carrier === 'hybrid';

  return (
    <>
      <Card title="基本信息" size="small" style={{ marginBottom: 16 }}>
        <Row gutter={16}>
          <Col xs={24}>
            <Form.Item
              name="title"
              label="题名"
              rules={[requiredText('题名'), maxChars('题名', 500)]}
              validateFirst
            >
              <Input maxLength={500} placeholder="如：王建国 个人零星医疗费用报销审核表" />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item
              name="responsible"
              label="责任者"
              rules={[requiredText('责任者'), maxChars('责任者', 200)]}
              validateFirst
            >
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item name="date" label="日期" rules={[required('日期')]} extra="文件形成日期，不能晚于今天">
              <DatePicker style={{ width: '100%' }} format="YYYY-MM-DD" disabledDate={notFuture} />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item name="year" label="年度" extra="不填取日期的年份">
              <InputNumber style={{ width: '100%' }} min={1900} max={thisYear + 1} precision={0} />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item
              name="org"
              label="机构/问题"
              normalize={(value: string) => value?.toUpperCase()}
              rules={[
                ...(orgRequired ? [requiredText('机构/问题')] : []),
                { pattern: ORG_RE, message: '机构/问题代码应为1–16位大写字母或数字，如 JSK' },
              ]}
              validateFirst
              extra={orgRequired ? '本全宗的档号含机构/问题代码' : undefined}
            >
              <Input maxLength={16} placeholder="如 JSK" />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item name="retention" label="保管期限">
              <Select
                allowClear
                options={optionsOf(RETENTION_NAMES)}
                placeholder={
                  category
                    ? `按保管期限表（类别默认：${RETENTION_NAMES[category.defaultRetention] ?? category.defaultRetention}）`
                    : '按保管期限表'
                }
              />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item name="docNumber" label="文件编号" rules={[maxChars('文件编号', 100)]}>
              <Input maxLength={100} />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item name="securityLevel" label="密级">
              <Select options={optionsOf(SECURITY_LEVEL_NAMES)} />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item name="sensitivity" label="敏感级别" extra="含敏感诊断的档案自动列为敏感">
              <Select
                allowClear
                options={optionsOf(SENSITIVITY_LEVELS)}
                placeholder={
                  category
                    ? `按类别默认（${SENSITIVITY_LEVELS[category.defaultSensitivity] ?? category.defaultSensitivity}）`
                    : '按类别默认'
                }
              />
            </Form.Item>
          </Col>
        </Row>
      </Card>

      <Card title={person ? '参保人（本类别必填）' : '参保人'} size="small" style={{ marginBottom: 16 }}>
        <Row gutter={16}>
          <Col {...col}>
            <Form.Item
              name="name"
              label="姓名"
              rules={[...(person ? [requiredText('姓名')] : []), maxChars('姓名', 50)]}
              validateFirst
            >
              <Input maxLength={50} autoComplete="off" />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item
              name="idNumber"
              label="身份证号"
              rules={[...(person ? [requiredText('身份证号', categoryNote)] : []), idNumberRule]}
              validateFirst
            >
              <Input maxLength={18} autoComplete="off" placeholder="18位，末位可为X" />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item
              name="insuredNumber"
              label="参保号"
              rules={[{ pattern: INSURED_RE, message: '参保号只能包含字母和数字' }, maxChars('参保号', 32)]}
              validateFirst
            >
              <Input maxLength={32} autoComplete="off" />
            </Form.Item>
          </Col>
        </Row>
      </Card>

      <Card title="经办信息" size="small" style={{ marginBottom: 16 }}>
        <Row gutter={16}>
          <Col {...col}>
            <Form.Item name="businessType" label="业务类型" rules={[maxChars('业务类型', 50)]}>
              <Input maxLength={50} />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item name="handledAt" label="办理时间">
              <DatePicker showTime style={{ width: '100%' }} format="YYYY-MM-DD HH:mm" />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item name="handler" label="经办人" rules={[maxChars('经办人', 50)]}>
              <Input maxLength={50} />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item name="agency" label="经办机构" rules={[maxChars('经办机构', 100)]}>
              <Input maxLength={100} />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item
              name="poolingRegion"
              label="统筹区"
              rules={[{ pattern: REGION_RE, message: '统筹区应为6位行政区划代码' }]}
            >
              <Input maxLength={6} inputMode="numeric" placeholder="6位行政区划代码，如 320115" />
            </Form.Item>
          </Col>
          <Col {...col}>
            <Form.Item
              name="amount"
              label="金额"
              rules={[
                ...(amount ? [requiredText('金额', category ? `（类别“${category.name}”有金额）` : '')] : []),
                amountRule(),
              ]}
              validateFirst
            >
              <Input suffix="元" inputMode="decimal" placeholder="如 1234.50" />
            </Form.Item>
          </Col>
        </Row>
      </Card>

      <Card title="载体与存放位置" size="small" style={{ marginBottom: 16 }}>
        <Row gutter={16}>
          <Col {...col}>
            <Form.Item name="carrier" label="载体">
              <Select options={optionsOf(CARRIER_NAMES)} />
            </Form.Item>
          </Col>
        </Row>
        {paper && (
          <Row gutter={16}>
            {(
              [
                ['pl_warehouse', '库房'],
                ['pl_cabinet', '柜'],
                ['pl_shelf', '层'],
                ['pl_box', '盒'],
              ] as const
            ).map(([name, label]) => (
              <Col key={name} xs={12} md={6}>
                <Form.Item
                  name={name}
                  label={label}
                  rules={[
                    requiredText(label, '（纸质或纸电双套档案须登记库房-柜-层-盒）'),
                    maxChars(label, 20),
                  ]}
                  validateFirst
                >
                  <Input maxLength={20} />
                </Form.Item>
              </Col>
            ))}
          </Row>
        )}
      </Card>

      {(category?.extraFields.length ?? 0) > 0 && (
        <Card title={`类别专属字段（${category?.name}）`} size="small" style={{ marginBottom: 16 }}>
          <ExtraFields category={category} />
        </Card>
      )}
    </>
  );
}
