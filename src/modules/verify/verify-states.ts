import type { Db } from '../../db/database.js';
import type { AccessContext } from '../../shared/access-context.js';
import { requestStates, tokenStates, userStates } from '../access/access.queries.js';
import { caseStates } from '../cases/case.queries.js';
import { holdStates } from '../catalog/hold.queries.js';
import { sequenceStates } from '../catalog/item.queries.js';
import type { StoredEvent } from '../integrity/event.queries.js';
import { stateDigest } from '../integrity/event-log.js';
import type { LogHashAlgorithm } from '../integrity/merkle.js';
import type { ProblemList } from '../integrity/verify-log.js';
import { roundStates } from '../disposition/appraisal.queries.js';
import { incidentStates } from '../kpi/kpi.queries.js';
import { registerStates } from '../disposition/destruction.queries.js';
import { copyStates } from '../insured/insured.queries.js';
import { loanStates } from '../lending/lending.queries.js';
import { batchStates } from '../transfer/transfer.queries.js';

// `verify` over the records that decide who sees what and which 档号 comes next: accounts (roles,
// scope, disabled, password, second factor, bound ID number), API tokens, access requests and grants,
// the 档号 counters, loans (whose electronic loans let a borrower read, and until when), and
// certified copies (the public check answers "genuine" from them). Each change to one appends an event whose payload.state is the digest of the
// record's new state (for whose record: payload.stateOf, else the event's subject); here the latest
// digest of every record is compared with its state recomputed from the tables, one query per table.

interface StateKind {
  prefix: string;
  /** Stable code prefix of the problems: user.altered, grant.unlogged, … */
  code: string;
  name: (key: string) => string;
  /** What the state holds, for the message. */
  holds: string;
  tables: string;
  load: (db: Db, access: AccessContext) => Promise<Map<string, unknown>>;
}

const KINDS: StateKind[] = [
  {
    prefix: 'user:',
    code: 'user',
    name: (key) => `账户 ${key}`,
    holds: '角色与范围、停用状态、口令、动态口令或身份证号绑定',
    tables: 'app_user、user_role、user_scope',
    load: (db) => userStates(db),
  },
  {
    prefix: 'token:',
    code: 'token',
    name: (key) => `接口令牌 ${key}`,
    holds: '所属账户、权限、有效期或撤销状态',
    tables: 'api_token',
    load: (db) => tokenStates(db),
  },
  {
    prefix: 'access-request:',
    code: 'grant',
    name: (key) => `查阅申请 ${key}`,
    holds: '申请人、审批状态、授权期限或所含档案',
    tables: 'access_request、access_request_item',
    load: (db) => requestStates(db),
  },
  {
    prefix: 'sequence:',
    code: 'sequence',
    name: (key) => `档号计数器 ${key}`,
    holds: '已分配的最大顺序号（决定下一个档号）',
    tables: 'archive_sequence',
    load: sequenceStates,
  },
  {
    prefix: 'loan:',
    code: 'loan',
    name: (key) => `借阅单 ${key}`,
    holds: '借阅人、借阅方式、状态、应还日、实还日或所借档案',
    tables: 'loan、loan_item',
    load: loanStates,
  },
  {
    prefix: 'insured_copy:',
    code: 'insured_copy',
    name: (key) => `复制件 ${key}`,
    holds: '核验码、所属参保人、档号与文件、摘要或作废状态（公开核验据此答复）',
    tables: 'insured_copy',
    load: copyStates,
  },
  {
    prefix: 'hold:',
    code: 'hold',
    name: (key) => `冻结 ${key}`,
    holds: '冻结范围、原因、案件编号或解除状态（冻结的档案不能销毁、移交或缩短保管期限）',
    tables: 'legal_hold、legal_hold_item',
    load: (db) => holdStates(db),
  },
  {
    prefix: 'appraisal:',
    code: 'appraisal',
    name: (key) => `鉴定批次 ${key}`,
    holds: '鉴定小组成员、组长、所列档案、鉴定意见或鉴定结论',
    tables: 'appraisal_round、appraisal_member、appraisal_item',
    load: roundStates,
  },
  {
    prefix: 'register:',
    code: 'register',
    name: (key) => `销毁清册 ${key}`,
    holds: '所列档案、签字、审批、执行状态或纸质销毁确认',
    tables: 'destruction_register、destruction_row、destruction_signature',
    load: registerStates,
  },
  {
    prefix: 'transfer:',
    code: 'transfer',
    name: (key) => `移交批次 ${key}`,
    holds: '所列档案、导出的移交包摘要、接收回执或撤销状态',
    tables: 'transfer_batch、transfer_item',
    load: batchStates,
  },
  {
    prefix: 'case:',
    code: 'case',
    name: (key) => `核查案件 ${key}`,
    holds: '所属地区（决定谁能看到）、承办人、状态、证据档案、冻结、线索或结论',
    tables: 'fund_case、fund_case_evidence、fund_case_hold、fund_case_clue、fund_case_note',
    load: (db) => caseStates(db),
  },
  {
    prefix: 'incident:',
    code: 'incident',
    name: (key) => `安全事件 ${key}`,
    holds: '所属单位、类型、发生时间、经过或撤销状态（计入安全事故率）',
    tables: 'kpi_incident',
    load: (db) => incidentStates(db),
  },
];

const kindOf = (record: string) => KINDS.find((kind) => record.startsWith(kind.prefix));

/** Remembers the latest state digest the log holds for each record of the kinds above. */
export function collectStates(expected: Map<string, string>) {
  return (event: StoredEvent) => {
    // Most events carry no state; the text test spares parsing them (the log can hold millions).
    if (!event.payload.includes('"state":')) return;
    if (!kindOf(event.subject) && !event.payload.includes('"stateOf":')) return;
    const payload = JSON.parse(event.payload) as { state?: unknown; stateOf?: unknown };
    const record = typeof payload.stateOf === 'string' ? payload.stateOf : event.subject;
    if (typeof payload.state === 'string' && kindOf(record)) expected.set(record, payload.state);
  };
}

/** Compares every record's current state with the log's latest digest; returns how many were checked. */
export async function verifyStates(
  db: Db,
  algorithm: LogHashAlgorithm,
  expected: Map<string, string>,
  problems: ProblemList,
  access: AccessContext,
): Promise<number> {
  let count = 0;
  for (const kind of KINDS) {
    const current = await kind.load(db, access);
    for (const record of [...current.keys()].sort()) {
      const name = kind.name(record.slice(kind.prefix.length));
      const digest = expected.get(record);
      if (digest === undefined)
        problems.add(
          `${kind.code}.unlogged`,
          name,
          `${name} 没有任何事件记录其状态：它绕过系统被写入数据库（${kind.tables}）`,
        );
      else if (digest !== stateDigest(algorithm, current.get(record)))
        problems.add(
          `${kind.code}.altered`,
          name,
          `${name} 的${kind.holds}与事件日志不符：数据被绕过系统改动（${kind.tables}）`,
        );
      expected.delete(record);
      count += 1;
    }
    for (const record of [...expected.keys()].filter((key) => key.startsWith(kind.prefix)).sort()) {
      const name = kind.name(record.slice(kind.prefix.length));
      problems.add(
        `${kind.code}.missing`,
        name,
        `${name} 在事件日志中存在，但数据库中已不存在：被删除（${kind.tables}）`,
      );
      expected.delete(record);
    }
  }
  return count;
}
