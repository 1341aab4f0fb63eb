//! Every public async store call is a `tracing` span (DEBUG), so a slow
//! request's log shows which store calls it made and how long each took.
//! This keeps a new store function from being added without one.

use std::path::Path;

#[test]
fn every_public_async_store_call_has_a_span() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&src).expect("src") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with("pub async fn ") {
                seen += 1;
                let previous = lines[..i].iter().rev().find(|l| !l.trim_start().starts_with("///")).copied().unwrap_or("");
                if !previous.contains("tracing::instrument") {
                    let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("?");
                    missing.push(format!("{file}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(seen > 50, "found only {seen} store functions: is this reading the right folder?");
    assert!(missing.is_empty(), "store calls without a span:\n{}", missing.join("\n"));
}
