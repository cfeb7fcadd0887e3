//! An `org.freedesktop.Notifications` server that records what the app shows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zbus::object_server::SignalEmitter;
use zbus::zvariant::OwnedValue;

/// One `Notify` call.
#[derive(Clone, Debug)]
pub struct Shown {
    pub id: u32,
    pub replaces_id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
    pub urgency: Option<u8>,
}

/// The server object; clone the `log` to read it.
#[derive(Clone, Default)]
pub struct NotificationServer {
    pub log: Arc<Mutex<Vec<Shown>>>,
    /// The ids the app asked to close (`CloseNotification`), in order.
    pub closed: Arc<Mutex<Vec<u32>>>,
    next_id: Arc<Mutex<u32>>,
    /// A server without the `sound` capability, as xfce4-notifyd is.
    pub no_sound: bool,
}

impl NotificationServer {
    /// A server on the bus at `bus_address`, as a desktop session has; it serves as long as
    /// the connection is kept.
    pub async fn start(bus_address: &str) -> zbus::Result<(NotificationServer, zbus::Connection)> {
        NotificationServer::serve(bus_address, NotificationServer::default()).await
    }

    /// The same, without the `sound` capability: the server plays no sound (xfce4-notifyd).
    pub async fn start_without_sound(
        bus_address: &str,
    ) -> zbus::Result<(NotificationServer, zbus::Connection)> {
        let server = NotificationServer {
            no_sound: true,
            ..NotificationServer::default()
        };
        NotificationServer::serve(bus_address, server).await
    }

    async fn serve(
        bus_address: &str,
        server: NotificationServer,
    ) -> zbus::Result<(NotificationServer, zbus::Connection)> {
        let conn = zbus::connection::Builder::address(bus_address)?
            .name("org.freedesktop.Notifications")?
            .serve_at("/org/freedesktop/Notifications", server.clone())?
            .build()
            .await?;
        Ok((server, conn))
    }

    pub fn shown(&self) -> Vec<Shown> {
        self.log.lock().unwrap().clone()
    }

    pub fn closed(&self) -> Vec<u32> {
        self.closed.lock().unwrap().clone()
    }

    /// The notifications shown whose summary contains `text`.
    pub fn shown_with(&self, text: &str) -> Vec<Shown> {
        self.shown()
            .into_iter()
            .filter(|s| s.summary.contains(text))
            .collect()
    }

    /// The first notification whose summary contains `text`, once one is shown; an error
    /// after `timeout`.
    pub async fn first_with(&self, text: &str, timeout: Duration) -> anyhow::Result<Shown> {
        let what = format!("a popup saying {text:?}");
        super::eventually(timeout, &what, || async {
            self.shown_with(text).first().cloned()
        })
        .await
    }
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl NotificationServer {
    fn get_capabilities(&self) -> Vec<String> {
        let mut caps = vec!["body".to_string(), "actions".into()];
        if !self.no_sound {
            caps.push("sound".into());
        }
        caps
    }

    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut log = self.log.lock().unwrap();
        let id = if replaces_id != 0 {
            replaces_id
        } else {
            let mut next = self.next_id.lock().unwrap();
            *next += 1;
            *next
        };
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        log.push(Shown {
            id,
            replaces_id,
            app_name,
            summary,
            body,
            actions,
            urgency,
        });
        id
    }

    /// As a real server does: forget it and say it was closed (reason 3: by a call).
    async fn close_notification(
        &self,
        id: u32,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) {
        self.closed.lock().unwrap().push(id);
        let _ = Self::notification_closed(&emitter, id, 3).await;
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "bbwatch-test".into(),
            "bbwatch".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    /// The user clicked an action (the test "clicks" by emitting this).
    #[zbus(signal)]
    pub async fn action_invoked(
        emitter: &SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn notification_closed(
        emitter: &SignalEmitter<'_>,
        id: u32,
        reason: u32,
    ) -> zbus::Result<()>;
}
