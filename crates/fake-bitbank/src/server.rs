//! The HTTP listeners (bitbank's api and public hosts, and one per other exchange), request
//! routing, the per-phase failure modes and the `/_fake/` control endpoints.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::assets;
use crate::auth::Account;
use crate::clock::{Clock, PhaseNow};
use crate::door::{bind_std, Door, Host};
use crate::exchanges;
use crate::hostile;
use crate::http::{self, ReadError, Request, Response};
use crate::market::{self, MarketView};
use crate::phase::Behavior;
use crate::scenario::Scenario;
use crate::state::Shared;
use crate::stats::{Counters, Stats, MAX_COUNTED_PAIRS};

/// How long a client may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause before retrying a failed bind or accept (a busy port, too many open files).
const RETRY: Duration = Duration::from_millis(100);

/// How to run the fake exchange.
#[derive(Clone, PartialEq)]
pub struct Options {
    /// Scenario time scale: 1.0 = real time; 60.0 = one scenario minute per second.
    pub speed: f64,
    /// Port of the api host on 127.0.0.1 (0 = any free port).
    pub api_port: u16,
    /// Port of the public host on 127.0.0.1 (0 = any free port).
    pub public_port: u16,
    /// Port of the stream host on 127.0.0.1 (0 = any free port).
    pub stream_port: u16,
    /// Port of GMO Coin's host on 127.0.0.1 (0 = any free port).
    pub gmocoin_port: u16,
    /// Port of bitFlyer's host on 127.0.0.1 (0 = any free port).
    pub bitflyer_port: u16,
    /// Port of Coincheck's host on 127.0.0.1 (0 = any free port).
    pub coincheck_port: u16,
    /// The stream's PING period (bitbank: 25 s), not scaled by the speed.
    pub ping_interval: Duration,
    /// How long the stream waits for a PONG (bitbank: 20 s or 60 s), not scaled.
    pub ping_timeout: Duration,
    /// How often each joined `ticker_{pair}` room gets a frame (bitbank: about 1 s), not
    /// scaled.
    pub ticker_interval: Duration,
    /// The account's API key (`ACCESS-KEY` of `/v1/user/...` requests).
    pub api_key: String,
    /// The account's API secret: the HMAC key of `ACCESS-SIGNATURE`; never sent by a correct
    /// client ([`Stats::secret_seen`] counts requests that carry it).
    pub api_secret: String,
    /// Assets with a non-zero `onhand_amount` in `/v1/user/assets` (every other one reads
    /// zero); each must be in [`crate::assets::assets`].
    pub holdings: Vec<String>,
}

impl std::fmt::Debug for Options {
    // By hand so that the secret never lands in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("speed", &self.speed)
            .field("api_port", &self.api_port)
            .field("public_port", &self.public_port)
            .field("stream_port", &self.stream_port)
            .field("gmocoin_port", &self.gmocoin_port)
            .field("bitflyer_port", &self.bitflyer_port)
            .field("coincheck_port", &self.coincheck_port)
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("ticker_interval", &self.ticker_interval)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("holdings", &self.holdings)
            .finish()
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            speed: 1.0,
            api_port: 0,
            public_port: 0,
            stream_port: 0,
            gmocoin_port: 0,
            bitflyer_port: 0,
            coincheck_port: 0,
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            ticker_interval: Duration::from_secs(1),
            api_key: "fake-key".to_string(),
            api_secret: "fake-secret".to_string(),
            holdings: assets::DEFAULT_HOLDINGS
                .iter()
                .map(|a| (*a).to_string())
                .collect(),
        }
    }
}

// The HTTP side of the shared state: counting, answering and the control endpoints.
impl Shared {
    fn count(&self, host: Host, path: &str) {
        let c = &self.counters;
        match host {
            Host::Api => {
                c.api.fetch_add(1, Ordering::Relaxed);
                match path {
                    "/v1/spot/status" => c.spot_status.fetch_add(1, Ordering::Relaxed),
                    "/v1/spot/pairs" => c.spot_pairs.fetch_add(1, Ordering::Relaxed),
                    "/v1/user/assets" => c.user_assets.fetch_add(1, Ordering::Relaxed),
                    _ => 0,
                };
            }
            Host::Public => {
                c.public.fetch_add(1, Ordering::Relaxed);
                if let [pair, "circuit_break_info"] = segments(path).as_slice() {
                    c.circuit_break_info.fetch_add(1, Ordering::Relaxed);
                    let mut by_pair = c.by_pair();
                    if by_pair.len() < MAX_COUNTED_PAIRS || by_pair.contains_key(*pair) {
                        *by_pair.entry((*pair).to_owned()).or_default() += 1;
                    }
                }
            }
            Host::GmoCoin => {
                c.gmocoin.fetch_add(1, Ordering::Relaxed);
            }
            Host::BitFlyer => {
                c.bitflyer.fetch_add(1, Ordering::Relaxed);
            }
            Host::Coincheck => {
                c.coincheck.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The normal answer to a request.
    fn route(&self, host: Host, request: &Request, now: PhaseNow) -> Response {
        if !host.is_bitbank() {
            return exchanges::route(host, self.phase_at(now.index), request);
        }
        if request.method != "GET" {
            return not_found(host);
        }
        let view = MarketView {
            phase: self.phase_at(now.index),
            now_ms: chrono::Utc::now().timestamp_millis(),
            phase_start_ms: self.clock.wall_ms(now.started),
            speed: self.speed,
        };
        let body = match (host, segments(&request.path).as_slice()) {
            (Host::Api, ["v1", "spot", "status"]) => view.spot_status(),
            (Host::Api, ["v1", "spot", "pairs"]) => view.spot_pairs(),
            (Host::Api, ["v1", "user", "assets"]) => {
                if let Err(e) = self.account.check(request, view.now_ms) {
                    self.counters.auth_failures.fetch_add(1, Ordering::Relaxed);
                    // bitbank answers business errors, auth ones included, with HTTP 200.
                    return with_host_headers(
                        host,
                        Response::json(200, market::error_body(e.code())),
                    );
                }
                assets::body(view.phase, &self.holdings)
            }
            (Host::Public, ["tickers"]) => view.tickers(false),
            (Host::Public, ["tickers_jpy"]) => view.tickers(true),
            (Host::Public, [pair, "candlestick", kind, period]) => {
                match market::find(pair).and_then(|p| view.candlestick(p, kind, period)) {
                    Some(body) => body,
                    None => return not_found(host),
                }
            }
            (Host::Public, [pair, endpoint]) => match (market::find(pair), *endpoint) {
                (Some(p), "ticker") => view.pair_ticker(p),
                (Some(p), "depth") => view.depth(p),
                (Some(p), "circuit_break_info") => view.circuit_break_info(p),
                (None, "circuit_break_info") if view.is_extra(pair) => {
                    Ok(view.extra_circuit_break_info())
                }
                _ => return not_found(host),
            },
            _ => return not_found(host),
        };
        match body {
            Ok(body) => with_host_headers(host, Response::json(200, body)),
            Err(e) => {
                tracing::error!("cannot serialize a body: {e}");
                with_host_headers(host, Response::json(500, market::error_body(10001)))
            }
        }
    }

    /// `/_fake/stats` and `/_fake/next` on the api host.
    fn control(&self, request: &Request) -> Response {
        let stats_body = |stats: Stats| match serde_json::to_string(&stats) {
            Ok(body) => Response::json(200, body),
            Err(e) => Response::new(500, "text/plain", e.to_string()),
        };
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/_fake/stats") => stats_body(self.stats()),
            ("POST", "/_fake/next") => {
                self.next_phase();
                stats_body(self.stats())
            }
            (_, "/_fake/stats") => {
                Response::new(405, "text/plain", "use GET\n").with_header("Allow", "GET")
            }
            (_, "/_fake/next") => {
                Response::new(405, "text/plain", "use POST\n").with_header("Allow", "POST")
            }
            _ => Response::new(
                404,
                "text/plain",
                "control endpoints: GET /_fake/stats, POST /_fake/next\n",
            ),
        }
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

/// Headers the real hosts send (nginx behind CloudFront for api, S3 behind CloudFront for public).
fn with_host_headers(host: Host, response: Response) -> Response {
    match host {
        Host::Api => response
            .with_header("Server", "nginx")
            .with_header("Cache-Control", "no-store"),
        Host::Public => response
            .with_header("Cache-Control", "max-age=1")
            .with_header("X-Cache", "Miss from cloudfront"),
        // Their real headers are not known here: none added.
        Host::GmoCoin | Host::BitFlyer | Host::Coincheck => response,
    }
}

/// What bitbank's hosts answer to an unknown URL (observed: 404, text/plain, JSON body).
fn not_found(host: Host) -> Response {
    let r = Response::new(404, "text/plain", market::error_body(10000));
    match host {
        Host::Api => r.with_header("Server", "nginx"),
        Host::Public => r.with_header("X-Cache", "Error from cloudfront"),
        Host::GmoCoin | Host::BitFlyer | Host::Coincheck => exchanges::not_found(),
    }
}

/// A 429 with this `Retry-After`, in the host's error shape.
fn rate_limited(host: Host, retry_after: String) -> Response {
    if host.is_bitbank() {
        with_host_headers(
            host,
            Response::json(429, market::error_body(10009)).with_header("Retry-After", retry_after),
        )
    } else {
        exchanges::rate_limited(host, retry_after)
    }
}

/// A CloudFront error page, as a CDN in front of a dead origin would send.
fn html_page(status: u16) -> Response {
    let why = match status {
        502 => "CloudFront wasn't able to connect to the origin.",
        503 => "The origin is temporarily unable to handle the request.",
        504 => "CloudFront attempted to establish a connection with the origin, but the origin did not respond in time.",
        _ => "The request could not be satisfied.",
    };
    let request_id = format!(
        "{:x}fakeBB{:x}==",
        chrono::Utc::now().timestamp_micros(),
        status
    );
    let body = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n\
<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n\
<TITLE>ERROR: The request could not be satisfied</TITLE>\n\
</HEAD><BODY>\n\
<H1>{status} ERROR</H1>\n\
<H2>The request could not be satisfied.</H2>\n\
<HR noshade size=\"1px\">\n\
{why}\n\
We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.\n\
<BR clear=\"all\">\n\
<HR noshade size=\"1px\">\n\
<PRE>\n\
Generated by cloudfront (CloudFront)\n\
Request ID: {request_id}\n\
</PRE>\n\
<ADDRESS>\n\
</ADDRESS>\n\
</BODY></HTML>"
    );
    Response::new(status, "text/html", body)
        .with_header("Server", "CloudFront")
        .with_header("X-Cache", "Error from cloudfront")
}

/// Serves one connection: one request, one answer (or none), then close.
async fn serve_connection(shared: Arc<Shared>, host: Host, mut stream: TcpStream) {
    let request = match tokio::time::timeout(READ_TIMEOUT, http::read_request(&mut stream)).await {
        Ok(Ok(r)) => r,
        Ok(Err(ReadError::Closed)) | Err(_) => return,
        Ok(Err(e)) => {
            let status = if matches!(e, ReadError::TooLarge) {
                431
            } else {
                400
            };
            let response = Response::new(status, "text/plain", format!("{e}\n"));
            let _ = http::write_response(&mut stream, &response).await;
            return;
        }
    };
    if shared.account.leaked_in(&request) {
        shared.counters.secret_seen.fetch_add(1, Ordering::Relaxed);
    }
    if host == Host::Api && request.path.starts_with("/_fake/") {
        let _ = http::write_response(&mut stream, &shared.control(&request)).await;
        return;
    }
    let now = shared.current();
    shared.count(host, &request.path);
    let response = match host.behavior(shared.phase_at(now.index)) {
        Behavior::Ok => shared.route(host, &request, now),
        Behavior::Error { code, http_status } if host.is_bitbank() => with_host_headers(
            host,
            Response::json(*http_status, market::error_body(*code)),
        ),
        Behavior::Error { code, http_status } => exchanges::error(host, *code, *http_status),
        Behavior::Html { http_status } => html_page(*http_status),
        Behavior::RateLimit { retry_after_secs } => {
            rate_limited(host, retry_after_secs.to_string())
        }
        Behavior::RateLimitHeader { retry_after } => rate_limited(host, retry_after.clone()),
        Behavior::Redirect { location } => {
            Response::new(302, "text/plain", "Found\n").with_header("Location", location.clone())
        }
        Behavior::WrongShape if host.is_bitbank() => {
            with_host_headers(host, Response::json(200, market::wrong_shape_body()))
        }
        Behavior::WrongShape => exchanges::wrong_shape(host),
        behavior @ (Behavior::Endless | Behavior::ContinueFlood) => {
            let prefix: &[u8] = if host.is_bitbank() {
                br#"{"success":1,"data":{"statuses":["#
            } else {
                exchanges::endless_prefix(host)
            };
            let _ = hostile::forever(&mut stream, behavior, prefix).await;
            return;
        }
        Behavior::Huge { bytes } => {
            let normal = shared.route(host, &request, now);
            let _ = hostile::huge(&mut stream, &normal.body, *bytes).await;
            return;
        }
        Behavior::GzipBomb => {
            let normal = shared.route(host, &request, now);
            let _ = http::write_response(&mut stream, &hostile::gzip_bomb(&normal)).await;
            return;
        }
        Behavior::Stall => {
            let normal = shared.route(host, &request, now);
            let _ = hostile::stall(&mut stream, &normal).await;
            return;
        }
        Behavior::Truncated => shared.route(host, &request, now).truncated(),
        Behavior::Slow { delay } => {
            tokio::time::sleep(*delay).await;
            shared.route(host, &request, shared.current())
        }
        // Refuse: the listener should be closed; a connection that slipped in at the switch
        // gets the closest thing, an immediate close.
        Behavior::Drop | Behavior::Refuse => return,
    };
    shared
        .counters
        .http_bytes
        .fetch_add(response.encode().len() as u64, Ordering::Relaxed);
    // The client may have given up (slow answers): nothing to do about a failed write.
    let _ = http::write_response(&mut stream, &response).await;
}

/// Resolves once the server is shutting down (or its handle is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`: drop it here, outside any select.
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn accept(listener: &Option<TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Accepts connections on one host, closing and re-opening the port around `refuse` phases.
async fn accept_loop(
    shared: Arc<Shared>,
    host: Host,
    mut listener: Option<TcpListener>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut phases = shared.clock.subscribe();
    // `shutdown` is borrowed by the select below; connections get their own receiver.
    let for_connections = shutdown.clone();
    loop {
        let open = !shared.refuses(host, shared.current().index);
        if open && listener.is_none() {
            listener = shared.door(host).open();
        } else if !open && listener.is_some() {
            listener = None;
            shared.door(host).closed();
        }
        let retry = open && listener.is_none();
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            changed = phases.changed() => if changed.is_err() { break },
            _ = tokio::time::sleep(RETRY), if retry => {}
            accepted = accept(&listener), if listener.is_some() => match accepted {
                Ok((stream, _)) => {
                    if shared.refuses(host, shared.current().index) {
                        // Refusing since a moment: the loop closes the listener next.
                        drop(stream);
                        continue;
                    }
                    let shared = Arc::clone(&shared);
                    let mut stop = for_connections.clone();
                    tokio::spawn(async move {
                        tokio::select! {
                            _ = serve_connection(shared, host, stream) => {}
                            _ = stopped(&mut stop) => {}
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!("{} host: accept failed: {e}", host.name());
                    tokio::time::sleep(RETRY).await;
                }
            },
        }
    }
    shared.door(host).closed();
}

/// Accepts stream connections (the upgrade and the sessions are the stream module's).
async fn stream_accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    let for_connections = shutdown.clone();
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    let shared = Arc::clone(&shared);
                    let mut stop = for_connections.clone();
                    tokio::spawn(async move {
                        tokio::select! {
                            () = crate::stream::serve(shared, tcp) => {}
                            () = crate::stream::stopped(&mut stop) => {}
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!("stream host: accept failed: {e}");
                    tokio::time::sleep(RETRY).await;
                }
            },
        }
    }
}

/// Advances the clock at each phase boundary so that watchers hear about changes on time.
async fn timer_loop(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let deadline = shared.clock.deadline();
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            _ = shared.clock.wake.notified() => {}
            _ = sleep_until(deadline) => {}
        }
        shared.current();
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// A running fake exchange: loopback listeners (bitbank's api, public and stream hosts, and
/// GMO Coin's, bitFlyer's and Coincheck's hosts) and a scenario clock.
///
/// Dropping it stops the server too; [`FakeBitbank::shutdown`] also waits for it.
pub struct FakeBitbank {
    shared: Arc<Shared>,
    api_addr: SocketAddr,
    public_addr: SocketAddr,
    stream_addr: SocketAddr,
    gmocoin_addr: SocketAddr,
    bitflyer_addr: SocketAddr,
    coincheck_addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl FakeBitbank {
    /// Binds every host on 127.0.0.1 and starts the scenario; its first phase starts when this
    /// returns. Fails on a bad speed (not a positive number) or a port that cannot be bound.
    pub async fn start(scenario: Scenario, options: Options) -> io::Result<FakeBitbank> {
        if !(options.speed.is_finite() && options.speed > 0.0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("speed must be a positive number, got {}", options.speed),
            ));
        }
        if let Some(unknown) = options.holdings.iter().find(|a| assets::find(a).is_none()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown asset {unknown:?} in holdings"),
            ));
        }
        let bind = |port: u16| -> io::Result<(std::net::TcpListener, SocketAddr)> {
            let listener = bind_std(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
            let addr = listener.local_addr()?;
            Ok((listener, addr))
        };
        let (api_std, api_addr) = bind(options.api_port)?;
        let (public_std, public_addr) = bind(options.public_port)?;
        let (stream_std, stream_addr) = bind(options.stream_port)?;
        let (gmocoin_std, gmocoin_addr) = bind(options.gmocoin_port)?;
        let (bitflyer_std, bitflyer_addr) = bind(options.bitflyer_port)?;
        let (coincheck_std, coincheck_addr) = bind(options.coincheck_port)?;
        let phases = scenario
            .phases()
            .iter()
            .map(|p| (p.name.clone(), p.duration))
            .collect();
        let clock = Clock::new(phases, scenario.repeat(), options.speed);
        let shared = Arc::new(Shared {
            scenario,
            speed: options.speed,
            clock,
            counters: Counters::default(),
            api: Door::new(Host::Api, api_addr),
            public: Door::new(Host::Public, public_addr),
            gmocoin: Door::new(Host::GmoCoin, gmocoin_addr),
            bitflyer: Door::new(Host::BitFlyer, bitflyer_addr),
            coincheck: Door::new(Host::Coincheck, coincheck_addr),
            ping_interval: options.ping_interval.max(Duration::from_millis(10)),
            ping_timeout: options.ping_timeout.max(Duration::from_millis(10)),
            ticker_interval: options.ticker_interval.max(Duration::from_millis(10)),
            account: Account::new(options.api_key, options.api_secret),
            holdings: options.holdings.into_iter().collect(),
        });
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::with_capacity(2 + Host::ALL.len());
        tasks.push(tokio::spawn(stream_accept_loop(
            Arc::clone(&shared),
            TcpListener::from_std(stream_std)?,
            stop_rx.clone(),
        )));
        for (host, std_listener) in [
            (Host::Api, api_std),
            (Host::Public, public_std),
            (Host::GmoCoin, gmocoin_std),
            (Host::BitFlyer, bitflyer_std),
            (Host::Coincheck, coincheck_std),
        ] {
            // A first phase that refuses: the port was bound only to learn its number.
            let listener = if shared.refuses(host, 0) {
                None
            } else {
                shared.door(host).lock().listening = true;
                Some(TcpListener::from_std(std_listener)?)
            };
            tasks.push(tokio::spawn(accept_loop(
                Arc::clone(&shared),
                host,
                listener,
                stop_rx.clone(),
            )));
        }
        tasks.push(tokio::spawn(timer_loop(Arc::clone(&shared), stop_rx)));
        Ok(FakeBitbank {
            shared,
            api_addr,
            public_addr,
            stream_addr,
            gmocoin_addr,
            bitflyer_addr,
            coincheck_addr,
            stop,
            tasks,
        })
    }

    /// Base URL of the api host: `http://127.0.0.1:PORT/v1`.
    pub fn api_url(&self) -> String {
        format!("http://{}/v1", self.api_addr)
    }

    /// Base URL of the public host: `http://127.0.0.1:PORT`.
    pub fn public_url(&self) -> String {
        format!("http://{}", self.public_addr)
    }

    /// Base URL of the stream host: `ws://127.0.0.1:PORT` (bbwatch's `stream_url`).
    pub fn stream_url(&self) -> String {
        format!("ws://{}", self.stream_addr)
    }

    /// Address of the stream host.
    pub fn stream_addr(&self) -> SocketAddr {
        self.stream_addr
    }

    /// Address of the api host.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Address of the public host.
    pub fn public_addr(&self) -> SocketAddr {
        self.public_addr
    }

    /// Base URL of GMO Coin's host: `http://127.0.0.1:PORT` (`/public/v1/status` below it).
    pub fn gmocoin_url(&self) -> String {
        format!("http://{}", self.gmocoin_addr)
    }

    /// Base URL of bitFlyer's host: `http://127.0.0.1:PORT` (`/v1/gethealth` and
    /// `/v1/getboardstate` below it).
    pub fn bitflyer_url(&self) -> String {
        format!("http://{}", self.bitflyer_addr)
    }

    /// Base URL of Coincheck's host: `http://127.0.0.1:PORT` (`/api/exchange_status` below it).
    pub fn coincheck_url(&self) -> String {
        format!("http://{}", self.coincheck_addr)
    }

    /// Address of GMO Coin's host.
    pub fn gmocoin_addr(&self) -> SocketAddr {
        self.gmocoin_addr
    }

    /// Address of bitFlyer's host.
    pub fn bitflyer_addr(&self) -> SocketAddr {
        self.bitflyer_addr
    }

    /// Address of Coincheck's host.
    pub fn coincheck_addr(&self) -> SocketAddr {
        self.coincheck_addr
    }

    /// The scenario being played.
    pub fn scenario(&self) -> &Scenario {
        &self.shared.scenario
    }

    /// Phase in force and request counts.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Index and name of the phase in force.
    pub fn phase(&self) -> (usize, String) {
        let now = self.shared.current();
        (now.index, self.shared.clock.name(now.index))
    }

    /// Switches to the next phase now (its timer starts now); visible to the very next request.
    /// On the last phase of a non-repeating scenario, does nothing.
    pub fn next_phase(&self) {
        self.shared.next_phase();
    }

    /// Watches phase changes (index, name).
    pub fn subscribe_phases(&self) -> watch::Receiver<(usize, String)> {
        // Bring the clock up to date first, so the receiver starts from the phase in force.
        self.shared.current();
        self.shared.clock.subscribe()
    }

    /// Stops listening, drops open connections and waits for the background tasks.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for FakeBitbank {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

impl std::fmt::Debug for FakeBitbank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeBitbank")
            .field("api_url", &self.api_url())
            .field("public_url", &self.public_url())
            .field("stream_url", &self.stream_url())
            .field("gmocoin_url", &self.gmocoin_url())
            .field("bitflyer_url", &self.bitflyer_url())
            .field("coincheck_url", &self.coincheck_url())
            .field("phase", &self.phase())
            .finish()
    }
}
