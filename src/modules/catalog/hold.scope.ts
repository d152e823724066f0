import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { AccessContext } from '../../shared/access-context.js';

// Who may place, see and lift which holds: scope narrows hold.manage as it narrows every archive
// permission. A hold belongs to a fonds; seeing or lifting it needs that fonds in scope. A query or a
// category-and-year hold covers the whole fonds (every region) or a category's whole branch, so it
// needs a scope row that covers as much; narrower scopes hold items by 档号 (each checked in scope).

/** Why the caller may not hold this, in Chinese, or null when they may. */
export function holdScopeProblem(
  access: AccessContext,
  fondsCode: string,
  reach: 'fonds' | { categoryId: number | null },
): string | null {
  if (access.kind === 'system') return null;
  const rows = access.scope.rows.filter((row) => row.fondsCode === null || row.fondsCode === fondsCode);
  if (rows.length === 0) return `全宗 ${fondsCode} 不在您的档案范围内`;
  if (reach === 'fonds') return null;
  const covering = rows.filter(
    (row) =>
      row.regionPrefix === null &&
      (row.categoryIds === null || (reach.categoryId !== null && row.categoryIds.includes(reach.categoryId))),
  );
  if (covering.length > 0) return null;
  return `按条件冻结会覆盖全宗 ${fondsCode} 中超出您档案范围（地区或类别）的档案；请缩小到您范围内的类别，或按档号冻结`;
}

/** The holds whose fonds lies in the caller's scope, as a condition over legal_hold `h`. */
export function holdFondsCondition(access: AccessContext): RawBuilder<SqlBool> {
  if (access.kind === 'system') return sql<SqlBool>`true`;
  const rows = access.scope.rows;
  if (rows.some((row) => row.fondsCode === null)) return sql<SqlBool>`true`;
  const fonds = [...new Set(rows.map((row) => row.fondsCode as string))];
  return fonds.length === 0 ? sql<SqlBool>`false` : sql<SqlBool>`h.fonds_code in (${sql.join(fonds)})`;
}
