// The catalog of event types (事件类型): every event the log may hold, its payload's shape and the
// name people read. Writers, the indexer, the audit trail, the CLI and the console (GET /vocabulary)
// all take names and labels from here; recording a name not listed, or a payload that does not fit,
// fails the typecheck. Payload types are plain shapes: the kernel imports no domain module.

/** A snapshot of a row as the writer stored it (a category, a fonds, …), logged as is. */
type Snapshot = object;
type Purpose = string | null;
/** What an import did to one kind of row. */
type Tally = { added: number; updated: number; unchanged: number };

type ItemRead = { sensitivity: string; purpose: Purpose; grantId: number | null; via?: 'search' };
type BlobProblem = { replica: string; during: string };
type BatchDecision = {
  round: number;
  sampled: number;
  wrong: number;
  errorRate: number;
  maxErrorRate: number;
};
type RequestDecision = { requester: string; note: string | null };
type RosterImport = { fileName: string; fileDigest: string; people: Tally; enrollments: Tally };
/** An event whose change is all in its state digest (payload.state). */
type StateOnly = Record<string, never>;

/** Event name → payload shape. `state` and `previousState` digests are added by the log itself. */
export interface EventPayloads {
  'item.created': { version: number };
  'sequence.advanced': { lastNumber: number };
  'item.changed': {
    version: number;
    fields: string[];
    reason: string | null;
    lowered?: Readonly<Record<string, unknown>>;
  };
  'item.read': ItemRead;
  /** An ordinary (not sensitive) item naming a person shown to someone: the person may ask who looked. */
  'item.viewed': { purpose: Purpose; via?: 'search' | 'list' };
  'item.unmasked': { fields: string[]; purpose: Purpose; ledger?: true };
  'item.read_refused': { sensitivity: string; reason: 'no_grant' };
  'item.text_recorded': { pages: number[]; characters: number; source?: 'ocr' };
  'item.checked': { run: number; trigger: string; failed: string[]; skipped: string[] };
  'item.scanned': {
    fileNumber: number;
    originalName: string;
    format: string;
    pages: [number, number];
    batchId: number | null;
    lowResolution: number[];
  };
  'item.ingested': { source: string; serial: string; payloadDigest: string; lagSeconds: number };
  /** Filed here from a received transfer bag (接收): the sender's 档号 and batch, and the history proven. */
  'item.received': {
    sourceArchiveCode: string;
    sender: string;
    batch: string;
    bagDigest: string;
    historyEvents: number;
  };
  'item.duplicate_flagged': { flag: number; rule: string; other: string; fields: readonly string[] };
  'item.duplicate_resolved': {
    flag: number;
    decision: string;
    kept: string | null;
    other: string;
    reason: string | null;
  };
  /** items: the 档号 of the hits shown (never the ID number looked up), so each person can be told. */
  'search.id_lookup': { lookups: number; results: number; items?: string[] };
  /** A FHIR read (src/modules/fhir): which resources were answered, never an ID number. */
  'fhir.read': { resource: string; ids: string[]; count: number; unmasked: boolean; purpose: Purpose };
  'search.saved': { name: string; replaced: boolean; stateOf: string };
  'search.unsaved': { name: string };
  'file.added': {
    fileNumber: number;
    digest: string;
    fileName: string;
    mediaType: string;
    size: number;
    warnings?: string[];
  };
  'file.read': {
    fileNumber: number;
    digest: string;
    grantId: number | null;
    purpose: Purpose;
    traceId: string | null;
    /** The 借阅单 it was read under (set by lending's delivery only, never taken from the purpose). */
    loan?: string;
  };
  'blob.stored': { size: number; storedDigest: string; storedSize: number; suite: string };
  'blob.lost': { replicas: Readonly<Record<string, string>>; runId: number };
  'blob.repaired': { replica: string; problem: string; from: string | undefined; runId: number };
  'blob.repair_failed': { replica: string; problem: string; from: string | undefined; runId: number };
  'blob.corruption_detected': BlobProblem;
  'blob.copy_missing': BlobProblem;
  /** Every replica confirmed its copy deleted after the data key was destroyed (crypto-shred). */
  'blob.shredded': { register: string; items: string[]; replicas: string[]; shreddedAt: string };
  /** After a restore, a replica's signed shred record was applied again to the restored blob and items. */
  'blob.shred_reapplied': { register: string; items: string[]; shreddedAt: string; replicas: string[] };
  'fixity.run': {
    blobs: number;
    copies: number;
    bytes: number;
    ok: number;
    repaired: number;
    unrepaired: number;
    lost: number;
    /** How many blobs a sampled run drew; null for a full run. */
    sample: number | null;
    temporaryRemoved: number;
  };
  'fonds.created': Snapshot;
  'fonds.changed': Snapshot;
  'fonds.scan_policy_set': { before: Snapshot; after: Snapshot };
  'category.created': Snapshot;
  'category.changed': Snapshot;
  'category.removed': Snapshot;
  'retention.override_set': { category: string; regionCode: string; retention: string; reason: string };
  'retention.override_removed': { category: string; regionCode: string };
  'import.mapping_saved': { mapping: Snapshot };
  'scan_batch.created': { fondsCode: string; name: string; sampleRate: number; maxErrorRate: number };
  'scan_batch.sampled': { round: number; pages: number; sampled: number; sampleRate: number };
  'scan_batch.page_reviewed': {
    round: number;
    archiveCode: string;
    page: number;
    verdict: string;
    reason: string | null;
  };
  'scan_batch.accepted': BatchDecision;
  'scan_batch.returned': BatchDecision;
  'integrity.verified': {
    ok: boolean;
    problemCount: number;
    events: number;
    items: number;
    files: number;
    blobs: number;
    deep: boolean;
    firstProblem: { kind: string; record: string } | null;
  };
  'keys.rotation_started': { from: string; to: string };
  'keys.rewrapped': { count: number; digests: string[] };
  'keys.rotated': { rewrapped: number; retired: readonly string[] };
  'backup.created': { dir: string; treeSize: number; blobs: number; bytes: number };
  'auth.login': { address: string | null; totp: boolean };
  'auth.logout': StateOnly;
  'auth.failed': { reason: string; address: string | null };
  'auth.locked': { until: string; attempts: number; address: string | null };
  'auth.refused_locked': { address: string | null };
  'user.created': { roles: readonly string[]; scope: unknown; totp: boolean };
  'user.access_changed': { roles: readonly string[]; scope: unknown; previousRoles: readonly string[] };
  'user.disabled': { sessions?: number; tokens?: number };
  'user.enabled': { sessions?: number; tokens?: number };
  'user.password_changed': { byOwner: boolean };
  'user.totp_enabled': { renewed: boolean };
  'user.id_number_sealed': StateOnly;
  'token.created': {
    tokenId: string;
    name: string;
    permissions: readonly string[];
    expiresAt: string;
    stateOf: string;
  };
  'token.revoked': { reason?: 'user.disabled' };
  'audit.exported': { filter: Snapshot; rows: number };
  'access.requested': { items: string[]; purpose: string; hours: number };
  'access.approved': { requester: string; hours: number; expiresAt: string };
  'access.rejected': RequestDecision;
  'access.withdrawn': StateOnly;
  'access.revoked': RequestDecision;
  'state.baseline': StateOnly;
  'roster.loaded': {
    via: string;
    people: number;
    assisted: number;
    enrollments: number;
    settlements: number;
    certificates: number;
  };
  'roster.imported': RosterImport;
  /** With the reconciliation's counts by outcome (no names, no ID numbers). */
  'roster.reconciled': { source: string; fileName: string } & object;
  'roster.report_exported': { report: string; bytes: number; unmasked: boolean; purpose: Purpose };
  /** A ledger made and shown without filing it: who saw which ledger's personal data, and how. */
  'ledger.previewed': {
    kind: string;
    period: string;
    fonds: string;
    region: string | null;
    rows: number;
    digest: string;
    formats: string[];
    unmasked: boolean;
    purpose: Purpose;
  };
  /** A notice put in someone's console inbox (站内通知); subject user:<recipient>. No text: it may name people. */
  'notice.sent': { notice: number; kind: string; about: string | null; delivery: boolean };
  'job.retried': { kind: string; attempts: number; lastError: string | null };
  /** 参保人自助查询: a certified copy (复制件) of one's own archive; subject insured_copy:<复制件编号>. */
  'insured.copy_requested': { item: string; purpose: string };
  'insured.copy_issued': { item: string; fileNumber: number; digest: string; mediaType: string };
  /** The window answered the insured person (查询答复); subject user:<账号>. */
  'insured.query_answered': { kind: 'archives' | 'views' | 'records' | 'copies'; rows: number };
  /** Lending (借阅): subject loan:<借阅单号>. Items are 档号. */
  'loan.requested': {
    kind: 'paper' | 'electronic' | 'copy';
    items: string[];
    purpose: string;
    days: number;
    borrower: { user?: string; organisation?: string; person?: string; letterNo?: string };
  };
  'loan.approved': { level: 1 | 2; days: number };
  'loan.rejected': { level: 1 | 2; reason: string };
  'loan.withdrawn': StateOnly;
  'loan.handed_over': { items: string[]; due: string };
  'loan.opened': { items: string[]; due: string };
  'loan.renewed': { from: string; to: string; renewal: number };
  'loan.returned': {
    items: string[];
    pages: number | null;
    condition: 'intact' | 'damaged' | 'pages_missing';
    damage?: string;
  };
  'loan.closed': { returnedOn: string | null; reason?: 'returned' | 'ended' | 'borrower_disabled' };
  'loan.read': { item: string; file?: number };
  'loan.copied': { item: string; file: number; copyCode: string };
  'loan.rule_set': Snapshot;
  'loan.rule_removed': Snapshot;
  /** 利用效果 recorded for a row of the use register; subject use:<the use's event seq>, item its 档号. */
  'use.effect_recorded': {
    item: string | null;
    effect: 'voucher' | 'rights' | 'audit' | 'compilation' | 'other';
    note: string | null;
  };
  // 安全事件 (kpi/incident.*), counted by 安全事故率; subject incident:<AQ-…>. No archive content.
  'kpi.incident_recorded': {
    fonds: string;
    region: string;
    kind: 'alert' | 'leak';
    occurredAt: string;
    description: string;
    alert: { actor: string; hour: string } | null;
  };
  'kpi.incident_withdrawn': { reason: string };
  // 冻结 (catalog/hold.*); subject hold:<DJ-…>, state the hold's digest. The person is masked.
  'hold.placed': {
    fonds: string;
    kind: 'items' | 'query' | 'category_year';
    selector: Readonly<Record<string, string | number>>;
    /** Items covered; absent for a hold by condition placed by someone who may not read items. */
    items?: number;
    reason: string;
    caseRef: string | null;
    source: 'manual' | 'case';
  };
  'hold.lifted': { reason: string; items?: number };
  // 销毁清册 (disposition/destruction.*); subject register:<XH-…>, state the register's digest.
  // Bounded: the 档号 list as a digest (sorted, one per line), the first 100 refusals named.
  'destruction.drawn': {
    round: string;
    items: number;
    itemsDigest: string;
    refusedCount: number;
    refused: Array<{ item: string; reason: string }>;
  };
  'destruction.signed': { role: 'lead' | 'approver' | 'witness'; signedAt: string };
  'destruction.approved': { items: number };
  'destruction.started': { items: number };
  /** Subject the item; its state is the tombstone's, previousState the reduced previous version's. */
  'item.destroyed': {
    register: string;
    version: number;
    destroyedDigest: string;
    blobs: string[];
    /** Kept versions reduced to the tombstone's fields: version → digest of the reduced snapshot. */
    reducedVersions: Record<string, string>;
    /** Re-applied after a restore brought the item back (disposition/reapply.ts). */
    reapplied?: true;
  };
  'destruction.paper_confirmed': {
    item: string;
    method: string;
    place: string;
    at: string;
    witnesses: string[];
  };
  'destruction.completed': { items: number };
  'destruction.filed': { archiveCode: string; digest: string; files: string[] };
  /** The carry-out refused a row (held, lent, changed since approval): the item stays whole. */
  'destruction.item_refused': { item: string; reason: string };
  'destruction.withdrawn': { reason: string };
  /** A restore found the register only in the replicas' signed summary (lost with the database). */
  'destruction.recovered': {
    fonds: string;
    round: string;
    approvedBy: string | null;
    witnesses: string[];
    items: number;
    itemsDigest: string;
    filed: { archiveCode: string; digest: string | null } | null;
    carriedAt: string | null;
    replicas: string[];
  };
  // 到期与鉴定 (catalog/expiry.*, disposition/appraisal.*); subject expiry:<全宗> or appraisal:<JD-…>.
  'expiry.refreshed': { fonds: string; entries: number; items: number };
  'appraisal.round_opened': { fonds: string; title: string; lead: string; members: string[] };
  'appraisal.member_set': { lead: string; members: string[] };
  'appraisal.items_added': { items: string[] };
  'appraisal.proposed': {
    items: string[];
    proposal: 'keep' | 'destroy';
    retention: string | null;
    reason: string;
  };
  /** One event per batch; its state digest covers every item's decision. */
  'appraisal.decided': {
    items: Array<{ item: string; decision: 'keep' | 'destroy'; retention: string | null; reason: string }>;
  };
  // 移交批次 (transfer/transfer.*); subject transfer:<YJ-…>, state the batch's digest (its items with theirs).
  /**
   * For a person batch the selector holds the blind index of the ID number, never the number. Bounded:
   * the 档号 as a count and digest (the state covers each item), the first 100 refusals named.
   */
  'transfer.drawn': {
    kind: 'fonds' | 'person';
    fonds: string;
    /** The fingerprint of the receiver's pinned public key (only a 回执 it signed is accepted). */
    receiverKey: string | null;
    selector: Record<string, string | number | string[]>;
    items: number;
    refusedCount: number;
    refused: Array<{ item: string; reason: string }>;
  };
  'transfer.exported': { digest: string; algorithm: 'sha256' | 'sm3'; payloadOxum: string };
  /** The receiver's signed 回执 recorded: accepted items are 已移交 (read-only until keepUntil). */
  'transfer.accepted': {
    receiver: string;
    receiverKey: string;
    receiptDigest: string;
    receivedAt: string;
    accepted: number;
    rejectedCount: number;
    rejected: Array<{ item: string; reason: string }>;
    keepUntil: string;
    /** Items edited after the export: accepted at the exported version (the first 100). */
    changedSinceExport: Array<{ archiveCode: string; exported: number; now: number }>;
  };
  'transfer.withdrawn': { reason: string };
  // Each download of the bag (every item unmasked, files decrypted): who, which bag, how many items.
  'transfer.downloaded': { file: string; items: number };
  // 接收 (transfer/receive.*); subject receive:<id>. Bounded: the first 100 rejections named.
  'receive.received': {
    batch: string;
    kind: 'fonds' | 'person';
    sender: string;
    bagDigest: string;
    algorithm: string;
    fonds: string;
    accepted: number;
    rejectedCount: number;
    rejected: Array<{ item: string; reason: string }>;
    bagProblems: number;
    receiptDigest: string;
  };
  // 结算数据 (fund/settlement*, generate*); subject fund-import:<id> or fund-generate:<seed>. Counts and
  // digests only: no ID number, person key or diagnosis.
  'fund.settlements_imported': {
    via: 'file' | 'push';
    fileDigest: string;
    rows: number;
    settlements: number;
    imported: number;
    refused: number;
    skipped: number;
    serialsDigest: string;
  };
  'fund.settlements_generated': {
    seed: number;
    from: string;
    to: string;
    settlements: number;
    lines: number;
    persons: number;
    injected: Record<string, number>;
    truthDigest: string;
  };
  // 核查案件 (cases/*); subject case:<HC…>, state the case's digest (region, assignee, state, evidence,
  // holds, clues, conclusion). Notes are referred to by number: their text stays in the case.
  'case.opened': {
    title: string;
    source: 'clue' | 'manual';
    reason: string | null;
    fonds: string;
    region: string;
    assignee: string | null;
    clues: number[];
    items: string[];
    holds: string[];
  };
  'case.assigned': { assignee: string; previous: string | null };
  'case.noted': { note: number };
  'case.evidence_attached': { items: string[]; holds: string[] };
  'case.clues_attached': { clues: number[]; items: string[]; holds: string[] };
  'case.concluded': {
    conclusion: 'violation' | 'no_violation';
    amount: string | null;
    reason: string | null;
  };
  'case.closed': { filedCode: string; holdsLifted: string[]; cluesReleased: number[] };
  // 智能审核规则与线索 (fund/rule*, run*, clue*); subject fund-rule:<code>, fund-run:<id>, fund-clue:<id>.
  // No person, ID number or diagnosis: rules, parameters, regions and counts only.
  'fund.rule_changed': {
    rule: string;
    version: number;
    active: boolean;
    params: Record<string, number | string[]>;
    previous: { version: number; active: boolean; params: Record<string, number | string[]> };
    reason: string;
  };
  'fund.run_started': {
    region: string;
    from: string;
    to: string;
    rules: Record<string, { version: number; revision: number }>;
  };
  'fund.run_finished': { clues: number; hits: Record<string, number> };
  'fund.run_failed': { error: string };
  'fund.clue_dismissed': { rule: string; reason: string };
  'fund.clue_attached': { rule: string; case: string };
  'fund.clue_released': { rule: string; case: string };
}

export type EventName = keyof EventPayloads;

/** What an event is about: the prefix of its subject (item:<档号>, user:<账号>, …). */
export type SubjectKind =
  | 'item'
  | 'sequence'
  | 'blob'
  | 'fixity'
  | 'fonds'
  | 'category'
  | 'retention'
  | 'mapping'
  | 'scan_batch'
  | 'verify-run'
  | 'key'
  | 'backup'
  | 'user'
  | 'audit'
  | 'access-request'
  | 'roster'
  | 'reconciliation'
  | 'ledger'
  | 'job'
  | 'insured_copy'
  | 'loan'
  | 'loan_rule'
  | 'use'
  | 'register'
  | 'hold'
  | 'expiry'
  | 'appraisal'
  | 'transfer'
  | 'receive'
  | 'incident'
  | 'case'
  | 'fund_import'
  | 'fund_rule'
  | 'fund_run'
  | 'fund_clue'
  | 'any';

export interface EventType {
  /** The name people read: the audit trail, the CLI's log and the console show it. */
  label: string;
  subject: SubjectKind;
}

/** Every event type, in the order an auditor's filter lists them. */
export const EVENT_TYPES = {
  'item.created': { label: '归档', subject: 'item' },
  'sequence.advanced': { label: '分配档号', subject: 'sequence' },
  'item.changed': { label: '修改档案', subject: 'item' },
  'item.read': { label: '查阅敏感档案', subject: 'item' },
  'item.viewed': { label: '查阅档案', subject: 'item' },
  'item.unmasked': { label: '查看未脱敏信息', subject: 'item' },
  'item.read_refused': { label: '未经授权查阅敏感档案被拒', subject: 'item' },
  'item.text_recorded': { label: '录入扫描页文字', subject: 'item' },
  'item.checked': { label: '四性检测', subject: 'item' },
  'item.scanned': { label: '挂接扫描件', subject: 'item' },
  'item.ingested': { label: '业务系统归档', subject: 'item' },
  'item.received': { label: '接收进馆', subject: 'item' },
  'item.duplicate_flagged': { label: '标记疑似重复', subject: 'item' },
  'item.duplicate_resolved': { label: '处理疑似重复', subject: 'item' },
  'search.id_lookup': { label: '按身份证号检索', subject: 'user' },
  'fhir.read': { label: 'FHIR 接口查阅', subject: 'user' },
  'search.saved': { label: '保存检索条件', subject: 'user' },
  'search.unsaved': { label: '删除保存的检索条件', subject: 'user' },
  'file.added': { label: '挂接文件', subject: 'item' },
  'file.read': { label: '调阅文件', subject: 'item' },
  'blob.stored': { label: '存储文件', subject: 'blob' },
  'blob.lost': { label: '文件全部副本丢失', subject: 'blob' },
  'blob.repaired': { label: '修复副本', subject: 'blob' },
  'blob.repair_failed': { label: '副本修复失败', subject: 'blob' },
  'blob.corruption_detected': { label: '发现副本损坏', subject: 'blob' },
  'blob.copy_missing': { label: '发现副本缺失', subject: 'blob' },
  'blob.shredded': { label: '销毁电子文件（密钥销毁、副本删除）', subject: 'blob' },
  'blob.shred_reapplied': { label: '恢复后重新执行文件销毁', subject: 'blob' },
  'fixity.run': { label: '固定性检查', subject: 'fixity' },
  'fonds.created': { label: '新建全宗', subject: 'fonds' },
  'fonds.changed': { label: '修改全宗', subject: 'fonds' },
  'fonds.scan_policy_set': { label: '设置扫描分辨率要求', subject: 'fonds' },
  'category.created': { label: '新建类别', subject: 'category' },
  'category.changed': { label: '修改类别', subject: 'category' },
  'category.removed': { label: '删除类别', subject: 'category' },
  'retention.override_set': { label: '调整保管期限', subject: 'retention' },
  'retention.override_removed': { label: '撤销保管期限调整', subject: 'retention' },
  'import.mapping_saved': { label: '保存导入字段对照', subject: 'mapping' },
  'scan_batch.created': { label: '新建数字化批次', subject: 'scan_batch' },
  'scan_batch.sampled': { label: '抽取质检样本', subject: 'scan_batch' },
  'scan_batch.page_reviewed': { label: '质检扫描页', subject: 'scan_batch' },
  'scan_batch.accepted': { label: '数字化批次质检合格', subject: 'scan_batch' },
  'scan_batch.returned': { label: '数字化批次退回重扫', subject: 'scan_batch' },
  'integrity.verified': { label: '完整性校验', subject: 'verify-run' },
  'keys.rotation_started': { label: '开始轮换密钥', subject: 'key' },
  'keys.rewrapped': { label: '重新包装数据密钥', subject: 'key' },
  'keys.rotated': { label: '完成密钥轮换', subject: 'key' },
  'backup.created': { label: '备份', subject: 'backup' },
  'auth.login': { label: '登录', subject: 'user' },
  'auth.logout': { label: '退出', subject: 'user' },
  'auth.failed': { label: '登录失败', subject: 'user' },
  'auth.locked': { label: '账户锁定', subject: 'user' },
  'auth.refused_locked': { label: '锁定期间尝试登录', subject: 'user' },
  'user.created': { label: '创建账户', subject: 'user' },
  'user.access_changed': { label: '变更角色与范围', subject: 'user' },
  'user.disabled': { label: '停用账户', subject: 'user' },
  'user.enabled': { label: '启用账户', subject: 'user' },
  'user.password_changed': { label: '重设口令', subject: 'user' },
  'user.totp_enabled': { label: '开通动态口令', subject: 'user' },
  'user.id_number_sealed': { label: '加密存储身份证号', subject: 'user' },
  'token.created': { label: '创建接口令牌', subject: 'user' },
  'token.revoked': { label: '撤销接口令牌', subject: 'user' },
  'audit.exported': { label: '导出审计记录', subject: 'audit' },
  'access.requested': { label: '申请查阅敏感档案', subject: 'access-request' },
  'access.approved': { label: '批准查阅申请', subject: 'access-request' },
  'access.rejected': { label: '驳回查阅申请', subject: 'access-request' },
  'access.withdrawn': { label: '撤回查阅申请', subject: 'access-request' },
  'access.revoked': { label: '收回查阅授权', subject: 'access-request' },
  'state.baseline': { label: '状态基线', subject: 'any' },
  'roster.loaded': { label: '载入参保名册', subject: 'roster' },
  'roster.imported': { label: '导入参保名册', subject: 'roster' },
  'roster.reconciled': { label: '核对扶贫名单', subject: 'reconciliation' },
  'roster.report_exported': { label: '导出名单核对结果', subject: 'reconciliation' },
  'ledger.previewed': { label: '预览台账（未归档）', subject: 'ledger' },
  'notice.sent': { label: '发送站内通知', subject: 'user' },
  'job.retried': { label: '重试失败的后台任务', subject: 'job' },
  'insured.copy_requested': { label: '参保人申请复制件', subject: 'insured_copy' },
  'insured.copy_issued': { label: '出具复制件', subject: 'insured_copy' },
  'insured.query_answered': { label: '参保人自助查询答复', subject: 'user' },
  'loan.requested': { label: '借阅申请', subject: 'loan' },
  'loan.approved': { label: '批准借阅', subject: 'loan' },
  'loan.rejected': { label: '驳回借阅', subject: 'loan' },
  'loan.withdrawn': { label: '撤回借阅申请', subject: 'loan' },
  'loan.handed_over': { label: '借阅出库', subject: 'loan' },
  'loan.opened': { label: '开通电子借阅', subject: 'loan' },
  'loan.renewed': { label: '续借', subject: 'loan' },
  'loan.returned': { label: '归还档案', subject: 'loan' },
  'loan.closed': { label: '借阅完结', subject: 'loan' },
  'loan.read': { label: '借阅阅览', subject: 'loan' },
  'loan.copied': { label: '借阅复制', subject: 'loan' },
  'loan.rule_set': { label: '设置借阅规则', subject: 'loan_rule' },
  'loan.rule_removed': { label: '删除借阅规则', subject: 'loan_rule' },
  'use.effect_recorded': { label: '记录利用效果', subject: 'use' },
  'kpi.incident_recorded': { label: '登记安全事件', subject: 'incident' },
  'kpi.incident_withdrawn': { label: '撤销安全事件', subject: 'incident' },
  'hold.placed': { label: '冻结档案', subject: 'hold' },
  'hold.lifted': { label: '解除冻结', subject: 'hold' },
  'destruction.drawn': { label: '编制销毁清册', subject: 'register' },
  'destruction.signed': { label: '销毁清册签字', subject: 'register' },
  'destruction.approved': { label: '批准销毁清册', subject: 'register' },
  'destruction.started': { label: '开始执行销毁', subject: 'register' },
  'item.destroyed': { label: '销毁档案', subject: 'item' },
  'destruction.paper_confirmed': { label: '确认纸质档案销毁', subject: 'register' },
  'destruction.completed': { label: '销毁清册执行完毕', subject: 'register' },
  'destruction.filed': { label: '销毁清册归档', subject: 'register' },
  'destruction.item_refused': { label: '执行销毁时拒绝销毁档案', subject: 'register' },
  'destruction.withdrawn': { label: '撤销销毁清册', subject: 'register' },
  'destruction.recovered': { label: '恢复后据副本记录登记销毁清册', subject: 'register' },
  'expiry.refreshed': { label: '刷新到期档案清单', subject: 'expiry' },
  'appraisal.round_opened': { label: '建立鉴定批次', subject: 'appraisal' },
  'appraisal.member_set': { label: '设置鉴定小组', subject: 'appraisal' },
  'appraisal.items_added': { label: '列入鉴定', subject: 'appraisal' },
  'appraisal.proposed': { label: '提出鉴定意见', subject: 'appraisal' },
  'appraisal.decided': { label: '作出鉴定结论', subject: 'appraisal' },
  'transfer.drawn': { label: '编制移交批次', subject: 'transfer' },
  'transfer.exported': { label: '导出移交包', subject: 'transfer' },
  'transfer.accepted': { label: '登记接收回执（已移交）', subject: 'transfer' },
  'transfer.withdrawn': { label: '撤销移交批次', subject: 'transfer' },
  'transfer.downloaded': { label: '下载移交包', subject: 'transfer' },
  'receive.received': { label: '接收移交包并出具回执', subject: 'receive' },
  'case.opened': { label: '核查立案', subject: 'case' },
  'case.assigned': { label: '指派核查承办人', subject: 'case' },
  'case.noted': { label: '记录核查情况', subject: 'case' },
  'case.evidence_attached': { label: '附入核查证据档案', subject: 'case' },
  'case.clues_attached': { label: '并入核查线索', subject: 'case' },
  'case.concluded': { label: '作出核查结论', subject: 'case' },
  'case.closed': { label: '核查结案', subject: 'case' },
  'fund.settlements_imported': { label: '导入结算数据', subject: 'fund_import' },
  'fund.settlements_generated': { label: '生成模拟结算数据', subject: 'fund_import' },
  'fund.rule_changed': { label: '修改审核规则', subject: 'fund_rule' },
  'fund.run_started': { label: '开始智能审核', subject: 'fund_run' },
  'fund.run_finished': { label: '完成智能审核', subject: 'fund_run' },
  'fund.run_failed': { label: '智能审核失败', subject: 'fund_run' },
  'fund.clue_dismissed': { label: '排除审核线索', subject: 'fund_clue' },
  'fund.clue_attached': { label: '线索并入核查案件', subject: 'fund_clue' },
  'fund.clue_released': { label: '线索移出核查案件', subject: 'fund_clue' },
} as const satisfies { readonly [Name in EventName]: EventType };

export const EVENT_NAMES = Object.keys(EVENT_TYPES) as EventName[];

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(EVENT_TYPES, name);
}

/** The Chinese name of an event; a name the catalog does not know (an older log's) is shown as is. */
export function eventLabel(name: string): string {
  return isEventName(name) ? EVENT_TYPES[name].label : name;
}

/** Groups of events an auditor filters by: a code ending in a dot stands for the whole group. */
export const EVENT_GROUPS = {
  'auth.': '登录与退出（全部）',
  'access.': '查阅申请与审批（全部）',
  'user.': '账户管理（全部）',
  'item.': '档案（全部）',
  'file.': '电子文件（全部）',
  'token.': '接口令牌（全部）',
  'loan.': '借阅（全部）',
  'appraisal.': '档案鉴定（全部）',
  'hold.': '冻结（全部）',
  'destruction.': '销毁清册（全部）',
  'case.': '核查案件（全部）',
} as const;
