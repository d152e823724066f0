import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables the insured module owns (see the insured migration).

/** One look at one person's record: a read, an unmasking, a file read, a search hit, a loan reading. */
export interface InsuredViewTable {
  /** The person's blind index (field-cipher idNumberIndex): never the ID number. */
  person_key: string;
  recorded_at: Date;
  /** The event's place in the log. */
  seq: ColumnType<number, number, never>;
  archive_code: string;
  action: string;
  actor: string;
  /** The actor's roles when the look was taken in, comma-separated codes. */
  actor_roles: string;
  /** The agency (全宗 names of the actor's scope) when the look was taken in. */
  agency: string;
  purpose: string | null;
  /** What the look was made under: an approved request (查阅申请 #id) or a loan (借阅单号). */
  approval: string | null;
  via: string | null;
}

export interface InsuredViewStateTable {
  id: number;
  /** The last integrity_event.seq taken in (−1: none yet). */
  last_seq: number;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface InsuredCopyTable {
  id: Generated<number>;
  copy_no: string;
  /** The verification code (核验码) printed on the copy: random, unguessable. */
  code: string;
  username: string;
  person_key: string;
  archive_code: string;
  file_number: number;
  purpose: string;
  status: ColumnType<'issued' | 'revoked', 'issued' | 'revoked' | undefined, 'issued' | 'revoked'>;
  /** SHA-256 of the copy as issued (hex). */
  digest: string;
  media_type: string;
  file_name: string;
  content: Buffer;
  requested_at: ColumnType<Date, Date | undefined, never>;
  issued_at: ColumnType<Date, Date | undefined, never>;
}

export interface InsuredTables {
  insured_view: InsuredViewTable;
  insured_view_state: InsuredViewStateTable;
  insured_copy: InsuredCopyTable;
}
