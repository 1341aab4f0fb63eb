//! What the database's catalog says about the schema, read the same way on
//! both engines, so a test can hold the two migration folders to one schema.

use crate::db::{Db, Store, StoreError};

/// One column as the catalog describes it (types in the engine's own words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaColumn {
    pub table: String,
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
    /// The default expression as the engine prints it.
    pub default: Option<String>,
    /// Position in the primary key (from 1), 0 when not part of it.
    pub primary_key: i64,
}

/// Why an index exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IndexOrigin {
    /// `CREATE INDEX`: its name is the schema's own.
    Created,
    /// Behind a PRIMARY KEY or UNIQUE constraint: the engine names it.
    Constraint,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIndex {
    pub table: String,
    pub name: String,
    /// Key columns in order; an expression is `<expr>`.
    pub columns: Vec<String>,
    pub unique: bool,
    /// Has a WHERE clause.
    pub partial: bool,
    pub origin: IndexOrigin,
}

/// A rule on a table's values as the engine keeps it: a CHECK constraint
/// (PostgreSQL, as `pg_get_constraintdef` prints it) or a trigger (SQLite,
/// its `CREATE TRIGGER` text). The engines say it differently, so the
/// caller reads `sql`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaCheck {
    pub table: String,
    pub name: String,
    pub sql: String,
}

#[derive(Debug, Clone, Default)]
pub struct SchemaDescription {
    pub columns: Vec<SchemaColumn>,
    pub indexes: Vec<SchemaIndex>,
    /// CHECK constraints (PostgreSQL) and triggers (SQLite), by table and name.
    pub checks: Vec<SchemaCheck>,
}

type ColumnRow = (String, String, String, bool, Option<String>, i64);
type IndexRow = (String, String, Option<String>, bool, bool, bool);
type CheckRow = (String, String, String);

impl Store {
    /// Tables (without the migrator's and the search machinery's), their
    /// columns, indexes and checks, sorted by table and name.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn schema(&self) -> Result<SchemaDescription, StoreError> {
        let (columns, indexes, checks): (Vec<ColumnRow>, Vec<IndexRow>, Vec<CheckRow>) = match &self.db {
            Db::Sqlite(p, _) => {
                let columns = sqlx::query_as(
                    "SELECT m.name, c.name, upper(c.type), c.\"notnull\" <> 0, c.dflt_value, c.pk \
                     FROM sqlite_master m JOIN pragma_table_info(m.name) c \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '%_fts%' \
                     AND m.name <> '_sqlx_migrations' ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?;
                // origin: c = CREATE INDEX, u = UNIQUE, pk = PRIMARY KEY.
                let indexes = sqlx::query_as(
                    "SELECT m.name, l.name, \
                       (SELECT group_concat(coalesce(x.name, '<expr>'), ',') FROM \
                          (SELECT name, seqno FROM pragma_index_xinfo(l.name) WHERE key ORDER BY seqno) x), \
                       l.\"unique\" <> 0, l.partial <> 0, l.origin = 'c' \
                     FROM sqlite_master m JOIN pragma_index_list(m.name) l \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '%_fts%' \
                     AND m.name <> '_sqlx_migrations' ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?;
                let checks = sqlx::query_as(
                    "SELECT tbl_name, name, sql FROM sqlite_master \
                     WHERE type = 'trigger' AND tbl_name NOT LIKE '%_fts%' ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?;
                (columns, indexes, checks)
            }
            Db::Postgres(p) => {
                let columns = sqlx::query_as(
                    "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable = 'NO', \
                       c.column_default::text, \
                       coalesce((SELECT k.ordinal_position::bigint FROM information_schema.table_constraints t \
                          JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name \
                            AND k.table_schema = t.table_schema AND k.table_name = t.table_name \
                          WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema \
                            AND t.table_name = c.table_name AND k.column_name = c.column_name), 0) \
                     FROM information_schema.columns c \
                     WHERE c.table_schema = current_schema() AND c.table_name <> '_sqlx_migrations' \
                     AND c.column_name <> 'search' ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?;
                let indexes = sqlx::query_as(
                    "SELECT t.relname::text, i.relname::text, \
                       (SELECT string_agg(CASE WHEN a.attname IS NULL THEN '<expr>' ELSE a.attname::text END, ',' ORDER BY k.n) \
                          FROM generate_series(0, x.indnkeyatts - 1) AS k(n) \
                          LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k.n] AND x.indkey[k.n] <> 0), \
                       x.indisunique, x.indpred IS NOT NULL, \
                       NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
                     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     WHERE n.nspname = current_schema() AND t.relname <> '_sqlx_migrations' \
                     AND NOT EXISTS (SELECT 1 FROM pg_attribute s WHERE s.attrelid = x.indrelid AND s.attname = 'search' \
                       AND s.attnum = ANY (x.indkey)) \
                     ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?;
                let checks = sqlx::query_as(
                    "SELECT t.relname::text, c.conname::text, pg_get_constraintdef(c.oid) \
                     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     WHERE c.contype = 'c' AND n.nspname = current_schema() ORDER BY 1, 2",
                )
                .fetch_all(p)
                .await?;
                (columns, indexes, checks)
            }
        };
        Ok(SchemaDescription {
            columns: columns
                .into_iter()
                .map(|(table, name, data_type, not_null, default, primary_key)| SchemaColumn {
                    table,
                    name,
                    data_type,
                    not_null,
                    default,
                    primary_key,
                })
                .collect(),
            indexes: indexes
                .into_iter()
                .map(|(table, name, columns, unique, partial, created)| SchemaIndex {
                    table,
                    name,
                    columns: columns.unwrap_or_default().split(',').map(str::to_string).collect(),
                    unique,
                    partial,
                    origin: if created { IndexOrigin::Created } else { IndexOrigin::Constraint },
                })
                .collect(),
            checks: checks.into_iter().map(|(table, name, sql)| SchemaCheck { table, name, sql }).collect(),
        })
    }
}
