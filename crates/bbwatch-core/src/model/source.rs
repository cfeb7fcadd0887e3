//! The seam between the monitor and whatever tells it an exchange's state: a [`Source`] is
//! asked at each poll and may push between polls; it says what it saw as a [`Reading`], so the
//! monitor (pacing, detection, publishing) never names a host, an error code or a room.
//! bitbank's REST polling and stream are one source (`bitbank::source`); the monitor's tests
//! drive a scripted one.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use crate::model::asset::KeyState;
use crate::model::exchange::Exchange;
use crate::model::link::Link;
use crate::model::reading::{Context, Reading};
use crate::model::unlisted::Unlisted;

/// What a poll asks of the source.
#[derive(Clone, Copy, Debug)]
pub struct Ask<'a> {
    /// The watch list the detector holds (configured, or resolved at the first answer).
    pub watched: Option<&'a BTreeSet<String>>,
    /// The pairs the settings name (`None`: every tradable pair).
    pub configured: Option<&'a BTreeSet<String>>,
}

/// Which assets stay in the snapshot after a poll's answer, before it is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assets {
    /// None (no API key, or it was removed): the assets leave with their stops untold.
    Off,
    /// Only these (the others are no longer watched).
    Only(BTreeSet<String>),
    /// Not known yet: everything stays.
    Unknown,
}

/// What one poll said, read.
#[derive(Clone, Debug, PartialEq)]
pub struct Polled {
    /// The reading, classified in the detector's context.
    pub reading: Reading,
    /// How many requests the poll made (to pace polling during a maintenance).
    pub requests: usize,
}

/// What something pushed between polls asks of the monitor.
#[derive(Clone, Debug, PartialEq)]
pub enum Pushed {
    /// Nothing more (it changed nothing, or only the source's state).
    Nothing,
    /// A reading to take at once, through the same detector.
    Reading(Reading),
    /// Poll now (what was pushed is stale, or asks for a fresh look).
    PollNow,
}

/// What the source tells the snapshot besides readings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceState {
    /// Whether live updates are in use.
    pub link: Link,
    /// Whether an API key is given and what the exchange made of it.
    pub key: KeyState,
    /// Names in the settings the source does not list.
    pub unlisted: Unlisted,
}

/// A source of an exchange's state.
pub trait Source: Send {
    /// What the source is configured with; a change is applied without a restart.
    type Config: Clone + PartialEq + std::fmt::Debug + Send + Sync;
    /// One poll's answer, before it is read.
    type Answer: Send;
    /// Something pushed between polls, before it is taken.
    type Push: Send;

    /// The exchange it tells of: every snapshot and event of its monitor carries it.
    fn exchange(&self) -> Exchange;

    /// Start what runs between polls (a stream), as configured. Called once, inside a tokio
    /// runtime, before the first poll.
    fn start(&mut self);

    /// Ask, over the network or wherever the source looks. Cancelled at shutdown.
    fn fetch(&mut self, ask: Ask<'_>) -> impl Future<Output = Self::Answer> + Send;

    /// Which assets stay in the snapshot, as the last answer says (applied before reading it).
    fn assets(&self) -> Assets;

    /// Read an answer in the detector's context.
    fn read(&mut self, answer: Self::Answer, ctx: Context<'_>, took: Duration) -> Polled;

    /// The next push; never completes when nothing can be pushed.
    fn next_push(&mut self) -> impl Future<Output = Self::Push> + Send;

    /// Take a push in the detector's context.
    fn take(&mut self, push: Self::Push, ctx: Context<'_>) -> Pushed;

    /// The watch list changed (after a reading): follow it.
    fn watching(&mut self, watched: Option<&BTreeSet<String>>);

    /// New settings; `true` when they ask for a poll at once.
    fn apply(&mut self, config: &Self::Config) -> bool;

    /// What the snapshot shows of the source.
    fn state(&self) -> SourceState;
}
