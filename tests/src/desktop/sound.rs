//! A sound server of the test's own: PulseAudio with a null sink in the desktop's runtime
//! directory, and what plays on it, read with `pactl subscribe`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::display::Desktop;

/// PulseAudio and a subscriber to its events, killed on drop.
pub struct SoundServer {
    server: Child,
    subscriber: Child,
    events: Arc<Mutex<Vec<String>>>,
}

impl SoundServer {
    /// Start it for `desktop` (its socket in the desktop's runtime directory), with `home`.
    pub fn start(desktop: &Desktop, home: &Path) -> Result<SoundServer> {
        let env = [
            ("XDG_RUNTIME_DIR", desktop.runtime_dir.as_os_str()),
            ("HOME", home.as_os_str()),
        ];
        let server = Command::new("pulseaudio")
            .args([
                "--daemonize=no",
                "--exit-idle-time=-1",
                "-n",
                "--load=module-null-sink",
                "--load=module-native-protocol-unix",
            ])
            .envs(env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start pulseaudio (apt-get install pulseaudio)")?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ready = Command::new("pactl")
                .arg("info")
                .envs(env)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .context("cannot run pactl (apt-get install pulseaudio-utils)")?
                .success();
            if ready {
                break;
            }
            if Instant::now() > deadline {
                bail!("pulseaudio did not start");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut subscriber = Command::new("pactl")
            .arg("subscribe")
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let events = Arc::new(Mutex::new(Vec::new()));
        let lines = BufReader::new(subscriber.stdout.take().context("pactl's output")?);
        let log = events.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        Ok(SoundServer {
            server,
            subscriber,
            events,
        })
    }

    /// How many sounds have begun playing so far (new sink inputs).
    pub fn sounds(&self) -> usize {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|l| l.contains("'new' on sink-input"))
            .count()
    }
}

impl Drop for SoundServer {
    fn drop(&mut self) {
        for child in [&mut self.subscriber, &mut self.server] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
