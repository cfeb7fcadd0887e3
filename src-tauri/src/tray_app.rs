//! The tray process: its start (settings, keyring, runtime, tray icon, window link), the
//! subscribers that re-emit the monitor's snapshot and events to the tray, the notifications
//! and the window, and its quit. The same on every platform; `main` gives it the platform.

use std::sync::{Arc, OnceLock};

use bbwatch_core::config::Config;
use bbwatch_core::engine::sink::Recorded;
use bbwatch_core::model::url::{HttpUrl, WsUrl};
use bbwatch_core::runtime::settings::{Overrides, Settings};
use bbwatch_core::Snapshot;
use bbwatch_runtime::{Api, Options, Runtime, RuntimeError};
use bbwatch_sinks::channels::{ChannelError, ChannelOptions};
use bbwatch_sinks::Notifier;

use crate::app::{App, Platform};
use crate::ipc::messages::{Section, ToWindow};
use crate::pause::Pause;
use crate::state::{self, Shared};
use crate::tray::{Tray, TrayView};
use crate::view::event_view;
use crate::{control, history, ipc, keys, notifier, window};

/// The flag that asks the running tray app to quit, as its menu's Quit does (an uninstaller,
/// a script, a tray whose menu cannot open).
pub const QUIT_FLAG: &str = "--quit";

/// The flag that opens the status window at start.
pub const SHOW_FLAG: &str = "--show";

/// The settings in force: the file (a bad one is reported and the defaults used, so the app
/// still starts and says so), then `BBWATCH_API_URL` / `BBWATCH_PUBLIC_URL` /
/// `BBWATCH_STREAM_URL`; followed while the app runs.
pub fn load_settings() -> Settings {
    let path = Config::default_path();
    let mut overrides = Overrides::default();
    for (var, field) in [
        ("BBWATCH_API_URL", &mut overrides.api_url),
        ("BBWATCH_PUBLIC_URL", &mut overrides.public_url),
    ] {
        if let Ok(url) = std::env::var(var) {
            match url.parse::<HttpUrl>() {
                Ok(url) => *field = Some(url),
                Err(e) => tracing::error!("{var}: {e}; ignored"),
            }
        }
    }
    if let Ok(url) = std::env::var("BBWATCH_STREAM_URL") {
        match url.parse::<WsUrl>() {
            Ok(url) => overrides.stream_url = Some(url),
            Err(e) => tracing::error!("BBWATCH_STREAM_URL: {e}; ignored"),
        }
    }
    let settings = Settings::new(path, overrides, Config::default(), false);
    if let Err(e) = settings.reload() {
        tracing::error!("{e}; using the defaults");
    }
    settings
}

/// What a later start of the app asked the running one (its arguments): quit, or show the
/// window.
pub fn asked(app: &App, args: &[String]) {
    if args.iter().any(|a| a == QUIT_FLAG) {
        app.spawn(quit(app.clone()));
    } else {
        window::open(app, Section::Status);
    }
}

/// Start the tray app: the monitor and its sinks, the tray icon, the window link; the window
/// too at the very first start, for a bad settings file, or when `show` asks.
pub async fn start(
    settings: Arc<Settings>,
    show: bool,
    platform: Platform,
) -> Result<App, RuntimeError> {
    let started_at = chrono::Utc::now();
    let lang = settings.current().language.resolve();
    let problem = settings
        .problems()
        .borrow()
        .as_ref()
        .map(|p| p.describe(lang));
    // The very first start: no config file and no history yet (opening it makes one).
    let first_run = Config::default_path().is_some_and(|p| !p.exists())
        && bbwatch_history::configured_path(&settings.current().history)
            .is_some_and(|p| !p.exists());
    let store = history::open(&settings.current());
    // The API key from the keyring; without a keyring the app runs without one.
    let (credentials, keyring_problem) = keys::load_at_start().await;
    let (key_sender, key_receiver) = tokio::sync::watch::channel(credentials);
    let the_app = Arc::new(OnceLock::new());
    let notifier = Arc::new(notifier::new(the_app.clone(), settings.subscribe()));
    let telling = notifier.clone();
    let channels_told = notifier.clone();
    let options = Options {
        settings: settings.clone(),
        credentials: key_receiver,
        history: store.history.clone(),
        api: api_told(notifier.clone()),
        // Said in a popup too (the log says it anyway).
        history_failure: Some(Box::new(move |problem| {
            let notifier = telling.clone();
            tokio::spawn(async move {
                notifier.history_problem(&problem).await;
            });
        })),
        channels: ChannelOptions {
            secrets: Arc::new(crate::secrets::Keyring),
            told: Some(Arc::new(move |name: &str, why: Option<&ChannelError>| {
                let (notifier, name) = (channels_told.clone(), name.to_owned());
                let why = why.map(|e| e.words(notifier.lang()));
                tokio::spawn(async move {
                    match why {
                        Some(why) => notifier.channel_problem(&name, &why).await,
                        None => notifier.channel_fixed(&name).await,
                    }
                });
            })),
        },
    };
    let mut runtime = Runtime::start(options).await?;
    let shared = Arc::new(Shared::new(
        runtime.handle().clone(),
        settings.clone(),
        store,
        key_sender,
        keyring_problem,
        started_at,
        first_run,
    ));
    *state::lock(&shared.following) = runtime.take_file_watch();
    let app = App::new(shared.clone(), notifier.clone(), platform);
    let _ = the_app.set(app.clone());
    let view = TrayView::new(&Snapshot::default(), &[], shared.lang(), Pause::Off, None);
    let acting = app.clone();
    let act = move |action| control::act(&acting, action);
    #[cfg(target_os = "linux")]
    let built = Tray::build(view, act).await;
    #[cfg(not(target_os = "linux"))]
    let built = Tray::build(app.tauri(), view, act).await;
    match built {
        Ok(tray) => app.set_tray(tray),
        Err(e) => tracing::warn!("no tray icon: {e}"),
    }
    subscribe(&app);
    tokio::spawn(ipc::serve(app.clone()));
    let (quitting, asked) = (app.clone(), shared.clone());
    tokio::spawn(async move {
        asked.quit.notified().await;
        quit(quitting).await;
    });
    let pausing = shared.clone();
    runtime.notify(Box::new(
        notifier.clone().start(move || pausing.paused_now()),
    ));
    let (stop, token) = (shared.shutdown.clone(), runtime.shutdown());
    tokio::spawn(async move {
        stop.notified().await;
        token.cancel();
    });
    let showing = shared.clone();
    tokio::spawn(async move {
        if let Err(e) = runtime.run(show_events(showing)).await {
            tracing::error!("{e}");
        }
    });
    if let Some((problem, in_form)) = problem {
        let telling = notifier.clone();
        tokio::spawn(async move { telling.config_problem(&problem).await });
        // The file is not (all) in force until it is fixed: show where to fix it — the
        // form, or the status view's way to the file when the form cannot (its mode).
        let section = if in_form {
            Section::Settings
        } else {
            Section::Status
        };
        window::open(&app, section);
    } else if show || first_run {
        // The first start opens the window once, on its welcome.
        window::open(&app, Section::Status);
    }
    Ok(app)
}

/// Follow the monitor: the snapshot drives the tray and the window; events drive
/// notifications and the window's list.
fn subscribe(app: &App) {
    let shared = app.shared();
    let mut snapshots = shared.monitor.snapshot();
    let (handle, watching, told) = (app.clone(), shared.clone(), app.notifier().clone());
    tokio::spawn(async move {
        let mut unlisted = bbwatch_core::Unlisted::default();
        while snapshots.changed().await.is_ok() {
            let snapshot = snapshots.borrow_and_update().clone();
            control::refresh(&handle);
            watching.publish_status();
            if snapshot.unlisted != unlisted {
                // A name bitbank does not list is told like any bad value of the file.
                unlisted = snapshot.unlisted.clone();
                let _ = watching.ui.send(ToWindow::Settings {
                    settings: watching.settings_info(),
                });
                match watching.config_problem() {
                    Some((problem, _)) => told.config_problem(&problem).await,
                    None => told.config_fixed().await,
                }
            }
            if let Some(asked) = watching.take_check_feedback(snapshot.checked_at) {
                let feedback = told.clone();
                tokio::spawn(async move {
                    // The poll's events come right after its snapshot: let them speak first.
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    feedback.checked(&snapshot, asked).await;
                });
            }
        }
    });
    // The other exchanges' snapshots (and one joining or leaving as the settings change):
    // the tray's worst level and lines, and the window's cards.
    let mut exchanges = shared.monitor.exchanges();
    let (handle, watching) = (app.clone(), shared.clone());
    tokio::spawn(async move {
        while exchanges.changed().await.is_ok() {
            exchanges.borrow_and_update();
            control::refresh(&handle);
            watching.publish_status();
        }
    });
    // New settings (the file edited, or turned invalid): the tray, the window and the
    // notifications follow at once, in the language now in force.
    let mut config = shared.settings.subscribe();
    let mut problems = shared.settings.problems();
    let (handle, watching, notifying) = (app.clone(), shared.clone(), app.notifier().clone());
    tokio::spawn(async move {
        loop {
            let problem_changed = tokio::select! {
                changed = config.changed() => match changed {
                    Ok(()) => false,
                    Err(_) => break,
                },
                changed = problems.changed() => match changed {
                    Ok(()) => true,
                    Err(_) => break,
                },
            };
            control::refresh(&handle);
            watching.publish_status();
            let _ = watching.ui.send(ToWindow::Settings {
                settings: watching.settings_info(),
            });
            // In the language now in force: nothing the window lists stays in the old one.
            let _ = watching.ui.send(ToWindow::Events {
                events: watching.recent_events(),
            });
            if problem_changed {
                let lang = watching.lang();
                let problem = problems
                    .borrow_and_update()
                    .as_ref()
                    .map(|p| p.describe(lang).0);
                match problem {
                    Some(problem) => notifying.config_problem(&problem).await,
                    None => notifying.config_fixed().await,
                }
            }
        }
    });
}

/// The local API for bots, while the settings switch it on (`[api] enabled`): the same API
/// as `bbwatch serve`, with the event ids of the history this app records. When it cannot be
/// served a notification says why; it goes once it is served again or switched off.
fn api_told(notifier: Arc<Notifier>) -> Api {
    Api::FollowSettings(Box::new(move |followed: bbwatch_api::Followed| {
        let notifier = notifier.clone();
        tokio::spawn(async move {
            match followed {
                bbwatch_api::Followed::Failed(e) => notifier.api_problem(&e.to_string()).await,
                bbwatch_api::Followed::Serving(addr) => {
                    tracing::info!("local API on http://{addr}");
                    notifier.api_fixed().await;
                }
                bbwatch_api::Followed::Off => notifier.api_fixed().await,
            }
        });
    }))
}

/// Each event, once recorded: into the window's list (and the window, if open).
fn show_events(shared: Arc<Shared>) -> impl FnMut(&Recorded) + Send {
    move |recorded| {
        let view = event_view(&recorded.event, shared.lang());
        shared.push_event(recorded.event.clone());
        let _ = shared.ui.send(ToWindow::Event { view });
    }
}

/// Quit: stop the monitor, take our popups and the tray item away, leave no file behind.
pub async fn quit(app: App) {
    app.shared().shutdown.notify_waiters();
    app.notifier().close_all().await;
    if let Some(tray) = app.tray() {
        tray.shutdown().await;
    }
    ipc::unpublish();
    app.exit();
}
