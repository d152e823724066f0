import { chinaDay, dayNumber, formatDay, parseDay } from './calendar.js';
import { generatePerson, type Person } from './people.js';
import { generateEmployer, regionProfile, treatingHospital } from './places.js';
import { createRandom, pad, type Random, weightedTable } from './random.js';
import { regionName } from '../regions/regions.js';
import type {
  AssistanceIdentity,
  CertificateKind,
  EnrollmentEnd,
  RosterCertificate,
  RosterContribution,
  RosterEnrollment,
  RosterSettlement,
  RosterStatus,
  VisitType,
} from '../ledgers/roster.person.js';
import { ROSTER_BATCH, type RosterLoadResult, storePeople } from '../ledgers/roster.service.js';
import type { Db } from '../../db/database.js';
import { idCheckChar } from '../catalog/id-number.js';

// Synthetic insured roster (参保人员名册) for a county: people, their enrollment history, and for the
// few under assistance (扶贫/低保/特困) their periods, contributions, medical-assistance settlements
// and disease certificates. Person i is a pure function of (seed, region, reference date, i), so a
// roster of a million comes out the same in any batch size, and a test can regenerate anyone.

export interface RosterPerson extends Person {
  address: string;
  enrollments: RosterEnrollment[];
  statuses: RosterStatus[];
  contributions: RosterContribution[];
  settlements: RosterSettlement[];
  certificates: RosterCertificate[];
}

export interface RosterDemoOptions {
  seed: string;
  /** The county the roster belongs to; most people are registered there. */
  regionCode: string;
  /** Nothing happens after this day. */
  referenceDate: Date;
  /** Share of people under assistance (default 8%). */
  assistedShare?: number;
}

export const ROSTER_REFERENCE_DATE = new Date('2026-06-30T12:00:00+08:00');

export const IDENTITY_SOURCES: Record<AssistanceIdentity, string> = {
  poverty: '扶贫办',
  monitored: '扶贫办',
  subsistence: '民政',
  destitute: '民政',
};

const IDENTITIES = weightedTable<AssistanceIdentity>([
  ['poverty', 50],
  ['monitored', 10],
  ['subsistence', 30],
  ['destitute', 10],
]);
const VILLAGES = '张庄 李家湾 王桥 东山 西岗 南塘 北圩 新河 前进 红星 友谊 石门 杨柳 河西'.split(' ');
const TOWNS = '城关镇 新桥镇 白马镇 青山镇 河口镇 东湖镇 石桥镇 柳林镇 双河镇 长兴镇'.split(' ');
const CHRONIC = weightedTable([
  ['冠心病', 20],
  ['慢性阻塞性肺疾病', 15],
  ['脑卒中后遗症', 15],
  ['慢性肾病', 10],
  ['恶性肿瘤门诊治疗', 10],
  ['类风湿关节炎', 8],
  ['帕金森病', 5],
  ['精神分裂症', 7],
  ['肝硬化', 10],
]);

const money = (value: number) => Math.round(value * 100) / 100;

function between(rng: Random, from: number, to: number): number {
  return to <= from ? from : rng.int(from, to);
}

/** Person `index` of the roster (0-based). */
export function rosterPerson(options: RosterDemoOptions, index: number): RosterPerson {
  const rng = createRandom(`roster:${options.seed}:${options.regionCode}`, index);
  const today = chinaDay(options.referenceDate);
  const region = regionProfile(options.regionCode);
  const homes = [options.regionCode, options.regionCode, options.regionCode, ...region.nearby.slice(0, 3)];
  const person = generatePerson(rng, { regionCodes: homes, referenceDate: options.referenceDate });
  const home = regionName(person.regionCode) ?? region.name;
  const address = `${home}${rng.pick(TOWNS)}${rng.pick(VILLAGES)}村${rng.int(1, 12)}组${rng.int(1, 88)}号`;
  const birth = parseDay(person.birthDate);
  const age = Math.floor((today - birth) / 365.25);
  const assisted = rng.chance(options.assistedShare ?? 0.08);

  const statuses: RosterStatus[] = [];
  if (assisted) {
    const identity = rng.weighted(IDENTITIES);
    const includedOn = between(rng, Math.max(birth, dayNumber(2016, 1, 1)), today - 1);
    // About one in five has left assistance; some leave only this year (动态台账's 退出).
    const exited = rng.chance(0.2) ? between(rng, includedOn + 30, today) : null;
    statuses.push({
      identity,
      source: IDENTITY_SOURCES[identity],
      includedOn: formatDay(includedOn),
      exitedOn: exited !== null && exited <= today ? formatDay(exited) : null,
    });
  }

  const enrollments: RosterEnrollment[] = [];
  // 应保尽保: nearly everyone under assistance is insured; the few who are not are the follow-up list.
  if (rng.chance(assisted ? 0.97 : 0.95)) {
    const adult = birth + Math.ceil(18 * 365.25);
    const employed = age >= 18 && age < 60 && rng.chance(assisted ? 0.1 : 0.3);
    const start = between(rng, Math.max(birth + 1, dayNumber(2008, 1, 1)), today - 1);
    if (employed) {
      const employer = generateEmployer(rng, region).name;
      const started = Math.max(start, adult);
      const ends = rng.chance(0.25) ? between(rng, started + 60, today) : null;
      const reason: EnrollmentEnd | null =
        ends === null ? null : rng.chance(0.6) ? 'switched' : 'interrupted';
      // Paid to the end of the month in which it stopped, or to the end of the current month.
      const paidThrough = ends ?? today + 30 - ((today + 30) % 30);
      enrollments.push({
        scheme: 'employee',
        employer,
        startedOn: formatDay(started),
        paidThrough: formatDay(paidThrough),
        endedOn: ends === null ? null : formatDay(ends),
        endReason: reason,
      });
      if (ends !== null && reason === 'switched' && ends + 1 <= today)
        enrollments.push({
          scheme: 'resident',
          employer: null,
          startedOn: formatDay(between(rng, ends + 1, Math.min(ends + 30, today))),
          paidThrough: null,
          endedOn: null,
          endReason: null,
        });
    } else {
      enrollments.push({
        scheme: 'resident',
        employer: null,
        startedOn: formatDay(start),
        paidThrough: null,
        endedOn: null,
        endReason: null,
      });
    }
  }

  const contributions: RosterContribution[] = [];
  const settlements: RosterSettlement[] = [];
  const certificates: RosterCertificate[] = [];
  const status = statuses[0];
  if (status) {
    const included = parseDay(status.includedOn);
    const refYear = Number(formatDay(today).slice(0, 4));
    for (const enrollment of enrollments) {
      const first = Math.max(Number(enrollment.startedOn.slice(0, 4)), refYear - 2);
      const last = enrollment.endedOn ? Number(enrollment.endedOn.slice(0, 4)) : refYear;
      for (let year = first; year <= last; year++) {
        // Resident insurance is paid in the autumn before the year; a few have not paid this year's yet.
        if (year === refYear && rng.chance(0.05)) continue;
        const paidOn =
          enrollment.scheme === 'resident'
            ? formatDay(between(rng, dayNumber(year - 1, 9, 1), dayNumber(year - 1, 12, 31)))
            : formatDay(between(rng, dayNumber(year, 1, 1), dayNumber(year, 1, 28)));
        const amount = enrollment.scheme === 'resident' ? 380 + (year - 2024) * 20 : 1800;
        const subsidy =
          enrollment.scheme === 'employee'
            ? 0
            : status.identity === 'destitute'
              ? amount
              : money(amount * 0.7);
        contributions.push({ scheme: enrollment.scheme, periodYear: year, paidOn, amount, subsidy });
      }
    }
    const visits = rng.int(0, 5);
    for (let visit = 0; visit < visits; visit++) {
      const visitType: VisitType = rng.chance(0.7) ? 'outpatient' : 'inpatient';
      const start = between(rng, Math.max(included, today - 3 * 365), today - 1);
      const end = visitType === 'inpatient' ? Math.min(start + rng.int(2, 20), today) : start;
      const totalCost = money(
        visitType === 'inpatient' ? rng.logUniform(3000, 120_000) : rng.logUniform(80, 3000),
      );
      const insurancePaid = money(totalCost * (visitType === 'inpatient' ? 0.55 + rng.next() * 0.15 : 0.5));
      const left = totalCost - insurancePaid;
      const assistancePaid = money(left * (0.5 + rng.next() * 0.2));
      const criticalPaid =
        visitType === 'inpatient' && totalCost > 30_000 ? money((left - assistancePaid) * 0.5) : 0;
      const reassistancePaid =
        criticalPaid > 0 && rng.chance(0.3) ? money((left - assistancePaid - criticalPaid) * 0.5) : 0;
      settlements.push({
        visitType,
        institution: treatingHospital(rng, region, visitType === 'inpatient' ? 0.15 : 0),
        visitStart: formatDay(start),
        visitEnd: formatDay(end),
        settledOn: formatDay(Math.min(end + rng.int(0, 10), today)),
        totalCost,
        insurancePaid,
        assistancePaid,
        criticalPaid,
        reassistancePaid,
      });
    }
    const certificate = (kind: CertificateKind, disease: string) => {
      const issued = between(rng, Math.max(birth + 18 * 365, dayNumber(2015, 1, 1)), today - 1);
      const revoked = rng.chance(0.05) ? between(rng, issued + 1, today) : null;
      certificates.push({
        kind,
        disease,
        issuedOn: formatDay(issued),
        revokedOn: revoked === null ? null : formatDay(revoked),
      });
    };
    const older = age >= 40;
    if (rng.chance(older ? 0.25 : 0.06)) certificate('hypertension', '高血压');
    if (rng.chance(older ? 0.12 : 0.03)) certificate('diabetes', '糖尿病');
    if (rng.chance(older ? 0.12 : 0.04)) certificate('chronic', rng.weighted(CHRONIC));
  }
  return { ...person, address, enrollments, statuses, contributions, settlements, certificates };
}

/** Keeps a roster's ID numbers unique: a repeated one moves on to the next free sequence number of the same sex. */
export function uniqueIdNumber(
  person: Person,
  taken: Set<string>,
  check: (first17: string) => string,
): string {
  let idNumber = person.idNumber;
  let sequence = Number(idNumber.slice(14, 17));
  while (taken.has(idNumber)) {
    sequence = (sequence + 2) % 1000;
    const first17 = `${idNumber.slice(0, 14)}${pad(sequence, 3)}`;
    idNumber = first17 + check(first17);
  }
  taken.add(idNumber);
  return idNumber;
}

export interface RosterDemoLoad extends RosterDemoOptions {
  people: number;
  onProgress?: (done: number, total: number) => void;
}

/** Generates and stores a synthetic roster of `people` (into an empty roster: IDs are kept unique within the run). */
export async function loadRosterDemo(
  db: Db,
  options: RosterDemoLoad,
  actor: string,
): Promise<RosterLoadResult> {
  const taken = new Set<string>();
  const total: RosterLoadResult = { people: 0, assisted: 0, enrollments: 0, settlements: 0, certificates: 0 };
  for (let start = 0; start < options.people; start += ROSTER_BATCH) {
    const batch: RosterPerson[] = [];
    for (let index = start; index < Math.min(start + ROSTER_BATCH, options.people); index++) {
      const person = rosterPerson(options, index);
      batch.push({ ...person, idNumber: uniqueIdNumber(person, taken, idCheckChar) });
    }
    const stored = await storePeople(db, batch, actor, 'demo');
    for (const key of Object.keys(total) as Array<keyof RosterLoadResult>) total[key] += stored[key];
    options.onProgress?.(total.people, options.people);
  }
  return total;
}
