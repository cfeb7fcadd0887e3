//! A StatusNotifierWatcher (what a panel runs) and readers for the registered item and its
//! dbusmenu.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use zbus::message::Header;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};
use zbus::Connection;

/// `org.kde.StatusNotifierWatcher`: records items as they register.
#[derive(Clone, Default)]
pub struct Watcher {
    /// (bus name, object path) of each registered item.
    pub items: Arc<Mutex<Vec<(String, String)>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: Header<'_>,
    ) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        // libappindicator passes its object path; others pass a bus name.
        let item = if service.starts_with('/') {
            (sender, service.to_owned())
        } else {
            (service.to_owned(), "/StatusNotifierItem".to_owned())
        };
        self.items.lock().unwrap().push(item);
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items
            .lock()
            .unwrap()
            .iter()
            .map(|(b, p)| format!("{b}{p}"))
            .collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

/// An SNI pixmap: width, height, ARGB32 bytes.
pub type Pixmap = (i32, i32, Vec<u8>);

/// A registered tray item, read over D-Bus.
pub struct Item {
    conn: Connection,
    pub bus: String,
    pub path: String,
}

/// One dbusmenu entry.
#[derive(Clone, Debug)]
pub struct MenuEntry {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
    pub toggle_state: Option<i32>,
    /// Whether it opens a submenu (`children-display` is `submenu`).
    pub submenu: bool,
    /// Whether it is shown (`visible` is not false).
    pub visible: bool,
}

impl Item {
    pub fn new(conn: Connection, bus: String, path: String) -> Item {
        Item { conn, bus, path }
    }

    async fn proxy(&self, path: &str, iface: &str) -> Result<zbus::Proxy<'static>> {
        Ok(zbus::Proxy::new(
            &self.conn,
            self.bus.clone(),
            path.to_owned(),
            iface.to_owned(),
        )
        .await?)
    }

    /// A property of `org.kde.StatusNotifierItem`, uncached.
    pub async fn property<T>(&self, name: &str) -> Result<T>
    where
        T: TryFrom<OwnedValue>,
        <T as TryFrom<OwnedValue>>::Error: Into<zbus::Error>,
    {
        let props = zbus::fdo::PropertiesProxy::builder(&self.conn)
            .destination(self.bus.clone())?
            .path(self.path.clone())?
            .build()
            .await?;
        let iface = zbus::names::InterfaceName::try_from("org.kde.StatusNotifierItem")?;
        let value = props.get(iface, name).await?;
        T::try_from(value).map_err(|e| anyhow::anyhow!("property {name}: {}", e.into()))
    }

    /// The largest of the item's `IconPixmap`s: (width, height, ARGB32 bytes).
    pub async fn icon_pixmap(&self) -> Result<Pixmap> {
        let icons: Vec<Pixmap> = self.property("IconPixmap").await?;
        icons
            .into_iter()
            .max_by_key(|(w, h, _)| w * h)
            .context("IconPixmap is empty")
    }

    /// The tooltip's title and description.
    pub async fn tooltip(&self) -> Result<(String, String)> {
        let (_icon, _pixmaps, title, description): (String, Vec<Pixmap>, String, String) =
            self.property("ToolTip").await?;
        Ok((title, description))
    }

    /// Count the item's signals named `member` (`NewIcon`, `NewToolTip`, …) from now on.
    pub async fn count_signals(&self, member: &'static str) -> Result<Arc<AtomicUsize>> {
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface("org.kde.StatusNotifierItem")?
            .member(member)?
            .build();
        let mut stream = zbus::MessageStream::for_match_rule(rule, &self.conn, None).await?;
        let count = Arc::new(AtomicUsize::new(0));
        let counted = count.clone();
        tokio::spawn(async move {
            while let Some(Ok(_)) = futures::StreamExt::next(&mut stream).await {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        Ok(count)
    }

    /// Every entry of the menu, depth first.
    pub async fn menu(&self) -> Result<Vec<MenuEntry>> {
        let menu_path: OwnedObjectPath = self.property("Menu").await?;
        let proxy = self
            .proxy(menu_path.as_str(), "com.canonical.dbusmenu")
            .await?;
        type Node = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);
        let (_revision, (_root, _props, children)): (u32, Node) = proxy
            .call("GetLayout", &(0i32, -1i32, Vec::<String>::new()))
            .await?;
        let mut out = Vec::new();
        for child in &children {
            walk(child, &mut out)?;
        }
        Ok(out)
    }

    /// Click the menu entry whose label contains `label` (mnemonic underscores ignored).
    pub async fn click(&self, label: &str) -> Result<()> {
        let entry = self
            .menu()
            .await?
            .into_iter()
            .find(|e| e.label.contains(label))
            .with_context(|| format!("no menu entry {label:?}"))?;
        let menu_path: OwnedObjectPath = self.property("Menu").await?;
        let proxy = self
            .proxy(menu_path.as_str(), "com.canonical.dbusmenu")
            .await?;
        let timestamp = 0u32;
        let _: () = proxy
            .call(
                "Event",
                &(entry.id, "clicked", Value::from(0i32), timestamp),
            )
            .await?;
        Ok(())
    }
}

fn walk(node: &Value<'_>, out: &mut Vec<MenuEntry>) -> Result<()> {
    let node = match node {
        Value::Value(inner) => inner.as_ref(),
        other => other,
    };
    let Value::Structure(s) = node else {
        anyhow::bail!("unexpected dbusmenu layout node {node:?}");
    };
    let fields = s.fields();
    let id = match fields.first() {
        Some(Value::I32(id)) => *id,
        other => anyhow::bail!("dbusmenu id {other:?}"),
    };
    let mut props: HashMap<String, Value<'_>> = HashMap::new();
    if let Some(Value::Dict(d)) = fields.get(1) {
        for (k, v) in d.iter() {
            if let Value::Str(k) = k {
                let v = match v {
                    Value::Value(inner) => inner.as_ref().try_clone()?,
                    other => other.try_clone()?,
                };
                props.insert(k.to_string(), v);
            }
        }
    }
    let label = match props.get("label") {
        Some(Value::Str(s)) => s.replace('_', ""),
        _ => String::new(),
    };
    let enabled = !matches!(props.get("enabled"), Some(Value::Bool(false)));
    let toggle_state = match props.get("toggle-state") {
        Some(Value::I32(v)) => Some(*v),
        _ => None,
    };
    let submenu =
        matches!(props.get("children-display"), Some(Value::Str(s)) if s.as_str() == "submenu");
    let visible = !matches!(props.get("visible"), Some(Value::Bool(false)));
    if id != 0 {
        out.push(MenuEntry {
            id,
            label,
            enabled,
            toggle_state,
            submenu,
            visible,
        });
    }
    if let Some(Value::Array(children)) = fields.get(2) {
        for child in children.iter() {
            walk(child, out)?;
        }
    }
    Ok(())
}

/// The mean colour of an ARGB32 pixmap's opaque pixels, as (r, g, b).
pub fn mean_colour(argb: &[u8]) -> Result<(u8, u8, u8)> {
    let (mut r, mut g, mut b, mut n) = (0u64, 0u64, 0u64, 0u64);
    for px in argb.chunks_exact(4) {
        if px[0] > 200 {
            r += u64::from(px[1]);
            g += u64::from(px[2]);
            b += u64::from(px[3]);
            n += 1;
        }
    }
    anyhow::ensure!(n > 0, "no opaque pixels in the icon");
    Ok(((r / n) as u8, (g / n) as u8, (b / n) as u8))
}

/// A colour's family: "green", "red", "amber" or "grey".
pub fn colour_name((r, g, b): (u8, u8, u8)) -> &'static str {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    if (r - g).abs() < 30 && (g - b).abs() < 30 {
        "grey"
    } else if g > r && g > b {
        "green"
    } else if r > g + 60 && r > b + 60 {
        "red"
    } else if r > b + 60 && g > b + 30 {
        "amber"
    } else {
        "other"
    }
}
