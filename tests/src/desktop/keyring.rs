//! A Secret Service of the test's own: `gnome-keyring-daemon` on the test's private D-Bus
//! session, with a login keyring made and unlocked with a known password, its files under the
//! test's scratch directory, so nothing touches the user's real keyring. Items are read back
//! with `secret-tool` (libsecret-tools) over the same bus.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::display::Desktop;

/// The password of the test's login keyring.
const PASSWORD: &str = "bbwatch-test";

/// `gnome-keyring-daemon --foreground` serving org.freedesktop.secrets; killed on drop.
pub struct Keyring {
    daemon: Child,
    env: Vec<(String, String)>,
}

impl Keyring {
    /// Start the daemon on `desktop`'s bus, keeping its keyrings in `dir/data/keyrings`
    /// (`XDG_DATA_HOME` and `HOME` point into `dir`, as the app's do).
    pub fn start(desktop: &Desktop, dir: &Path) -> Result<Keyring> {
        let mut env = desktop.env();
        env.extend([
            ("HOME".into(), dir.display().to_string()),
            (
                "XDG_DATA_HOME".into(),
                dir.join("data").display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME".into(),
                dir.join("config").display().to_string(),
            ),
        ]);
        std::fs::create_dir_all(dir.join("data"))?;
        // --unlock reads the password on stdin and makes the login keyring with it; the daemon
        // then serves the Secret Service on the session bus given in the environment.
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start gnome-keyring-daemon (scripts/install-deps.sh test)")?;
        {
            let mut stdin = daemon.stdin.take().context("gnome-keyring-daemon stdin")?;
            stdin.write_all(PASSWORD.as_bytes())?;
        }
        let keyring = Keyring { daemon, env };
        keyring.wait_served()?;
        Ok(keyring)
    }

    /// Until the bus has a Secret Service and its login collection answers.
    fn wait_served(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            // A lookup of nothing answers "not found" (exit 1) once the service is up, and
            // fails with a message on stderr while it is not.
            let out = self.secret_tool(&["lookup", "service", "bbwatch-probe"])?;
            if out.status.code() == Some(1) && out.stderr.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "gnome-keyring-daemon did not serve org.freedesktop.secrets: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn secret_tool(&self, args: &[&str]) -> Result<std::process::Output> {
        Command::new("secret-tool")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .context("cannot run secret-tool (scripts/install-deps.sh test)")
    }

    /// The secret of the item with these attributes, if there is one.
    pub fn lookup(&self, attributes: &[(&str, &str)]) -> Result<Option<String>> {
        let mut args = vec!["lookup"];
        for (k, v) in attributes {
            args.extend([*k, *v]);
        }
        let out = self.secret_tool(&args)?;
        match out.status.code() {
            Some(0) => Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned())),
            Some(1) if out.stderr.is_empty() => Ok(None),
            _ => bail!(
                "secret-tool lookup failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// Store an item as the app would (service `bbwatch`, user `bitbank-api-key`): `secret` is
    /// the stored text, the app's JSON of the key and the secret.
    pub fn store_bbwatch_item(&self, secret: &str) -> Result<()> {
        let mut child = Command::new("secret-tool")
            .args([
                "store",
                "--label=bbwatch",
                "service",
                "bbwatch",
                "username",
                "bitbank-api-key",
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run secret-tool (scripts/install-deps.sh test)")?;
        child
            .stdin
            .take()
            .context("secret-tool stdin")?
            .write_all(secret.as_bytes())?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "secret-tool store failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// The bbwatch API key's item (service `bbwatch`, user `bitbank-api-key`), if stored.
    pub fn bbwatch_item(&self) -> Result<Option<String>> {
        self.lookup(&[("service", "bbwatch"), ("username", "bitbank-api-key")])
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
