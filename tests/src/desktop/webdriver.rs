//! A minimal W3C WebDriver client over one kept-alive connection (WebKitWebDriver).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// `WebKitWebDriver` on a free loopback port, killed on drop.
pub struct Driver {
    child: Child,
    pub url: String,
    http: reqwest::Client,
}

impl Driver {
    pub async fn start(env: &[(String, String)]) -> Result<Driver> {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let child = Command::new("WebKitWebDriver")
            .arg(format!("--port={port}"))
            .arg("--host=127.0.0.1")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start WebKitWebDriver (apt-get install webkit2gtk-driver)")?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(60))
            .build()?;
        let url = format!("http://127.0.0.1:{port}");
        let driver = Driver { child, url, http };
        super::eventually(
            Duration::from_secs(20),
            "WebKitWebDriver to listen",
            || async {
                driver
                    .http
                    .get(format!("{}/status", driver.url))
                    .send()
                    .await
                    .ok()
                    .map(|_| ())
            },
        )
        .await?;
        Ok(driver)
    }

    /// A session that launches `binary` with `args`.
    pub async fn session(&self, binary: &str, args: &[&str]) -> Result<Session> {
        let body = json!({"capabilities": {"alwaysMatch": {
            "webkitgtk:browserOptions": {"binary": binary, "args": args}
        }}});
        let v = self
            .send(reqwest::Method::POST, "/session", Some(body))
            .await?;
        let id = v["sessionId"].as_str().context("no sessionId")?.to_owned();
        Ok(Session {
            base: format!("/session/{id}"),
        })
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let v: Value = resp.json().await?;
        if !status.is_success() {
            bail!("WebDriver {path}: {status} {}", v["value"]);
        }
        Ok(v["value"].clone())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session.
pub struct Session {
    base: String,
}

impl Session {
    /// Run `script` (a function body; `return` gives the result) in the page.
    pub async fn run(&self, d: &Driver, script: &str) -> Result<Value> {
        d.send(
            reqwest::Method::POST,
            &format!("{}/execute/sync", self.base),
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// The text of the first element matching `css`, or None.
    pub async fn text(&self, d: &Driver, css: &str) -> Result<Option<String>> {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.textContent : null;",
            serde_json::to_string(css)?
        );
        Ok(self.run(d, &script).await?.as_str().map(str::to_owned))
    }

    /// The texts of the elements matching `css` that their box cuts short (an ellipsis where
    /// words should be), as a person would find them. Labels hidden on purpose (1 px) are not.
    pub async fn cut_texts(&self, d: &Driver, css: &str) -> Result<Vec<String>> {
        let script = format!(
            "return [...document.querySelectorAll({})]
               .filter((e) => e.clientWidth > 1 && e.scrollWidth > e.clientWidth)
               .map((e) => e.textContent);",
            serde_json::to_string(css)?
        );
        Ok(serde_json::from_value(self.run(d, &script).await?)?)
    }

    /// Press and release `key` on the keyboard (a WebDriver key: `"\u{E004}"` is Tab,
    /// `"\u{E007}"` Enter), as a person does: the page gets real key events.
    pub async fn press(&self, d: &Driver, key: &str) -> Result<()> {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key},
            {"type": "keyUp", "value": key},
        ]}]});
        d.send(
            reqwest::Method::POST,
            &format!("{}/actions", self.base),
            Some(actions),
        )
        .await?;
        Ok(())
    }

    /// The current window's place and size on the screen: `{x, y, width, height}`.
    pub async fn window_rect(&self, d: &Driver) -> Result<Value> {
        d.send(
            reqwest::Method::GET,
            &format!("{}/window/rect", self.base),
            None,
        )
        .await
    }

    /// Close the current window.
    pub async fn close_window(&self, d: &Driver) -> Result<()> {
        d.send(
            reqwest::Method::DELETE,
            &format!("{}/window", self.base),
            None,
        )
        .await?;
        Ok(())
    }

    /// The current window handles.
    pub async fn window_handles(&self, d: &Driver) -> Result<Vec<String>> {
        let v = d
            .send(
                reqwest::Method::GET,
                &format!("{}/window/handles", self.base),
                None,
            )
            .await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn switch_to(&self, d: &Driver, handle: &str) -> Result<()> {
        d.send(
            reqwest::Method::POST,
            &format!("{}/window", self.base),
            Some(json!({"handle": handle})),
        )
        .await?;
        Ok(())
    }
}
