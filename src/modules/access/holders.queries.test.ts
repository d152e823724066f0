import { describe, expect, it } from 'vitest';
import { BUSINESS, db, EVERYTHING, useGrantDatabase, user } from '../../../test/helpers/grant-service.js';
import { scopedHolders } from './holders.queries.js';
import { itemScopeOf } from './principal.js';
import { setDisabled } from './user.service.js';

// The holders of a permission with their scope resolved as their own requests get it: whom a notice
// about archives may reach (the loan reminders filter by it).

useGrantDatabase();

describe('scopedHolders', () => {
  it('lists the enabled holders only, each with the scope its own requests get', async () => {
    const county = await user(['archivist'], BUSINESS);
    const other = await user(['archivist'], [{ fondsCode: 'J014', regionCode: null, categoryCode: null }]);
    const everything = await user(['archivist'], EVERYTHING);
    const retired = await user(['archivist'], EVERYTHING);
    await setDisabled(db(), retired.username, true, 'test');
    const clerk = await user(['clerk']);

    const holders = await scopedHolders(db(), 'loan.handle');
    const names = holders.map((holder) => holder.username);
    expect(names).toEqual(expect.arrayContaining([county.username, other.username, everything.username]));
    expect(names).not.toContain(retired.username);
    expect(names).not.toContain(clerk.username);

    const scopeOf = (username: string) => holders.find((holder) => holder.username === username)?.scope;
    expect(scopeOf(other.username)?.rows).toEqual([
      { fondsCode: 'J014', regionPrefix: null, categoryIds: null },
    ]);
    expect(scopeOf(everything.username)?.rows).toEqual([
      { fondsCode: null, regionPrefix: null, categoryIds: null },
    ]);
    // A category resolves to its branch's ids, exactly as the account's own requests see it.
    const own = await itemScopeOf(db(), county);
    expect(scopeOf(county.username)?.rows).toEqual(own.rows);
    expect(own.rows[0]?.categoryIds?.length).toBeGreaterThan(0);
  });
});
