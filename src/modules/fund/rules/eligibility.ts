import { sql } from 'kysely';
import { int, numberParam } from './sql.js';
import type { RuleDefinition } from './types.js';

// Rules over who was treated: items restricted by sex or age, drugs paid outside their permitted
// diagnoses, care after the recorded date of death. Each keeps only the lines of the few item codes
// the catalogue restricts (or the settlements of the dead), then compares them with the person.

/** One clue per settlement from restricted lines `r` (settlement_id, line_no, amount, item_code, what). */
const perSettlement = (lead: string) => sql`
    select array[r.settlement_id]::bigint[] as settlement_ids, min(s.person_key) as person_key,
      min(s.institution_code) as institution_code, min(s.region) as region, sum(r.amount) as amount, '' as hit_key,
      jsonb_agg(jsonb_build_array(r.settlement_id, r.line_no) order by r.line_no) as line_refs,
      ${lead} || string_agg(distinct r.what, '；') as note
    from r join fund_settlement s on s.id = r.settlement_id
    group by r.settlement_id`;

export const sexMismatch: RuleDefinition = {
  code: 'sex_mismatch',
  name: '性别不符',
  revision: 1,
  description:
    '收费项目在医保目录中限定了性别（如前列腺、妇科项目），而参保人的性别（由身份证号得出）与之不符。按结算合为一条线索；疑点金额为这些项目的金额。',
  params: {},
  hits: (_params, inRun) => sql`
    with r as (
      select l.settlement_id, l.line_no, l.amount, l.item_code,
        l.item_code || '（限' || i.sex_limit || '性，参保人为' || p.sex || '性）' as what
      from fund_settlement_line l
        join fund_item i on i.code = l.item_code and i.sex_limit is not null
        join fund_settlement s on s.id = l.settlement_id
        join fund_person p on p.person_key = s.person_key
      where l.item_code in (select code from fund_item where sex_limit is not null) and ${inRun('s')}
        and p.sex <> i.sex_limit
    )
    ${perSettlement('限定性别的项目用于不符的参保人：')}`,
};

export const ageMismatch: RuleDefinition = {
  code: 'age_mismatch',
  name: '年龄不符',
  revision: 1,
  description:
    '收费项目在医保目录中限定了年龄范围（最小、最大年龄，含本数），而参保人在收费日期的周岁年龄（由出生日期计算）不在其中。按结算合为一条线索；疑点金额为这些项目的金额。',
  params: {},
  hits: (_params, inRun) => sql`
    with r0 as (
      select l.settlement_id, l.line_no, l.amount, l.item_code, i.age_min, i.age_max,
        extract(year from age(l.line_date, p.birth_date))::integer as age
      from fund_settlement_line l
        join fund_item i on i.code = l.item_code and (i.age_min is not null or i.age_max is not null)
        join fund_settlement s on s.id = l.settlement_id
        join fund_person p on p.person_key = s.person_key
      where l.item_code in (select code from fund_item where age_min is not null or age_max is not null)
        and ${inRun('s')}
    ), r as (
      select r0.*, r0.item_code || '（限 ' || coalesce(r0.age_min::text, '') || '–' || coalesce(r0.age_max::text, '') ||
        ' 岁，参保人 ' || r0.age || ' 岁）' as what
      from r0 where r0.age < coalesce(r0.age_min, 0) or r0.age > coalesce(r0.age_max, 1000)
    )
    ${perSettlement('限定年龄的项目用于不符的参保人：')}`,
};

export const restrictedDx: RuleDefinition = {
  code: 'restricted_dx',
  name: '限定支付范围',
  revision: 1,
  description:
    '药品在医保目录中限定了支付的诊断（ICD-10 前缀），而该次结算的主诊断和其他诊断都不以其中任何一个开头。按结算合为一条线索；疑点金额为这些药品的金额。',
  params: {},
  hits: (_params, inRun) => sql`
    with r as (
      select l.settlement_id, l.line_no, l.amount, l.item_code,
        l.item_code || '（限 ' || array_to_string(i.permitted_dx, '、') || '）' as what
      from fund_settlement_line l
        join fund_item i on i.code = l.item_code and i.permitted_dx <> '{}'
        join fund_settlement s on s.id = l.settlement_id
      where l.item_code in (select code from fund_item where permitted_dx <> '{}') and l.item_category = '药品'
        and ${inRun('s')}
        and not exists (
          select 1 from unnest(i.permitted_dx) as d(prefix)
          where s.primary_dx like d.prefix || '%'
            or exists (select 1 from unnest(s.other_dx) as o(dx) where o.dx like d.prefix || '%'))
    )
    ${perSettlement('药品超出限定的诊断范围支付：')}`,
};

export const afterDeath: RuleDefinition = {
  code: 'after_death',
  name: '死亡后就医',
  revision: 1,
  description:
    '结算的入院（就诊）日期或任何收费日期晚于参保人登记的死亡日期加“宽限天数”。疑点金额为该次结算的基金支付额。',
  params: {
    graceDays: { kind: 'integer', label: '宽限天数', min: 0, max: 30, default: 0 },
  },
  hits: (params, inRun) => sql`
    with d as (
      select s.id, s.person_key, s.institution_code, s.region, s.admit_date, s.fund_paid,
        p.death_date + ${int(numberParam(params, 'graceDays'))} as limit_date, p.death_date
      from fund_settlement s join fund_person p on p.person_key = s.person_key
      where p.death_date is not null and ${inRun('s')}
    ), h as (
      select d.*, (select jsonb_agg(jsonb_build_array(x.settlement_id, x.line_no) order by x.line_no)
          from fund_settlement_line x where x.settlement_id = d.id and x.line_date > d.limit_date) as line_refs
      from d
    )
    select array[h.id]::bigint[] as settlement_ids, h.person_key, h.institution_code, h.region,
      h.fund_paid as amount, '' as hit_key, h.line_refs,
      '参保人死亡日期为 ' || to_char(h.death_date, 'YYYY-MM-DD') || '，此后仍有就医结算（入院 ' ||
        to_char(h.admit_date, 'YYYY-MM-DD') || '）' as note
    from h where h.admit_date > h.limit_date or h.line_refs is not null`,
};
