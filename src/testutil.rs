//! Helpers for tests that use the real data in `../shared` (see its README).

use std::path::{Path, PathBuf};

/// The path of `rel` under `$BALI_SHARED`, or `None` (with a note) when the variable is unset.
///
/// When `BALI_SHARED` is set the file must exist: a missing file fails the test instead of
/// skipping it, so CI cannot pass by accident.
pub fn shared(rel: &str) -> Option<PathBuf> {
    match std::env::var_os("BALI_SHARED") {
        Some(dir) => {
            let path = Path::new(&dir).join(rel);
            assert!(
                path.exists(),
                "BALI_SHARED is set but {} does not exist",
                path.display()
            );
            Some(path)
        }
        None => {
            eprintln!("note: BALI_SHARED is not set; skipping the part of this test that needs {rel}");
            None
        }
    }
}
