import { sql } from 'kysely';
import { int, listParam, numberParam, prefixPatterns } from './sql.js';
import type { RuleDefinition } from './types.js';

// 超量开药: prescriptions of one drug to one person chained while they overlap, the chain's days of
// supply summed. One ordered pass over the drug lines with a days' supply (a window), then only the
// chains found too long are read again, by the person's settlements.

export const overSupply: RuleDefinition = {
  code: 'over_supply',
  name: '超量开药',
  revision: 1,
  description:
    '同一参保人同一药品的处方按日期排列，后一张的开药日期早于前一张的开药日期加其用药天数时视为连续（重叠）处方；连续处方的用药天数合计超过上限即为超量：其中任一次结算的主诊断以“慢性病诊断前缀”之一开头时上限为“慢性病天数”，否则为“急性病天数”。疑点金额为这些处方金额中超出天数所占的部分。',
  params: {
    acuteDays: { kind: 'integer', label: '急性病天数', min: 1, max: 90, default: 7 },
    chronicDays: { kind: 'integer', label: '慢性病天数', min: 1, max: 180, default: 30 },
    chronicDx: {
      kind: 'icdList',
      label: '慢性病诊断前缀',
      minItems: 0,
      maxItems: 200,
      default: [
        'E10',
        'E11',
        'E13',
        'E14',
        'I10',
        'I11',
        'I12',
        'I13',
        'I20',
        'I25',
        'I50',
        'I63',
        'I69',
        'J44',
        'J45',
        'N18',
        'F20',
        'F31',
        'G20',
        'G40',
        'M05',
        'K74',
        'B18',
        'C',
      ],
    },
  },
  hits: (params, inRun) => {
    const acute = int(numberParam(params, 'acuteDays'));
    const chronic = int(numberParam(params, 'chronicDays'));
    return sql`
    with d as (
      select s.person_key, l.item_code, l.line_date, l.days_supply, l.settlement_id, l.line_no,
        s.primary_dx like any (${prefixPatterns(listParam(params, 'chronicDx'))}) as chronic
      from fund_settlement_line l join fund_settlement s on s.id = l.settlement_id
      where l.item_category = '药品' and l.days_supply > 0 and ${inRun('s')}
    ), o as (
      select d.*, case when d.line_date < lag(d.line_date) over w + lag(d.days_supply) over w then 0 else 1 end as starts
      from d window w as (partition by d.person_key, d.item_code order by d.line_date, d.settlement_id, d.line_no)
    ), c as (
      select o.*, sum(o.starts) over (partition by o.person_key, o.item_code
        order by o.line_date, o.settlement_id, o.line_no rows unbounded preceding) as chain
      from o
    ), g as (
      select c.person_key, c.item_code, c.chain, sum(c.days_supply) as days, bool_or(c.chronic) as chronic,
        min(c.line_date) as first_date, max(c.line_date) as last_date, count(*) as n
      from c group by c.person_key, c.item_code, c.chain
      having sum(c.days_supply) > case when bool_or(c.chronic) then ${chronic} else ${acute} end
    ), x as (
      -- the chains found too long, read again through the person's settlements (an index look-up each)
      select g.*, r.settlement_id, r.line_no, r.amount, r.institution_code, r.region
      from g cross join lateral (
        select l.settlement_id, l.line_no, l.amount, s.institution_code, s.region
        from fund_settlement s join fund_settlement_line l on l.settlement_id = s.id
        where s.person_key = g.person_key and ${inRun('s')} and l.item_code = g.item_code
          and l.item_category = '药品' and l.days_supply > 0 and l.line_date between g.first_date and g.last_date
          offset 0 -- a fence: looked up per group, never joined with the whole table
      ) r
    )
    select array_agg(distinct x.settlement_id order by x.settlement_id)::bigint[] as settlement_ids,
      x.person_key, min(x.institution_code) as institution_code, min(x.region) as region,
      round(sum(x.amount) * (min(x.days) - case when bool_or(x.chronic) then ${chronic} else ${acute} end) / min(x.days), 2) as amount,
      x.item_code || '@' || to_char(min(x.first_date), 'YYYY-MM-DD') as hit_key,
      jsonb_agg(jsonb_build_array(x.settlement_id, x.line_no) order by x.settlement_id, x.line_no) as line_refs,
      x.item_code || ' 连续开药 ' || min(x.n) || ' 次（' || to_char(min(x.first_date), 'YYYY-MM-DD') || '至' ||
        to_char(min(x.last_date), 'YYYY-MM-DD') || '），用药天数合计 ' || min(x.days) || ' 天，超过' ||
        case when bool_or(x.chronic) then '慢性病' else '急性病' end || '上限 ' ||
        case when bool_or(x.chronic) then ${chronic} else ${acute} end || ' 天' as note
    from x group by x.person_key, x.item_code, x.chain`;
  },
};
