//! A readable page of the API, rendered on the server from the same
//! OpenAPI document (no external script, so the CSP stays strict).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use serde_json::Value;

pub struct Operation {
    pub summary: String,
    pub method: String,
    pub path: String,
    pub anchor: String,
    pub params: Vec<(String, String, bool, String)>,
    pub request: Option<String>,
    pub responses: Vec<(String, String)>,
}

pub struct Group {
    pub tag: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

pub struct Schema {
    pub name: String,
    pub fields: Vec<(String, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "api_docs.html")]
pub struct DocsPage {
    pub description: String,
    pub groups: Vec<Group>,
    pub schemas: Vec<Schema>,
}

fn type_of(v: &Value) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(items) = v.get("items") {
        return format!("[{}]", type_of(items));
    }
    if let Some(one) = v.get("oneOf").and_then(Value::as_array) {
        return one.iter().map(type_of).collect::<Vec<_>>().join(" | ");
    }
    match v.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => "object".into(),
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

pub fn build(doc: &utoipa::openapi::OpenApi) -> DocsPage {
    let v = serde_json::to_value(doc).unwrap_or(Value::Null);
    let mut groups: Vec<Group> = v["tags"]
        .as_array()
        .map(|tags| tags.iter().map(|t| Group { tag: text(t, "name"), description: text(t, "description"), operations: vec![] }).collect())
        .unwrap_or_default();
    if let Some(paths) = v["paths"].as_object() {
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                let params = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| (text(p, "name"), text(p, "in"), p["required"].as_bool().unwrap_or(false), text(p, "description")))
                            .collect()
                    })
                    .unwrap_or_default();
                let request = op.pointer("/requestBody/content/application~1json/schema").map(type_of);
                let responses = op["responses"]
                    .as_object()
                    .map(|rs| {
                        rs.iter()
                            .map(|(code, r)| {
                                let body =
                                    r.pointer("/content/application~1json/schema").map(type_of).unwrap_or_else(|| text(r, "description"));
                                (code.clone(), body)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let operation = Operation {
                    summary: text(op, "summary"),
                    method: method.to_uppercase(),
                    anchor: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
                    path: path.clone(),
                    params,
                    request,
                    responses,
                };
                match groups.iter_mut().find(|g| g.tag == tag) {
                    Some(g) => g.operations.push(operation),
                    None => groups.push(Group { tag, description: String::new(), operations: vec![operation] }),
                }
            }
        }
    }
    let schemas = v
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(name, s)| Schema {
                    name: name.clone(),
                    fields: s["properties"]
                        .as_object()
                        .map(|props| props.iter().map(|(f, p)| (f.clone(), type_of(p), text(p, "description"))).collect())
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    DocsPage { description: text(&v["info"], "description"), groups, schemas }
}

pub async fn page(Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>) -> DocsPage {
    build(&doc)
}
