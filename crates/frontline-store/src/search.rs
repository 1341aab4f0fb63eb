//! Ticket search with the database's own full-text engine: FTS5 on SQLite,
//! tsvector on PostgreSQL. Both are kept current in the same transaction
//! as the text (triggers / generated columns).

use crate::rows::TicketRow;
use crate::tickets::page_of;
use crate::{Page, Store, StoreError, Ticket};

/// How many matches per source are considered before ordering; keeps a
/// common word from sorting half the table.
const CANDIDATES: i64 = 2000;

/// Turn user text into an FTS5 query: every word quoted (so operators in
/// the input are plain text), all required, the last one as a prefix.
pub fn fts5_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split_whitespace()
        .map(|w| w.chars().filter(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.').collect::<String>())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    if words.is_empty() {
        return None;
    }
    Some(format!("{}*", words.join(" ")))
}

impl Store {
    /// Tickets whose number is `q`, or whose subject or messages contain
    /// every word of `q`; most recently updated first.
    pub async fn search_tickets(&self, q: &str, include_internal: bool, offset: i64, limit: i64) -> Result<Page<Ticket>, StoreError> {
        let q = q.trim();
        let number: Option<i64> = q.trim_start_matches('#').parse().ok();
        let rows: Vec<TicketRow> = match &self.db {
            crate::db::Db::Sqlite(p) => {
                let Some(fts) = fts5_query(q) else {
                    return Ok(Page { items: vec![], has_more: false });
                };
                sqlx::query_as(concat!(
                    ticket_select!(),
                    "WHERE t.id = $1 OR t.id IN (SELECT rowid FROM ticket_subject_fts WHERE ticket_subject_fts MATCH $2 LIMIT $3) \
                     OR t.id IN (SELECT m.ticket_id FROM message_body_fts f JOIN messages m ON m.id = f.rowid \
                                 WHERE message_body_fts MATCH $2 AND ($4 OR m.kind = 'public') LIMIT $3) \
                     ORDER BY (t.id = $1) DESC, t.updated_at DESC, t.id DESC LIMIT $5 OFFSET $6"
                ))
                .bind(number.unwrap_or(-1))
                .bind(fts)
                .bind(CANDIDATES)
                .bind(include_internal)
                .bind(limit + 1)
                .bind(offset)
                .fetch_all(p)
                .await?
            }
            crate::db::Db::Postgres(p) => {
                if q.is_empty() {
                    return Ok(Page { items: vec![], has_more: false });
                }
                sqlx::query_as(concat!(
                    ticket_select!(),
                    "WHERE t.id = $1 OR t.id IN (SELECT id FROM tickets WHERE search @@ websearch_to_tsquery('simple', $2) LIMIT $3) \
                     OR t.id IN (SELECT ticket_id FROM messages WHERE search @@ websearch_to_tsquery('simple', $2) \
                                 AND ($4 OR kind = 'public') LIMIT $3) \
                     ORDER BY (t.id = $1) DESC, t.updated_at DESC, t.id DESC LIMIT $5 OFFSET $6"
                ))
                .bind(number.unwrap_or(-1))
                .bind(q)
                .bind(CANDIDATES)
                .bind(include_internal)
                .bind(limit + 1)
                .bind(offset)
                .fetch_all(p)
                .await?
            }
        };
        page_of(rows, limit)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fts5_input_is_quoted() {
        assert_eq!(super::fts5_query("webhook OR \"x").as_deref(), Some("\"webhook\" \"OR\" \"x\"*"));
        assert_eq!(super::fts5_query("  ** "), None);
    }
}
