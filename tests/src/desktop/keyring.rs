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
        let mut keyring = Keyring { daemon, env };
        keyring.wait_served()?;
        Ok(keyring)
    }

    /// Until our daemon owns org.freedesktop.secrets and the `default` alias names a
    /// collection (what the app's keyring crate stores into).
    ///
    /// Nothing may call the service before that: the bus would start another daemon for the
    /// call from the system's activation file, one without the unlocked login keyring, and
    /// if that one won the name every save failed with "result not returned from SS API".
    /// The bus's own methods used here never activate anything.
    fn wait_served(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.daemon.try_wait()? {
                bail!("gnome-keyring-daemon exited ({status}) before serving the Secret Service");
            }
            let last = match self.owner_pid()? {
                Some(pid) if pid != self.daemon.id() => bail!(
                    "org.freedesktop.secrets is served by process {pid}, not the test's daemon"
                ),
                Some(_) => match self.default_alias()? {
                    Some(path) if path != "/" => return Ok(()),
                    other => format!("the default alias is {other:?}"),
                },
                None => "nobody owns org.freedesktop.secrets".to_owned(),
            };
            if Instant::now() > deadline {
                bail!("gnome-keyring-daemon did not serve org.freedesktop.secrets: {last}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The process owning org.freedesktop.secrets on the bus, if any.
    fn owner_pid(&self) -> Result<Option<u32>> {
        let reply = self.dbus_send(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            "string:org.freedesktop.secrets",
        ])?;
        Ok(reply.and_then(|r| r.strip_prefix("uint32 ")?.parse().ok()))
    }

    /// The object path the `default` alias points at ("/" for none).
    fn default_alias(&self) -> Result<Option<String>> {
        let reply = self.dbus_send(&[
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.ReadAlias",
            "string:default",
        ])?;
        Ok(reply.and_then(|r| Some(r.strip_prefix("object path ")?.trim_matches('"').to_owned())))
    }

    /// The reply's value line of a `dbus-send` call on the test's bus; `None` for an error
    /// reply (such as no owner of the name).
    fn dbus_send(&self, args: &[&str]) -> Result<Option<String>> {
        let out = Command::new("dbus-send")
            .args(["--session", "--print-reply"])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .context("cannot run dbus-send (scripts/install-deps.sh test)")?;
        if !out.status.success() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(text.lines().last().map(|l| l.trim().to_owned()))
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
        self.store_item("bitbank-api-key", secret)
    }

    /// Store `secret` as the app would under service `bbwatch` and user `user` (a channel's:
    /// `channel:<name>`).
    pub fn store_item(&self, user: &str, secret: &str) -> Result<()> {
        let mut child = Command::new("secret-tool")
            .args([
                "store",
                "--label=bbwatch",
                "service",
                "bbwatch",
                "username",
                user,
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

    /// The label of the bbwatch API key's item (what a keyring manager shows), if stored.
    pub fn bbwatch_label(&self) -> Result<Option<String>> {
        let out = self.secret_tool(&[
            "search",
            "--all",
            "service",
            "bbwatch",
            "username",
            "bitbank-api-key",
        ])?;
        // `secret-tool search` prints each item's details as `name = value` lines.
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        Ok(text
            .lines()
            .find_map(|l| l.strip_prefix("label = "))
            .map(str::to_owned))
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
