//! Ticket search with the database's own full-text engine: FTS5 on SQLite,
//! tsvector on PostgreSQL. Both are kept current in the same transaction
//! as the text (triggers / generated columns).

use crate::rows::TicketRow;
use crate::tickets::page_of;
use crate::{Page, Store, StoreError, Ticket};

/// How many matches per source are considered before ordering; keeps a
/// common word from sorting half the table.
const CANDIDATES: i64 = 2000;

/// The words of a search: letters and digits; everything else separates
/// words (so "dana@northwind.example" is three words on both engines).
fn terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(16).map(str::to_lowercase).collect()
}

/// An FTS5 query: every word quoted (operators in the input are plain text),
/// all required, the last one as a prefix so typing "webh" finds "webhook".
pub fn fts5_query(q: &str) -> Option<String> {
    let words = terms(q);
    let last = words.len().checked_sub(1)?;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == last { format!("\"{w}\"*") } else { format!("\"{w}\"") })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The same query for PostgreSQL's to_tsquery: words are letters and digits
/// only, so they need no quoting.
pub fn tsquery(q: &str) -> Option<String> {
    let words = terms(q);
    let last = words.len().checked_sub(1)?;
    Some(words.iter().enumerate().map(|(i, w)| if i == last { format!("{w}:*") } else { w.clone() }).collect::<Vec<_>>().join(" & "))
}

/// A LIKE pattern for `q` as typed (lowercased, wildcards escaped), for
/// the requester's name or email and the organization's name.
pub fn like_pattern(q: &str) -> String {
    let escaped = q.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Tickets of the people and organizations whose name (or email) contains
/// the search as typed; both engines, `$7` is `like_pattern`, `$3` the cap.
macro_rules! by_requester_or_org {
    () => {
        " OR t.requester_id IN (SELECT id FROM users WHERE lower(name) LIKE $7 ESCAPE '\\' OR lower(email) LIKE $7 ESCAPE '\\' LIMIT $3) \
          OR t.organization_id IN (SELECT id FROM organizations WHERE lower(name) LIKE $7 ESCAPE '\\' LIMIT $3) "
    };
}

impl Store {
    /// Tickets whose number is `q`, whose subject or messages contain every
    /// word of `q` (stemmed: "rotating" finds "rotated"), or whose requester
    /// (name, email) or organization (name) contains `q`; most recently
    /// updated first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn search_tickets(&self, q: &str, include_internal: bool, offset: i64, limit: i64) -> Result<Page<Ticket>, StoreError> {
        let q = q.trim();
        let number: Option<i64> = q.trim_start_matches('#').parse().ok();
        let rows: Vec<TicketRow> = match &self.db {
            crate::db::Db::Sqlite(p, _) => {
                let Some(fts) = fts5_query(q) else {
                    return Ok(Page { items: vec![], has_more: false });
                };
                sqlx::query_as(concat!(
                    ticket_select!(),
                    "WHERE t.id = $1 OR t.id IN (SELECT rowid FROM ticket_subject_fts WHERE ticket_subject_fts MATCH $2 ORDER BY rowid DESC LIMIT $3) \
                     OR t.id IN (SELECT m.ticket_id FROM message_body_fts f JOIN messages m ON m.id = f.rowid \
                                 WHERE message_body_fts MATCH $2 AND ($4 OR m.kind = 'public') ORDER BY f.rowid DESC LIMIT $3)",
                    by_requester_or_org!(),
                    "ORDER BY (t.id = $1) DESC, t.updated_at DESC, t.id DESC LIMIT $5 OFFSET $6"
                ))
                .bind(number.unwrap_or(-1))
                .bind(fts)
                .bind(CANDIDATES)
                .bind(include_internal)
                .bind(limit + 1)
                .bind(offset)
                .bind(like_pattern(q))
                .fetch_all(p)
                .await?
            }
            crate::db::Db::Postgres(p) => {
                let Some(tsq) = tsquery(q) else { return Ok(Page { items: vec![], has_more: false }) };
                sqlx::query_as(concat!(
                    ticket_select!(),
                    "WHERE t.id = $1 OR t.id IN (SELECT id FROM tickets WHERE search @@ to_tsquery('english', $2) ORDER BY id DESC LIMIT $3) \
                     OR t.id IN (SELECT ticket_id FROM messages WHERE search @@ to_tsquery('english', $2) \
                                 AND ($4 OR kind = 'public') ORDER BY id DESC LIMIT $3)",
                    by_requester_or_org!(),
                    "ORDER BY (t.id = $1) DESC, t.updated_at DESC, t.id DESC LIMIT $5 OFFSET $6"
                ))
                .bind(number.unwrap_or(-1))
                .bind(tsq)
                .bind(CANDIDATES)
                .bind(include_internal)
                .bind(limit + 1)
                .bind(offset)
                .bind(like_pattern(q))
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
    fn queries_are_built_from_words_only() {
        assert_eq!(super::fts5_query("Webhook OR \"x").as_deref(), Some("\"webhook\" \"or\" \"x\"*"));
        assert_eq!(super::fts5_query("  ** "), None);
        assert_eq!(super::tsquery("dana@northwind.example").as_deref(), Some("dana & northwind & example:*"));
        assert_eq!(super::tsquery("it's (broken) & | !").as_deref(), Some("it & s & broken:*"));
        assert_eq!(super::tsquery("!!"), None);
        assert_eq!(super::like_pattern(" Dana_K 100% "), "%dana\\_k 100\\%%");
    }
}
