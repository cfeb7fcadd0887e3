//! The Windows tray app under Wine, as its test reads it: `bbwatch-desktop.exe` in Wine's
//! virtual desktop on a private X server, and what Wine's shell shows — its tray icons with
//! their tooltips and places, its balloons, the other programs' top-level windows — read by
//! `shell-probe.exe` (tests/wine/shell-probe.c), a Windows program run in the same desktop.
//! scripts/wine-tests.sh builds both and says where they are.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{bail, Context, Result};

/// Wine as scripts/wine-tests.sh set it up: the loader, the wineserver and the test prefix
/// (in the environment it exports), the Windows binaries under test.
pub struct Wine {
    loader: PathBuf,
    server: PathBuf,
    /// `bbwatch-desktop.exe`.
    pub desktop_exe: PathBuf,
    probe_exe: PathBuf,
    credential_exe: PathBuf,
    /// What every Wine process of the test gets besides the inherited environment.
    env: Vec<(String, String)>,
    /// Where a finished program's output is kept.
    scratch: PathBuf,
}

/// How a program run to its end went.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

fn var(name: &str) -> Result<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .with_context(|| format!("{name} is not set: scripts/wine-tests.sh runs this test"))
}

impl Wine {
    /// Wine on `display`, from scripts/wine-tests.sh's environment; output kept in `dir`.
    pub fn from_env(display: &str, dir: &Path) -> Result<Wine> {
        Ok(Wine {
            loader: var("BBWATCH_TEST_WINE")?,
            server: var("BBWATCH_TEST_WINESERVER")?,
            desktop_exe: var("BBWATCH_TEST_WINE_DESKTOP_EXE")?,
            probe_exe: var("BBWATCH_TEST_WINE_PROBE")?,
            credential_exe: var("BBWATCH_TEST_WINE_STORE_CREDENTIAL")?,
            env: vec![("DISPLAY".into(), display.into())],
            scratch: dir.to_path_buf(),
        })
    }

    /// Run `cmd` to its end. Its output goes through files, not pipes: the first program of a
    /// Wine session starts the session's own processes (the desktop, services), which keep
    /// whatever it was given open long after it has ended.
    pub fn finish(&self, mut cmd: Command) -> Result<Finished> {
        let (out, err) = (self.scratch.join("wine.out"), self.scratch.join("wine.err"));
        let status = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out)?)
            .stderr(std::fs::File::create(&err)?)
            .status()
            .with_context(|| format!("cannot run {cmd:?}"))?;
        Ok(Finished {
            status,
            stdout: String::from_utf8_lossy(&std::fs::read(&out)?).into_owned(),
            stderr: String::from_utf8_lossy(&std::fs::read(&err)?).into_owned(),
        })
    }

    /// Also give every Wine process `key=value`.
    pub fn set(&mut self, key: &str, value: &str) {
        self.env.push((key.into(), value.into()));
    }

    /// `program args…` under Wine, not started yet.
    pub fn command(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.loader);
        cmd.arg(program).args(args).envs(self.env.iter().cloned());
        cmd
    }

    /// Run a program of Wine's own (`reg.exe`) to its end; it must succeed.
    pub fn run(&self, args: &[&str]) -> Result<Finished> {
        let mut cmd = Command::new(&self.loader);
        cmd.args(args).envs(self.env.iter().cloned());
        let done = self.finish(cmd)?;
        if !done.status.success() {
            bail!("wine {args:?}: {}\n{}", done.status, done.stderr);
        }
        Ok(done)
    }

    /// Make every window of the prefix open in one virtual desktop of `size` (as a Windows
    /// screen: a taskbar with the tray at the bottom right), and give the session no
    /// %APPDATA% of its own so the test's environment chooses it.
    pub fn prepare_session(&self, size: &str) -> Result<()> {
        let explorer = r"HKCU\Software\Wine\Explorer";
        self.run(&[
            "reg.exe", "add", explorer, "/v", "Desktop", "/d", "bbwatch", "/f",
        ])?;
        self.run(&[
            "reg.exe",
            "add",
            &format!(r"{explorer}\Desktops"),
            "/v",
            "bbwatch",
            "/d",
            size,
            "/f",
        ])?;
        for var in ["APPDATA", "LOCALAPPDATA"] {
            // Absent already is fine.
            let _ = self.run(&[
                "reg.exe",
                "delete",
                r"HKCU\Volatile Environment",
                "/v",
                var,
                "/f",
            ]);
        }
        Ok(())
    }

    /// What the shell shows now.
    pub fn probe(&self) -> Result<Shell> {
        let done = self.finish(self.command(&self.probe_exe, &[]))?;
        if !done.status.success() {
            bail!("shell-probe.exe: {}\n{}", done.status, done.stderr);
        }
        Ok(Shell::parse(&done.stdout))
    }

    /// Store a generic credential `target` with `secret` in Wine's Credential Manager, as the
    /// keyring crate does (tests/wine/store-credential.c).
    pub fn store_credential(&self, target: &str, secret: &str) -> Result<()> {
        let done = self.finish(self.command(&self.credential_exe, &[target, secret]))?;
        if !done.status.success() {
            bail!("store-credential.exe: {}\n{}", done.status, done.stderr);
        }
        Ok(())
    }

    /// End every Wine process of the prefix (the test's last word).
    pub fn kill_all(&self) {
        let _ = Command::new(&self.server)
            .arg("-k")
            .envs(self.env.iter().cloned())
            .status();
    }
}

/// A rectangle on screen: left, top, right, bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect(pub i32, pub i32, pub i32, pub i32);

/// A tray icon on show: where it is drawn, and its tooltip.
#[derive(Clone, Debug)]
pub struct TrayIcon {
    pub rect: Rect,
    pub tooltip: String,
}

/// A top-level window of a program other than the shell.
#[derive(Clone, Debug)]
pub struct Window {
    pub pid: u32,
    pub visible: bool,
    pub ex_style: u32,
    pub owned: bool,
    pub title: String,
}

/// `WS_EX_TOOLWINDOW`: Windows gives such a window no taskbar button.
pub const WS_EX_TOOLWINDOW: u32 = 0x80;

/// What Wine's shell shows at one moment.
#[derive(Clone, Debug, Default)]
pub struct Shell {
    pub icons: Vec<TrayIcon>,
    /// The texts of the balloons on screen.
    pub balloons: Vec<String>,
    pub windows: Vec<Window>,
}

impl Shell {
    fn parse(text: &str) -> Shell {
        let mut shell = Shell::default();
        for line in text.lines() {
            let (head, tail) = line.split_once('\t').unwrap_or((line, ""));
            let words: Vec<&str> = head.split(' ').collect();
            let num = |i: usize| {
                words
                    .get(i)
                    .and_then(|w| w.parse::<i32>().ok())
                    .unwrap_or(0)
            };
            match words.first() {
                Some(&"tip") => {
                    let (balloon, visible) =
                        (words.get(2) == Some(&"1"), words.get(3) == Some(&"1"));
                    let text = tail
                        .split_once('\t')
                        .map_or("", |(_, text)| text)
                        .to_string();
                    if balloon {
                        if visible {
                            shell.balloons.push(text);
                        }
                    } else if num(7) > num(5) {
                        // A hidden or removed icon keeps its tool, with no width.
                        shell.icons.push(TrayIcon {
                            rect: Rect(num(5), num(6), num(7), num(8)),
                            tooltip: text,
                        });
                    }
                }
                Some(&"window") => shell.windows.push(Window {
                    pid: u32::try_from(num(1)).unwrap_or(0),
                    visible: words.get(2) == Some(&"1"),
                    ex_style: words
                        .get(3)
                        .and_then(|w| u32::from_str_radix(w, 16).ok())
                        .unwrap_or(0),
                    owned: words
                        .get(4)
                        .is_some_and(|w| !w.trim_start_matches('0').is_empty()),
                    title: tail.to_string(),
                }),
                _ => {}
            }
        }
        shell
    }

    /// The tray icon whose tooltip starts with `prefix`.
    pub fn icon(&self, prefix: &str) -> Option<&TrayIcon> {
        self.icons.iter().find(|i| i.tooltip.starts_with(prefix))
    }
}

/// The colour of bbwatch's tray icon drawn at `rect` in the screenshot `png`: the level whose
/// fill (icons/src/*.svg) most of the icon's pixels have — `"green"` (normal), `"amber"`
/// (degraded) or `"red"` (maintenance, down) — or `None` when no such icon is there.
pub fn icon_colour(png: &Path, rect: Rect) -> Result<Option<&'static str>> {
    let Rect(left, top, right, bottom) = rect;
    let out = Command::new("convert")
        .arg(png)
        .args([
            "-crop",
            &format!("{}x{}+{left}+{top}", right - left, bottom - top),
            "+repage",
            "-depth",
            "8",
            "txt:-",
        ])
        .output()
        .context("cannot run convert (apt-get install imagemagick)")?;
    if !out.status.success() {
        bail!("convert: {}", String::from_utf8_lossy(&out.stderr));
    }
    const FILLS: [(&str, [i32; 3]); 3] = [
        ("green", [0x00, 0x9e, 0x73]),
        ("amber", [0xf2, 0xb0, 0x1e]),
        ("red", [0xd9, 0x36, 0x36]),
    ];
    let mut counts = [0usize; 3];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(hex) = line
            .split_whitespace()
            .find(|w| w.starts_with('#') && w.len() >= 7)
        else {
            continue;
        };
        let channel =
            |i: usize| i32::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap_or(-999);
        let rgb = [channel(0), channel(1), channel(2)];
        for (count, (_, fill)) in counts.iter_mut().zip(FILLS) {
            if (0..3).all(|i| (rgb[i] - fill[i]).abs() <= 24) {
                *count += 1;
            }
        }
    }
    let (best, count) = counts
        .iter()
        .enumerate()
        .max_by_key(|(_, c)| **c)
        .map(|(i, c)| (FILLS[i].0, *c))
        .unwrap_or(("", 0));
    // A 16-pixel icon's disc is about 130 pixels of its fill.
    Ok((count >= 40).then_some(best))
}
