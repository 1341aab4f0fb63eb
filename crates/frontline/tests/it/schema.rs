//! Both engines carry the same schema.

use frontline_testkit::TestDb;

#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let Some(pg) = TestDb::postgres("schema::sqlite_and_postgres_schemas_match").await else { return };
    let lite = TestDb::sqlite().await;
    let a = lite.store().await.schema_columns().await.expect("sqlite schema");
    let b = pg.store().await.schema_columns().await.expect("postgres schema");
    assert!(a.len() > 50, "{a:?}");
    assert_eq!(a, b, "the SQLite and PostgreSQL migrations define different tables or columns");
}

/// A row with a code the domain does not know is refused by the database
/// itself, on both engines (CHECK constraints; triggers on SQLite).
async fn bad_codes_are_refused(db: frontline_testkit::TestDb) {
    let t = frontline_testkit::TestApp::new(db).await;
    let customer = t.user("customer_member", "dana@northwind.example", None).await;
    let sql = [
        "INSERT INTO users (email, name, role, active, created_at) VALUES ('x@y.example', 'X', 'superuser', TRUE, '2026-01-01T00:00:00Z')",
        "INSERT INTO positions (name, level, rank, tier) VALUES ('Tier 9', 'IC9', 9, 9)",
        "UPDATE tickets SET status = 'archived'",
        "UPDATE tickets SET priority = 'critical'",
        "UPDATE tickets SET ticket_type = 'bug'",
        "UPDATE tickets SET tier = 4",
        "UPDATE tickets SET escalation_level = -1",
        "UPDATE messages SET kind = 'private'",
        "UPDATE users SET role = 'root'",
    ];
    let r = t
        .post_json(
            "/api/v1/tickets",
            &t.token_for(&customer).await,
            &serde_json::json!({"subject": "Sync stopped", "body": "Since Monday."}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    for statement in sql {
        let result = match t.engine() {
            frontline_testkit::Engine::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&t.db.url).await.expect("sqlite");
                sqlx::query(statement).execute(&pool).await.map(|r| r.rows_affected())
            }
            frontline_testkit::Engine::Postgres => {
                let pool = sqlx::PgPool::connect(&t.db.url).await.expect("postgres");
                sqlx::query(statement).execute(&pool).await.map(|r| r.rows_affected())
            }
        };
        let error = result.expect_err(statement).to_string();
        assert!(error.to_lowercase().contains("check"), "{statement}: {error}");
    }
    // Good codes still go in.
    let r = t.get(&format!("/api/v1/tickets/{}", r.json()["id"]), &t.token_for(&customer).await).await;
    assert_eq!(r.status, 200, "{}", r.text());
}
frontline_testkit::on_both_engines!(coded_columns_refuse_bad_codes, bad_codes_are_refused);
