//! A form's own checks of each field, run together before the use case so
//! that one submit shows every problem at once (the use case stops at the
//! first). The rules are the domain's; only the words are the form's.

use frontline_domain::user::{Email, Role, parse_domain};
use frontline_domain::{DomainError, structure, ticket, validate};

use super::FormErrors;

/// The form labels the body "Description": say so in its message.
fn as_description(r: Result<String, DomainError>) -> Result<String, DomainError> {
    r.map_err(|e| match e {
        DomainError::Invalid(f) if f.field == "body" => {
            DomainError::invalid("body", f.message.replace("message text", "description").replace("message", "description"))
        }
        e => e,
    })
}

/// Subject and description of a new ticket (portal and agent forms).
pub fn new_ticket(subject: &str, body: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.check(ticket::parse_subject(subject));
    errors.check(as_description(ticket::parse_body(body)));
    errors
}

/// An agent's new ticket: the customer's email, tier and tags as well.
pub fn agent_ticket(requester_email: &str, subject: &str, body: &str, tier: &str, tags: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    if requester_email.trim().is_empty() {
        errors.push(frontline_domain::FieldError::new("requester_email", "customer email is required"));
    } else {
        errors.check(
            Email::parse(requester_email)
                .map_err(|_| DomainError::invalid("requester_email", "requester email must look like name@example.com")),
        );
    }
    let mut rest = new_ticket(subject, body);
    errors.0.append(&mut rest.0);
    errors.check(tier.trim().parse::<i64>().map_err(|_| DomainError::invalid("tier", "choose a tier")).and_then(ticket::parse_tier));
    errors.check(ticket::parse_tags(&ticket::split_tags(tags)));
    errors
}

/// A person: email (when it can be set: not on an edit), name, role, and a
/// password when one is typed.
pub fn user(email: Option<&str>, name: &str, role: &str, password: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    if let Some(email) = email {
        errors.check(Email::parse(email));
    }
    errors.check(validate::name("name", name, 120));
    errors.check(Role::parse(role.trim()));
    if !password.is_empty() {
        errors.check(validate::password(password));
    }
    errors
}

/// An organization: its name and each of its domains.
pub fn org(name: &str, domains: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.check(validate::name("name", name, 120));
    for d in domains.split(|c: char| c == ',' || c.is_whitespace()).filter(|d| !d.is_empty()) {
        if errors.check(parse_domain(d)).is_none() {
            break;
        }
    }
    errors
}

/// One's own password change: the current password is asked for, and the
/// new one must pass the password rule; both messages at once.
pub fn own_password(current: &str, new: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    if current.is_empty() {
        errors.push(frontline_domain::FieldError::new("current_password", "enter your current password"));
    }
    errors.check(validate::password(new));
    errors
}

/// A team: its name and description.
/// A team: name, description, assignment mode and capacity as typed.
pub fn team(name: &str, description: &str, mode: &str, capacity: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.check(structure::team_name(name));
    errors.check(structure::team_description(description));
    errors.check(frontline_domain::assignment::AssignmentMode::parse(mode));
    errors.check(frontline_domain::assignment::capacity_text(capacity));
    errors
}

/// A position: name, level, rank and tier as typed.
pub fn position(name: &str, level: &str, rank: &str, tier: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.check(structure::position_name(name));
    errors.check(structure::position_level(level));
    errors.check(structure::rank_text(rank));
    errors.check(structure::tier_text(tier));
    errors
}

/// A new API token: its name.
pub fn api_token(name: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.check(structure::token_name(name));
    errors
}
