//! Who may configure programs and secrets. Whoever can change the configuration file can make
//! bbwatch run programs (`[[hooks]]`), send events anywhere (`[[webhooks]]`) and choose the
//! local API's token; whoever can read the token file knows the token. So, as OpenSSH treats
//! `authorized_keys`, those parts are taken only from a file that nobody else can change:
//!
//! - the file and every directory above it, up to the home directory when it is under it
//!   (else the file's own directory only), are owned by the user (or root) and writable by
//!   neither their group nor other users; a sticky bit does not make a directory others can
//!   write acceptable;
//! - a token file, besides, is open to its owner only (no group or other bits at all), as
//!   `api_secret_file` is.
//!
//! The rule is [`writable_flaw`] and [`secret_flaw`], pure functions of the user, the owner
//! and the mode; [`check_config`] and [`check_secret`] read them from the files. The modes
//! are read after the file: only its owner can change a mode, and a file in a directory
//! others cannot write cannot be swapped under us.
//!
//! Unix only: elsewhere every file is trusted. Windows ACLs are for a later issue.

use std::path::{Path, PathBuf};

use crate::i18n::{Lang, Msg};

/// Mode bits that let the group or other users change a file or directory.
const GROUP_OTHER_WRITE: u32 = 0o022;
/// Mode bits that open a secret to anyone but its owner.
const GROUP_OTHER_ANY: u32 = 0o077;

/// What makes a file or directory one that others could change (or read, for a secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flaw {
    /// Its group or every user may write it (`mode` has 0o022 bits).
    Writable {
        /// The permission bits, special bits included.
        mode: u32,
    },
    /// A secret its group or other users may use (`mode` has 0o077 bits).
    Open {
        /// The permission bits, special bits included.
        mode: u32,
    },
    /// Owned by neither the user nor root.
    Foreign {
        /// The owner's uid.
        owner: u32,
        /// The user's uid.
        me: u32,
    },
    /// Its owner and mode could not be read.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// A file or directory that others could change (or read), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Untrusted {
    /// The file or directory.
    pub path: PathBuf,
    /// Why.
    pub flaw: Flaw,
}

impl Untrusted {
    /// What is wrong, e.g. `/home/u/.config/bbwatch/config.toml is writable by every user
    /// (mode 0666)`.
    pub fn what(&self) -> String {
        self.what_in(Lang::En)
    }

    /// What is wrong, in `lang`.
    pub fn what_in(&self, lang: Lang) -> String {
        let path = self.path.display().to_string();
        let mode_of = |mode: &u32| format!("{mode:04o}");
        match &self.flaw {
            Flaw::Writable { mode } => Msg::TrustWritable.fill(
                lang,
                &[
                    ("path", &path),
                    ("who", who(mode & GROUP_OTHER_WRITE).text(lang)),
                    ("mode", &mode_of(mode)),
                ],
            ),
            Flaw::Open { mode } => {
                // The worst it allows: reading the secret, else changing it.
                let (how, bits) = [
                    (Msg::TrustReadable, 0o044),
                    (Msg::TrustWritable, 0o022),
                    (Msg::TrustOpen, 0o011),
                ]
                .into_iter()
                .map(|(how, bits)| (how, mode & bits))
                .find(|(_, bits)| *bits != 0)
                .unwrap_or((Msg::TrustOpen, *mode));
                how.fill(
                    lang,
                    &[
                        ("path", &path),
                        ("who", who(bits).text(lang)),
                        ("mode", &mode_of(mode)),
                    ],
                )
            }
            Flaw::Foreign { owner, .. } => {
                Msg::TrustForeign.fill(lang, &[("path", &path), ("owner", &owner.to_string())])
            }
            Flaw::Unknown { reason } => {
                Msg::TrustUnknown.fill(lang, &[("path", &path), ("reason", reason)])
            }
        }
    }

    /// `detail` (what is not used because of this), with the command that mends it, in
    /// `lang`.
    pub fn with_fix(&self, detail: &str, lang: Lang) -> String {
        match self.fix() {
            Some(fix) => Msg::TrustRun.fill(lang, &[("detail", detail), ("fix", &fix)]),
            None => detail.to_owned(),
        }
    }

    /// The command that mends it, e.g. `chmod go-w /home/u/.config/bbwatch/config.toml`.
    pub fn fix(&self) -> Option<String> {
        let path = shell_quoted(&self.path);
        match &self.flaw {
            Flaw::Writable { .. } => Some(format!("chmod go-w {path}")),
            Flaw::Open { .. } => Some(format!("chmod 600 {path}")),
            Flaw::Foreign { me, .. } => Some(format!("sudo chown {me} {path}")),
            Flaw::Unknown { .. } => None,
        }
    }
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.with_fix(&self.what(), Lang::En))
    }
}

/// Who `bits` (group and other bits of one kind) let in: every user when an other bit is
/// set, else the group.
fn who(mode: u32) -> Msg {
    if mode & 0o007 != 0 {
        Msg::TrustEveryUser
    } else {
        Msg::TrustGroup
    }
}

/// `path` as a shell word: as it is when it has nothing a shell would read, else in single
/// quotes.
fn shell_quoted(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%~".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Why a file or directory owned by `owner` with permission bits `mode` could be changed by
/// someone other than the user `me` (or root), if it could.
pub fn writable_flaw(me: u32, owner: u32, mode: u32) -> Option<Flaw> {
    let mode = mode & 0o7777;
    if owner != me && owner != 0 {
        Some(Flaw::Foreign { owner, me })
    } else if mode & GROUP_OTHER_WRITE != 0 {
        // The sticky bit only stops others removing what is not theirs: they can still put
        // a file there.
        Some(Flaw::Writable { mode })
    } else {
        None
    }
}

/// Why a secret owned by `owner` with permission bits `mode` is open to someone other than
/// the user `me` (or root), if it is.
pub fn secret_flaw(me: u32, owner: u32, mode: u32) -> Option<Flaw> {
    let mode = mode & 0o7777;
    if owner != me && owner != 0 {
        Some(Flaw::Foreign { owner, me })
    } else if mode & GROUP_OTHER_ANY != 0 {
        Some(Flaw::Open { mode })
    } else {
        None
    }
}

/// The directories that must be trusted for a file in `dir`: `dir` and each one above it up
/// to `home` when it is under `home`, else `dir` alone (outside the home directory the system
/// owns what is above, and `/tmp` is writable by all).
pub fn dirs_to_check(dir: &Path, home: Option<&Path>) -> Vec<PathBuf> {
    match home {
        Some(home) if dir.starts_with(home) => dir
            .ancestors()
            .take_while(|a| a.starts_with(home))
            .map(Path::to_path_buf)
            .collect(),
        _ => vec![dir.to_path_buf()],
    }
}

/// Whether the configuration file at `path` (which exists) can be trusted with programs and
/// secrets: it and the directories above it are the user's (or root's) and nobody else can
/// write them.
#[cfg(unix)]
pub fn check_config(path: &Path) -> Result<(), Untrusted> {
    unix::check(path, writable_flaw)
}

/// Off Unix every file is trusted (Windows ACLs are for a later issue).
#[cfg(not(unix))]
pub fn check_config(_path: &Path) -> Result<(), Untrusted> {
    Ok(())
}

/// Whether the secret file at `path` can be trusted: open to its owner only (the user or
/// root), in directories nobody else can write.
#[cfg(unix)]
pub fn check_secret(path: &Path) -> Result<(), Untrusted> {
    unix::check(path, secret_flaw)
}

/// Off Unix every file is trusted (Windows ACLs are for a later issue).
#[cfg(not(unix))]
pub fn check_secret(_path: &Path) -> Result<(), Untrusted> {
    Ok(())
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::MetadataExt as _;
    use std::path::{Path, PathBuf};

    use super::{dirs_to_check, writable_flaw, Flaw, Untrusted};

    /// The file at `path` by `file_rule`, then its directories by [`writable_flaw`].
    pub(super) fn check(
        path: &Path,
        file_rule: fn(u32, u32, u32) -> Option<Flaw>,
    ) -> Result<(), Untrusted> {
        let me = rustix::process::getuid().as_raw();
        let judge = |at: &Path, rule: fn(u32, u32, u32) -> Option<Flaw>| {
            let flaw = match std::fs::metadata(at) {
                Ok(meta) => rule(me, meta.uid(), meta.mode()),
                Err(e) => Some(Flaw::Unknown {
                    reason: e.to_string(),
                }),
            };
            flaw.map_or(Ok(()), |flaw| {
                Err(Untrusted {
                    path: at.to_path_buf(),
                    flaw,
                })
            })
        };
        // The file itself, as named (its mode is its target's).
        judge(path, file_rule)?;
        let mut dirs = Vec::new();
        // A link can be replaced by whoever can write where it is.
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
            dirs.push(parent(path));
        }
        let real = std::fs::canonicalize(path).map_err(|e| Untrusted {
            path: path.to_path_buf(),
            flaw: Flaw::Unknown {
                reason: e.to_string(),
            },
        })?;
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|h| h.is_absolute())
            .and_then(|h| std::fs::canonicalize(h).ok());
        dirs.extend(dirs_to_check(&parent(&real), home.as_deref()));
        for dir in &dirs {
            judge(dir, writable_flaw)?;
        }
        Ok(())
    }

    /// The directory `path` is in (`.` for a bare name).
    fn parent(path: &Path) -> PathBuf {
        match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ME: u32 = 1000;
    const OTHER: u32 = 1001;

    #[test]
    fn only_the_user_or_root_and_nobody_else_writing_is_trusted() {
        for (owner, mode) in [
            (ME, 0o600),
            (ME, 0o644),
            (ME, 0o755),
            (ME, 0o700),
            (0, 0o755),
            (0, 0o644),
            (ME, 0o100_644),
            (ME, 0o040_700),
        ] {
            assert_eq!(writable_flaw(ME, owner, mode), None, "{owner} {mode:o}");
        }
        assert_eq!(
            writable_flaw(ME, ME, 0o100_666),
            Some(Flaw::Writable { mode: 0o666 })
        );
        assert_eq!(
            writable_flaw(ME, ME, 0o664),
            Some(Flaw::Writable { mode: 0o664 })
        );
        assert_eq!(
            writable_flaw(ME, ME, 0o602),
            Some(Flaw::Writable { mode: 0o602 })
        );
        assert_eq!(
            writable_flaw(ME, 0, 0o777),
            Some(Flaw::Writable { mode: 0o777 })
        );
        // /tmp: sticky, and still anyone can put a file there.
        assert_eq!(
            writable_flaw(ME, 0, 0o041_777),
            Some(Flaw::Writable { mode: 0o1777 })
        );
        // Another user's file, however closed, is theirs to change.
        for mode in [0o600, 0o644, 0o700] {
            assert_eq!(
                writable_flaw(ME, OTHER, mode),
                Some(Flaw::Foreign {
                    owner: OTHER,
                    me: ME
                })
            );
        }
        // Root may own anything; root's own files are its.
        assert_eq!(writable_flaw(0, 0, 0o600), None);
        assert_eq!(
            writable_flaw(0, ME, 0o600),
            Some(Flaw::Foreign { owner: ME, me: 0 })
        );
    }

    #[test]
    fn a_secret_is_open_to_its_owner_only() {
        assert_eq!(secret_flaw(ME, ME, 0o600), None);
        assert_eq!(secret_flaw(ME, ME, 0o400), None);
        assert_eq!(secret_flaw(ME, 0, 0o600), None);
        for mode in [0o644, 0o640, 0o604, 0o620, 0o601, 0o660, 0o666] {
            assert_eq!(
                secret_flaw(ME, ME, mode),
                Some(Flaw::Open { mode }),
                "{mode:o}"
            );
        }
        assert_eq!(
            secret_flaw(ME, OTHER, 0o600),
            Some(Flaw::Foreign {
                owner: OTHER,
                me: ME
            })
        );
    }

    #[test]
    fn the_message_names_the_file_its_mode_and_the_fix() {
        let at = |flaw| Untrusted {
            path: PathBuf::from("/home/u/.config/bbwatch/config.toml"),
            flaw,
        };
        assert_eq!(
            at(Flaw::Writable { mode: 0o666 }).to_string(),
            "/home/u/.config/bbwatch/config.toml is writable by every user (mode 0666); \
             run `chmod go-w /home/u/.config/bbwatch/config.toml`"
        );
        assert_eq!(
            at(Flaw::Writable { mode: 0o664 }).what(),
            "/home/u/.config/bbwatch/config.toml is writable by its group (mode 0664)"
        );
        assert_eq!(
            at(Flaw::Open { mode: 0o644 }).to_string(),
            "/home/u/.config/bbwatch/config.toml is readable by every user (mode 0644); \
             run `chmod 600 /home/u/.config/bbwatch/config.toml`"
        );
        assert_eq!(
            at(Flaw::Open { mode: 0o620 }).what(),
            "/home/u/.config/bbwatch/config.toml is writable by its group (mode 0620)"
        );
        assert_eq!(
            at(Flaw::Foreign {
                owner: OTHER,
                me: ME
            })
            .to_string(),
            "/home/u/.config/bbwatch/config.toml is owned by another user (uid 1001); \
             run `sudo chown 1000 /home/u/.config/bbwatch/config.toml`"
        );
        assert_eq!(
            at(Flaw::Unknown {
                reason: "gone".into()
            })
            .to_string(),
            "/home/u/.config/bbwatch/config.toml cannot be checked (gone)"
        );
        let odd = Untrusted {
            path: PathBuf::from("/home/u/my files/it's.toml"),
            flaw: Flaw::Writable { mode: 0o1777 },
        };
        assert_eq!(
            odd.to_string(),
            "/home/u/my files/it's.toml is writable by every user (mode 1777); \
             run `chmod go-w '/home/u/my files/it'\\''s.toml'`"
        );
    }

    #[test]
    fn the_directories_up_to_home_are_checked() {
        let home = Path::new("/home/u");
        assert_eq!(
            dirs_to_check(Path::new("/home/u/.config/bbwatch"), Some(home)),
            vec![
                PathBuf::from("/home/u/.config/bbwatch"),
                PathBuf::from("/home/u/.config"),
                PathBuf::from("/home/u"),
            ]
        );
        assert_eq!(
            dirs_to_check(Path::new("/home/u"), Some(home)),
            vec![PathBuf::from("/home/u")]
        );
        // Not under home (`/home/user2` is not under `/home/u`): the directory alone.
        for dir in ["/etc/bbwatch", "/tmp/x", "/home/user2/.config"] {
            assert_eq!(
                dirs_to_check(Path::new(dir), Some(home)),
                vec![PathBuf::from(dir)]
            );
            assert_eq!(
                dirs_to_check(Path::new(dir), None),
                vec![PathBuf::from(dir)]
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn files_are_judged_by_their_mode_and_their_directory() {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        };
        let dir = std::env::temp_dir().join(format!("bbwatch-trust-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        mode(&dir, 0o700);
        let file = dir.join("config.toml");
        std::fs::write(&file, "").unwrap();
        mode(&file, 0o600);
        assert_eq!(check_config(&file), Ok(()));
        assert_eq!(check_secret(&file), Ok(()));
        mode(&file, 0o644);
        assert_eq!(check_config(&file), Ok(()));
        let open = check_secret(&file).unwrap_err();
        assert_eq!(open.flaw, Flaw::Open { mode: 0o644 });
        mode(&file, 0o666);
        let err = check_config(&file).unwrap_err();
        assert_eq!(
            (err.path.as_path(), err.flaw),
            (file.as_path(), Flaw::Writable { mode: 0o666 })
        );
        mode(&file, 0o600);
        mode(&dir, 0o1777);
        let err = check_config(&file).unwrap_err();
        assert_eq!(err.path, std::fs::canonicalize(&dir).unwrap());
        assert_eq!(err.flaw, Flaw::Writable { mode: 0o1777 });
        assert!(
            check_secret(&file).is_err(),
            "a secret in a directory all can write"
        );
        // Through a link in a directory others can write, to a file in one they cannot.
        mode(&dir, 0o700);
        let open_dir = dir.join("open");
        std::fs::create_dir(&open_dir).unwrap();
        mode(&open_dir, 0o777);
        let link = open_dir.join("config.toml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let err = check_config(&link).unwrap_err();
        assert_eq!(err.path, open_dir);
        let missing = check_config(&dir.join("missing.toml")).unwrap_err();
        assert!(matches!(missing.flaw, Flaw::Unknown { .. }), "{missing}");
        mode(&open_dir, 0o700);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
