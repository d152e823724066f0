import { sql } from 'kysely';
import { int, listParam, num, numberParam, prefixPatterns } from './sql.js';
import type { RuleDefinition } from './types.js';

// Rules over the stays themselves (住院 headers): 同时住院, 分解住院, 挂床住院. The first two read only
// fund_settlement; 挂床住院 reads each stay's lines once, grouped by day.

const period = (alias: string) =>
  sql.raw(
    `to_char(${alias}.admit_date, 'YYYY-MM-DD') || '至' || to_char(${alias}.discharge_date, 'YYYY-MM-DD')`,
  );

export const concurrentStay: RuleDefinition = {
  code: 'concurrent_stay',
  name: '同时住院',
  revision: 1,
  description:
    '同一参保人在两家不同医疗机构的住院期间相互重叠：甲入院日早于乙出院日且乙入院日早于甲出院日，重叠天数（较早出院日减较晚入院日）不少于“最少重叠天数”。转院时前一家出院日等于后一家入院日不算重叠。疑点金额为较晚入院一次的基金支付额。',
  params: {
    minOverlapDays: { kind: 'integer', label: '最少重叠天数', min: 1, max: 30, default: 1 },
  },
  hits: (params, inRun) => sql`
    with h as (
      select s.id, s.serial, s.person_key, s.institution_code, s.institution_name, s.region, s.admit_date,
        s.discharge_date, s.fund_paid
      from fund_settlement s where ${inRun('s')} and s.visit_type = '住院'
    )
    select array[a.id, b.id]::bigint[] as settlement_ids, b.person_key, b.institution_code, b.region,
      b.fund_paid as amount, '' as hit_key, null::jsonb as line_refs,
      '在' || a.institution_name || '住院（' || ${period('a')} || '）期间又在' || b.institution_name || '住院（' ||
        ${period('b')} || '），重叠 ' || (least(a.discharge_date, b.discharge_date) - greatest(a.admit_date, b.admit_date)) || ' 天' as note
    from h a join h b on b.person_key = a.person_key and b.institution_code <> a.institution_code
      and (b.admit_date, b.id) > (a.admit_date, a.id)
    where a.admit_date < b.discharge_date and b.admit_date < a.discharge_date
      and least(a.discharge_date, b.discharge_date) - greatest(a.admit_date, b.admit_date) >= ${int(numberParam(params, 'minOverlapDays'))}`,
};

export const splitAdmission: RuleDefinition = {
  code: 'split_admission',
  name: '分解住院',
  revision: 1,
  description:
    '同一参保人在同一医疗机构出院后若干天内（再入院日减上次出院日在 0 至“间隔天数”之间）再次住院，且两次主诊断的 ICD-10 前三位相同；只比较相邻的两次住院。任一次主诊断以“计划性治疗诊断前缀”开头（如 Z51 放化疗、Z49 透析）的不算。疑点金额为再次住院的基金支付额。',
  params: {
    days: { kind: 'integer', label: '间隔天数', min: 1, max: 90, default: 15 },
    plannedPrefixes: {
      kind: 'icdList',
      label: '计划性治疗诊断前缀',
      minItems: 0,
      maxItems: 50,
      default: ['Z51', 'Z49'],
    },
  },
  hits: (params, inRun) => {
    const planned = prefixPatterns(listParam(params, 'plannedPrefixes'));
    return sql`
    with h as (
      select s.id, s.person_key, s.institution_code, s.institution_name, s.region, s.admit_date,
        s.discharge_date, s.primary_dx, s.fund_paid,
        lag(s.id) over w as prev_id, lag(s.discharge_date) over w as prev_discharge,
        lag(s.primary_dx) over w as prev_dx
      from fund_settlement s where ${inRun('s')} and s.visit_type = '住院'
      window w as (partition by s.person_key, s.institution_code order by s.admit_date, s.id)
    )
    select array[h.prev_id, h.id]::bigint[] as settlement_ids, h.person_key, h.institution_code, h.region,
      h.fund_paid as amount, '' as hit_key, null::jsonb as line_refs,
      '出院（' || to_char(h.prev_discharge, 'YYYY-MM-DD') || '）后 ' || (h.admit_date - h.prev_discharge) ||
        ' 天在' || h.institution_name || '再次入院（' || to_char(h.admit_date, 'YYYY-MM-DD') || '），两次主诊断同为 ' ||
        left(h.primary_dx, 3) as note
    from h
    where h.prev_id is not null
      and h.admit_date - h.prev_discharge between 0 and ${int(numberParam(params, 'days'))}
      and left(h.primary_dx, 3) = left(h.prev_dx, 3)
      and not (h.primary_dx like any (${planned}) or h.prev_dx like any (${planned}))`;
  },
};

export const phantomBed: RuleDefinition = {
  code: 'phantom_bed',
  name: '挂床住院',
  revision: 1,
  description:
    '住院当天入院当天出院却收取了床位费；或住院天数（出院日减入院日）不少于“最少住院天数”，而有药品或诊疗收费的日子少于住院天数乘“最低诊疗日占比”。当天出入院而没有床位费的不算。疑点金额为该次住院的床位费，没有床位费时为基金支付额。',
  params: {
    minDays: { kind: 'integer', label: '最少住院天数', min: 1, max: 60, default: 3 },
    minActiveShare: { kind: 'number', label: '最低诊疗日占比', min: 0, max: 1, default: 0.3 },
  },
  hits: (params, inRun) => sql`
    with h as (
      select s.id, s.person_key, s.institution_code, s.region, s.admit_date, s.discharge_date, s.fund_paid,
        s.discharge_date - s.admit_date as stay
      from fund_settlement s where ${inRun('s')} and s.visit_type = '住院'
    ), d as (
      select l.settlement_id, bool_or(l.item_category in ('药品', '诊疗')) as active,
        bool_or(l.item_category = '床位') as bed, coalesce(sum(l.amount) filter (where l.item_category = '床位'), 0) as bed_amount
      from fund_settlement_line l join h on h.id = l.settlement_id
      group by l.settlement_id, l.line_date
    ), a as (
      select settlement_id, count(*) filter (where active) as active_days, bool_or(bed) as has_bed,
        sum(bed_amount) as bed_amount
      from d group by settlement_id
    )
    select array[h.id]::bigint[] as settlement_ids, h.person_key, h.institution_code, h.region,
      case when coalesce(a.bed_amount, 0) > 0 then a.bed_amount else h.fund_paid end as amount,
      '' as hit_key,
      (select jsonb_agg(jsonb_build_array(x.settlement_id, x.line_no) order by x.line_no)
        from fund_settlement_line x where x.settlement_id = h.id and x.item_category = '床位') as line_refs,
      case when h.stay = 0 then '当天入院当天出院（' || to_char(h.admit_date, 'YYYY-MM-DD') || '）却收取床位费'
        else '住院 ' || h.stay || ' 天，有药品或诊疗收费的仅 ' || coalesce(a.active_days, 0) || ' 天' end as note
    from h left join a on a.settlement_id = h.id
    where (h.stay = 0 and coalesce(a.has_bed, false))
      or (h.stay >= ${int(numberParam(params, 'minDays'))}
        and coalesce(a.active_days, 0) < ${num(numberParam(params, 'minActiveShare'))} * h.stay)`,
};
