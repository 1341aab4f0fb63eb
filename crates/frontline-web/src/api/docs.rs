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

/// The document's descriptions use Markdown's inline code (`x`); the page
/// shows it as `<code>` rather than raw backticks. Everything else is
/// escaped, so the result is safe to put in the page as HTML.
pub fn prose(markdown: &str) -> String {
    let mut html = String::with_capacity(markdown.len() + 16);
    let mut in_code = false;
    let pieces: Vec<&str> = markdown.split('`').collect();
    // An odd count of backticks leaves the last one as it is, not an open tag.
    let last_pairable = if pieces.len().is_multiple_of(2) { pieces.len() - 1 } else { pieces.len() };
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            if i < last_pairable {
                html.push_str(if in_code { "</code>" } else { "<code>" });
                in_code = !in_code;
            } else {
                html.push('`');
            }
        }
        for c in piece.chars() {
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                '\'' => html.push_str("&#39;"),
                c => html.push(c),
            }
        }
    }
    html
}

fn prose_of(v: &Value, key: &str) -> String {
    prose(&text(v, key))
}

pub fn build(doc: &utoipa::openapi::OpenApi) -> DocsPage {
    let v = serde_json::to_value(doc).unwrap_or(Value::Null);
    let mut groups: Vec<Group> = v["tags"]
        .as_array()
        .map(|tags| {
            tags.iter().map(|t| Group { tag: text(t, "name"), description: prose_of(t, "description"), operations: vec![] }).collect()
        })
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
                            .map(|p| (text(p, "name"), text(p, "in"), p["required"].as_bool().unwrap_or(false), prose_of(p, "description")))
                            .collect()
                    })
                    .unwrap_or_default();
                let request = op.pointer("/requestBody/content/application~1json/schema").map(type_of);
                let responses = op["responses"]
                    .as_object()
                    .map(|rs| {
                        rs.iter()
                            .map(|(code, r)| {
                                let body = r
                                    .pointer("/content/application~1json/schema")
                                    .map(type_of)
                                    .unwrap_or_else(|| prose_of(r, "description"));
                                (code.clone(), body)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let operation = Operation {
                    summary: prose_of(op, "summary"),
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
                        .map(|props| props.iter().map(|(f, p)| (f.clone(), type_of(p), prose_of(p, "description"))).collect())
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    DocsPage { description: prose_of(&v["info"], "description"), groups, schemas }
}

pub async fn page(Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>) -> DocsPage {
    build(&doc)
}

#[cfg(test)]
mod tests {
    use super::prose;

    #[test]
    fn inline_code_becomes_code_and_the_rest_is_escaped() {
        assert_eq!(prose("pass `next_cursor` back"), "pass <code>next_cursor</code> back");
        assert_eq!(prose("<b>&`x`"), "&lt;b&gt;&amp;<code>x</code>");
        assert_eq!(prose("one ` alone"), "one ` alone");
        assert_eq!(prose("`a` and `b` then `"), "<code>a</code> and <code>b</code> then `");
    }
}
