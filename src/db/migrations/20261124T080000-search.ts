import { type Kysely, sql } from 'kysely';

// Search. search_doc is one row per archive item: its words as a tsvector (GIN) beside the columns
// that filter, facet and order, kept narrow so a common word's many matches are cheap to count. It is
// derived data (the normalized 题名 is kept so a phrase is checked without reading the item), rebuilt from the event log (search_state holds how far it has read), so filing
// never waits for the index and a restored database re-indexes itself. item_page_text holds the
// text of scanned pages (OCR), one row per page: that is original data and travels in backups.

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table search_doc (
      item_id bigint primary key references archive_item(id) on delete cascade,
      fonds_code varchar(4) not null,
      category_id integer not null,
      year smallint not null,
      retention varchar(4) not null,
      pooling_region char(6),
      carrier varchar(16) not null,
      sensitivity varchar(16) not null,
      doc_date date not null,
      amount numeric(14,2),
      version integer not null,
      title text not null,
      terms tsvector not null
    )`,
    sql`create index search_doc_terms on search_doc using gin (terms)`,
    sql`create index search_doc_date on search_doc (year, doc_date, item_id)`,
    // A date range joins the word index in a bitmap AND instead of sifting every match of a common word.
    sql`create index search_doc_doc_date on search_doc (doc_date)`,
    sql`create table search_state (
      id integer primary key check (id = 1),
      last_seq bigint not null check (last_seq >= -1),
      updated_at timestamptz not null default now()
    )`,
    sql`create table item_page_text (
      item_id bigint not null references archive_item(id),
      page integer not null check (page between 1 and 100000),
      text text not null check (length(text) <= 200000),
      confidence real check (confidence between 0 and 100),
      recorded_at timestamptz not null default now(),
      primary key (item_id, page)
    )`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['item_page_text', 'search_state', 'search_doc'])
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
}
