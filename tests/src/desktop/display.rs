//! A private X server (Xvfb) and a private D-Bus session bus for one test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Xvfb on a free display and `dbus-daemon --session`, killed on drop.
pub struct Desktop {
    xvfb: Child,
    dbus: Child,
    pub display: String,
    pub bus_address: String,
    pub runtime_dir: PathBuf,
}

impl Desktop {
    /// A screen of 1280×800.
    pub fn start(dir: &Path) -> Result<Desktop> {
        Desktop::start_sized(dir, "1280x800")
    }

    /// A screen of `size` (`"1024x600"`), as a small laptop's.
    pub fn start_sized(dir: &Path, size: &str) -> Result<Desktop> {
        // Xvfb picks a free display itself and writes its number to stdout (-displayfd), so
        // tests running side by side never share one.
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &format!("{size}x24"),
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start Xvfb (apt-get install xvfb)")?;
        let stdout = xvfb.stdout.take().context("Xvfb stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(15))
            .map_err(|_| anyhow::anyhow!("Xvfb did not start"))?;
        let display_no: u32 = line
            .trim()
            .parse()
            .with_context(|| format!("Xvfb said {line:?}"))?;
        let display = format!(":{display_no}");
        let runtime_dir = dir.join("runtime");
        std::fs::create_dir_all(&runtime_dir)?;
        let socket = runtime_dir.join("bus");
        let bus_address = format!("unix:path={}", socket.display());
        let dbus = Command::new("dbus-daemon")
            .args([
                "--session",
                "--nofork",
                "--nosyslog",
                &format!("--address={bus_address}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start dbus-daemon (apt-get install dbus)")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if Instant::now() > deadline {
                bail!("dbus-daemon did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Desktop {
            xvfb,
            dbus,
            display,
            bus_address,
            runtime_dir,
        })
    }

    /// The environment a desktop program needs to use this display and bus.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DISPLAY".into(), self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus_address.clone()),
            (
                "XDG_RUNTIME_DIR".into(),
                self.runtime_dir.display().to_string(),
            ),
            ("NO_AT_BRIDGE".into(), "1".into()),
            ("GDK_BACKEND".into(), "x11".into()),
            ("WEBKIT_DISABLE_COMPOSITING_MODE".into(), "1".into()),
            ("LIBGL_ALWAYS_SOFTWARE".into(), "1".into()),
        ]
    }

    /// A screenshot of the whole screen (ImageMagick's `import`).
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let status = Command::new("import")
            .args([
                "-display",
                &self.display,
                "-window",
                "root",
                &path.display().to_string(),
            ])
            .status()
            .context("cannot run import (apt-get install imagemagick)")?;
        if !status.success() {
            bail!("import failed");
        }
        Ok(())
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        for child in [&mut self.dbus, &mut self.xvfb] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
