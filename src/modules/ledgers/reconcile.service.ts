import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { beijingDate } from '../../shared/beijing-time.js';
import { invalid } from '../../shared/errors.js';
import { maskIdLikeRuns } from '../../shared/id-in-text.js';
import { idNumberIndex, openIdNumber, sealText } from '../../shared/field-cipher.js';
import { recordEvent } from '../integrity/event-log.js';
import {
  type Finding,
  followUpPeople,
  IDENTITY_NAMES,
  OUTCOME_NAMES,
  type Outcome,
} from './reconcile.findings.js';
import { type ListRow, readList } from './reconcile.list.js';
import { type IdRelation, idRelation, NAME_TIERS, nameRelation } from './reconcile.match.js';
import { insertRun } from './reconcile.repo.js';
import { type BlockKeys, blockKeys, namePinyin } from './roster.keys.js';
import { enrollmentsOn, findByBlockKey, findByIdIndexes, type RosterCandidate } from './roster.repo.js';

// Reconciliation (核对) of another department's list against the insured roster: every row is matched
// exactly by ID number where it can be, its name compared, a mistyped ID traced to the person it most
// likely meant (blocking keys, then scoring), and those not insured put on the follow-up list. The run
// and its findings are recorded, sealed, with its event, in one transaction.

export const RECONCILE_SOURCES = ['扶贫办', '民政', '乡村振兴局', '其他'] as const;

export interface ReconcileRequest {
  content: Buffer;
  fileName: string;
  source: string;
  actor: string;
  /** The day enrollment is checked on (default today). */
  today?: Date;
  /**
   * The roster regions the caller's scope reaches (region-code prefixes; null or absent: all). A
   * row whose ID number lies elsewhere is not checked, and nobody outside is proposed or named.
   */
  regions?: readonly string[] | null;
}

export interface ReconcileResult {
  runId: number;
  source: string;
  fileName: string;
  rows: number;
  counts: Record<Outcome, number>;
  /** People to urge to enroll or pay (待办): not in the roster, or in it without insurance in force. */
  followUps: number;
  findings: Finding[];
  /** The roster person each resolved row was matched or traced to (line → person id). */
  resolved: Map<number, number>;
  durationMs: number;
}

const FUZZY_RELATIONS: ReadonlySet<IdRelation> = new Set([
  'substitution',
  'transposition',
  'one_edit',
  'prefix',
]);

const dayOf = (moment: Date) => beijingDate(moment);

/** Candidates for rows whose ID is wrong: everyone sharing any blocking key, found by index. */
async function candidatesByKeys(
  db: Db,
  rows: readonly ListRow[],
  regions: readonly string[] | null,
): Promise<Map<number, Map<number, RosterCandidate>>> {
  const keysOfRow = new Map<number, Partial<BlockKeys>>();
  for (const row of rows) {
    // Below region and birth date nothing is proposed (see choose), so nothing is looked up.
    if (row.idTrustedDigits < 14) continue;
    const padded = row.idNumber.padEnd(18, '?');
    const keys: Partial<BlockKeys> = blockKeys(padded, namePinyin(row.name));
    // A number Excel shortened keeps its head only: keys built from the lost tail would find strangers.
    if (row.idTrustedDigits < 18) {
      delete keys.birthSeq;
      delete keys.nameSeq;
      if (row.idTrustedDigits < 15) delete keys.regionBirth;
    }
    keysOfRow.set(row.line, keys);
  }
  const byRow = new Map<number, Map<number, RosterCandidate>>();
  for (const key of ['regionBirth', 'birthSeq', 'nameRegion', 'nameSeq'] as const) {
    const wanted = new Map<number, number[]>();
    for (const [line, keys] of keysOfRow) {
      const value = keys[key];
      if (value === undefined) continue;
      const lines = wanted.get(value);
      if (lines) lines.push(line);
      else wanted.set(value, [line]);
    }
    if (wanted.size === 0) continue;
    for (const candidate of await findByBlockKey(db, key, [...wanted.keys()], regions)) {
      for (const line of wanted.get(candidate.key) ?? []) {
        const found = byRow.get(line) ?? new Map<number, RosterCandidate>();
        byRow.set(line, found);
        found.set(candidate.id, candidate);
      }
    }
  }
  return byRow;
}

interface Scored {
  candidate: RosterCandidate;
  idNumber: string;
  tier: number;
  relation: IdRelation;
}

/** The person a wrong ID most likely meant: the best name tier, if exactly one person is in it. */
function choose(row: ListRow, candidates: Iterable<RosterCandidate>): { best?: Scored; tied: Scored[] } {
  // With less than region and birth date left, a name alone would pick a stranger: no proposal.
  if (row.idTrustedDigits < 14) return { tied: [] };
  const scored: Scored[] = [];
  for (const candidate of candidates) {
    // The ID is already wrong: the name must be the same (or sound the same), never one character
    // off as well; a shortened ID, whose tail is lost, takes the same name only. Names are compared
    // first, since only candidates that pass are worth decrypting.
    const tier = NAME_TIERS.indexOf(nameRelation(row.name, candidate.name) as (typeof NAME_TIERS)[number]);
    if (tier < 0 || tier > 1) continue;
    const idNumber = openIdNumber(candidate.idNumber) as string;
    const relation = idRelation(row.idNumber, idNumber, row.idTrustedDigits);
    if (!FUZZY_RELATIONS.has(relation) || (relation === 'prefix' && tier > 0)) continue;
    scored.push({ candidate, idNumber, tier, relation });
  }
  if (scored.length === 0) return { tied: [] };
  const top = Math.min(...scored.map((entry) => entry.tier));
  const tied = scored.filter((entry) => entry.tier === top);
  return tied.length === 1 ? { best: tied[0], tied } : { tied };
}

const RELATION_NOTES: Record<IdRelation, string> = {
  same: '',
  substitution: '身份证号有一位数字错误',
  transposition: '身份证号相邻两位颠倒',
  one_edit: '身份证号多一位或少一位',
  prefix: '身份证号后几位已失真（Excel 数字格式），按前几位与姓名找到',
  far: '',
};

export async function reconcileList(db: Db, request: ReconcileRequest): Promise<ReconcileResult> {
  const started = performance.now();
  const source = request.source.trim();
  if (!(RECONCILE_SOURCES as readonly string[]).includes(source))
    throw invalid('RECONCILE_SOURCE', `来文单位应为：${RECONCILE_SOURCES.join('、')}`);
  const today = request.today ?? new Date();
  // A list named after a person (their ID number) is kept and shown with the number masked.
  const fileName = maskIdLikeRuns([...request.fileName.trim()].slice(-120).join('')) || '名单';
  const list = await readList(request.content, { today });
  const findings: Finding[] = [];
  const counts = Object.fromEntries(Object.keys(OUTCOME_NAMES).map((key) => [key, 0])) as Record<
    Outcome,
    number
  >;
  const resolved = new Map<number, number>(); // line → person id
  const add = (finding: Finding) => {
    counts[finding.outcome]++;
    findings.push(finding);
  };
  const base = (row: ListRow) => ({
    line: row.line,
    name: row.rawName,
    idNumber: row.rawId,
    identity: row.identity ? IDENTITY_NAMES[row.identity] : undefined,
    address: row.address,
    phone: row.phone,
  });

  // 0. Rows whose ID number lies outside the caller's regions are not checked (nor say who is insured).
  const regions = request.regions ?? null;
  const outside = (row: ListRow) =>
    regions !== null &&
    row.idNumber !== '' &&
    !row.idProblem &&
    !regions.some((prefix) => row.idNumber.startsWith(prefix));

  // 1. Exact: every valid ID by its blind index.
  const valid = list.rows.filter(
    (row) =>
      row.duplicateOf === undefined &&
      row.name !== '' &&
      row.idNumber !== '' &&
      !row.idProblem &&
      !outside(row),
  );
  const byIndex = new Map<string, RosterCandidate>();
  for (const person of await findByIdIndexes(
    db,
    valid.map((row) => idNumberIndex(row.idNumber) as string),
    regions,
  ))
    byIndex.set(person.idIndex, person);

  const fuzzy: ListRow[] = [];
  for (const row of list.rows) {
    if (row.duplicateOf === undefined && outside(row)) {
      add({ ...base(row), outcome: 'out_of_scope', note: '身份证号所属地区不在本人范围内，未与名册核对' });
      continue;
    }
    if (row.duplicateOf !== undefined) {
      add({ ...base(row), outcome: 'duplicate', note: row.problems.join('；') });
      continue;
    }
    if (row.name === '' || row.idNumber === '') {
      add({ ...base(row), outcome: 'missing', note: row.problems.join('；') || '缺少姓名或身份证号' });
      continue;
    }
    if (row.idProblem) {
      fuzzy.push(row);
      continue;
    }
    const person = byIndex.get(idNumberIndex(row.idNumber) as string);
    if (!person && row.idNumber.endsWith('000')) {
      // One in eleven IDs Excel rounded to …000 still passes the check digit: traced by its head.
      fuzzy.push({
        ...row,
        idTrustedDigits: 15,
        idProblem: '名册中没有此身份证号，末3位为000，疑似曾被 Excel 存为数字（第15位之后已失真）',
      });
      continue;
    }
    if (!person) {
      add({ ...base(row), outcome: 'not_in_roster', note: '名册中没有此身份证号：未参保登记' });
      continue;
    }
    const relation = nameRelation(row.name, person.name);
    if (relation === 'same') {
      resolved.set(row.line, person.id);
      counts.matched++;
      continue;
    }
    if (relation === 'different') {
      // The holder's name is a third party's: it stays out of a list sent to another department.
      add({
        ...base(row),
        outcome: 'id_other_person',
        note: '身份证号在名册中属于另一人，请核实姓名与身份证号',
      });
      continue;
    }
    resolved.set(row.line, person.id);
    add({
      ...base(row),
      outcome: relation === 'homophone' ? 'name_homophone' : 'name_typo',
      rosterName: person.name,
      personId: person.id,
      note:
        relation === 'homophone'
          ? `姓名同音不同字，名册为“${person.name}”`
          : `姓名有错别字，名册为“${person.name}”`,
    });
  }

  // 2. Wrong IDs: candidates by blocking key, the likely person chosen by ID distance and name.
  const candidates = await candidatesByKeys(db, fuzzy, regions);
  for (const row of fuzzy) {
    const { best, tied } = choose(row, candidates.get(row.line)?.values() ?? []);
    if (best) {
      resolved.set(row.line, best.candidate.id);
      add({
        ...base(row),
        outcome: 'id_corrected',
        rosterName: best.candidate.name,
        proposedId: best.idNumber,
        personId: best.candidate.id,
        note: [
          row.idProblem,
          RELATION_NOTES[best.relation],
          best.tier > 0 ? `名册姓名为“${best.candidate.name}”` : '',
        ]
          .filter(Boolean)
          .join('；'),
      });
    } else if (tied.length > 1) {
      add({
        ...base(row),
        outcome: 'id_ambiguous',
        note: `${row.idProblem}；名册中有 ${tied.length} 人与之相近，请人工核实`,
      });
    } else {
      add({ ...base(row), outcome: 'id_unmatched', note: `${row.idProblem}；名册中找不到相近的人` });
    }
  }

  // 3. Follow-up (待办): everyone found without insurance in force today, and everyone not found.
  const day = dayOf(today);
  const inForce = await enrollmentsOn(db, [...new Set(resolved.values())], day);
  const findingOfLine = new Map(findings.map((finding) => [finding.line, finding]));
  for (const row of list.rows) {
    const personId = resolved.get(row.line);
    if (personId === undefined || inForce.has(personId)) continue;
    const earlier = findingOfLine.get(row.line);
    if (earlier) earlier.followUp = '已登记但当前无有效参保（断保或从未参保），请督促参保缴费';
    else {
      // A matched row moves to not_enrolled, so the counts still add up to the list's rows.
      counts.matched--;
      add({
        ...base(row),
        outcome: 'not_enrolled',
        personId,
        note: '名册有此人，当前无有效参保',
        followUp: '已登记但当前无有效参保（断保或从未参保），请督促参保缴费',
      });
    }
  }
  for (const finding of findings)
    if (finding.outcome === 'not_in_roster') finding.followUp = '未参保登记，请通知参保缴费';
  findings.sort((a, b) => a.line - b.line);

  const durationMs = Math.round(performance.now() - started);
  // People, not lines: one person named on two lines is urged once.
  const followUps = followUpPeople(findings).length;
  const summary = { rows: list.rows.length, skipped: list.skipped.length, counts, followUps };
  const runId = await inTransaction(db, async (trx) => {
    const id = await insertRun(trx, {
      source,
      fileName,
      fileDigest: `sha256:${crypto.createHash('sha256').update(request.content).digest('hex')}`,
      rowCount: list.rows.length,
      summary: {
        ...summary,
        skippedLines: list.skipped.slice(0, 1000),
        format: list.format,
        headerLine: list.headerLine,
      },
      findings: sealText(JSON.stringify(findings)),
      actor: request.actor,
      durationMs,
    });
    // Counts only: the list's names and ID numbers stay out of the log.
    recordEvent(trx, {
      actor: request.actor,
      action: 'roster.reconciled',
      subject: `reconciliation:${id}`,
      payload: { source, fileName, ...summary },
    });
    return id;
  });
  return {
    runId,
    source,
    fileName,
    rows: list.rows.length,
    counts,
    followUps,
    findings,
    resolved,
    durationMs,
  };
}
