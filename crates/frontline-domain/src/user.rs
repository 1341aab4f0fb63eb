use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// What a user may do is decided by the role; positions and tiers are
/// data that admins edit and only steer routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    HeadOfSupport,
    Manager,
    Agent,
    Engineering,
    SolutionsEngineer,
    Leadership,
    CustomerAdmin,
    CustomerMember,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::HeadOfSupport,
        Role::Manager,
        Role::Agent,
        Role::Engineering,
        Role::SolutionsEngineer,
        Role::Leadership,
        Role::CustomerAdmin,
        Role::CustomerMember,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::HeadOfSupport => "head_of_support",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Engineering => "engineering",
            Role::SolutionsEngineer => "solutions_engineer",
            Role::Leadership => "leadership",
            Role::CustomerAdmin => "customer_admin",
            Role::CustomerMember => "customer_member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::HeadOfSupport => "Head of Support",
            Role::Manager => "Manager / Lead",
            Role::Agent => "Agent",
            Role::Engineering => "Engineering",
            Role::SolutionsEngineer => "Solutions Engineer",
            Role::Leadership => "Leadership (read-only)",
            Role::CustomerAdmin => "Customer platform admin",
            Role::CustomerMember => "Customer member",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| DomainError::invalid("role", format!("unknown role '{s}'")))
    }

    pub fn is_customer(self) -> bool {
        matches!(self, Role::CustomerAdmin | Role::CustomerMember)
    }

    /// Staff of the vendor: everyone who is not a customer.
    pub fn is_staff(self) -> bool {
        !self.is_customer()
    }
}

/// Whether an agent takes new work: automatic assignment passes over
/// agents who are away or off; manual assignment still reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    Available,
    Away,
    Off,
}

impl Availability {
    pub const ALL: [Availability; 3] = [Availability::Available, Availability::Away, Availability::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::Away => "away",
            Availability::Off => "off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Availability::Available => "Available",
            Availability::Away => "Away",
            Availability::Off => "Off",
        }
    }

    /// `field` names the input the value came from, for the error.
    pub fn parse(field: &'static str, s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| DomainError::invalid(field, format!("unknown availability '{s}'; use available, away or off")))
    }

    /// Only an available agent gets new tickets automatically.
    pub fn takes_new_work(self) -> bool {
        self == Availability::Available
    }
}

/// A lowercased, syntactically plausible email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        crate::validate::text("email", raw)?;
        let s = raw.trim().to_lowercase();
        let bad = |m: &str| Err(DomainError::invalid("email", m.to_string()));
        if s.is_empty() {
            return bad("email is required");
        }
        if s.len() > 254 {
            return bad("email must be at most 254 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return bad("email must look like name@example.com");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        let local_ok =
            !local.is_empty() && local.len() <= 64 && !local.chars().any(|c| c.is_whitespace() || c == '@' || c == '<' || c == '>');
        if !domain_ok || !local_ok {
            return bad("email must look like name@example.com");
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

/// An email domain owned by an organization (example.com).
pub fn parse_domain(raw: &str) -> Result<String, DomainError> {
    crate::validate::text("domains", raw)?;
    let d = raw.trim().trim_start_matches('@').to_lowercase();
    let ok = d.len() <= 253
        && d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && !d.contains("..")
        && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if ok { Ok(d) } else { Err(DomainError::invalid("domains", format!("'{raw}' is not a domain like example.com"))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse(" Ana@Example.COM ").map(|e| e.0), Ok("ana@example.com".into()));
        for bad in ["", "ana", "ana@", "@x.com", "ana@x", "a b@x.com", "ana@x..com", "ana@-x.com."] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(Email::parse("a@b.io").map(|e| e.domain().to_string()), Ok("b.io".into()));
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
        assert!(Role::CustomerAdmin.is_customer() && Role::Leadership.is_staff());
    }

    #[test]
    fn domains() {
        assert_eq!(parse_domain("@Acme.io"), Ok("acme.io".into()));
        assert!(parse_domain("acme").is_err());
    }
}
