import crypto from 'node:crypto';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { type AccessContext, actorIn } from '../../shared/access-context.js';
import { conflict, invalid } from '../../shared/errors.js';
import { recordEvent } from '../integrity/event-log.js';
import { listFundItems } from './fund-item.repo.js';
import { personFacts } from './fund-person.js';
import { backgroundPerson } from './generate.background.js';
import { FUND_SHARE } from './generate.catalog.js';
import { inject, RULE_CODES, type RuleCode, type TruthEntry } from './generate.inject.js';
import {
  type CatalogItem,
  chargeGuard,
  dateOf,
  dayOf,
  type GenPerson,
  type GenSettlement,
  money,
  People,
  seeded,
} from './generate.model.js';
import { hasImportedSettlements } from './settlement.repo.js';
import { insertSettlements, type PersonRow, type SettlementRow, upsertPersons } from './settlement.write.js';

// The synthetic settlement generator: realistic settlements (门诊 and 住院, institutions of the three
// levels in four 统筹区, ICD-10 diagnoses, about ten lines each) with injected violations of each of
// the twelve audit rules, deterministic from a seed. Returns the ground truth: for every injected
// violation, its rule and the serials involved. Written in batches of a few thousand settlements,
// one multi-row statement per table, so a million settlements take minutes, not hours.

export type { RuleCode, TruthEntry } from './generate.inject.js';
export { RULE_CODES } from './generate.inject.js';

export interface GenerateOptions {
  count: number;
  seed: number;
  /** The period settled in (default the calendar year 2025). */
  from?: string;
  to?: string;
  /** Violations injected per rule (default max(3, count / 2000)). */
  violationsPerRule?: number;
  /** Settlements per written batch (default 5,000). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateResult {
  seed: number;
  from: string;
  to: string;
  settlements: number;
  lines: number;
  persons: number;
  truth: TruthEntry[];
  seconds: number;
}

export const MAX_GENERATE = 5_000_000;

export async function generateSettlements(
  db: Db,
  access: AccessContext,
  options: GenerateOptions,
): Promise<GenerateResult> {
  // Synthetic people carry random valid ID numbers: mixed into a live home they could merge with real
  // people and their injected violations become clues against them (review G23). So only the demo and
  // the tests generate, never a signed-in account, and never beside imported or pushed settlements.
  if (access.kind !== 'system' || (access.reason !== 'demo' && access.reason !== 'fixture'))
    throw invalid(
      'FUND_GENERATE_INVALID',
      '模拟结算数据只能在演示或测试环境中生成（yidang settle generate），不能以账户身份生成',
    );
  const started = performance.now();
  const { count, seed } = options;
  if (!Number.isInteger(count) || count < 100 || count > MAX_GENERATE)
    throw invalid('FUND_GENERATE_INVALID', `生成条数应为 100 至 ${MAX_GENERATE} 之间的整数`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31)
    throw invalid('FUND_GENERATE_INVALID', '随机种子应为非负整数');
  const from = options.from ?? '2025-01-01';
  const to = options.to ?? '2025-12-31';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to) || dayOf(to) - dayOf(from) < 120)
    throw invalid('FUND_GENERATE_INVALID', '生成期间应为 YYYY-MM-DD，且至少 120 天');
  const perRule = options.violationsPerRule ?? Math.max(3, Math.floor(count / 2000));
  if (perRule * RULE_CODES.length * 2 > count)
    throw invalid('FUND_GENERATE_INVALID', `生成条数太少，不足以注入每条规则 ${perRule} 个违规`);

  if (await hasImportedSettlements(db))
    throw conflict(
      'FUND_GENERATE_INVALID',
      '本库已有导入或推送的结算数据，不能再生成模拟数据（模拟参保人可能与真实参保人混在一起）',
    );
  const items = new Map((await listFundItems(db)).map((row) => [row.code, toCatalogItem(row)]));
  const random = seeded(seed);
  const people = new People(random);
  let sequence = 0;
  const tag = String(seed % 1000).padStart(3, '0');
  const serial = (region: string, day: number) =>
    `JS${region}${dateOf(day).replaceAll('-', '')}${tag}${String(++sequence).padStart(7, '0')}`;
  const context = { random, people, from: dayOf(from), to: dayOf(to), serial };
  const writer = new Writer(db, items, options.batchSize ?? 5000, count, options.onProgress);

  const truth: TruthEntry[] = [];
  for (let index = 0; index < perRule; index++)
    for (const rule of RULE_CODES) {
      const made = inject(context, rule, index);
      truth.push(made.truth);
      await writer.add(made.settlements);
    }
  const guard = chargeGuard(items);
  while (writer.settlements < count) {
    const made = backgroundPerson({ ...context, items, guard }, count - writer.settlements);
    await writer.add(made);
  }
  await writer.flush();
  const digest = crypto.createHash('sha256').update(JSON.stringify(truth)).digest('hex');
  await inTransaction(db, async (trx) => {
    recordEvent(trx, {
      actor: actorIn(access),
      action: 'fund.settlements_generated',
      subject: `fund-generate:${seed}`,
      payload: {
        seed,
        from,
        to,
        settlements: writer.settlements,
        lines: writer.lines,
        persons: writer.persons,
        injected: Object.fromEntries(RULE_CODES.map((rule) => [rule, perRule])) as Record<RuleCode, number>,
        truthDigest: `sha256:${digest}`,
      },
    });
  });
  return {
    seed,
    from,
    to,
    settlements: writer.settlements,
    lines: writer.lines,
    persons: writer.persons,
    truth,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

function toCatalogItem(row: Awaited<ReturnType<typeof listFundItems>>[number]): CatalogItem {
  return {
    code: row.code,
    name: row.name,
    category: row.category,
    price: Number(row.unitPrice),
    sex: row.sexLimit,
    ageMin: row.ageMin,
    ageMax: row.ageMax,
    permittedDx: row.permittedDx,
    includes: row.includes,
    parts: row.parts,
  };
}

/** Collects generated settlements and writes them a batch at a time (people first, then settlements). */
class Writer {
  settlements = 0;
  lines = 0;
  persons = 0;
  private pending: GenSettlement[] = [];
  /** Each person's blind index once written (a person's settlements may fall in several batches). */
  private readonly keys = new Map<GenPerson, string>();

  constructor(
    private readonly db: Db,
    private readonly items: ReadonlyMap<string, CatalogItem>,
    private readonly batchSize: number,
    private readonly total: number,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {}

  async add(settlements: GenSettlement[]): Promise<void> {
    for (const settlement of settlements) {
      this.pending.push(settlement);
      this.settlements++;
    }
    if (this.pending.length >= this.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const persons: PersonRow[] = [];
    for (const settlement of batch) {
      if (this.keys.has(settlement.person)) continue;
      const facts = personFacts(settlement.person.idNumber);
      this.keys.set(settlement.person, facts.personKey);
      persons.push({ ...facts, deathDate: settlement.person.death });
    }
    const rows = batch.map((settlement) => this.row(settlement));
    await inTransaction(this.db, async (trx) => {
      await upsertPersons(trx, persons);
      const ids = await insertSettlements(trx, rows, null);
      if (ids.size < rows.length)
        throw invalid(
          'FUND_GENERATE_INVALID',
          '该随机种子的结算数据已生成过（结算流水号已存在），请换一个种子',
        );
    });
    this.persons += persons.length;
    this.lines += rows.reduce((sum, row) => sum + row.lines.length, 0);
    this.onProgress?.(Math.min(this.settlements, this.total), this.total);
  }

  private row(settlement: GenSettlement): SettlementRow {
    const personKey = this.keys.get(settlement.person) as string;
    const lines = settlement.lines.map((line, index) => {
      const item = this.items.get(line.code) as CatalogItem;
      return {
        lineNo: index + 1,
        itemCategory: item.category,
        itemCode: item.code,
        itemName: item.name,
        quantity: String(line.quantity),
        unitPrice: item.price.toFixed(2),
        amount: money(line.quantity * item.price).toFixed(2),
        daysSupply: line.daysSupply,
        lineDate: dateOf(line.day),
      };
    });
    const total = money(lines.reduce((sum, line) => sum + Number(line.amount), 0));
    const fund = money(total * FUND_SHARE[settlement.visit][settlement.institution.level]);
    return {
      serial: settlement.serial,
      personKey,
      region: settlement.person.region,
      institutionCode: settlement.institution.code,
      institutionName: settlement.institution.name,
      institutionLevel: settlement.institution.level,
      visitType: settlement.visit,
      admitDate: dateOf(settlement.admit),
      dischargeDate: dateOf(settlement.discharge),
      primaryDx: settlement.primaryDx,
      otherDx: settlement.otherDx,
      totalCost: total.toFixed(2),
      fundPaid: fund.toFixed(2),
      selfPaid: money(total - fund).toFixed(2),
      settledOn: dateOf(settlement.discharge),
      lines,
    };
  }
}
