//! One tray app per session on Linux: the first takes a well-known name on the session bus; a
//! later start hands its arguments to it (open the window, or `--quit`) and ends. The name,
//! path and method are those of Tauri's single-instance plugin, which did this before, so
//! versions on either side of the change still find each other.

use tokio::sync::mpsc;

const NAME: &str = "io.github.bbwatch.desktop.SingleInstance";
const PATH: &str = "/io/github/bbwatch/desktop/SingleInstance";
const INTERFACE: &str = "org.SingleInstance.DBus";

/// What a later start asked for: its arguments.
pub type Asked = mpsc::UnboundedReceiver<Vec<String>>;

struct Instance {
    asked: mpsc::UnboundedSender<Vec<String>>,
}

#[zbus::interface(name = "org.SingleInstance.DBus")]
impl Instance {
    fn execute_callback(&self, argv: Vec<String>, _cwd: String) {
        let _ = self.asked.send(argv);
    }
}

/// Whether this process is the session's tray app.
pub enum Claim {
    /// It is: later starts' arguments arrive in `asked` while `_name` is kept (`None` where
    /// there is no session bus to take a name on).
    First {
        _name: Option<zbus::Connection>,
        asked: Asked,
    },
    /// Another one runs, and was handed `args`.
    Handed,
}

/// Take the session's name, or hand `args` to the app that has it.
pub async fn claim(args: &[String]) -> Result<Claim, zbus::Error> {
    let (tell, asked) = mpsc::unbounded_channel();
    let builder = match zbus::connection::Builder::session() {
        Ok(builder) => builder,
        Err(e) => {
            tracing::warn!("no session bus, so no check for another bbwatch-desktop: {e}");
            return Ok(Claim::First { _name: None, asked });
        }
    };
    let built = builder
        .name(NAME)?
        .replace_existing_names(false)
        .allow_name_replacements(false)
        .serve_at(PATH, Instance { asked: tell })?
        .build()
        .await;
    match built {
        Ok(connection) => Ok(Claim::First {
            _name: Some(connection),
            asked,
        }),
        Err(zbus::Error::NameTaken) => {
            let cwd = std::env::current_dir().unwrap_or_default();
            zbus::Connection::session()
                .await?
                .call_method(
                    Some(NAME),
                    PATH,
                    Some(INTERFACE),
                    "ExecuteCallback",
                    &(args, cwd.to_string_lossy().as_ref()),
                )
                .await?;
            Ok(Claim::Handed)
        }
        Err(e) => {
            tracing::warn!("cannot check for another bbwatch-desktop: {e}");
            Ok(Claim::First { _name: None, asked })
        }
    }
}
