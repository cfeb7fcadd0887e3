//! A popup on the desktop, through notify-rust. On Linux it speaks to the notification server
//! over D-Bus: popups are replaced, closed, clicked, and carry hints (picture, sound,
//! urgency). On macOS and Windows notify-rust has no hints, server ids, close or async show,
//! so there a popup is only shown (on a blocking thread: its `show` blocks) and the rest does
//! nothing; clicks are not followed either (its wait would hold a thread per popup).

use notify_rust::Notification;

#[cfg(target_os = "linux")]
pub(crate) use linux::{
    add_picture, app_id, clicked, fleeting, replace, server_plays_sound, sound, urgent,
};
#[cfg(target_os = "linux")]
pub use linux::{close, send, Picture, Popup};

#[cfg(not(target_os = "linux"))]
pub(crate) use plain::{
    add_picture, app_id, clicked, fleeting, replace, server_plays_sound, sound, urgent,
};
#[cfg(not(target_os = "linux"))]
pub use plain::{close, send, Picture, Popup};

// The platform modules below use these: kept out of this module so that they only import
// downward, while this one re-exports what they offer.
pub use click::Clicked;
pub use error::PopupError;

mod error {
    /// Why a popup could not be shown.
    #[derive(Debug, thiserror::Error)]
    pub enum PopupError {
        /// The notification server (or the system's notification centre) refused it.
        #[error(transparent)]
        Server(#[from] notify_rust::error::Error),
        /// The thread that showed it failed.
        #[error("the notification thread failed: {0}")]
        Thread(#[from] tokio::task::JoinError),
    }
}

mod click {
    /// What the user clicked on a popup.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Clicked {
        /// The popup itself: open what it is about.
        Open,
        /// "Open announcements": bitbank's notices, where a maintenance is explained.
        Announcements,
    }

    impl Clicked {
        /// The action's key on the wire.
        pub fn key(self) -> &'static str {
            match self {
                Clicked::Open => "default",
                Clicked::Announcements => "announcements",
            }
        }

        // Only Linux's notification servers answer with an action's key.
        #[cfg(target_os = "linux")]
        pub(super) fn from_key(key: &str) -> Option<Clicked> {
            [Clicked::Open, Clicked::Announcements]
                .into_iter()
                .find(|c| c.key() == key)
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use notify_rust::{Hint, Notification, NotificationHandle, NotificationResponse, Urgency};

    use super::error::PopupError;

    /// A picture for a popup: an image hint.
    pub type Picture = Hint;

    /// A popup on screen.
    pub struct Popup(NotificationHandle);

    impl Popup {
        /// The server's id, to replace this popup with the next of its kind.
        pub fn id(&self) -> u32 {
            self.0.id()
        }
    }

    /// Show `n`.
    pub async fn send(n: &Notification) -> Result<Popup, PopupError> {
        Ok(Popup(n.show_async().await?))
    }

    /// Take `popup` off the screen.
    pub async fn close(popup: &Popup) {
        popup.0.close_async().await;
    }

    /// Wait until `popup` is clicked or closed; what was clicked (`None`: closed).
    pub(crate) async fn clicked(popup: &Popup) -> Option<super::click::Clicked> {
        let mut clicked = None;
        popup
            .0
            .wait_for_action_async(|response| {
                clicked = match response {
                    NotificationResponse::Default => Some(super::click::Clicked::Open),
                    NotificationResponse::Action(key) => super::click::Clicked::from_key(key),
                    _ => None,
                };
            })
            .await;
        clicked
    }

    pub(crate) fn add_picture(n: &mut Notification, picture: Picture) {
        n.hint(picture);
    }

    /// Servers here know an app by its name, not an id.
    pub(crate) fn app_id(_n: &mut Notification, _id: &str) {}

    /// Critical popups stay until dismissed.
    pub(crate) fn urgent(n: &mut Notification, urgent: bool) {
        n.urgency(if urgent {
            Urgency::Critical
        } else {
            Urgency::Normal
        });
    }

    pub(crate) fn sound(n: &mut Notification, sound: bool) {
        if sound {
            n.hint(Hint::SoundName(crate::sound::SOUND_NAME.into()));
        } else {
            n.hint(Hint::SuppressSound(true));
        }
    }

    /// Whether the notification server plays the sound hint itself (its `sound` capability);
    /// a server that cannot be asked is taken to play it.
    pub(crate) async fn server_plays_sound() -> bool {
        match tokio::task::spawn_blocking(notify_rust::get_capabilities).await {
            Ok(Ok(caps)) => caps.iter().any(|c| c == "sound"),
            _ => true,
        }
    }

    /// A short-lived answer: low urgency, silent, not kept in the server's history.
    pub(crate) fn fleeting(n: &mut Notification) {
        n.urgency(Urgency::Low)
            .hint(Hint::Transient(true))
            .hint(Hint::SuppressSound(true));
    }

    /// Show `n` in the place of the popup with server id `id`.
    pub(crate) fn replace(n: &mut Notification, id: u32) {
        n.id(id);
    }
}

#[cfg(not(target_os = "linux"))]
mod plain {
    use std::sync::atomic::{AtomicU32, Ordering};

    use notify_rust::Notification;

    use super::error::PopupError;

    /// No pictures here: image hints are D-Bus only.
    pub enum Picture {}

    /// A popup shown (nothing more can be done with it here).
    pub struct Popup(u32);

    impl Popup {
        /// An id of our own (no server gives one), unique in this process.
        pub fn id(&self) -> u32 {
            self.0
        }
    }

    static NEXT_ID: AtomicU32 = AtomicU32::new(1);

    /// Show `n`. notify-rust's `show` blocks (on macOS the popup goes when its handle drops).
    pub async fn send(n: &Notification) -> Result<Popup, PopupError> {
        let n = n.clone();
        tokio::task::spawn_blocking(move || n.show().map(drop)).await??;
        Ok(Popup(NEXT_ID.fetch_add(1, Ordering::Relaxed)))
    }

    /// Popups cannot be closed here; they go by themselves.
    pub async fn close(_popup: &Popup) {}

    /// Clicks are not told here.
    pub(crate) async fn clicked(_popup: &Popup) -> Option<super::click::Clicked> {
        None
    }

    pub(crate) fn add_picture(_n: &mut Notification, picture: Picture) {
        match picture {}
    }

    /// The toast's AppUserModelID (Windows; macOS knows an app by its bundle).
    pub(crate) fn app_id(n: &mut Notification, id: &str) {
        #[cfg(windows)]
        n.app_id(id);
        #[cfg(not(windows))]
        let _ = (n, id);
    }

    pub(crate) fn urgent(_n: &mut Notification, _urgent: bool) {}

    pub(crate) fn sound(_n: &mut Notification, _sound: bool) {}

    /// The system's notification centre plays its own sound.
    pub(crate) async fn server_plays_sound() -> bool {
        true
    }

    pub(crate) fn fleeting(_n: &mut Notification) {}

    pub(crate) fn replace(_n: &mut Notification, _id: u32) {}
}

/// A notification of bbwatch's: its name, and no themed icon (the server's default).
pub fn ours() -> Notification {
    let mut n = Notification::new();
    n.appname("bbwatch").icon("");
    n
}
