//! The settings in force: the configuration file with the binary's overrides (flags,
//! environment variables) laid over it, published on a `watch` channel that the monitor and
//! every sink read. The file is the one source of truth: it is read again when it changes
//! ([`Settings::watch_file`]) or when asked ([`Settings::reload`], e.g. on SIGHUP). A file that
//! becomes invalid leaves the last good settings in force, and the problem is published
//! (key and line) until the file is fixed. A file others can change has its hooks, webhooks
//! and API token set aside ([`crate::config::trust`]): the rest is in force, and what was set aside is
//! published the same way.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::bitbank::client::ClientError;
use crate::config::{read_config_file, Config, ConfigError, LanguageSetting};
use crate::engine::detect::Resume;
use crate::engine::monitor::{Monitor, MonitorConfig, MonitorHandle};
use crate::i18n::{Lang, Msg};
use crate::model::pair::PairName;
use crate::model::url::{HttpUrl, WsUrl};
use crate::present::settings_form::{describe_file_problem, issue_line, FileProblem};

/// Editors write a file in bursts (truncate, write, rename): wait this long for the last one.
const SETTLE: Duration = Duration::from_millis(300);

/// What a binary lays over the file, on every reload: its flags and environment variables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--interval`.
    pub interval: Option<Duration>,
    /// `--timeout`.
    pub timeout: Option<Duration>,
    /// `--pairs`.
    pub pairs: Option<Vec<PairName>>,
    /// `--api-url` / `BBWATCH_API_URL`.
    pub api_url: Option<HttpUrl>,
    /// `--public-url` / `BBWATCH_PUBLIC_URL`.
    pub public_url: Option<HttpUrl>,
    /// `--stream-url` / `BBWATCH_STREAM_URL`.
    pub stream_url: Option<WsUrl>,
    /// `--no-stream`.
    pub no_stream: bool,
    /// `--lang`.
    pub language: Option<LanguageSetting>,
    /// `--exchange`: the exchanges watched besides bitbank, exactly.
    pub exchanges: Option<Vec<crate::model::exchange::Exchange>>,
}

impl Overrides {
    /// `config` with the overrides laid over it.
    pub fn apply(&self, mut config: Config) -> Config {
        if let Some(i) = self.interval {
            config.interval.0 = i;
        }
        if let Some(t) = self.timeout {
            config.timeout.0 = t;
        }
        if let Some(p) = &self.pairs {
            config.pairs = Some(p.clone());
        }
        if let Some(u) = &self.api_url {
            config.api_url = u.clone();
        }
        if let Some(u) = &self.public_url {
            config.public_url = u.clone();
        }
        if let Some(u) = &self.stream_url {
            config.stream_url = u.clone();
        }
        if self.no_stream {
            config.stream = false;
        }
        if let Some(l) = self.language {
            config.language = l;
        }
        if let Some(e) = &self.exchanges {
            config.exchanges.select(e);
        }
        config
    }
}

/// The configuration file could not be used, or not all of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, naming each key and line (English, a line each).
    pub message: String,
    /// What is in force meanwhile.
    pub in_force: InForce,
    /// The file's text when it was read (empty when it could not be), to say the problem again
    /// in another language.
    pub text: String,
    /// The file was removed (the settings in force stay until it is back).
    pub removed: bool,
}

/// The settings in force while the file cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InForce {
    /// The defaults: the file has not been read well since the start.
    Defaults,
    /// The last settings read well: the file went bad since.
    LastGood,
    /// The file, but for the keys the message names: others can change it, so its hooks,
    /// webhooks and API token are set aside ([`crate::config::Loaded::refused`]).
    AllBut,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl Problem {
    /// What is in force, where the file is, and each problem with its line, in `lang`; and
    /// whether the settings form can mend it.
    pub fn describe(&self, lang: Lang) -> (String, bool) {
        if self.removed {
            let text = format!(
                "{}\n{}",
                Msg::ConfigFileRemoved.text(lang),
                self.path.display()
            );
            return (text, false);
        }
        let in_force = match self.in_force {
            InForce::Defaults => Msg::ConfigProblemBody,
            InForce::LastGood => Msg::ConfigProblemKept,
            // The file is in force but for what each line names: a matter of its mode,
            // which the settings form cannot mend.
            InForce::AllBut => {
                let set_aside = Config::from_file_text(&self.path, &self.text)
                    .map(|loaded| loaded.refused)
                    .unwrap_or_default();
                let lines: Vec<String> = set_aside
                    .iter()
                    .filter_map(|e| match e {
                        ConfigError::SetAside {
                            key,
                            part,
                            untrusted,
                            line,
                        } => Some(issue_line(*line, key, &part.detail(untrusted, lang), lang)),
                        _ => None,
                    })
                    .collect();
                // Mended since it was read: what was said then.
                let lines = if lines.is_empty() {
                    vec![self.message.clone()]
                } else {
                    lines
                };
                let text = format!(
                    "{}\n{}\n{}",
                    Msg::ConfigSetAsideBody.text(lang),
                    self.path.display(),
                    lines.join("\n")
                );
                return (text, false);
            }
        };
        let described = match Config::from_toml(&self.text) {
            Err(e) if !self.text.is_empty() => describe_file_problem(&self.text, &e, lang),
            _ => FileProblem {
                lines: vec![self.message.clone()],
                in_form: false,
            },
        };
        let mut text = format!("{}\n{}", in_force.text(lang), self.path.display());
        for line in &described.lines {
            text.push('\n');
            text.push_str(line);
        }
        (text, described.in_form)
    }
}

/// Why the file cannot be followed.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// There is no configuration file to follow (no home directory).
    #[error("no configuration file to follow")]
    NoFile,
    /// The file's directory could not be made or watched.
    #[error("cannot follow {path}: {message}")]
    Watch {
        /// The directory.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// The settings in force and where they come from.
#[derive(Debug)]
pub struct Settings {
    path: Option<PathBuf>,
    overrides: Overrides,
    config: watch::Sender<Config>,
    problem: watch::Sender<Option<Problem>>,
    /// Whether the settings in force were read from the file (else they are the defaults).
    loaded: std::sync::atomic::AtomicBool,
    /// Whether the file was there in this run: its removal then keeps the settings in force.
    had_file: std::sync::atomic::AtomicBool,
    /// The file's text as last read (empty: no file), for the settings window's form.
    text: std::sync::Mutex<String>,
}

impl Settings {
    /// Settings read from `path` (none: the defaults) with `overrides` laid over them;
    /// `initial` is what was read at start (`loaded`), or the defaults until [`Settings::reload`].
    pub fn new(
        path: Option<PathBuf>,
        overrides: Overrides,
        initial: Config,
        loaded: bool,
    ) -> Settings {
        Settings {
            overrides,
            config: watch::channel(initial).0,
            had_file: std::sync::atomic::AtomicBool::new(path.as_deref().is_some_and(Path::exists)),
            path,
            problem: watch::channel(None).0,
            loaded: std::sync::atomic::AtomicBool::new(loaded),
            text: std::sync::Mutex::default(),
        }
    }

    /// The file the settings come from.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The settings in force, and every change to them.
    pub fn subscribe(&self) -> watch::Receiver<Config> {
        self.config.subscribe()
    }

    /// What the monitor takes from the settings in force, and every change to it. Follows the
    /// settings until they or every receiver are gone; call from within a tokio runtime.
    fn monitor_config(&self) -> watch::Receiver<MonitorConfig> {
        let mut settings = self.subscribe();
        let (tx, rx) = watch::channel(settings.borrow_and_update().monitor_config());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = settings.changed() => if changed.is_err() { break },
                    () = tx.closed() => break,
                }
                let new = settings.borrow_and_update().monitor_config();
                tx.send_if_modified(|current| {
                    let changed = *current != new;
                    *current = new;
                    changed
                });
            }
        });
        rx
    }

    /// The file's text as last read (empty when there is none, or it could not be read): what
    /// the settings window's form shows, wrong values and all.
    pub fn file_text(&self) -> String {
        self.text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The settings in force now.
    pub fn current(&self) -> Config {
        self.config.borrow().clone()
    }

    /// Why the file is not in force, or not all of it, while it is not.
    pub fn problems(&self) -> watch::Receiver<Option<Problem>> {
        self.problem.subscribe()
    }

    /// Read the file again. `Ok(true)` when the settings changed, `Ok(false)` when they did
    /// not; an error leaves the last good settings in force and is published as the problem.
    /// What was set aside from a file others can change is published as the problem too (and
    /// logged when it changes), with the rest in force.
    pub fn reload(&self) -> Result<bool, ConfigError> {
        // A missing file is the defaults; its text is kept to say a problem in any language.
        let (text, loaded) = match self.path.as_deref().map(|p| (p, read_config_file(p))) {
            Some((path, Ok(text))) => {
                self.had_file
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                let loaded = Config::from_file_text(path, &text);
                (text, loaded)
            }
            // Removed while bbwatch runs (deleted by mistake, or an editor's save not finished):
            // the settings in force stay, hooks and all, and that is said.
            Some((_, Err(ConfigError::Io { source, path })))
                if source.kind() == std::io::ErrorKind::NotFound
                    && self.had_file.load(std::sync::atomic::Ordering::Relaxed) =>
            {
                (String::new(), Err(ConfigError::Removed { path }))
            }
            Some((_, Err(ConfigError::Io { source, .. })))
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                (String::new(), Config::from_toml(""))
            }
            Some((_, Err(e))) => (String::new(), Err(e)),
            None => (String::new(), Config::from_toml("")),
        };
        *self
            .text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = text.clone();
        let checked = loaded.and_then(|loaded| {
            let config = self.overrides.apply(loaded.config);
            config.validate()?;
            Ok((config, loaded.unknown_keys, loaded.refused))
        });
        match checked {
            Ok((config, unknown_keys, refused)) => {
                for key in unknown_keys {
                    tracing::warn!("unknown key `{key}` in the configuration file, ignored");
                }
                let set_aside = (!refused.is_empty()).then(|| Problem {
                    path: self.path.clone().unwrap_or_default(),
                    message: ConfigError::Several(refused).to_string(),
                    in_force: InForce::AllBut,
                    text,
                    removed: false,
                });
                let changed = self.problem.send_if_modified(|p| {
                    let changed = *p != set_aside;
                    *p = set_aside;
                    changed
                });
                // Said once, not at every save of the file.
                if let Some(problem) = self.problem.borrow().as_ref().filter(|_| changed) {
                    for line in problem.message.lines() {
                        tracing::warn!("{}: {line}", problem.path.display());
                    }
                }
                self.loaded
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                Ok(self.config.send_if_modified(|current| {
                    let changed = *current != config;
                    *current = config;
                    changed
                }))
            }
            Err(e) => {
                let in_force = if self.loaded.load(std::sync::atomic::Ordering::Relaxed) {
                    InForce::LastGood
                } else {
                    InForce::Defaults
                };
                let problem = Problem {
                    path: self.path.clone().unwrap_or_default(),
                    message: e.to_string(),
                    in_force,
                    text,
                    removed: matches!(e, ConfigError::Removed { .. }),
                };
                self.problem.send_if_modified(|p| {
                    let changed = p.as_ref() != Some(&problem);
                    *p = Some(problem);
                    changed
                });
                Err(e)
            }
        }
    }

    /// Read the file again whenever it changes (within a second or so of an editor's save),
    /// until the returned [`FileWatch`] is dropped. Call from within a tokio runtime.
    pub fn watch_file(self: &Arc<Self>) -> Result<FileWatch, WatchError> {
        let path = self.path.clone().ok_or(WatchError::NoFile)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let failed = |message: String| WatchError::Watch {
            path: dir.clone(),
            message,
        };
        // The directory, not the file: editors replace the file by renaming another over it,
        // and a file not written yet can still appear.
        crate::config::file::create_private_dir(&dir).map_err(|e| failed(e.to_string()))?;
        let name = path.file_name().map(ToOwned::to_owned);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if let Ok(event) = event {
                    // Not reads (ours would wake us again): writes, renames, creation, removal.
                    let changed = !matches!(event.kind, notify::EventKind::Access(_));
                    if changed && event.paths.iter().any(|p| p.file_name() == name.as_deref()) {
                        let _ = tx.send(());
                    }
                }
            })
            .map_err(|e| failed(e.to_string()))?;
        notify::Watcher::watch(&mut watcher, &dir, notify::RecursiveMode::NonRecursive)
            .map_err(|e| failed(e.to_string()))?;
        let settings = Arc::clone(self);
        let task = tokio::spawn(async move {
            while rx.recv().await.is_some() {
                tokio::time::sleep(SETTLE).await;
                while rx.try_recv().is_ok() {}
                match settings.reload() {
                    Ok(true) => tracing::info!("configuration file changed: new settings in force"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(
                        "configuration file: {e}; the last good settings stay in force"
                    ),
                }
            }
        });
        Ok(FileWatch {
            _watcher: watcher,
            task,
        })
    }
}

impl Settings {
    /// The one wiring every binary uses: a monitor that follows these settings, and the file
    /// followed for them (`None`, with a warning, where it cannot be: changes then wait for a
    /// reload by hand). Sinks subscribe to the handle's events and read [`Settings::subscribe`].
    /// `resume` is what an earlier run left (the history's `resume_state()`), continued when
    /// recent enough ([`crate::engine::detect::RESUME_MAX_GAP`]). Call from within a tokio runtime.
    pub fn start_monitor(
        self: &Arc<Self>,
        resume: Option<Resume>,
    ) -> Result<(Monitor, MonitorHandle, Option<FileWatch>), ClientError> {
        let (mut monitor, handle) = Monitor::following(self.monitor_config())?;
        if let Some(prior) = resume {
            monitor.resume(prior, chrono::Utc::now());
        }
        let following = match self.watch_file() {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!("{e}: changes to the file apply only when it is read again");
                None
            }
        };
        Ok((monitor, handle, following))
    }
}

/// Following the configuration file; dropping it stops.
pub struct FileWatch {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for FileWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileWatch")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("bbwatch-settings-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("config.toml")
    }

    #[test]
    fn overrides_win_on_every_reload() {
        let path = scratch("overrides");
        std::fs::write(&path, "interval = \"30s\"\nlanguage = \"en\"\n").unwrap();
        let overrides = Overrides {
            interval: Some(Duration::from_secs(5)),
            language: Some(LanguageSetting::Ja),
            ..Overrides::default()
        };
        let s = Settings::new(Some(path.clone()), overrides, Config::default(), false);
        assert!(s.reload().unwrap());
        assert_eq!(s.current().interval.0, Duration::from_secs(5));
        assert_eq!(s.current().language, LanguageSetting::Ja);
        std::fs::write(&path, "interval = \"1m\"\npairs = [\"btc_jpy\"]\n").unwrap();
        assert!(s.reload().unwrap());
        assert_eq!(s.current().interval.0, Duration::from_secs(5));
        let pairs = s
            .current()
            .pairs
            .map(|p| p.iter().map(ToString::to_string).collect());
        assert_eq!(pairs, Some(vec!["btc_jpy".to_string()]));
        assert!(!s.reload().unwrap(), "nothing changed");
    }

    #[test]
    fn a_file_that_turns_bad_keeps_the_last_good_settings_and_says_why() {
        let path = scratch("bad");
        std::fs::write(&path, "interval = \"2m\"\n").unwrap();
        let s = Settings::new(
            Some(path.clone()),
            Overrides::default(),
            Config::default(),
            false,
        );
        s.reload().unwrap();
        let problems = s.problems();
        std::fs::write(&path, "interval = \"sometimes\"\n").unwrap();
        assert!(s.reload().is_err());
        assert_eq!(s.current().interval.0, Duration::from_secs(120));
        let problem = problems.borrow().clone().unwrap();
        assert!(problem.message.contains("interval"), "{problem}");
        std::fs::write(&path, "interval = \"3m\"\n").unwrap();
        assert!(s.reload().unwrap());
        assert_eq!(*problems.borrow(), None);
    }

    #[test]
    fn a_removed_file_keeps_the_settings_in_force_and_says_so() {
        let path = scratch("removed");
        std::fs::write(&path, "interval = \"2m\"\n").unwrap();
        let s = Settings::new(
            Some(path.clone()),
            Overrides::default(),
            Config::default(),
            false,
        );
        s.reload().unwrap();
        let problems = s.problems();
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(s.reload(), Err(ConfigError::Removed { .. })));
        assert_eq!(s.current().interval.0, Duration::from_secs(120));
        let problem = problems.borrow().clone().unwrap();
        assert!(problem.removed);
        assert!(problem
            .describe(Lang::En)
            .0
            .starts_with("The configuration file was removed"));
        // Again and again: still kept.
        assert!(s.reload().is_err());
        assert_eq!(s.current().interval.0, Duration::from_secs(120));
        // A new file is read when it appears.
        std::fs::write(&path, "interval = \"3m\"\n").unwrap();
        assert!(s.reload().unwrap());
        assert_eq!(s.current().interval.0, Duration::from_secs(180));
        assert_eq!(*problems.borrow(), None);
        // A file that was never there is the defaults, as at a first start.
        let never = scratch("never");
        let _ = std::fs::remove_file(&never);
        let s = Settings::new(Some(never), Overrides::default(), Config::default(), false);
        assert!(s.reload().is_ok());
    }

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// A hook that runs nothing, in a file of mode `mode` in a 0700 directory.
    #[cfg(unix)]
    fn with_a_hook(name: &str, mode: u32) -> PathBuf {
        let path = scratch(name);
        set_mode(path.parent().unwrap(), 0o700);
        std::fs::write(
            &path,
            "interval = \"2m\"\n\n[[hooks]]\ncommand = [\"/bin/true\"]\n",
        )
        .unwrap();
        set_mode(&path, mode);
        path
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_change_is_in_force_but_for_its_hooks_and_says_so() {
        let path = with_a_hook("untrusted", 0o666);
        let s = Settings::new(
            Some(path.clone()),
            Overrides::default(),
            Config::default(),
            false,
        );
        assert!(s.reload().unwrap());
        assert_eq!(s.current().interval.0, Duration::from_secs(120));
        assert!(s.current().hooks.is_empty());
        let problem = s.problems().borrow().clone().unwrap();
        assert_eq!(problem.in_force, InForce::AllBut);
        let (text, in_form) = problem.describe(Lang::En);
        assert!(!in_form, "a mode is not for the settings form to mend");
        let shown = path.display();
        assert_eq!(
            text,
            format!(
                "The rest of the file is in force.\n{shown}\nline 3, hooks: not run: {shown} is \
                 writable by every user (mode 0666), so others could make bbwatch run programs \
                 as you; run `chmod go-w {shown}`"
            )
        );
        // In the reader's language.
        let (text, _) = problem.describe(Lang::Ja);
        assert_eq!(
            text,
            format!(
                "ファイルのそれ以外の設定は有効です。\n{shown}\n3行目 hooks: 実行しません: \
                 {shown}はすべてのユーザーが書き込めます（モード 0666）。他のユーザーがbbwatchに\
                 あなたとしてプログラムを実行させられるためです。`chmod go-w {shown}` を実行して\
                 ください"
            )
        );
        // Again: the same problem, not a new one.
        let mut problems = s.problems();
        problems.borrow_and_update();
        assert!(!s.reload().unwrap());
        assert!(!problems.has_changed().unwrap());
        // Made private: the hook is in force, and the problem gone.
        set_mode(&path, 0o600);
        assert!(s.reload().unwrap());
        assert_eq!(s.current().hooks.len(), 1);
        assert_eq!(*s.problems().borrow(), None);
    }

    /// A chmod alone is a change of the file: the watch reads it again.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_chmod_is_picked_up() {
        let path = with_a_hook("chmod", 0o600);
        let s = Arc::new(Settings::new(
            Some(path.clone()),
            Overrides::default(),
            Config::default(),
            false,
        ));
        s.reload().unwrap();
        assert_eq!(s.current().hooks.len(), 1);
        let mut rx = s.subscribe();
        rx.borrow_and_update();
        let _watch = s.watch_file().unwrap();
        // The watch is set up before this returns; the chmod comes after.
        set_mode(&path, 0o666);
        tokio::time::timeout(Duration::from_secs(20), rx.changed())
            .await
            .expect("the chmod within 20 s")
            .unwrap();
        assert!(rx.borrow().hooks.is_empty());
    }

    #[tokio::test]
    async fn an_edit_by_hand_is_picked_up() {
        let path = scratch("watch");
        let s = Arc::new(Settings::new(
            Some(path.clone()),
            Overrides::default(),
            Config::default(),
            false,
        ));
        let mut rx = s.subscribe();
        let _watch = s.watch_file().unwrap();
        // Written the way editors do: a new file renamed over the old.
        let tmp = path.with_extension("swp");
        std::fs::write(&tmp, "interval = \"45s\"\n").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        tokio::time::timeout(Duration::from_secs(20), rx.changed())
            .await
            .expect("the change within 20 s")
            .unwrap();
        assert_eq!(rx.borrow().interval.0, Duration::from_secs(45));
    }
}
