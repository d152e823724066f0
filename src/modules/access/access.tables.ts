import type { ColumnType, Generated } from 'kysely';

// Row shapes of the tables the access module owns (see the access migration).

export interface AppUserTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  password_hash: string;
  /** For the 参保人 role: the person's own ID number, the only records they see. */
  id_number: string | null;
  id_number_index: ColumnType<string | null, string | null | undefined, string | null>;
  /** Base32 TOTP secret; required for the administrative roles. */
  totp_secret: string | null;
  /** The last 30-second step a code was accepted for, so a code cannot be replayed. */
  totp_last_step: number | null;
  failed_attempts: ColumnType<number, number | undefined, number>;
  locked_until: Date | null;
  disabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_by: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  password_changed_at: ColumnType<Date, Date | undefined, Date>;
  /** Set when someone other than the owner chose the password; only a password change is allowed then. */
  password_must_change: ColumnType<boolean, boolean | undefined, boolean>;
  /** Set when the TOTP secret was shown to someone else (`yidang user`); its owner must enrol a new one. */
  totp_must_renew: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface UserRoleTable {
  user_id: number;
  role: string;
}

/** One scope row: null in a column means any. A user with no rows sees no archives. */
export interface UserScopeTable {
  id: Generated<number>;
  user_id: number;
  fonds_code: string | null;
  region_code: string | null;
  category_code: string | null;
}

export interface UserSessionTable {
  token_hash: Buffer;
  user_id: number;
  csrf_token: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  last_seen_at: ColumnType<Date, Date | undefined, Date>;
  expires_at: Date;
  revoked_at: Date | null;
  client_address: string | null;
}

export interface ApiTokenTable {
  id: string;
  user_id: number;
  name: string;
  secret_hash: Buffer;
  permissions: string[];
  created_by: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface AccessRequestTable {
  id: Generated<number>;
  requester_id: number;
  purpose: string;
  duration_hours: number;
  status: 'pending' | 'approved' | 'rejected' | 'withdrawn' | 'revoked';
  created_at: ColumnType<Date, Date | undefined, never>;
  decided_by: number | null;
  decided_at: Date | null;
  decision_note: string | null;
  expires_at: Date | null;
  revoked_by: number | null;
  revoked_at: Date | null;
  revoke_note: string | null;
}

export interface AccessRequestItemTable {
  request_id: number;
  item_id: number;
}

export interface AccessTables {
  app_user: AppUserTable;
  user_role: UserRoleTable;
  user_scope: UserScopeTable;
  user_session: UserSessionTable;
  api_token: ApiTokenTable;
  access_request: AccessRequestTable;
  access_request_item: AccessRequestItemTable;
}
