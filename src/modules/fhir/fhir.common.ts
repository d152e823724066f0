import type { Resource } from '@medplum/fhirtypes';
import type { Db } from '../../db/database.js';
import type { PrincipalContext } from '../../shared/access-context.js';
import { refuseIdNumberInText } from '../catalog/id-number.js';
import type { Shown } from './fhir.map.js';
import { referencedId, type Search } from './fhir.params.js';

// What every resource's search and read share: the page they return, the disclosure asked for, the
// Patient a reference parameter names, ids as numbers.

/** Where the answer's links point: the server's base URL for FHIR (the JSON API's files beside it). */
export interface Where {
  base: string;
}

export interface Page<T> {
  rows: T[];
  /** The cursor of the next page, when the page was full. */
  next?: number;
}

/** The disclosure asked for, refused when the caller may not unmask (as the JSON API refuses it). */
export function shownTo(access: PrincipalContext): Shown {
  if (!access.disclosure.unmask) return { unmask: false };
  access.authorize('item.unmask');
  refuseIdNumberInText('查阅目的', access.disclosure.purpose);
  return { unmask: true };
}

/** A page of rows in id order, with the next page's cursor when it was full. */
export const pageOf = <T extends { id: number }>(rows: T[], limit: number): Page<T> => ({
  rows,
  ...(rows.length === limit && rows.length > 0 ? { next: (rows.at(-1) as T).id } : {}),
});

/** The Patient a reference parameter names (patient=, subject=, beneficiary=), or undefined. */
export function patientParam(search: Search): string | undefined {
  for (const name of ['patient', 'subject', 'beneficiary']) {
    const value = search.values.get(name);
    if (value !== undefined) return referencedId(name, value, 'Patient');
  }
  return undefined;
}

export type Found = { page: Page<Resource>; included: Resource[] };
export type SearchOf = (db: Db, access: PrincipalContext, search: Search, where: Where) => Promise<Found>;
export type ReadOf = (
  db: Db,
  access: PrincipalContext,
  id: string,
  where: Where,
) => Promise<Resource | undefined>;

export const numericId = (id: string) => (/^\d{1,15}$/.test(id) ? Number(id) : undefined);
export const numericIds = (value: string) => {
  const id = numericId(value);
  return id === undefined ? [] : [id];
};
