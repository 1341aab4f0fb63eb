//! The OpenAPI names of the domain's coded values that DTOs carry as the
//! domain's own types (which serialize to these names; the domain crate
//! knows nothing of OpenAPI). Each enum here only documents; `vocabularies_match`
//! checks that its names are the domain type's.

use serde::Serialize;
use utoipa::ToSchema;

/// A step on the escalation path: tier 1 -> tier 2 -> Head of Support -> Engineering.
#[derive(Serialize, ToSchema)]
#[schema(as = EscalationStep)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum EscalationStepDoc {
    #[serde(rename = "tier_1")]
    Tier1,
    #[serde(rename = "tier_2")]
    Tier2,
    HeadOfSupport,
    Engineering,
}

/// What moved a ticket along the escalation path.
#[derive(Serialize, ToSchema)]
#[schema(as = StepAction)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum StepActionDoc {
    Escalate,
    DeEscalate,
    NeedsSenior,
}

/// Where a help request stands.
#[derive(Serialize, ToSchema)]
#[schema(as = HelpStatus)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum HelpStatusDoc {
    Open,
    Answered,
    Withdrawn,
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontline_domain::escalation::{EscalationStep, StepAction};
    use frontline_domain::help::HelpStatus;

    fn names<T: Serialize>(values: &[T]) -> Vec<String> {
        values.iter().map(|v| serde_json::to_value(v).expect("json").as_str().unwrap_or_default().to_string()).collect()
    }

    #[test]
    fn vocabularies_match() {
        use EscalationStepDoc as S;
        assert_eq!(names(&EscalationStep::ALL), names(&[S::Tier1, S::Tier2, S::HeadOfSupport, S::Engineering]));
        assert_eq!(names(&StepAction::ALL), names(&[StepActionDoc::Escalate, StepActionDoc::DeEscalate, StepActionDoc::NeedsSenior]));
        assert_eq!(names(&HelpStatus::ALL), names(&[HelpStatusDoc::Open, HelpStatusDoc::Answered, HelpStatusDoc::Withdrawn]));
        assert_eq!(names(&EscalationStep::ALL), EscalationStep::ALL.map(|s| s.as_str().to_string()));
    }
}
