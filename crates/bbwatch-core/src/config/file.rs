//! Writing the configuration file the way a person edits it: only the keys whose values
//! changed are touched, so the user's comments, key order and keys bbwatch does not know
//! stay as they were. The file is replaced atomically (a temporary file in the same
//! directory, fsync, rename) with mode 0600 (in a directory made 0700 when it is missing),
//! and never written when the result would not read back as exactly the configuration asked
//! for.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, Value};

use crate::config::{Config, ConfigError};

/// Why the file was not written (it is left as it was).
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The file or its directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file on disk is not TOML: saving would lose what the user wrote.
    #[error("{path} is not valid TOML ({message}): fix it by hand first; it was not changed")]
    Unparsable {
        /// The file.
        path: PathBuf,
        /// What TOML said.
        message: String,
    },
    /// The configuration is not valid, or would not read back the same.
    #[error("not saved: {0}")]
    Invalid(#[from] ConfigError),
    /// The edited file would read back differently: a bug, never written.
    #[error("not saved: the edited file would not read back as the settings given")]
    Mismatch,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SaveError + '_ {
    move |source| SaveError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A `toml` value as a `toml_edit` one (settings are strings, numbers, booleans, arrays and
/// tables of them).
fn to_edit(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::from(*b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(items) => {
            let mut array = toml_edit::Array::new();
            for item in items {
                array.push(to_edit(item));
            }
            Value::Array(array)
        }
        toml::Value::Table(table) => {
            let mut inline = toml_edit::InlineTable::new();
            for (k, v) in table {
                inline.insert(k, to_edit(v));
            }
            Value::InlineTable(inline)
        }
    }
}

/// Set `table[key]` to `value`, keeping the comments and spacing around the old value.
fn set_value(table: &mut Table, key: &str, value: &toml::Value) {
    let mut new = to_edit(value);
    match table.get_mut(key).and_then(Item::as_value_mut) {
        Some(old) => {
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        None => {
            table.insert(key, Item::Value(new));
        }
    }
}

/// Make `table` say `new` where it differs from `old`: changed keys are set, keys that are
/// gone are removed, sub-tables are edited key by key, arrays of tables (hooks, webhooks) are
/// replaced only when they changed.
fn apply(table: &mut Table, old: &toml::Table, new: &toml::Table) {
    for (key, value) in new {
        if old.get(key) == Some(value) {
            continue;
        }
        match value {
            toml::Value::Table(sub) if !matches!(table.get(key), Some(Item::Value(_))) => {
                let empty = toml::Table::new();
                let old_sub = old
                    .get(key)
                    .and_then(toml::Value::as_table)
                    .unwrap_or(&empty);
                let entry = table
                    .entry(key)
                    .or_insert_with(|| Item::Table(Table::new()));
                if let Some(sub_table) = entry.as_table_mut() {
                    apply(sub_table, old_sub, sub);
                }
            }
            toml::Value::Array(items)
                if !items.is_empty() && items.iter().all(toml::Value::is_table) =>
            {
                let mut tables = toml_edit::ArrayOfTables::new();
                for item in items.iter().filter_map(toml::Value::as_table) {
                    let mut t = Table::new();
                    apply(&mut t, &toml::Table::new(), item);
                    tables.push(t);
                }
                table.insert(key, Item::ArrayOfTables(tables));
            }
            _ => set_value(table, key, value),
        }
    }
    for key in old.keys() {
        if !new.contains_key(key) {
            table.remove(key);
        }
    }
}

/// Put what `written` says over `known`, for the keys `known` has (unknown keys are none of
/// our business: they are never compared, so never touched).
fn overlay(known: &mut toml::Table, written: &toml::Table) {
    for (key, value) in written {
        match (known.get_mut(key), value) {
            (Some(toml::Value::Table(k)), toml::Value::Table(w)) => overlay(k, w),
            (Some(slot), _) => *slot = value.clone(),
            (None, _) => {}
        }
    }
}

/// The configuration as a TOML table (what it would be written as).
fn as_table(config: &Config) -> Result<toml::Table, SaveError> {
    toml::Table::try_from(config).map_err(|_| SaveError::Mismatch)
}

/// The text of the file at `path` changed to say `config`: the current text edited where
/// its values differ.
pub fn edited(path: &Path, current: &str, config: &Config) -> Result<String, SaveError> {
    config.validate()?;
    let mut doc: DocumentMut =
        current
            .parse()
            .map_err(|e: toml_edit::TomlError| SaveError::Unparsable {
                path: path.to_owned(),
                message: e.message().to_owned(),
            })?;
    // What the file says now, as bbwatch reads it, so that "60s" and "1m" are the same. A
    // file with a bad value reads as nothing: compare with what is written instead, so that
    // the bad key is rewritten and the others are kept.
    let old = match Config::from_toml(current) {
        Ok(loaded) => as_table(&loaded.config)?,
        Err(_) => {
            let mut old = as_table(&Config::default())?;
            if let Ok(written) = toml::from_str::<toml::Table>(current) {
                overlay(&mut old, &written);
            }
            old
        }
    };
    let new = as_table(config)?;
    apply(doc.as_table_mut(), &old, &new);
    let text = doc.to_string();
    match Config::from_toml(&text) {
        Ok(back) if back.config == *config => Ok(text),
        Ok(_) => Err(SaveError::Mismatch),
        Err(e) => Err(SaveError::Invalid(e)),
    }
}

/// Write `config` to the file at `path`, keeping what the user wrote there.
pub fn save(path: &Path, config: &Config) -> Result<(), SaveError> {
    let current = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(path)(e)),
    };
    let text = edited(path, &current, config)?;
    write_atomically(path, text.as_bytes())
}

/// Make `dir` and those above it that are missing, mode 0700 whatever the umask: a
/// directory others can write would have the hooks of the file in it refused
/// ([`crate::config::trust`]). Directories already there are left as they are.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Replace `path` with `bytes`: a temporary file beside it (mode 0600), fsync, rename, fsync
/// of the directory. A crash at any point leaves the old file or the new one, never half.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SaveError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir).map_err(io(&dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config.toml".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut file = options.open(&tmp).map_err(io(&tmp))?;
        file.write_all(bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(io(path))?;
        // The rename itself is durable once the directory is.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HumanDuration;
    use std::time::Duration;

    const HAND_WRITTEN: &str = "\
# My bbwatch settings
interval = \"30s\"   # every half minute
pairs = [\"btc_jpy\"]
colour = \"blue\"     # not a bbwatch key: kept

[notifications]
# I do not want to hear about busy pairs
busy = false
sound = true
";

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("bbwatch-config-file-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("bbwatch/config.toml")
    }

    #[test]
    fn saving_keeps_comments_order_and_unknown_keys() {
        let mut config = Config::from_toml(HAND_WRITTEN).unwrap().config;
        config.interval = HumanDuration(Duration::from_secs(60));
        config.notifications.sound = false;
        config.notifications.quiet_hours = Some("23:00-07:00".parse().unwrap());
        let text = edited(Path::new("config.toml"), HAND_WRITTEN, &config).unwrap();
        assert!(
            text.starts_with("# My bbwatch settings\ninterval = \"1m\"   # every half minute\n"),
            "{text}"
        );
        assert!(
            text.contains("colour = \"blue\"     # not a bbwatch key: kept\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "# I do not want to hear about busy pairs\nbusy = false\nsound = false\n"
            ),
            "{text}"
        );
        assert!(text.contains("quiet_hours = \"23:00-07:00\""), "{text}");
        assert!(text.find("interval").unwrap() < text.find("pairs").unwrap());
        let back = Config::from_toml(&text).unwrap();
        assert_eq!(back.config, config);
        assert_eq!(back.unknown_keys, vec!["colour".to_string()]);
    }

    #[test]
    fn a_value_written_another_way_is_not_rewritten() {
        let current = "interval = \"60s\"\nlanguage = \"en\"\n";
        let mut config = Config::from_toml(current).unwrap().config;
        config.language = crate::config::LanguageSetting::Ja;
        let text = edited(Path::new("c"), current, &config).unwrap();
        assert_eq!(text, "interval = \"60s\"\nlanguage = \"ja\"\n");
    }

    #[test]
    fn an_unchanged_configuration_leaves_the_text_as_it_is() {
        let config = Config::from_toml(HAND_WRITTEN).unwrap().config;
        assert_eq!(
            edited(Path::new("c"), HAND_WRITTEN, &config).unwrap(),
            HAND_WRITTEN
        );
    }

    #[test]
    fn every_tradable_pair_again_removes_the_list() {
        let mut config = Config::from_toml(HAND_WRITTEN).unwrap().config;
        config.pairs = None;
        let text = edited(Path::new("c"), HAND_WRITTEN, &config).unwrap();
        assert!(!text.contains("pairs ="), "{text}");
        assert_eq!(Config::from_toml(&text).unwrap().config, config);
    }

    #[test]
    fn a_new_file_is_written_with_mode_0600() {
        let path = scratch("new");
        let config = Config {
            pairs: Some(vec!["eth_jpy".parse().unwrap(), "xrp_jpy".parse().unwrap()]),
            ..Config::default()
        };
        save(&path, &config).unwrap();
        assert_eq!(Config::load(&path).unwrap().config, config);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "the directory made for it");
        }
        let dir = path.parent().unwrap();
        let names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("config.toml")],
            "no temporary file left"
        );
    }

    #[test]
    fn a_file_that_is_not_toml_is_never_overwritten() {
        let path = scratch("broken");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "interval = \"30s\nthis is not toml").unwrap();
        let err = save(&path, &Config::default()).unwrap_err();
        assert!(matches!(err, SaveError::Unparsable { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "interval = \"30s\nthis is not toml"
        );
    }

    #[test]
    fn an_invalid_configuration_is_not_written() {
        let path = scratch("invalid");
        let config = Config {
            interval: HumanDuration(Duration::from_millis(10)),
            ..Config::default()
        };
        let err = save(&path, &config).unwrap_err();
        assert!(err.to_string().contains("interval"), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn a_bad_value_in_the_file_is_replaced_and_the_rest_kept() {
        let current = "# keep me\ninterval = \"often\"\nlanguage = \"ja\"\n";
        let config = Config {
            language: crate::config::LanguageSetting::Ja,
            ..Config::default()
        };
        let text = edited(Path::new("c"), current, &config).unwrap();
        assert!(
            text.starts_with("# keep me\ninterval = \"30s\"\nlanguage = \"ja\"\n"),
            "{text}"
        );
    }
}
