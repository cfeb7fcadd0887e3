//! What one request to an exchange gave: its data, or why not.

use std::time::Duration;

use crate::model::code::ErrorCode;

/// Which bitbank host an answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// `api.bitbank.cc` (spot/status, spot/pairs).
    Api,
    /// `public.bitbank.cc` (market data, circuit_break_info).
    Public,
}

impl Host {
    /// A short English name for reasons and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Host::Api => "api host",
            Host::Public => "public host",
        }
    }
}

/// Why a request did not give usable data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A well-formed error envelope.
    Api {
        /// `data.code`
        code: ErrorCode,
        /// The HTTP status it came with (not documented consistently).
        http_status: u16,
    },
    /// HTTP 429 or code 10009.
    RateLimited {
        /// From the `Retry-After` header, when given in seconds.
        retry_after: Option<Duration>,
    },
    /// A body that is not the envelope, with a non-success status: a CDN or proxy error page.
    Http {
        /// The HTTP status.
        status: u16,
        /// Whether the body looked like HTML.
        html: bool,
    },
    /// A body that is not the envelope (or not the expected shape), e.g. truncated JSON.
    Malformed {
        /// The HTTP status.
        status: u16,
        /// What was wrong, for logs.
        detail: String,
    },
    /// No answer within the timeout.
    Timeout,
    /// The connection failed or broke: refused, reset, closed early, DNS.
    Network {
        /// What the transport said, for logs.
        detail: String,
    },
}

impl Failure {
    /// Whether this failure is rate limiting (which changes no level).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Failure::RateLimited { .. })
    }

    /// Whether this is the explicit maintenance code.
    pub fn is_maintenance(&self) -> bool {
        matches!(self, Failure::Api { code, .. } if *code == ErrorCode::SYSTEM_MAINTENANCE)
    }

    /// Whether this is the explicit "server busy" code.
    pub fn is_server_busy(&self) -> bool {
        matches!(self, Failure::Api { code, .. } if *code == ErrorCode::SERVER_BUSY)
    }

    /// Whether the host answered with bitbank's own envelope (it is up, even if it refused).
    pub fn host_answered(&self) -> bool {
        matches!(self, Failure::Api { .. } | Failure::RateLimited { .. })
    }

    /// Whether the answer shows our network reaches the host: its envelope, or a successful
    /// HTTP answer that is not the expected JSON (bitbank's bug, not our network's). An error
    /// page, a timeout or a broken connection says nothing about whose fault it is.
    pub fn host_reached(&self) -> bool {
        self.host_answered()
            || matches!(
                self,
                Failure::Malformed {
                    status: 200..=299,
                    ..
                }
            )
    }
}

/// The result of one request.
pub type Fetch<T> = Result<T, Failure>;
