//! Loopback peers the channels to the phone deliver to in tests, each recording what it got:
//! [`HttpPeer`] for ntfy, Telegram and LINE (their documented request formats are checked by
//! the tests, from what was recorded), [`SmtpPeer`] a real SMTP server (PyPI's `aiosmtpd`,
//! with STARTTLS or TLS on a certificate made for the test). Nothing listens beyond
//! 127.0.0.1.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};

use crate::desktop::eventually;

/// One HTTP request an [`HttpPeer`] got.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `POST`.
    pub method: String,
    /// The path and query, as sent.
    pub path: String,
    /// The headers, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Recorded {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

/// An HTTP/1.1 server on 127.0.0.1 that records every request and answers 200
/// `{"ok":true}` (what Telegram answers; ntfy and LINE take any 2xx), one request per
/// connection.
pub struct HttpPeer {
    url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl HttpPeer {
    /// Listening, on a free port.
    pub async fn start() -> HttpPeer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let kept = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || {
                    if let Some(request) = read_request(&stream) {
                        kept.lock().unwrap().push(request);
                    }
                    let mut stream = stream;
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                          Content-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}",
                    );
                });
            }
        });
        HttpPeer { url, requests }
    }

    /// `http://127.0.0.1:PORT`, no slash at the end.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// What it got so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// What it got, once it got at least `n` requests (else an error after `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<Recorded>> {
        eventually(
            timeout,
            &format!("{n} requests at {}", self.url),
            || async {
                let got = self.requests();
                (got.len() >= n).then_some(got)
            },
        )
        .await
    }
}

fn read_request(stream: &std::net::TcpStream) -> Option<Recorded> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// How an [`SmtpPeer`] secures its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain first, STARTTLS required before anything is sent.
    Starttls,
    /// TLS from the first byte.
    Tls,
}

/// One message an [`SmtpPeer`] accepted.
#[derive(Clone, Debug)]
pub struct Mail {
    /// The envelope's sender.
    pub from: String,
    /// The envelope's recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub data: String,
    /// The user that logged in, if any.
    pub login: Option<String>,
    /// Whether the session was encrypted when the message came.
    pub tls: bool,
}

impl Mail {
    /// The message's body, decoded (`lettre` sends non-ASCII text as base64).
    pub fn text(&self) -> String {
        let parsed = mail_text(&self.data);
        parsed.unwrap_or_else(|| self.data.clone())
    }

    /// The `Subject`, decoded from RFC 2047 words.
    pub fn subject(&self) -> String {
        let raw = self
            .data
            .lines()
            .skip_while(|l| !l.to_ascii_lowercase().starts_with("subject:"))
            .enumerate()
            .take_while(|(i, l)| *i == 0 || l.starts_with(' ') || l.starts_with('\t'))
            .map(|(_, l)| l.trim_start_matches("Subject:").trim().to_owned())
            .collect::<Vec<_>>()
            .join(" ");
        decode_words(&raw)
    }
}

/// A real SMTP server (`aiosmtpd`) on 127.0.0.1, with a certificate made for it, logging in
/// `user` with `password`, recording each message.
pub struct SmtpPeer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// The user the peer lets in.
pub const SMTP_USER: &str = "bbwatch";

/// Where `scripts/install-deps.sh test` puts the SMTP server's Python.
pub fn aiosmtpd_python() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
        });
    cache.join("bbwatch/aiosmtpd/bin/python")
}

impl SmtpPeer {
    /// Started in `dir` (its certificate, key and record go there), securing connections as
    /// `security` says, letting [`SMTP_USER`] in with `password`.
    pub async fn start(dir: &Path, security: SmtpSecurity, password: &str) -> Result<SmtpPeer> {
        let python = aiosmtpd_python();
        if !python.exists() {
            bail!(
                "{} is missing: run `scripts/install-deps.sh test` (make test does)",
                python.display()
            );
        }
        let (cert, key) = make_certificate(dir)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/smtp_peer.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(["--port", &port.to_string()])
            .args([
                "--mode",
                match security {
                    SmtpSecurity::Starttls => "starttls",
                    SmtpSecurity::Tls => "tls",
                },
            ])
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .arg("--record")
            .arg(dir.join("mail.jsonl"))
            .args(["--user", SMTP_USER])
            .env("SMTP_PEER_PASSWORD", password)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start the SMTP peer")?;
        let stdout = child.stdout.take().context("its stdout")?;
        let ready = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        });
        let line = tokio::time::timeout(Duration::from_secs(30), ready)
            .await
            .context("the SMTP peer did not start in 30 s")???;
        if line.trim() != "ready" {
            bail!("the SMTP peer said {line:?}");
        }
        Ok(SmtpPeer {
            child,
            port,
            dir: dir.to_owned(),
        })
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The certificate authority that signed its certificate (a PEM file), for the
    /// channel's `ca_file`: a server of one's own with a private CA.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("smtp-ca.pem")
    }

    /// What it accepted so far.
    pub fn mails(&self) -> Vec<Mail> {
        let text = std::fs::read_to_string(self.dir.join("mail.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| Mail {
                from: v["from"].as_str().unwrap_or_default().to_owned(),
                to: v["to"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                data: v["data"].as_str().unwrap_or_default().to_owned(),
                login: v["login"].as_str().map(str::to_owned),
                tls: v["tls"].as_bool().unwrap_or(false),
            })
            .collect()
    }

    /// What it accepted, once it has at least `n` messages.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<Mail>> {
        eventually(timeout, &format!("{n} mails"), || async {
            let got = self.mails();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A certificate authority (`smtp-ca.pem`) and a server certificate for 127.0.0.1 it signed,
/// made with `openssl` in `dir`: the certificate and its key.
fn make_certificate(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let file = |name: &str| dir.join(name);
    let ext = file("smtp-ext.cnf");
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )?;
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let run = |args: &[&std::ffi::OsStr]| -> Result<()> {
        let status = Command::new("openssl")
            .args(args)
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .context("openssl")?;
        if !status.success() {
            bail!("openssl {args:?} failed");
        }
        Ok(())
    };
    let (ca, ca_key, csr) = (
        file("smtp-ca.pem"),
        file("smtp-ca-key.pem"),
        file("smtp.csr"),
    );
    let (cert, key) = (file("smtp-cert.pem"), file("smtp-key.pem"));
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let mut make_ca: Vec<&std::ffi::OsStr> =
        ["req", "-x509", "-days", "2", "-subj", "/CN=bbwatch test CA"]
            .map(os)
            .to_vec();
    make_ca.extend(ec.map(os));
    make_ca.extend([
        os("-keyout"),
        ca_key.as_os_str(),
        os("-out"),
        ca.as_os_str(),
    ]);
    run(&make_ca)?;
    let mut request: Vec<&std::ffi::OsStr> = ["req", "-subj", "/CN=127.0.0.1"].map(os).to_vec();
    request.extend(ec.map(os));
    request.extend([os("-keyout"), key.as_os_str(), os("-out"), csr.as_os_str()]);
    run(&request)?;
    let mut sign: Vec<&std::ffi::OsStr> = ["x509", "-req", "-days", "2", "-CAcreateserial"]
        .map(os)
        .to_vec();
    sign.extend([os("-in"), csr.as_os_str(), os("-CA"), ca.as_os_str()]);
    sign.extend([
        os("-CAkey"),
        ca_key.as_os_str(),
        os("-extfile"),
        ext.as_os_str(),
    ]);
    sign.extend([os("-out"), cert.as_os_str()]);
    run(&sign)?;
    Ok((cert, key))
}

/// The text body of a single-part message, decoding base64 or quoted-printable.
fn mail_text(data: &str) -> Option<String> {
    let (head, body) = data
        .split_once("\r\n\r\n")
        .or_else(|| data.split_once("\n\n"))?;
    let encoding = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-transfer-encoding:")
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_default();
    match encoding.as_str() {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(base64_decode(&joined)?).ok()
        }
        "quoted-printable" => Some(quoted_printable(body)),
        _ => Some(body.to_owned()),
    }
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`) in `text`, decoded.
fn decode_words(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("=?") {
        let Some(end) = rest[start + 2..].find("?=").map(|e| start + 2 + e) else {
            break;
        };
        // Whitespace between two encoded words is not part of the text.
        let before = &rest[..start];
        if !(out.ends_with('\u{0}') && before.trim().is_empty()) {
            out.push_str(before);
        }
        out = out.trim_end_matches('\u{0}').to_owned();
        let word = &rest[start + 2..end];
        let mut parts = word.splitn(3, '?');
        let (_, enc, payload) = (parts.next(), parts.next(), parts.next());
        let decoded = match (enc.map(str::to_ascii_lowercase).as_deref(), payload) {
            (Some("b"), Some(p)) => base64_decode(p).and_then(|b| String::from_utf8(b).ok()),
            (Some("q"), Some(p)) => Some(quoted_printable(&p.replace('_', " "))),
            _ => None,
        };
        out.push_str(&decoded.unwrap_or_else(|| word.to_owned()));
        out.push('\u{0}');
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out.replace('\u{0}', "")
}

fn quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_subjects_and_bodies_are_read() {
        assert_eq!(
            decode_words("bitbank: =?utf-8?b?44Oh44Oz44OG44OK44Oz44K56ZaL5aeL?="),
            "bitbank: メンテナンス開始"
        );
        assert_eq!(decode_words("=?utf-8?b?44Oh?= =?utf-8?b?44Oz?="), "メン");
        assert_eq!(quoted_printable("caf=C3=A9 =\nok"), "café ok");
        let mail = "Content-Transfer-Encoding: base64\r\n\r\n5Y+W5byV\r\n";
        assert_eq!(mail_text(mail).unwrap(), "取引");
    }
}
