//! The engine's embedded model is what the `train` command writes from the CredData set.

use keywarden_bench::creddata::{CredData, default_dir};
use keywarden_bench::train;

#[test]
fn the_embedded_model_is_what_training_writes() {
    let dir = default_dir();
    if !dir.join("meta").is_dir() {
        // The data lives beside the repository, not in it: a folder named explicitly must be
        // there; without one (a checkout elsewhere) the check says how to run it.
        assert!(
            std::env::var_os("KEYWARDEN_CREDDATA").is_none(),
            "KEYWARDEN_CREDDATA names {}, which holds no CredData set",
            dir.display()
        );
        eprintln!(
            "skipped: the CredData set is not at {} (set KEYWARDEN_CREDDATA to its folder)",
            dir.display()
        );
        return;
    }
    let data = CredData::load(&dir).expect("the CredData set loads");
    let samples = train::collect(&data).expect("its files read");
    let model = train::fit_files(&data, &samples, |_| true, train::Settings::default());
    let embedded = include_str!("../../../engine/model/generic.txt");
    assert!(
        model.to_text() == embedded,
        "crates/engine/model/generic.txt is not what training writes: run \
         `cargo run --release -p keywarden-bench --bin train` and commit the file"
    );
}
