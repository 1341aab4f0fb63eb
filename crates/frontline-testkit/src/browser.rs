//! Headless Chromium through Debian's chromedriver (no driver downloads).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use thirtyfour::prelude::*;

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// axe-core, vendored (assets/VENDORED.md): the accessibility rules the browser test runs.
pub const AXE: &str = include_str!("../assets/axe.min.js");
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub driver: WebDriver,
    chromedriver: Child,
    _profile: tempfile::TempDir,
    pub screenshots: PathBuf,
}

impl Browser {
    /// None (after saying why) when Chromium is not installed outside CI.
    pub async fn start(test: &str) -> Option<Browser> {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            if !std::path::Path::new(bin).exists() {
                crate::skip(test, &format!("{bin} is not installed (apt-get install chromium chromium-driver)"));
                return None;
            }
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let chromedriver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        // Bounded wait for the driver to listen.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).expect("binary");
        for arg in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--window-size=1400,1000",
        ] {
            caps.add_arg(arg).expect("arg");
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display())).expect("arg");
        let driver = WebDriver::new(&url, caps).await.expect("start a Chromium session");
        let screenshots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&screenshots).expect("screenshot dir");
        Some(Browser { driver, chromedriver, _profile: profile, screenshots })
    }

    /// Sign in on `base`'s sign-in page with the test password (`http::PASSWORD`).
    pub async fn sign_in(&self, base: &str, email: &str) {
        self.driver.goto(format!("{base}/login")).await.expect("login page");
        self.driver.find(By::Id("email")).await.expect("email").send_keys(email).await.expect("type");
        self.driver.find(By::Id("password")).await.expect("password").send_keys(crate::http::PASSWORD).await.expect("type");
        self.driver.find(By::Css("button[type=submit]")).await.expect("submit").click().await.expect("click");
    }

    pub async fn screenshot(&self, name: &str) {
        let path = self.screenshots.join(format!("{name}.png"));
        self.driver.screenshot(&path).await.expect("screenshot");
        eprintln!("screenshot: {}", path.display());
    }

    /// Wait (bounded, 30 s: the suite runs on two shared cores) until the
    /// page shows `text` somewhere in its body.
    pub async fn wait_for_text(&self, text: &str) {
        for _ in 0..300 {
            if let Ok(body) = self.driver.find(By::Tag("body")).await
                && body.text().await.unwrap_or_default().contains(text)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let body = self.driver.find(By::Tag("body")).await.expect("body").text().await.unwrap_or_default();
        panic!("page never showed {text:?}; it shows:\n{body}");
    }

    /// Resize the window so the page's viewport is `width` CSS pixels wide.
    pub async fn set_width(&self, width: i64, height: i64) {
        self.driver.set_window_rect(0, 0, width as u32, height as u32).await.expect("resize");
        // Headless windows may keep a frame: correct by what the page reports.
        let inner = self.driver.execute("return window.innerWidth;", vec![]).await.expect("width").json().as_i64().unwrap_or(width);
        if inner != width {
            let outer = width + (width - inner);
            self.driver.set_window_rect(0, 0, outer as u32, height as u32).await.expect("resize");
        }
    }

    /// How far the page scrolls sideways: (document scrollWidth, viewport width).
    pub async fn widths(&self) -> (i64, i64) {
        let v = self
            .driver
            .execute("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];", vec![])
            .await
            .expect("widths")
            .json()
            .clone();
        (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0))
    }

    /// Serious and critical WCAG 2.x A/AA violations axe-core finds on the
    /// current page, one readable line each (rule, impact, help, elements).
    pub async fn axe(&self) -> Vec<String> {
        let loaded = self.driver.execute("return typeof window.axe !== 'undefined';", vec![]).await.expect("axe check").json().as_bool();
        if loaded != Some(true) {
            self.driver.execute(&format!("{AXE}\n;return true;"), vec![]).await.expect("inject axe-core");
        }
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] })
              .then(r => done(r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', '))))
              .catch(e => done(['axe failed: ' + e]));
        "#;
        let ret = self.driver.execute_async(script, vec![]).await.expect("run axe-core");
        ret.json().as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
    }

    pub async fn body_text(&self) -> String {
        self.driver.find(By::Tag("body")).await.expect("body").text().await.unwrap_or_default()
    }

    pub async fn quit(mut self) {
        let _ = self.driver.clone().quit().await;
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}
