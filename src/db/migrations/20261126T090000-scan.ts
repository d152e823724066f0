import { type Kysely, sql } from 'kysely';

// Scanned paper (纸质档案数字化): each fonds says what resolution a scan needs and whether a page
// below it is refused or kept and flagged. A scanned file's pages are numbered through the item
// (images named 档号-0001 …), and each page row doubles as its OCR job, so the queue survives a
// restart with the rows it describes; a lease names its worker (host:pid), so a worker that died on
// this host is known at once rather than when its lease runs out. Digitization batches are sampled for quality control (质检)
// in rounds, every verdict kept with the batch.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table fonds
      add column scan_min_dpi integer not null default 300 check (scan_min_dpi between 72 and 2400),
      add column scan_low_dpi text not null default 'reject' check (scan_low_dpi in ('reject', 'flag'))`.execute(
    db,
  );
  await sql`
    create table scan_batch (
      id bigint generated always as identity primary key,
      fonds_code varchar(4) not null references fonds (code),
      name varchar(100) not null,
      status text not null default 'scanning'
        check (status in ('scanning', 'sampled', 'accepted', 'returned')),
      sample_rate numeric(6, 5) not null check (sample_rate > 0 and sample_rate <= 1),
      max_error_rate numeric(6, 5) not null check (max_error_rate >= 0 and max_error_rate < 1),
      created_by text not null,
      created_at timestamptz not null default now(),
      unique (fonds_code, name)
    )`.execute(db);
  await sql`
    create table scan_page (
      item_id bigint not null references archive_item (id),
      page integer not null check (page >= 1),
      file_number integer not null,
      page_in_file integer not null check (page_in_file >= 1),
      image_name text not null,
      batch_id bigint references scan_batch (id),
      width integer not null,
      height integer not null,
      dpi_x integer,
      dpi_y integer,
      colour_mode text not null check (colour_mode in ('bitonal', 'gray', 'color')),
      flags text[] not null default '{}',
      ocr_status text not null default 'queued' check (ocr_status in ('queued', 'running', 'done', 'failed')),
      ocr_attempts integer not null default 0,
      ocr_available_at timestamptz not null default now(),
      ocr_lease_until timestamptz,
      ocr_worker text,
      ocr_error text,
      ocr_confidence real,
      ocr_characters integer,
      ocr_seconds real,
      ocr_done_at timestamptz,
      added_at timestamptz not null default now(),
      primary key (item_id, page),
      unique (item_id, file_number, page_in_file),
      foreign key (item_id, file_number) references item_file (item_id, file_number)
    )`.execute(db);
  await sql`create index scan_page_ocr_queue on scan_page (ocr_available_at, item_id, page)
    where ocr_status in ('queued', 'running')`.execute(db);
  await sql`create index scan_page_batch on scan_page (batch_id, item_id, page)`.execute(db);
  await sql`create index scan_page_flagged on scan_page (item_id, page) where flags <> '{}'`.execute(db);
  await sql`
    create table qc_round (
      id bigint generated always as identity primary key,
      batch_id bigint not null references scan_batch (id),
      round integer not null,
      sample_rate numeric(6, 5) not null,
      max_error_rate numeric(6, 5) not null,
      pages integer not null,
      sampled integer not null,
      drawn_by text not null,
      drawn_at timestamptz not null default now(),
      wrong integer,
      decision text check (decision in ('accepted', 'returned')),
      decided_by text,
      decided_at timestamptz,
      unique (batch_id, round)
    )`.execute(db);
  await sql`
    create table qc_sample (
      round_id bigint not null references qc_round (id),
      item_id bigint not null,
      page integer not null,
      verdict text check (verdict in ('right', 'wrong')),
      reason text,
      reviewer text,
      reviewed_at timestamptz,
      primary key (round_id, item_id, page),
      foreign key (item_id, page) references scan_page (item_id, page)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists qc_sample`.execute(db);
  await sql`drop table if exists qc_round`.execute(db);
  await sql`drop table if exists scan_page`.execute(db);
  await sql`drop table if exists scan_batch`.execute(db);
  await sql`alter table fonds drop column if exists scan_min_dpi, drop column if exists scan_low_dpi`.execute(
    db,
  );
}
