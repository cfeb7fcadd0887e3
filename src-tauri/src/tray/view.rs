//! What the tray shows, in words and pixels, and what its menu entries do: the same for every
//! backend, which only draws it.

use bbwatch_core::i18n::Msg;
use bbwatch_core::model::exchange::Exchange;
use bbwatch_core::present::render::{summary_line, tray_tooltip};
use bbwatch_core::{Lang, Level, Snapshot};
use chrono::{DateTime, Local, Utc};
use std::collections::BTreeMap;

use crate::pause::Pause;

/// What a menu entry does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Open,
    CheckNow,
    PauseHour,
    PauseForever,
    Resume,
    Settings,
    Announcements,
    Quit,
}

/// Everything the tray shows, in words: built once per change, compared to skip no-op updates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrayView {
    pub level: Level,
    /// The item's title: `bitbank: Maintenance`.
    pub title: String,
    /// The tooltip: `bitbank: Maintenance since 14:31 — api error 10007`.
    pub tooltip: String,
    /// The menu's first, disabled line.
    pub status_line: String,
    /// The other watched exchanges' lines under it (`GMO Coin: Maintenance · since 14:31`),
    /// disabled too; none with bitbank alone, whose menu is as it always was.
    pub exchange_lines: Vec<String>,
    pub pause: PauseView,
    pub lang: Lang,
}

/// The pause entries' check marks and the hour entry's "until" time.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PauseView {
    pub hour: bool,
    pub forever: bool,
    /// `15:30` while paused for an hour.
    pub until: Option<String>,
}

impl PauseView {
    pub fn new(pause: Pause, now: DateTime<Utc>) -> PauseView {
        match pause {
            Pause::Until(t) if t > now => PauseView {
                hour: true,
                forever: false,
                until: Some(t.with_timezone(&Local).format("%H:%M").to_string()),
            },
            Pause::Forever => PauseView {
                hour: false,
                forever: true,
                until: None,
            },
            _ => PauseView::default(),
        }
    }

    pub fn active(&self) -> bool {
        self.hour || self.forever
    }

    /// The timed entry's label in the pause submenu (Tauri's tray): `Until 15:30` while a pause until a time is on (from this
    /// entry or the window's "Pause until"), else `For 1 hour`.
    #[cfg(not(target_os = "linux"))]
    pub fn hour_label(&self, lang: Lang) -> String {
        match &self.until {
            Some(time) => Msg::MenuPausedUntil.fill(lang, &[("time", time)]),
            None => Msg::MenuPauseHour.text(lang).to_owned(),
        }
    }
}

impl PauseView {
    /// The timed entry as a menu of its own says it: `Pause notifications for 1 hour`, or
    /// `Notifications paused until 15:30` while such a pause is on.
    pub fn hour_entry(&self, lang: Lang) -> String {
        match &self.until {
            Some(time) => Msg::MenuPausedUntilTime.fill(lang, &[("time", time)]),
            None => Msg::MenuPauseForHour.text(lang).to_owned(),
        }
    }

    /// `Pause notifications until resumed`, or `Notifications paused until resumed`.
    #[cfg(target_os = "linux")]
    pub fn forever_entry(&self, lang: Lang) -> String {
        if self.forever {
            Msg::MenuPausedUntilResumed
        } else {
            Msg::MenuPauseUntilResumed
        }
        .text(lang)
        .to_owned()
    }

    /// What the tooltip adds while paused: `Notifications paused until 15:30`.
    pub fn notice(&self, lang: Lang) -> Option<String> {
        if self.forever {
            Some(Msg::MenuPausedUntilResumed.text(lang).to_owned())
        } else if self.hour {
            Some(self.hour_entry(lang))
        } else {
            None
        }
    }
}

impl TrayView {
    /// `snapshot` is bitbank's; `others` the other watched exchanges' (bitbank's left out,
    /// in [`Exchange::ALL`]'s order). `started`: when this run of the app began (a level that
    /// held already then is "since 14:31 (when bbwatch started)").
    pub fn new(
        snapshot: &Snapshot,
        others: &[Snapshot],
        lang: Lang,
        pause: Pause,
        started: Option<&DateTime<Utc>>,
    ) -> TrayView {
        let now = Utc::now();
        let pause = PauseView::new(pause, now);
        // bitbank first, then the others: one line each in the tooltip.
        let mut tooltip = std::iter::once(snapshot)
            .chain(others)
            .map(|s| tray_tooltip(s, lang, &now, started))
            .collect::<Vec<_>>()
            .join("\n");
        let mut status_line = format!("bitbank: {}", summary_line(snapshot, lang, &now, started));
        let exchange_lines = others
            .iter()
            .map(|s| {
                format!(
                    "{}: {}",
                    s.exchange.name(lang),
                    summary_line(s, lang, &now, started)
                )
            })
            .collect();
        if let Some(notice) = pause.notice(lang) {
            // Said wherever the user looks: a silent tray must not look like a calm bitbank.
            tooltip = format!("{tooltip}\n{notice}");
            status_line = format!("{status_line} · {notice}");
        }
        let worst = worst(snapshot, others);
        TrayView {
            level: worst.level,
            title: format!(
                "{}: {}",
                worst.exchange.name(lang),
                bbwatch_core::present::render::level_name(worst.level, lang)
            ),
            tooltip,
            status_line,
            exchange_lines,
            pause,
            lang,
        }
    }
}

/// The snapshot whose level is the most severe ([`Level::severity`]); bitbank's on a tie, then
/// the first of `others`, so the title names the exchange that colours the icon.
pub fn worst<'a>(bitbank: &'a Snapshot, others: &'a [Snapshot]) -> &'a Snapshot {
    others.iter().fold(bitbank, |worst, s| {
        if s.level.severity() > worst.level.severity() {
            s
        } else {
            worst
        }
    })
}

/// The other exchanges' snapshots in `exchanges` (every watched exchange's, as
/// `MonitorHandle::exchanges` has them), bitbank's left out, in [`Exchange::ALL`]'s order.
pub fn others(exchanges: &BTreeMap<Exchange, Snapshot>) -> Vec<Snapshot> {
    exchanges
        .iter()
        .filter(|(e, _)| !e.is_bitbank())
        .map(|(e, s)| Snapshot {
            // Named by its key, whatever the snapshot says.
            exchange: *e,
            ..s.clone()
        })
        .collect()
}

/// Draw a pause badge (a dark disc with two white bars, ringed in white) into the bottom
/// right of a square RGBA icon `size` px wide.
#[cfg(target_os = "linux")]
pub fn pause_badge(rgba: &mut [u8], size: u32) {
    let s = f64::from(size);
    let (cx, cy, r) = (s * 0.72, s * 0.72, s * 0.28);
    let (bar_half_h, bar_in, bar_out) = (s * 0.12, s * 0.035, s * 0.115);
    for (i, px) in rgba.chunks_exact_mut(4).enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let (x, y) = (f64::from(i % size) + 0.5, f64::from(i / size) + 0.5);
        let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
        let colour = if d > r + 1.0 {
            continue;
        } else if d > r {
            [255, 255, 255, 255]
        } else {
            let dx = (x - cx).abs();
            if (y - cy).abs() <= bar_half_h && dx >= bar_in && dx <= bar_out {
                [255, 255, 255, 255]
            } else {
                [55, 65, 81, 255]
            }
        };
        px.copy_from_slice(&colour);
    }
}

/// The level's icon at `size` px (16, 22, 24, 32 or 64).
pub fn icon_png(level: Level, size: u32) -> &'static [u8] {
    macro_rules! sizes {
        ($name:literal) => {
            match size {
                0..=16 => &include_bytes!(concat!("../../../icons/tray/", $name, "-16.png"))[..],
                17..=22 => &include_bytes!(concat!("../../../icons/tray/", $name, "-22.png"))[..],
                23..=24 => &include_bytes!(concat!("../../../icons/tray/", $name, "-24.png"))[..],
                25..=32 => &include_bytes!(concat!("../../../icons/tray/", $name, "-32.png"))[..],
                _ => &include_bytes!(concat!("../../../icons/tray/", $name, "-64.png"))[..],
            }
        };
    }
    match level {
        Level::Normal => sizes!("normal"),
        Level::Degraded => sizes!("degraded"),
        Level::Maintenance => sizes!("maintenance"),
        Level::Down => sizes!("down"),
        Level::Unreachable => sizes!("unreachable"),
        Level::Unknown => sizes!("unknown"),
    }
}

/// The level's icon at `size` px as `(width, height, RGBA bytes)`; `None` if it cannot be
/// decoded (the icons are ours, checked by a test).
#[cfg(target_os = "linux")]
pub fn icon_rgba(level: Level, size: u32) -> Option<(u32, u32, Vec<u8>)> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(icon_png(level, size)));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        // Expanded to one of the above by `normalize_to_color8`.
        png::ColorType::Indexed => return None,
    };
    Some((info.width, info.height, rgba))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn every_icon_decodes_to_its_size() {
        for level in Level::ALL {
            for size in [16, 22, 24, 32, 64] {
                let (w, h, rgba) = icon_rgba(level, size).expect("decodes");
                assert_eq!((w, h), (size, size), "{level:?} at {size}");
                assert_eq!(rgba.len(), (size * size * 4) as usize);
                assert!(
                    rgba.chunks_exact(4).any(|p| p[3] == 255),
                    "{level:?} is not blank"
                );
            }
        }
    }

    // Other exchanges.

    fn snapshot(exchange: Exchange, level: Level) -> Snapshot {
        Snapshot {
            exchange,
            level,
            ..Snapshot::default()
        }
    }

    #[test]
    fn bitbank_alone_is_shown_as_it_always_was() {
        let bitbank = snapshot(Exchange::Bitbank, Level::Maintenance);
        let view = TrayView::new(&bitbank, &[], Lang::En, Pause::Off, None);
        assert_eq!(view.level, Level::Maintenance);
        assert_eq!(view.title, "bitbank: Maintenance");
        assert_eq!(view.tooltip, "bitbank: Maintenance");
        assert_eq!(view.status_line, "bitbank: Maintenance");
        assert!(view.exchange_lines.is_empty());
    }

    #[test]
    fn the_icon_takes_the_worst_level_and_the_title_names_its_exchange() {
        let bitbank = snapshot(Exchange::Bitbank, Level::Normal);
        let others = [
            snapshot(Exchange::Gmocoin, Level::Degraded),
            snapshot(Exchange::Bitflyer, Level::Maintenance),
            snapshot(Exchange::Coincheck, Level::Down),
        ];
        let view = TrayView::new(&bitbank, &others, Lang::En, Pause::Off, None);
        assert_eq!(view.level, Level::Maintenance);
        assert_eq!(view.title, "bitFlyer: Maintenance");
        assert_eq!(
            view.tooltip,
            "bitbank: Normal\nGMO Coin: Degraded\nbitFlyer: Maintenance\nCoincheck: Down"
        );
        assert_eq!(view.status_line, "bitbank: Normal");
        assert_eq!(
            view.exchange_lines,
            [
                "GMO Coin: Degraded",
                "bitFlyer: Maintenance",
                "Coincheck: Down"
            ]
        );
    }

    #[test]
    fn bitbank_names_the_title_on_a_tie_and_unknown_yields_to_any_answer() {
        let bitbank = snapshot(Exchange::Bitbank, Level::Degraded);
        let others = [snapshot(Exchange::Gmocoin, Level::Degraded)];
        let view = TrayView::new(&bitbank, &others, Lang::Ja, Pause::Off, None);
        assert!(view.title.starts_with("bitbank: "), "{}", view.title);
        assert_eq!(view.exchange_lines.len(), 1);
        assert!(view.exchange_lines[0].starts_with("GMOコイン: "));
        let bitbank = snapshot(Exchange::Bitbank, Level::Unknown);
        let others = [snapshot(Exchange::Gmocoin, Level::Normal)];
        let view = TrayView::new(&bitbank, &others, Lang::En, Pause::Off, None);
        assert_eq!(view.level, Level::Normal);
    }

    #[test]
    fn the_pause_notice_follows_every_line() {
        let bitbank = snapshot(Exchange::Bitbank, Level::Normal);
        let others = [snapshot(Exchange::Gmocoin, Level::Normal)];
        let view = TrayView::new(&bitbank, &others, Lang::En, Pause::Forever, None);
        assert_eq!(
            view.tooltip,
            "bitbank: Normal\nGMO Coin: Normal\nNotifications paused until resumed"
        );
    }

    #[test]
    fn others_leave_bitbank_out_in_exchange_order() {
        let map: BTreeMap<Exchange, Snapshot> = [
            (
                Exchange::Coincheck,
                snapshot(Exchange::Coincheck, Level::Normal),
            ),
            (
                Exchange::Bitbank,
                snapshot(Exchange::Bitbank, Level::Normal),
            ),
            (
                Exchange::Gmocoin,
                snapshot(Exchange::Gmocoin, Level::Normal),
            ),
        ]
        .into();
        let names: Vec<_> = others(&map).iter().map(|s| s.exchange).collect();
        assert_eq!(names, [Exchange::Gmocoin, Exchange::Coincheck]);
    }
}
