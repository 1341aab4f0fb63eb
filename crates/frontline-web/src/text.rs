//! The web boundary's check on request text: any string of a JSON body, a
//! form or a query string holding a control character (other than tab and
//! line breaks) is refused here, naming its field, before a handler or the
//! database sees it. The domain checks its own fields too; this catches
//! the ones it does not parse (filters, search text, sign-in).

use frontline_domain::FieldError;
use frontline_domain::validate::is_forbidden_control;
use serde_json::Value;

fn has_control(s: &str) -> bool {
    s.chars().any(is_forbidden_control)
}

fn refused(field: String) -> FieldError {
    FieldError::new(field.clone(), format!("{field} must not contain control characters (such as NUL)"))
}

/// A field name fit to show: its own control characters made visible.
fn printable(name: &str) -> String {
    name.chars().map(|c| if is_forbidden_control(c) { '?' } else { c }).collect()
}

/// The first field of a form or query string holding a control character.
pub fn in_pairs(pairs: &[(String, String)]) -> Option<FieldError> {
    pairs.iter().find(|(k, v)| has_control(k) || has_control(v)).map(|(k, _)| refused(printable(k)))
}

/// The first parameter of a query string holding a control character.
/// A query that does not decode is left to the typed extractor to refuse.
pub fn query_error(query: Option<&str>) -> Option<FieldError> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query?).ok().and_then(|pairs| in_pairs(&pairs))
}

/// The first string of a JSON document (key or value) holding a control
/// character, named by its path as serde names fields (`tags[0]`, `a.b`).
pub fn in_json(value: &Value) -> Option<FieldError> {
    walk(value, String::new()).map(|path| refused(if path.is_empty() { "body".into() } else { path }))
}

fn walk(value: &Value, path: String) -> Option<String> {
    match value {
        Value::String(s) if has_control(s) => Some(path),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| walk(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() { printable(k) } else { format!("{path}.{}", printable(k)) };
            if has_control(k) { Some(here) } else { walk(v, here) }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn names_the_field() {
        let field = |v| super::in_json(&v).map(|e| e.field);
        assert_eq!(field(json!({"subject": "ok", "body": "a\u{0}b"})), Some("body".into()));
        assert_eq!(field(json!({"tags": ["ok", "b\u{7f}"]})), Some("tags[1]".into()));
        assert_eq!(field(json!({"a": {"b\u{0}": 1}})), Some("a.b?".into()));
        assert_eq!(field(json!({"body": "tab\tand\r\nlines"})), None);
        let pairs = vec![("q".to_string(), "x\u{1b}".to_string())];
        assert_eq!(super::in_pairs(&pairs).map(|e| e.field), Some("q".into()));
    }
}
