import { sql } from 'kysely';
import { int, num, numberParam } from './sql.js';
import type { RuleDefinition } from './types.js';

// Rules over what was billed: 重复结算 across settlements, and within one settlement 重复收费,
// 超标准收费 and 分解收费. The last three first keep only the lines of the few item codes the catalogue
// marks (includes / per_day / parts), so each reads the detail table once.

const money = (column: string) => sql.raw(`to_char(${column}, 'FM999999999990.00')`);

export const repeatSettlement: RuleDefinition = {
  code: 'repeat_settlement',
  name: '重复结算',
  revision: 2,
  description:
    '同一参保人的同一收费项目、同一收费日期出现在两次或更多不同的结算中。涉及同一组结算的重复项目合为一条线索；重复金额（第一次结算之外各次结算中这些项目的金额）低于“最低重复金额”的不报。疑点金额为该重复金额。',
  params: {
    minAmount: { kind: 'number', label: '最低重复金额（元）', min: 0, max: 1_000_000, default: 0 },
  },
  hits: (params, inRun) => sql`
    with g as (
      select s.person_key, l.item_code, l.line_date
      from fund_settlement s join fund_settlement_line l on l.settlement_id = s.id
      where ${inRun('s')}
      group by s.person_key, l.item_code, l.line_date
      having min(l.settlement_id) <> max(l.settlement_id)
    ), x as (
      -- the few groups found, read again through the person's settlements (an index look-up each)
      select g.person_key, g.item_code, g.line_date, r.settlement_id, r.line_no, r.amount
      from g cross join lateral (
        select l.settlement_id, l.line_no, l.amount
        from fund_settlement s join fund_settlement_line l on l.settlement_id = s.id
        where s.person_key = g.person_key and ${inRun('s')} and l.item_code = g.item_code and l.line_date = g.line_date
          offset 0 -- a fence: looked up per group, never joined with the whole table
      ) r
    ), k as (
      select person_key, item_code, line_date, array_agg(distinct settlement_id order by settlement_id) as ids
      from x group by person_key, item_code, line_date
    ), y as (
      select k.ids, x.* from k join x using (person_key, item_code, line_date)
    )
    select y.ids as settlement_ids, min(y.person_key) as person_key,
      (select institution_code from fund_settlement where id = y.ids[array_length(y.ids, 1)]) as institution_code,
      (select region from fund_settlement where id = y.ids[array_length(y.ids, 1)]) as region,
      coalesce(sum(y.amount) filter (where y.settlement_id <> y.ids[1]), 0) as amount, '' as hit_key,
      jsonb_agg(jsonb_build_array(y.settlement_id, y.line_no) order by y.settlement_id, y.line_no) as line_refs,
      '同一项目同一日期在 ' || array_length(y.ids, 1) || ' 次结算中重复结算：' || count(distinct y.item_code) ||
        ' 个项目，重复金额 ' || ${money('coalesce(sum(y.amount) filter (where y.settlement_id <> y.ids[1]), 0)')} || ' 元' as note
    from y group by y.ids
    having coalesce(sum(y.amount) filter (where y.settlement_id <> y.ids[1]), 0) >= ${num(numberParam(params, 'minAmount'))}`,
};

export const doubleCharge: RuleDefinition = {
  code: 'double_charge',
  name: '重复收费',
  revision: 1,
  description:
    '同一次结算的同一收费日期内，既收了某项目，又收了该项目已包含的项目（医保目录“包含项目”）。按结算合为一条线索；疑点金额为被包含项目的金额。',
  params: {},
  hits: (_params, inRun) => sql`
    with codes as (
      select code from fund_item where includes <> '{}'
      union select unnest(includes) from fund_item
    ), rel as materialized (
      select l.settlement_id, l.line_no, l.line_date, l.item_code, l.amount
      from fund_settlement_line l join fund_settlement s on s.id = l.settlement_id
      where l.item_code in (select code from codes) and ${inRun('s')}
    ), p as (
      select a.settlement_id, a.line_no as a_line, b.line_no as b_line, b.amount, a.item_code as a_code,
        b.item_code as b_code
      from rel a join fund_item i on i.code = a.item_code and i.includes <> '{}'
        join rel b on b.settlement_id = a.settlement_id and b.line_date = a.line_date and b.item_code = any (i.includes)
    ), g as (
      select p.settlement_id, sum(p.amount) as amount, array_agg(p.a_line) || array_agg(p.b_line) as lines,
        string_agg(distinct p.a_code || ' 又收其已包含的 ' || p.b_code, '；') as what
      from p group by p.settlement_id
    )
    select array[g.settlement_id]::bigint[] as settlement_ids, s.person_key, s.institution_code, s.region,
      g.amount, '' as hit_key,
      (select jsonb_agg(jsonb_build_array(g.settlement_id, y.n) order by y.n)
        from (select distinct unnest(g.lines) as n) y) as line_refs,
      '同日既收 ' || g.what as note
    from g join fund_settlement s on s.id = g.settlement_id`,
};

export const overStandard: RuleDefinition = {
  code: 'over_standard',
  name: '超标准收费',
  revision: 1,
  description:
    '住院结算中，按日收费的项目（医保目录“每日限一次”，如床位费、护理费、诊查费）的数量合计超过住院天数（当天出入院按 1 天）加“允许超出数量”。按结算合为一条线索；疑点金额为超出数量乘单价。',
  params: {
    tolerance: { kind: 'integer', label: '允许超出数量', min: 0, max: 30, default: 0 },
  },
  hits: (params, inRun) => sql`
    with q as (
      select l.settlement_id, l.item_code, sum(l.quantity) as quantity, max(l.unit_price) as unit_price,
        greatest(min(s.discharge_date - s.admit_date), 1) as allowed
      from fund_settlement_line l join fund_settlement s on s.id = l.settlement_id
      where l.item_code in (select code from fund_item where per_day) and s.visit_type = '住院' and ${inRun('s')}
      group by l.settlement_id, l.item_code
      having sum(l.quantity) > greatest(min(s.discharge_date - s.admit_date), 1) + ${int(numberParam(params, 'tolerance'))}
    ), g as (
      select q.settlement_id, sum((q.quantity - q.allowed) * q.unit_price) as amount, array_agg(q.item_code) as codes,
        string_agg(q.item_code || ' 收 ' || trim_scale(q.quantity) || '，应不超过 ' || q.allowed, '；' order by q.item_code) as what
      from q group by q.settlement_id
    )
    select array[g.settlement_id]::bigint[] as settlement_ids, s.person_key, s.institution_code, s.region,
      g.amount, '' as hit_key,
      (select jsonb_agg(jsonb_build_array(x.settlement_id, x.line_no) order by x.line_no) from fund_settlement_line x
        where x.settlement_id = g.settlement_id and x.item_code = any (g.codes)) as line_refs,
      '按日收费项目超过住院天数：' || g.what as note
    from g join fund_settlement s on s.id = g.settlement_id`,
};

export const unbundling: RuleDefinition = {
  code: 'unbundling',
  name: '分解收费',
  revision: 1,
  description:
    '同一次结算的同一收费日期内，收了某打包项目（医保目录“组成项目”）的至少“最少组成项目数”个组成项目，却没有收该打包项目本身。按结算合为一条线索；疑点金额为这些组成项目金额合计超出打包项目标准价的部分（不低于 0）。',
  params: {
    minParts: { kind: 'integer', label: '最少组成项目数', min: 2, max: 20, default: 2 },
  },
  hits: (params, inRun) => sql`
    with parts as (
      select i.code as bundle, i.unit_price as bundle_price, unnest(i.parts) as part from fund_item i where i.parts <> '{}'
    ), rel as materialized (
      select l.settlement_id, l.line_no, l.line_date, l.item_code, l.amount
      from fund_settlement_line l join fund_settlement s on s.id = l.settlement_id
      where l.item_code in (select part from parts union select bundle from parts) and ${inRun('s')}
    ), c as (
      select r.settlement_id, r.line_date, p.bundle, min(p.bundle_price) as bundle_price,
        count(distinct r.item_code) as n, sum(r.amount) as amount, array_agg(r.line_no) as lines
      from rel r join parts p on p.part = r.item_code
      group by r.settlement_id, r.line_date, p.bundle
      having count(distinct r.item_code) >= ${int(numberParam(params, 'minParts'))}
    ), u as (
      select c.* from c where not exists (
        select 1 from rel b where b.settlement_id = c.settlement_id and b.line_date = c.line_date and b.item_code = c.bundle)
    ), g as (
      select u.settlement_id, sum(greatest(u.amount - u.bundle_price, 0)) as amount,
        string_agg(distinct u.bundle || '（' || u.n || ' 个组成项目，' || to_char(u.line_date, 'YYYY-MM-DD') || '）', '；') as what
      from u group by u.settlement_id
    )
    select array[g.settlement_id]::bigint[] as settlement_ids, s.person_key, s.institution_code, s.region,
      g.amount, '' as hit_key,
      (select jsonb_agg(jsonb_build_array(g.settlement_id, y.n) order by y.n)
        from (select distinct unnest(x.lines) as n from u x where x.settlement_id = g.settlement_id) y) as line_refs,
      '未收打包项目而分别收其组成项目：' || g.what as note
    from g join fund_settlement s on s.id = g.settlement_id`,
};
