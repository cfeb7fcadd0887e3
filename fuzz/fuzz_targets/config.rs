//! The configuration parser: any text gives a configuration or an error, never a panic; an
//! accepted configuration passes its own validation again.
#![no_main]

use bbwatch_core::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(loaded) = Config::from_toml(text) {
        assert!(loaded.config.validate().is_ok());
        let _ = loaded.config.endpoints();
        let _ = loaded.config.pair_set();
    }
});
