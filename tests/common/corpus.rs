//! The shared corpus beside the checkout (`../shared/corpus`), which tests read when it is
//! there.

use std::path::PathBuf;

/// `../shared/corpus`, or `None` (with a message) when it is absent, so that a test skips.
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent", dir.display());
        None
    }
}
