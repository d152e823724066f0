import type { CapabilityStatement, CapabilityStatementRestResource, ResourceType } from '@medplum/fhirtypes';
import { VERSION } from '../../version.js';
import type { ParamKind, SearchSpec } from './fhir.params.js';

// What the FHIR interface answers: each resource type's search parameters and includes (the
// parameter reader refuses anything else) and the CapabilityStatement at /fhir/R4/metadata, built
// from the same table so the two cannot disagree.

interface ResourceSpec extends SearchSpec {
  documentation: string;
  /** Each parameter's meaning, in Chinese. */
  docs: Readonly<Record<string, string>>;
}

const patientOf = '参保人：Patient/<id>（id 为身份证号的盲索引）';
const personOf =
  '档案所涉的人：Patient/<id>（id 为身份证号的盲索引；凡有档案的人均可，不限于参保人员名册，Patient 资源本身只对名册中的人可读）';

function spec(
  documentation: string,
  params: Record<string, [ParamKind, string]>,
  includes: string[] = [],
): ResourceSpec {
  return {
    documentation,
    params: Object.fromEntries(Object.entries(params).map(([name, [kind]]) => [name, kind])),
    docs: Object.fromEntries(Object.entries(params).map(([name, [, text]]) => [name, text])),
    includes,
  };
}

export const SEARCH = {
  Patient: spec(
    '参保人（参保人员名册）；身份证号、姓名、住址按调用者权限脱敏；范围为调用者档案范围所及的统筹区',
    {
      _id: ['token', '按 id 查找'],
      identifier: ['token', '按身份证号精确查找（urn:yidang:fhir:resident-id|<身份证号>），经盲索引'],
    },
  ),
  Coverage: spec(
    '参保登记（险种、起止日期、参保单位）',
    {
      _id: ['token', '按 id 查找'],
      patient: ['reference', patientOf],
      beneficiary: ['reference', patientOf],
      type: ['token', '险种：employee 职工基本医疗保险 / resident 城乡居民基本医疗保险'],
      date: ['date', '参保期间与该日期范围相交（可用 ge/le/gt/lt/eq 前缀，可出现两次）'],
    },
    ['Coverage:beneficiary', 'Coverage:patient'],
  ),
  Claim: spec(
    '医疗救助对象的一站式结算（医疗费用总额）；基本医保的全部结算数据尚未接入',
    {
      _id: ['token', '按 id 查找'],
      patient: ['reference', patientOf],
      type: ['token', 'institutional 住院 / professional 门诊'],
      created: ['date', '结算日期范围'],
    },
    ['Claim:patient'],
  ),
  ExplanationOfBenefit: spec(
    '医疗救助对象的一站式结算结果（基本医保、大病保险、医疗救助、倾斜救助各自支付）',
    {
      _id: ['token', '按 id 查找'],
      patient: ['reference', patientOf],
      type: ['token', 'institutional 住院 / professional 门诊'],
      created: ['date', '结算日期范围'],
    },
    ['ExplanationOfBenefit:patient'],
  ),
  DocumentReference: spec(
    '一件档案：masterIdentifier 为档号，type 为类别，content 为电子文件（含摘要）；个人信息按调用者权限脱敏，未获授权的敏感档案内容隐去',
    {
      _id: ['token', '按 id 查找'],
      patient: ['reference', personOf],
      subject: ['reference', personOf],
      'patient.identifier': ['token', '按参保人身份证号查找（经盲索引，记入事件日志）'],
      type: ['token', '档案类别代码，如 JSLX'],
      date: ['date', '形成日期范围'],
    },
    ['DocumentReference:subject', 'DocumentReference:patient'],
  ),
  AuditEvent: spec('事件日志（查阅与变更），与 /api/v1/integrity/events 相同的可见范围与脱敏', {
    entity: ['reference', '所涉档案：DocumentReference/<id>'],
    type: ['token', '事件类型，如 item.read（见 GET /api/v1/vocabulary）'],
    date: [
      'datetime',
      '记录时间范围：YYYY、YYYY-MM、YYYY-MM-DD（按北京时间的整日）或带时区的时刻（如 2026-12-07T09:30:00+08:00）；可用 eq/ge/le/gt/lt 前缀，可出现两次',
    ],
  }),
} satisfies Record<string, ResourceSpec>;

const COMMON_PARAMS = [
  { name: '_count', type: 'number', documentation: '每页条数（1–100，默认 20）' },
  { name: '_page', type: 'string', documentation: '翻页：原样使用上一页 next 链接（加密的检索条件与位置）' },
  {
    name: 'unmask',
    type: 'token',
    documentation: 'true：显示未脱敏的个人信息（需“查看未脱敏的个人信息”权限，记入事件日志）',
  },
  { name: 'purpose', type: 'string', documentation: '查阅目的（记入事件日志）' },
] as const;

export function capabilityStatement(date: string): CapabilityStatement {
  const resource = Object.entries(SEARCH).map(
    ([type, one]): CapabilityStatementRestResource => ({
      type: type as ResourceType,
      documentation: one.documentation,
      interaction: [{ code: 'read' }, { code: 'search-type' }],
      ...(one.includes.length ? { searchInclude: [...one.includes] } : {}),
      searchParam: [
        ...Object.entries(one.params).map(([name, kind]) => ({
          name,
          type:
            kind === 'reference' ? ('reference' as const) : kind === 'datetime' ? ('date' as const) : kind,
          documentation: one.docs[name],
        })),
        ...COMMON_PARAMS.map((param) => ({ ...param })),
      ],
    }),
  );
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: '医档 Yidang',
    kind: 'instance',
    software: { name: '医档 Yidang', version: VERSION },
    implementation: { description: '医保业务档案管理系统的只读 FHIR R4 接口' },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        documentation:
          '只读。与 /api/v1 相同的账户、档案范围与脱敏；每次查阅记入事件日志。未知或不支持的检索参数一律拒绝（OperationOutcome，中文说明）。',
        security: { description: '接口令牌（Authorization: Bearer）或登录会话' },
        resource,
      },
    ],
  };
}
