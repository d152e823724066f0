import { type Kysely, sql } from 'kysely';

// The category a carried-out 销毁清册 is filed under in its fonds: permanent (档案法 and the 2009
// 社会保险业务档案管理规定 keep destruction registers for ever). Frozen here as shipped.

const CATEGORY = {
  code: 'XHQC',
  name: '档案销毁清册',
  retention: 'Y',
  basis: '档案法：档案销毁清册永久保存',
};

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    insert into category (code, name, parent_id, default_retention, retention_basis, default_sensitivity,
      requires_person, requires_amount, extra_fields, builtin, sort_order)
    select ${CATEGORY.code}, ${CATEGORY.name}, null, ${CATEGORY.retention}, ${CATEGORY.basis}, 'normal',
      false, false, ${JSON.stringify([
        { key: 'register', label: '销毁清册编号', type: 'text', required: true, maxLength: 40 },
        { key: 'round', label: '鉴定批次', type: 'text', required: true, maxLength: 40 },
      ])}::jsonb, true, coalesce((select max(sort_order) from category), 1000) + 10
    where not exists (select 1 from category where code = ${CATEGORY.code})`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The category stays while archives are filed under it.
  await sql`delete from category where code = ${CATEGORY.code}
    and not exists (select 1 from archive_item where category_id = category.id)`.execute(db);
}
