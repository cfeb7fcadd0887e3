//! E-mail over SMTP with `lettre`: STARTTLS (required, never falling back to clear) or TLS from
//! the first byte, certificates checked against the webpki roots plus the channel's `ca_file`,
//! a login when a user name is set.

use std::time::Duration;

use bbwatch_core::config::{Channel, SmtpTls};
use bbwatch_core::present::relay::{Message, Priority};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::ChannelError;

/// How long a connection and each SMTP command may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The largest `ca_file` read.
const MAX_CA_BYTES: u64 = 1024 * 1024;

/// Why an e-mail failed, marked when trying again may help (a 4xx reply, the connection).
const TRANSIENT: &str = "(temporary) ";

/// Whether the words of a [`ChannelError::Mail`] say it may pass.
pub fn is_transient(why: &str) -> bool {
    why.starts_with(TRANSIENT)
}

fn mail_error(e: &lettre::transport::smtp::Error) -> ChannelError {
    // lettre's words carry the server's reply, never our password.
    let words = bbwatch_core::model::sanitize::text(&e.to_string()).into_owned();
    // A 4xx reply, a timeout, a connection that failed: not a refusal, nor a bad certificate.
    let refused = e.is_permanent() || e.is_client() || e.is_tls() || e.is_response();
    if e.is_transient() || e.is_timeout() || !refused {
        ChannelError::Mail(format!("{TRANSIENT}{words}"))
    } else {
        ChannelError::Mail(words)
    }
}

/// The message for `to`, from `from` (else the first recipient).
pub fn build(channel: &Channel, message: &Message) -> Result<lettre::Message, ChannelError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| ChannelError::Mail(format!("{what}: {e}"));
    let to: Vec<Mailbox> = channel
        .to
        .0
        .iter()
        .map(|a| a.parse().map_err(|e| bad(&format!("to {a:?}"), &e)))
        .collect::<Result<_, _>>()?;
    let from = match channel.from.trim() {
        "" => to
            .first()
            .cloned()
            .ok_or_else(|| ChannelError::Mail("no address to send to".into()))?,
        from => from
            .parse()
            .map_err(|e| bad(&format!("from {from:?}"), &e))?,
    };
    let mut builder = lettre::Message::builder()
        .from(from)
        .subject(&message.title)
        .header(ContentType::TEXT_PLAIN)
        .user_agent(concat!("bbwatch/", env!("CARGO_PKG_VERSION")).to_owned());
    for mailbox in to {
        builder = builder.to(mailbox);
    }
    if message.priority == Priority::Urgent {
        builder = builder.header(XPriority);
    }
    let body = format!("{}\n\n-- \nbbwatch\n", message.body);
    builder.body(body).map_err(|e| bad("the message", &e))
}

/// `X-Priority: 1`: mail apps show it as important.
#[derive(Clone)]
struct XPriority;

impl lettre::message::header::Header for XPriority {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("X-Priority")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(XPriority)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "1".into())
    }
}

/// The transport to the channel's server.
fn transport(
    channel: &Channel,
    password: Option<&str>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, ChannelError> {
    let host = channel.smtp_host.trim();
    let mut tls = TlsParameters::builder(host.to_owned());
    if let Some(path) = &channel.ca_file {
        let pem = read_ca(path)?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| {
            ChannelError::Mail(format!("{} is not a PEM certificate: {e}", path.display()))
        })?;
        tls = tls.add_root_certificate(certificate);
    }
    let tls = tls
        .build_rustls()
        .map_err(|e| ChannelError::Mail(format!("TLS: {e}")))?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(channel.port())
        .timeout(Some(TIMEOUT))
        .tls(match channel.tls {
            SmtpTls::Starttls => Tls::Required(tls),
            SmtpTls::Tls => Tls::Wrapper(tls),
        });
    if !channel.username.trim().is_empty() {
        let password = password.unwrap_or_default().to_owned();
        builder = builder.credentials(Credentials::new(channel.username.trim().into(), password));
    }
    Ok(builder.build())
}

fn read_ca(path: &std::path::Path) -> Result<Vec<u8>, ChannelError> {
    let unreadable = |e: &dyn std::fmt::Display| {
        ChannelError::Mail(format!("cannot read {}: {e}", path.display()))
    };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(&e))?;
    if !meta.is_file() || meta.len() > MAX_CA_BYTES {
        return Err(unreadable(&"not a certificate file"));
    }
    std::fs::read(path).map_err(|e| unreadable(&e))
}

/// One try.
pub async fn send(
    channel: &Channel,
    password: Option<&str>,
    message: &Message,
) -> Result<(), ChannelError> {
    if channel.needs_secret() && password.is_none() {
        return Err(ChannelError::NoSecret {
            what: super::secret_name(channel.kind),
            env: channel.secret_env(),
        });
    }
    let email = build(channel, message)?;
    let transport = transport(channel, password)?;
    transport
        .send(email)
        .await
        .map(drop)
        .map_err(|e| mail_error(&e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use bbwatch_core::config::{ChannelKind, Recipients};
    use bbwatch_core::Level;

    #[test]
    fn the_title_is_the_subject_in_any_language() {
        let mut c = Channel::new(ChannelKind::Email);
        c.to = Recipients(vec!["me@example.com".into()]);
        c.smtp_host = "smtp.example.com".into();
        let m = Message {
            title: "bitbank: メンテナンス開始".into(),
            body: "取引が停止しています".into(),
            priority: Priority::Urgent,
            level: Level::Maintenance,
        };
        let text = String::from_utf8(build(&c, &m).unwrap().formatted()).unwrap();
        assert!(text.contains("Subject: bitbank: =?utf-8?b?"), "{text}");
        assert!(text.contains("From: me@example.com"), "{text}");
        assert!(text.contains("X-Priority: 1"), "{text}");
        c.to = Recipients(vec!["not an address".into()]);
        assert!(build(&c, &m).is_err());
    }
}
