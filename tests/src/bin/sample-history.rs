//! `sample-history PATH`: write the History view's sample into a history file (for
//! `scripts/screenshots.sh`).

fn main() -> anyhow::Result<()> {
    let Some(path) = std::env::args_os().nth(1) else {
        anyhow::bail!("usage: sample-history PATH");
    };
    bbwatch_e2e::history_sample::prepare(std::path::Path::new(&path), chrono::Utc::now())
}
