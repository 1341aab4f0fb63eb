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
