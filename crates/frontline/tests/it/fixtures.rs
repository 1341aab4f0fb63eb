//! A small support desk: two customer organizations and one user per role.

use frontline_store::User;
use frontline_testkit::TestApp;
use serde_json::json;

pub struct Desk {
    pub org_a: i64,
    pub org_b: i64,
    pub admin: User,
    pub head: User,
    pub manager: User,
    pub agent: User,
    pub engineering: User,
    pub solutions: User,
    pub leadership: User,
    /// Platform admin of org A.
    pub cust_admin: User,
    /// Data engineer of org A, requester of `ticket_a`.
    pub cust_member: User,
    /// Another data engineer of org A.
    pub cust_other: User,
    /// Platform admin of org B.
    pub foreign_admin: User,
    pub team: i64,
    pub ticket_a: i64,
    pub ticket_b: i64,
}

impl Desk {
    pub async fn new(t: &TestApp) -> Desk {
        let org_a = t.org("Northwind", "northwind.example").await;
        let org_b = t.org("Globex", "globex.example").await;
        let admin = t.user("admin", "admin@vendor.example", None).await;
        let head = t.user("head_of_support", "head@vendor.example", None).await;
        let manager = t.user("manager", "manager@vendor.example", None).await;
        let agent = t.user("agent", "agent@vendor.example", None).await;
        let engineering = t.user("engineering", "eng@vendor.example", None).await;
        let solutions = t.user("solutions_engineer", "se@vendor.example", None).await;
        let leadership = t.user("leadership", "vp@vendor.example", None).await;
        let cust_admin = t.user("customer_admin", "admin@northwind.example", Some(org_a)).await;
        let cust_member = t.user("customer_member", "dana@northwind.example", Some(org_a)).await;
        let cust_other = t.user("customer_member", "raj@northwind.example", Some(org_a)).await;
        let foreign_admin = t.user("customer_admin", "admin@globex.example", Some(org_b)).await;
        let team = t.app.create_team(&admin.actor(), "Integrations", "Webhooks and APIs").await.expect("team").id;
        let member_auth = t.token_for(&cust_member).await;
        let r = t
            .post_json(
                "/api/v1/tickets",
                &member_auth,
                &json!({"subject": "Webhook signatures fail", "body": "Since Monday every webhook is rejected."}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let ticket_a = r.json()["id"].as_i64().expect("id");
        let foreign_auth = t.token_for(&foreign_admin).await;
        let r =
            t.post_json("/api/v1/tickets", &foreign_auth, &json!({"subject": "Globex SSO login loop", "body": "SAML login loops."})).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let ticket_b = r.json()["id"].as_i64().expect("id");
        Desk {
            org_a,
            org_b,
            admin,
            head,
            manager,
            agent,
            engineering,
            solutions,
            leadership,
            cust_admin,
            cust_member,
            cust_other,
            foreign_admin,
            team,
            ticket_a,
            ticket_b,
        }
    }

    /// Every signed-in persona with a name for messages.
    pub fn everyone(&self) -> Vec<(&'static str, &User)> {
        vec![
            ("admin", &self.admin),
            ("head_of_support", &self.head),
            ("manager", &self.manager),
            ("agent", &self.agent),
            ("engineering", &self.engineering),
            ("solutions_engineer", &self.solutions),
            ("leadership", &self.leadership),
            ("customer_admin", &self.cust_admin),
            ("customer_member", &self.cust_member),
            ("customer_other", &self.cust_other),
            ("foreign_admin", &self.foreign_admin),
        ]
    }
}

/// An agent with a password (for the browser) in the named position, e.g.
/// "Support Specialist" (tier 1) or "Senior Support Specialist" (tier 2).
pub async fn staff(t: &TestApp, email: &str, name: &str, position: &str) -> User {
    let system = frontline_app::directory::system_actor();
    let positions = t.app.list_positions(&system).await.expect("positions");
    let p = positions.iter().find(|p| p.name == position).expect("position");
    let input = frontline_app::directory::UserInput {
        email: email.into(),
        name: name.into(),
        role: "agent".into(),
        position_id: Some(p.id),
        password: Some(frontline_testkit::PASSWORD.into()),
        ..Default::default()
    };
    t.app.create_user(&system, &input).await.expect("agent")
}
