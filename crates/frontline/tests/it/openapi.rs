//! The served OpenAPI document tells clients and fuzzers the truth: query
//! parameters are in the query, and every error an operation can answer
//! from its request's shape is documented.

use frontline_testkit::{Auth, TestApp, TestDb};
use serde_json::Value;

/// Every operation of the served document, as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

async fn document() -> Value {
    let t = TestApp::new(TestDb::sqlite().await).await;
    let doc = t.get("/api/v1/openapi.json", &Auth::None).await;
    assert_eq!(doc.status, 200);
    doc.json()
}

#[tokio::test]
async fn list_parameters_are_declared_in_the_query() {
    let doc = document().await;
    let expect = [
        ("/api/v1/tickets", "status"),
        ("/api/v1/tickets", "cursor"),
        ("/api/v1/users", "q"),
        ("/api/v1/organizations", "q"),
        ("/api/v1/search", "q"),
        ("/api/v1/audit", "page"),
        ("/api/v1/queues/{view}", "page"),
    ];
    for (path, name) in expect {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap_or_else(|| panic!("{path} has no parameters"));
        let p = params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{path} has no parameter {name}"));
        assert_eq!(p["in"], "query", "{path} {name}: {p}");
    }
    // A parameter "in: path" must name a segment of its path: a path
    // parameter that is not in the template is how the query ones hid.
    for (method, path, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                let name = p["name"].as_str().unwrap_or_default();
                assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: path parameter {name} is not in the path");
            }
        }
    }
}

#[tokio::test]
async fn every_operation_documents_the_errors_of_its_request() {
    let doc = document().await;
    for (method, path, op) in operations(&doc) {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let responses = op["responses"].as_object().expect("responses");
        let mut wanted = vec!["400", "401", "429"];
        if op.get("requestBody").is_some() {
            wanted.extend(["415", "422"]);
        }
        if method == "post" || method == "patch" {
            wanted.push("409");
        }
        for code in wanted {
            let r = responses.get(code).unwrap_or_else(|| panic!("{method} {path} does not document {code}"));
            assert_eq!(
                r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                "{method} {path} {code} is not the JSON error"
            );
        }
    }
}

#[tokio::test]
async fn the_api_reference_page_renders_inline_code() {
    let t = TestApp::new(TestDb::sqlite().await).await;
    let page = t.get("/api/docs", &Auth::None).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(!html.contains('`'), "raw Markdown backticks on the page");
    assert!(html.contains("<code>Authorization: Bearer fl_...</code>"), "inline code not rendered");
    assert!(html.contains("<code>next_cursor</code>"));
}

/// Found by schemathesis: a path value of the wrong type was answered in
/// axum's plain text, and a write to a route without that method claimed
/// its Idempotency-Key (422 on reuse) instead of answering 405.
#[tokio::test]
async fn request_shape_errors_are_the_documented_json() {
    let t = TestApp::new(TestDb::sqlite().await).await;
    let admin = t.user("admin", "admin@vendor.example", None).await;
    let auth = t.token_for(&admin).await;
    for path in ["/api/v1/tickets/abc", "/api/v1/users/9223372036854775808", "/api/v1/tickets/1.5/messages"] {
        let r = t.get(path, &auth).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        assert_eq!(r.error_code(), "invalid_path", "{path}");
    }
    for _ in 0..2 {
        let req = axum::http::Request::builder()
            .method("PATCH")
            .uri("/api/v1/tickets/1/messages")
            .header("host", "frontline.test")
            .header(
                "authorization",
                format!(
                    "Bearer {}",
                    match &auth {
                        Auth::Token(s) => s.as_str(),
                        _ => "",
                    }
                ),
            )
            .header("content-type", "application/json")
            .header("idempotency-key", "same-key")
            .body(axum::body::Body::from("{\"body\": \"x\"}"))
            .expect("request");
        assert_eq!(t.send(req).await.status, 405, "PATCH is not a method of this route, whatever the key");
    }
}

/// A step on the escalation path is one of four names, in requests (`to`,
/// `from`) and responses (a ticket's `step`, an escalation's steps), and
/// the document says which (it once said "string").
#[tokio::test]
async fn escalation_steps_are_an_enum() {
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];
    let step = &schemas["EscalationStep"];
    assert_eq!(step["enum"], serde_json::json!(["tier_1", "tier_2", "head_of_support", "engineering"]), "{step}");
    let refers = |schema: &str, field: &str| {
        let text = schemas[schema]["properties"][field].to_string();
        assert!(text.contains("#/components/schemas/EscalationStep"), "{schema}.{field}: {text}");
    };
    refers("EscalateRequest", "to");
    refers("EscalateRequest", "from");
    refers("DeEscalateRequest", "from");
    refers("TicketDto", "step");
    refers("EscalationDto", "from_step");
    refers("EscalationDto", "to_step");
    assert_eq!(schemas["HelpStatus"]["enum"], serde_json::json!(["open", "answered", "withdrawn"]));
    let status = schemas["HelpRequestDto"]["properties"]["status"].to_string();
    assert!(status.contains("#/components/schemas/HelpStatus"), "{status}");
}
