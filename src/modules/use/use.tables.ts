import type { ColumnType } from 'kysely';

// Row shapes of the tables the use module owns (see the use-register migration).

export type UseKind = 'paper' | 'electronic' | 'copy' | 'query';
export type UseEffect = 'voucher' | 'rights' | 'audit' | 'compilation' | 'other';

export interface UseRegisterTable {
  /** The log event the use was read from; with ordinal, the row's key. */
  event_seq: number;
  /** The item's place among the event's items (a hand-over of several items is a row each). */
  ordinal: number;
  kind: UseKind;
  used_at: Date;
  /** Who did it in the system (the archivist handing over, the reader). */
  actor: string;
  /** The borrower, when a staff account. */
  user_name: string | null;
  /** The borrower, when an outside party (with its 介绍信 number). */
  organisation: string | null;
  /** A private person borrowing (a name: shown masked). */
  person: string | null;
  letter_no: string | null;
  /** 利用部门: the borrower's organisation, or the fonds of a staff borrower (see the README). */
  department: string;
  purpose: string | null;
  loan_number: string | null;
  item_code: string | null;
  fonds_code: string | null;
  category_id: number | null;
  pooling_region: string | null;
  /** What a row without an item was (a query answered: what was asked). */
  detail: string | null;
  effect: UseEffect | null;
  effect_note: string | null;
  effect_by: string | null;
  effect_at: Date | null;
}

export interface UseSubjectTable {
  subject: string;
  kind: string;
  user_name: string | null;
  organisation: string | null;
  person: string | null;
  letter_no: string | null;
  purpose: string | null;
}

export interface UseStateTable {
  id: number;
  /** The last integrity_event.seq the register has taken in (−1: none yet). */
  last_seq: number;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface UseTables {
  use_register: UseRegisterTable;
  use_subject: UseSubjectTable;
  use_state: UseStateTable;
}
