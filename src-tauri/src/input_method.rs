//! Which GTK input method the window uses. With no `GTK_IM_MODULE`, GTK picks XIM for a
//! Japanese, Chinese, Korean or Thai locale; with no input-method server behind it, XIM leaves
//! WebKit's window unpainted after the first key typed into a field (its content stays frozen
//! until the window is resized). When no server is there to serve XIM, GTK's own simple input
//! method (dead keys and compose, as XIM's local fallback) is used instead. A user's own
//! `GTK_IM_MODULE`, and any running input-method server, are left alone.

/// GTK's built-in input method.
const SIMPLE: &str = "gtk-im-context-simple";

/// Input-method servers (as `/proc/PID/comm` names them: at most 15 bytes) and the `@im=`
/// names they go by in `XMODIFIERS`.
const SERVERS: &[&str] = &[
    "ibus-daemon",
    "ibus-x11",
    "fcitx",
    "fcitx5",
    "uim-xim",
    "kinput2",
    "scim",
    "skkinput",
    "hime",
    "gcin",
    "nimf",
];

/// The input method to ask GTK for, if any: `None` leaves GTK's choice. Pure: the
/// environment and whether a server runs are passed in.
pub fn choose(
    gtk_im_module: Option<&str>,
    xmodifiers: Option<&str>,
    server_running: bool,
) -> Option<&'static str> {
    if gtk_im_module.is_some_and(|m| !m.is_empty()) || server_running {
        return None;
    }
    // An XIM server we cannot see (not one we know by name) may well be there.
    let named = xmodifiers
        .and_then(|x| x.trim().strip_prefix("@im="))
        .filter(|name| !name.is_empty() && *name != "none");
    if named.is_some_and(|name| !SERVERS.iter().any(|s| s.starts_with(name))) {
        return None;
    }
    Some(SIMPLE)
}

/// Whether one of [`SERVERS`] runs as this user.
fn server_running() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(me) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return false;
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let ours = entry.metadata().is_ok_and(|m| m.uid() == me);
        ours && std::fs::read_to_string(entry.path().join("comm"))
            .is_ok_and(|comm| SERVERS.contains(&comm.trim_end()))
    })
}

/// Ask GTK for its simple input method where XIM would have no server. Call before GTK
/// starts, while no other thread reads the environment.
pub fn avoid_serverless_xim() {
    let module = std::env::var("GTK_IM_MODULE").ok();
    let modifiers = std::env::var("XMODIFIERS").ok();
    if module.as_deref().is_some_and(|m| !m.is_empty()) {
        return;
    }
    if let Some(chosen) = choose(module.as_deref(), modifiers.as_deref(), server_running()) {
        tracing::info!("no input-method server: GTK_IM_MODULE={chosen}");
        std::env::set_var("GTK_IM_MODULE", chosen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_server_gtk_is_asked_for_its_simple_input_method() {
        assert_eq!(choose(None, None, false), Some(SIMPLE));
        assert_eq!(choose(Some(""), Some("@im=none"), false), Some(SIMPLE));
        // Named, but not running: XIM would have nothing to talk to.
        assert_eq!(choose(None, Some("@im=ibus"), false), Some(SIMPLE));
        assert_eq!(choose(None, Some("@im=fcitx"), false), Some(SIMPLE));
    }

    #[test]
    fn a_users_choice_or_a_running_server_is_left_alone() {
        assert_eq!(choose(Some("ibus"), None, false), None);
        assert_eq!(choose(Some("xim"), Some("@im=kinput2"), false), None);
        assert_eq!(choose(None, Some("@im=ibus"), true), None);
        assert_eq!(choose(None, None, true), None);
        // A server we do not know by name may be serving XIM.
        assert_eq!(choose(None, Some("@im=myownim"), false), None);
    }
}
