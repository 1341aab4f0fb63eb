//! The agent queue views and their sort orders.

use crate::error::DomainError;
use crate::ticket::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueView {
    /// Open tickets assigned to me.
    Mine,
    /// Open, unassigned tickets at my tier.
    MyTierUnassigned,
    /// Open tickets of my team.
    Team,
    AllOpen,
    RecentlySolved,
    /// Open tickets at the Engineering step (engineering's own queue).
    Engineering,
}

impl QueueView {
    pub const ALL: [QueueView; 6] = [
        QueueView::Mine,
        QueueView::MyTierUnassigned,
        QueueView::Team,
        QueueView::AllOpen,
        QueueView::RecentlySolved,
        QueueView::Engineering,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueView::Mine => "mine",
            QueueView::MyTierUnassigned => "tier",
            QueueView::Team => "team",
            QueueView::AllOpen => "open",
            QueueView::RecentlySolved => "solved",
            QueueView::Engineering => "engineering",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QueueView::Mine => "My open tickets",
            QueueView::MyTierUnassigned => "My tier, unassigned",
            QueueView::Team => "My team",
            QueueView::AllOpen => "All open",
            QueueView::RecentlySolved => "Recently solved",
            QueueView::Engineering => "Engineering",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        QueueView::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| DomainError::invalid("view", format!("unknown view '{s}'; use mine, tier, team, open, solved or engineering")))
    }

    pub fn statuses(self) -> &'static [Status] {
        match self {
            QueueView::RecentlySolved => &[Status::Solved],
            _ => Status::OPEN_SET,
        }
    }

    /// "Recently" solved: the last 30 days.
    pub const SOLVED_WINDOW_DAYS: i64 = 30;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Updated,
    Created,
    Priority,
    Id,
    /// "Due soonest": tickets with an SLA due time first, the earliest (the
    /// most overdue) first, then the rest in the view's default order.
    /// Ascending only: a latest-due-first list helps nobody.
    Due,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// "-updated" (newest first, the default), "created", "-priority", ...
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let key = match name {
            "updated" => SortKey::Updated,
            "created" => SortKey::Created,
            "priority" => SortKey::Priority,
            "id" => SortKey::Id,
            "due" if !descending => SortKey::Due,
            "due" => return Err(DomainError::invalid("sort", "'-due' is not a sort; 'due' lists the soonest due first")),
            _ => {
                return Err(DomainError::invalid(
                    "sort",
                    format!("unknown sort '{s}'; use due, or updated, created, priority or id with '-' for descending"),
                ));
            }
        };
        Ok(Sort { key, descending })
    }

    pub fn as_param(self) -> String {
        let name = match self.key {
            SortKey::Updated => "updated",
            SortKey::Created => "created",
            SortKey::Priority => "priority",
            SortKey::Id => "id",
            SortKey::Due => "due",
        };
        if self.descending { format!("-{name}") } else { name.to_string() }
    }
}

impl Default for Sort {
    fn default() -> Self {
        Sort { key: SortKey::Updated, descending: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_and_sorts_parse() {
        for v in QueueView::ALL {
            assert_eq!(QueueView::parse(v.as_str()), Ok(v));
        }
        assert!(QueueView::parse("everything").is_err());
        assert_eq!(Sort::parse("-priority"), Ok(Sort { key: SortKey::Priority, descending: true }));
        assert_eq!(Sort::parse("created").map(Sort::as_param).as_deref(), Ok("created"));
        assert!(Sort::parse("-name").is_err());
        assert_eq!(Sort::parse("due"), Ok(Sort { key: SortKey::Due, descending: false }));
        assert_eq!(Sort::parse("due").map(Sort::as_param).as_deref(), Ok("due"));
        assert!(Sort::parse("-due").is_err());
        assert_eq!(QueueView::RecentlySolved.statuses(), &[Status::Solved]);
    }
}
