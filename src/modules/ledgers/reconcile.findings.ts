import type { AssistanceIdentity } from './ledgers.tables.js';
import { normaliseIdNumber } from './list.person.js';

// What reconciliation says about a list row, in the words the reports use.

export const OUTCOME_NAMES = {
  matched: '核对一致',
  name_homophone: '姓名同音字',
  name_typo: '姓名错别字',
  id_other_person: '身份证号属于他人',
  id_corrected: '身份证号有误（已找到本人）',
  id_ambiguous: '身份证号有误（多人相近）',
  id_unmatched: '身份证号有误（无相近人员）',
  not_in_roster: '未参保登记',
  not_enrolled: '已登记未参保',
  missing: '缺姓名或身份证号',
  duplicate: '重复行',
  out_of_scope: '不在本人范围内（未核对）',
} as const;

export type Outcome = keyof typeof OUTCOME_NAMES;

/** Outcomes the sending department must correct in its own list (返回更正清单). */
export const CORRECTION_OUTCOMES: readonly Outcome[] = [
  'name_homophone',
  'name_typo',
  'id_other_person',
  'id_corrected',
  'id_ambiguous',
  'id_unmatched',
  'missing',
  'duplicate',
];

export const IDENTITY_NAMES: Record<AssistanceIdentity, string> = {
  poverty: '脱贫人口（建档立卡）',
  monitored: '防返贫监测对象',
  subsistence: '低保对象',
  destitute: '特困人员',
};

export interface Finding {
  line: number;
  outcome: Outcome;
  /** As the list wrote them. */
  name: string;
  idNumber: string;
  identity?: string;
  address?: string;
  phone?: string;
  /** The roster's name for the person the row was matched or traced to. */
  rosterName?: string;
  /** The roster's ID number of the person a wrong ID most likely meant. */
  proposedId?: string;
  personId?: number;
  note: string;
  /** Set when the person must be urged to enroll or pay (待办). */
  followUp?: string;
}

/**
 * The people to follow up, each once: a list may name one person on two lines (a misspelt name under
 * the right ID), and the follow-up list and its count are of people (人), not of lines. The first
 * line's finding stands for the person, with every line that named them.
 */
export function followUpPeople(findings: readonly Finding[]): Array<{ finding: Finding; lines: number[] }> {
  const people = new Map<string, { finding: Finding; lines: number[] }>();
  for (const finding of findings) {
    if (finding.followUp === undefined) continue;
    const key =
      finding.personId !== undefined
        ? `person:${finding.personId}`
        : `id:${normaliseIdNumber(finding.proposedId ?? finding.idNumber).idNumber}`;
    const person = people.get(key);
    if (person) person.lines.push(finding.line);
    else people.set(key, { finding, lines: [finding.line] });
  }
  return [...people.values()];
}
