//! The `asset_changed` events between two answers about deposits and withdrawals.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::model::asset::{AssetState, Flows};
use crate::model::event::{Event, EventKind};
use crate::model::level::Level;
use crate::model::reason::Reason;

/// The `asset_changed` events from `before` to `after`. A whole-asset change is one event with
/// no network; a network's own change (beyond what the whole asset says) is one event naming
/// it. An asset that joins (a key added, an asset newly watched) has no "before": it is told
/// only where it is stopped, with no previous state.
pub fn changes(
    before: &BTreeMap<String, AssetState>,
    after: &BTreeMap<String, AssetState>,
    at: DateTime<Utc>,
    level: Level,
) -> Vec<Event> {
    let mut events = Vec::new();
    for (asset, now) in after {
        let was = before.get(asset);
        let mut push = |network: Option<&String>, from: Option<Flows>, to: Flows| {
            if from.map_or(to.is_open(), |from| from == to) {
                return;
            }
            let mut e = Event::level_change(EventKind::AssetChanged, at, level, None);
            e.asset = Some(asset.clone());
            e.network = network.cloned();
            e.deposit = Some(to.deposit);
            e.withdrawal = Some(to.withdrawal);
            e.previous_deposit = from.map(|f| f.deposit);
            e.previous_withdrawal = from.map(|f| f.withdrawal);
            let mut state = AssetState {
                flows: to,
                networks: BTreeMap::new(),
            };
            if let Some(n) = network {
                state.flows = Flows::default();
                state.networks.insert(n.clone(), to);
            }
            // A resumption has nothing stopped to tell: no reason, as for any end.
            e.reason = (!to.is_open()).then(|| Reason::Assets(vec![(asset.clone(), state)]));
            events.push(e);
        };
        push(None, was.map(|w| w.flows), now.flows);
        let empty = BTreeMap::new();
        let was_networks = was.map_or(&empty, |w| &w.networks);
        let networks: BTreeSet<&String> = was_networks.keys().chain(now.networks.keys()).collect();
        for n in networks {
            let Some(to) = now.networks.get(n) else {
                continue;
            };
            let from = match (was, was_networks.get(n)) {
                (Some(w), Some(from)) => Some(from.beyond(w.flows)),
                // A network that appears on a known asset, as a newly listed one would.
                (Some(_), None) => continue,
                (None, _) => None,
            };
            push(Some(n), from, to.beyond(now.flows));
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::asset::tests_support::{eth, flows};
    use crate::model::asset::Flow;

    #[test]
    fn one_networks_stop_is_one_event_naming_it() {
        let open = flows(Flow::Open, Flow::Open);
        let out = flows(Flow::Open, Flow::Stopped);
        let before = eth(open, open, open);
        let after = eth(open, open, out);
        let events = changes(&before, &after, Utc::now(), Level::Degraded);
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.kind, EventKind::AssetChanged);
        assert_eq!(e.asset.as_deref(), Some("eth"));
        assert_eq!(e.network.as_deref(), Some("polygon"));
        assert_eq!(e.withdrawal, Some(Flow::Stopped));
        assert_eq!(e.previous_withdrawal, Some(Flow::Open));
        assert_eq!(e.deposit, Some(Flow::Open));
        assert!(e.reason.is_some());
        let back = changes(&after, &before, Utc::now(), Level::Normal);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].withdrawal, Some(Flow::Open));
        assert_eq!(back[0].reason, None, "nothing is stopped");
    }

    #[test]
    fn a_whole_asset_stop_is_one_event_however_many_networks() {
        let open = flows(Flow::Open, Flow::Open);
        let out = flows(Flow::Stopped, Flow::Stopped);
        let events = changes(
            &eth(open, open, open),
            &eth(out, out, out),
            Utc::now(),
            Level::Degraded,
        );
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].network, None);
        assert_eq!(events[0].deposit, Some(Flow::Stopped));
    }
}
