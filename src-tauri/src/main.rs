//! bbwatch-desktop: the tray app. A thin shell over bbwatch-core: it subscribes to the
//! monitor's snapshot and events and re-emits them to the tray, notifications and the window.
//! The window runs in a process of its own (`--window`, see `window_app`), started on demand.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(target_os = "linux")]
mod autostart;
mod history;
#[cfg(target_os = "linux")]
mod input_method;
mod ipc;
mod keys;
mod notifier;
mod pause;
mod secrets;
mod state;
mod tray;
mod view;
mod window;
mod window_app;

use std::sync::Arc;

use bbwatch_core::config::Config;
use bbwatch_core::engine::sink::Recorded;
use bbwatch_core::model::url::{HttpUrl, WsUrl};
use bbwatch_core::runtime::settings::{Overrides, Settings};
use bbwatch_core::Snapshot;
use bbwatch_runtime::{Api, Options, Runtime};
use tauri::{AppHandle, Manager, RunEvent};

use crate::ipc::messages::{Section, ToWindow};
use crate::pause::Pause;
use crate::state::Shared;
use crate::tray::{Tray, TrayView};
use crate::view::event_view;
use bbwatch_sinks::Notifier;

/// The settings in force: the file (a bad one is reported and the defaults used, so the app
/// still starts and says so), then `BBWATCH_API_URL` / `BBWATCH_PUBLIC_URL` /
/// `BBWATCH_STREAM_URL`; followed while
/// the app runs.
fn load_settings() -> Settings {
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

/// Follow the monitor: the snapshot drives the tray and the window; events drive
/// notifications and the window's list.
fn subscribe(app: &AppHandle, shared: &Arc<Shared>, notifier: Arc<Notifier>) {
    let mut snapshots = shared.monitor.snapshot();
    let handle = app.clone();
    let feedback = notifier.clone();
    let watching = shared.clone();
    let told = notifier.clone();
    tauri::async_runtime::spawn(async move {
        let mut unlisted = bbwatch_core::Unlisted::default();
        while snapshots.changed().await.is_ok() {
            let snapshot = snapshots.borrow_and_update().clone();
            tray::refresh(&handle);
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
                let feedback = feedback.clone();
                tauri::async_runtime::spawn(async move {
                    // The poll's events come right after its snapshot: let them speak first.
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    feedback.checked(&snapshot, asked).await;
                });
            }
        }
    });
    // New settings (the file edited, or turned invalid): the tray, the window and the
    // notifications follow at once, in the language now in force.
    let mut config = shared.settings.subscribe();
    let mut problems = shared.settings.problems();
    let (handle, watching, notifying) = (app.clone(), shared.clone(), notifier.clone());
    tauri::async_runtime::spawn(async move {
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
            tray::refresh(&handle);
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
        tauri::async_runtime::spawn(async move {
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
fn show(shared: Arc<Shared>) -> impl FnMut(&Recorded) + Send {
    move |recorded| {
        let view = event_view(&recorded.event, shared.lang());
        shared.push_event(recorded.event.clone());
        let _ = shared.ui.send(ToWindow::Event { view });
    }
}

/// The flag that asks the running tray app to quit.
const QUIT_FLAG: &str = "--quit";

/// Quit: stop the monitor, take our popups and the tray item away, leave no file behind.
pub async fn quit(app: AppHandle) {
    let shared = app.state::<Arc<Shared>>().inner().clone();
    shared.shutdown.notify_waiters();
    if let Some(notifier) = app.try_state::<Arc<Notifier>>() {
        notifier.close_all().await;
    }
    if let Some(tray) = app.try_state::<Tray>() {
        tray.shutdown().await;
    }
    ipc::unpublish();
    app.exit(0);
}

/// A tray app spends its life with no window: keep OpenGL (and the software renderer a driver
/// may pull in, tens of MiB) out of the process. The status window is a simple page that
/// WebKit draws as fast without compositing. A user's own setting wins.
fn prefer_lean_rendering() {
    for (var, value) in [
        ("GDK_GL", "disable"),
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    ] {
        if std::env::var_os(var).is_none() {
            // Before any other thread exists: nothing else reads the environment yet.
            std::env::set_var(var, value);
        }
    }
}

/// `NO_AT_BRIDGE=1` says "no accessibility bus": GTK honours it, but WebKit's UI process asks
/// the session bus for the bus's address anyway, which starts at-spi-bus-launcher and its
/// registry. An address of our own that nothing listens on keeps it from asking; the web
/// process then only logs that it cannot connect.
fn respect_no_at_bridge() {
    if std::env::var_os("NO_AT_BRIDGE").is_some_and(|v| v == "1")
        && std::env::var_os("AT_SPI_BUS_ADDRESS").is_none()
    {
        // Before any other thread exists: nothing else reads the environment yet.
        std::env::set_var(
            "AT_SPI_BUS_ADDRESS",
            "unix:path=/nonexistent/bbwatch-no-a11y",
        );
    }
}

/// The app's configuration and embedded UI, for either process.
fn context() -> tauri::Context {
    tauri::generate_context!()
}

fn main() -> anyhow::Result<()> {
    prefer_lean_rendering();
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BBWATCH_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,bbwatch_desktop=info")
            }),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a log file or a journal.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    // WebDriver and desktop launchers may add arguments of their own: only ours are looked at.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--window") {
        respect_no_at_bridge();
        #[cfg(target_os = "linux")]
        input_method::avoid_serverless_xim();
        return window_app::run(Section::from_args(&args), context());
    }
    let show_at_start = args.iter().any(|a| a == "--show");
    // `--quit` asks the running tray app to quit, as its menu's Quit does (an uninstaller, a
    // script, a tray whose menu cannot open); the single-instance plugin hands it over.
    let quit_at_start = args.iter().any(|a| a == QUIT_FLAG);
    // Before any socket: clients of the local API must not use up the monitor's descriptors.
    bbwatch_core::present::descriptors::raise_limit();
    let settings = Arc::new(load_settings());
    let lang = settings.current().language.resolve();
    let problem = settings
        .problems()
        .borrow()
        .as_ref()
        .map(|p| p.describe(lang));

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            if args.iter().any(|a| a == QUIT_FLAG) {
                tauri::async_runtime::spawn(quit(app.clone()));
            } else {
                window::open(app, Section::Status);
            }
        }))
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            if quit_at_start {
                // Only the first instance gets here: there is none to ask.
                eprintln!("bbwatch-desktop is not running");
                std::process::exit(0);
            }
            let started_at = chrono::Utc::now();
            // The very first start: no config file and no history yet (opening it makes one).
            let first_run = Config::default_path().is_some_and(|p| !p.exists())
                && bbwatch_history::configured_path(&settings.current().history)
                    .is_some_and(|p| !p.exists());
            let store = history::open(&settings.current());
            // The API key from the keyring; without a keyring the app runs without one.
            let (credentials, keyring_problem) =
                tauri::async_runtime::block_on(keys::load_at_start());
            let (key_sender, key_receiver) = tokio::sync::watch::channel(credentials);
            let notifier = Arc::new(notifier::new(app.handle().clone(), settings.subscribe()));
            let telling = notifier.clone();
            let options = Options {
                settings: settings.clone(),
                credentials: key_receiver,
                history: store.history.clone(),
                api: api_told(notifier.clone()),
                // Said in a popup too (the log says it anyway).
                history_failure: Some(Box::new(move |problem| {
                    let notifier = telling.clone();
                    tauri::async_runtime::spawn(async move {
                        notifier.history_problem(&problem).await;
                    });
                })),
            };
            // Within the runtime: the sinks, the file watcher and the API are its tasks.
            let mut runtime = tauri::async_runtime::block_on(Runtime::start(options))?;
            let handle = runtime.handle().clone();
            let shared = Arc::new(Shared::new(
                handle,
                settings.clone(),
                store,
                key_sender,
                keyring_problem,
                started_at,
                first_run,
            ));
            *state::lock(&shared.following) = runtime.take_file_watch();
            let lang = shared.lang();
            app.manage(shared.clone());
            app.manage(notifier.clone());
            let view = TrayView::new(&Snapshot::default(), lang, Pause::Off, None);
            match tauri::async_runtime::block_on(Tray::build(app.handle(), view, tray::act)) {
                Ok(tray) => {
                    app.manage(tray);
                }
                Err(e) => tracing::warn!("no tray icon: {e}"),
            }
            subscribe(app.handle(), &shared, notifier.clone());
            tauri::async_runtime::spawn(ipc::serve(app.handle().clone()));
            let (quitting, asked) = (app.handle().clone(), shared.clone());
            tauri::async_runtime::spawn(async move {
                asked.quit.notified().await;
                quit(quitting).await;
            });
            let pausing = shared.clone();
            runtime.notify(Box::new(tauri::async_runtime::block_on(async {
                notifier.clone().start(move || pausing.paused_now())
            })));
            let (stop, token) = (shared.shutdown.clone(), runtime.shutdown());
            tauri::async_runtime::spawn(async move {
                stop.notified().await;
                token.cancel();
            });
            let showing = shared.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = runtime.run(show(showing)).await {
                    tracing::error!("{e}");
                }
            });
            if let Some((problem, _)) = &problem {
                let problem = problem.clone();
                tauri::async_runtime::spawn(async move {
                    notifier.config_problem(&problem).await;
                });
            }
            if let Some((_, in_form)) = &problem {
                // The file is not (all) in force until it is fixed: show where to fix it — the
                // form, or the status view's way to the file when the form cannot (its mode).
                let section = if *in_form {
                    Section::Settings
                } else {
                    Section::Status
                };
                window::open(app.handle(), section);
            } else if show_at_start || first_run {
                // The first start opens the window once, on its welcome.
                window::open(app.handle(), Section::Status);
            }
            Ok(())
        })
        .build(context())?;

    app.run(|_app, event| match event {
        // The app lives in the tray: closing the last window must not quit it.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => ipc::unpublish(),
        _ => {}
    });
    Ok(())
}
