//! bbwatch-desktop: the tray app (see the library, `bbwatch_desktop`). On Linux a plain tokio
//! process: its own StatusNotifierItem, popups over D-Bus, and the window a program of its own
//! (`bbwatch-window`), so the process that runs all day links no GTK, WebKit or Tauri. Elsewhere
//! a Tauri app (Tauri's tray), and `--window` is the status window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(not(target_os = "linux"))]
mod window_app;
#[cfg(not(target_os = "linux"))]
use bbwatch_desktop::{history, ipc, state, tray};

use std::sync::Arc;

use bbwatch_desktop::programs::WINDOW_FLAG;
use bbwatch_desktop::tray_app::{self, QUIT_FLAG, SHOW_FLAG};

fn main() -> anyhow::Result<()> {
    bbwatch_desktop::init_logging();
    // WebDriver and desktop launchers may add arguments of their own: only ours are looked at.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == WINDOW_FLAG) {
        return window(&args);
    }
    // Before any socket: clients of the local API must not use up the monitor's descriptors.
    bbwatch_core::present::descriptors::raise_limit();
    run(args)
}

/// `--window` on Linux: the window program, in this process (its id stays what the caller
/// knows: a launcher, WebDriver).
#[cfg(target_os = "linux")]
fn window(args: &[String]) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt as _;

    let (program, _) = bbwatch_desktop::programs::window()?;
    let e = std::process::Command::new(&program)
        .args(args.iter().skip(1).filter(|a| *a != WINDOW_FLAG))
        .exec();
    anyhow::bail!("cannot start {}: {e}", program.display())
}

/// The tray app on Linux: one per session (a second start hands its arguments over), on a
/// runtime of its own until Quit, `--quit` or SIGTERM/SIGINT.
#[cfg(target_os = "linux")]
fn run(args: Vec<String>) -> anyhow::Result<()> {
    use bbwatch_desktop::app::Platform;
    use bbwatch_desktop::single_instance::{claim, Claim};
    use tokio::signal::unix::{signal, SignalKind};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let Claim::First { _name, mut asked } = claim(&args).await? else {
            return Ok(());
        };
        if args.iter().any(|a| a == QUIT_FLAG) {
            // There is none to ask.
            eprintln!("bbwatch-desktop is not running");
            return Ok(());
        }
        let settings = Arc::new(tray_app::load_settings());
        let platform = Platform {
            runtime: tokio::runtime::Handle::current(),
        };
        let show = args.iter().any(|a| a == SHOW_FLAG);
        let app = tray_app::start(settings, show, platform).await?;
        let (mut term, mut int) = (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        );
        loop {
            tokio::select! {
                Some(args) = asked.recv() => tray_app::asked(&app, &args),
                _ = term.recv() => break,
                _ = int.recv() => break,
                () = app.exited() => return Ok(()),
            }
        }
        // Asked to end by the system: as the menu's Quit does.
        tray_app::quit(app.clone()).await;
        Ok(())
    })
}

/// `--window` elsewhere: the window, in this process.
#[cfg(not(target_os = "linux"))]
fn window(args: &[String]) -> anyhow::Result<()> {
    use bbwatch_desktop::ipc::messages::Section;
    window_app::prepare();
    window_app::run(Section::from_args(args), tauri::generate_context!())
}

/// The tray app elsewhere: Tauri's app, for its tray and single instance.
#[cfg(not(target_os = "linux"))]
fn run(args: Vec<String>) -> anyhow::Result<()> {
    use bbwatch_desktop::app::Platform;
    use tauri::RunEvent;

    let show = args.iter().any(|a| a == SHOW_FLAG);
    let quit_at_start = args.iter().any(|a| a == QUIT_FLAG);
    let settings = Arc::new(tray_app::load_settings());
    let started = Arc::new(std::sync::OnceLock::new());
    let asking = started.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(move |_, args, _cwd| {
            if let Some(app) = asking.get() {
                tray_app::asked(app, &args);
            }
        }))
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            if quit_at_start {
                // Only the first instance gets here: there is none to ask.
                eprintln!("bbwatch-desktop is not running");
                std::process::exit(0);
            }
            let platform = Platform {
                runtime: tauri::async_runtime::handle().inner().clone(),
                tauri: app.handle().clone(),
            };
            let started_app =
                tauri::async_runtime::block_on(tray_app::start(settings.clone(), show, platform))?;
            let _ = started.set(started_app);
            Ok(())
        })
        .build(tauri::generate_context!())?;

    app.run(|_app, event| match event {
        // The app lives in the tray: closing the last window must not quit it.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => bbwatch_desktop::ipc::unpublish(),
        _ => {}
    });
    Ok(())
}
