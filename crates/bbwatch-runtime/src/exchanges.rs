//! The other exchanges' monitors: one for each exchange the settings watch, started when it
//! is added, stopped when it is removed, following its settings meanwhile; their events go
//! out with bitbank's through the same handle.

use bbwatch_core::config::Config;
use bbwatch_core::exchanges::bitflyer::BitFlyer;
use bbwatch_core::exchanges::coincheck::Coincheck;
use bbwatch_core::exchanges::gmocoin::GmoCoin;
use bbwatch_core::exchanges::{Adapter, Rest};
use bbwatch_core::{MonitorConfig, MonitorHandle};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Which settings of an exchange's monitor the configuration gives, when it is watched.
type Pick<A> = fn(&Config) -> Option<MonitorConfig<<A as Adapter>::Config>>;

/// Follow every other exchange in `config` until `shutdown`; the tasks end once their
/// monitors have stopped.
pub fn follow(
    config: &watch::Receiver<Config>,
    handle: &MonitorHandle,
    shutdown: &CancellationToken,
) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    tasks.spawn(one::<GmoCoin>(
        config.clone(),
        handle.clone(),
        shutdown.clone(),
        Config::gmocoin_monitor,
    ));
    tasks.spawn(one::<BitFlyer>(
        config.clone(),
        handle.clone(),
        shutdown.clone(),
        Config::bitflyer_monitor,
    ));
    tasks.spawn(one::<Coincheck>(
        config.clone(),
        handle.clone(),
        shutdown.clone(),
        Config::coincheck_monitor,
    ));
    tasks
}

/// One exchange: a monitor while the settings watch it.
async fn one<A: Adapter + 'static>(
    mut config: watch::Receiver<Config>,
    handle: MonitorHandle,
    shutdown: CancellationToken,
    pick: Pick<A>,
) where
    A::Answer: 'static,
{
    loop {
        let wanted = pick(&config.borrow_and_update());
        let Some(wanted) = wanted else {
            tokio::select! {
                changed = config.changed() => if changed.is_err() { return },
                () = shutdown.cancelled() => return,
            }
            continue;
        };
        let source = match Rest::<A>::new(wanted.source.clone()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(exchange = %A::EXCHANGE, "{e}; not watched until its settings change");
                tokio::select! {
                    changed = config.changed() => if changed.is_err() { return },
                    () = shutdown.cancelled() => return,
                }
                continue;
            }
        };
        let (settings, following) = watch::channel(wanted.clone());
        // None: bitbank's monitor has stopped, so everything is stopping.
        let Some((monitor, _)) = handle.join(source, wanted, Some(following)) else {
            return;
        };
        tracing::info!(exchange = %A::EXCHANGE, "watching");
        let stop = shutdown.child_token();
        let run = tokio::spawn(monitor.run(stop.clone().cancelled_owned()));
        let removed = loop {
            tokio::select! {
                changed = config.changed() => {
                    if changed.is_err() {
                        break false;
                    }
                    match pick(&config.borrow_and_update()) {
                        Some(new) => {
                            settings.send_if_modified(|current| {
                                let changed = *current != new;
                                *current = new;
                                changed
                            });
                        }
                        None => break true,
                    }
                }
                () = shutdown.cancelled() => break false,
            }
        };
        stop.cancel();
        if let Err(e) = run.await {
            tracing::warn!(exchange = %A::EXCHANGE, "its monitor failed: {e}");
        }
        if !removed {
            return;
        }
        tracing::info!(exchange = %A::EXCHANGE, "no longer watched");
    }
}
