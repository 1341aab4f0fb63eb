//! Take screenshots of a running Frontline for people to look at:
//! `cargo run -p frontline-testkit --example screenshots -- http://127.0.0.1:8080 EMAIL PASSWORD OUTDIR /path1 /path2 ...`

use frontline_testkit::browser::Browser;
use thirtyfour::prelude::*;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, email, password, out, paths @ ..] = args.as_slice() else {
        eprintln!("usage: screenshots BASE EMAIL PASSWORD OUTDIR PATH...");
        std::process::exit(2);
    };
    let b = Browser::start("screenshots").await.expect("chromium");
    b.driver.goto(format!("{base}/login")).await.expect("login");
    b.driver.find(By::Id("email")).await.expect("email").send_keys(email).await.expect("type");
    b.driver.find(By::Id("password")).await.expect("password").send_keys(password).await.expect("type");
    b.driver.find(By::Css("button[type=submit]")).await.expect("submit").click().await.expect("click");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    std::fs::create_dir_all(out).expect("outdir");
    for (i, path) in paths.iter().enumerate() {
        b.driver.goto(format!("{base}{path}")).await.expect("goto");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let file = std::path::Path::new(out).join(format!("{i:02}.png"));
        b.driver.screenshot(&file).await.expect("screenshot");
        println!("{} -> {}", path, file.display());
    }
    b.quit().await;
}
