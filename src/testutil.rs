//! Helpers for tests that use the real data in `../shared` (see its README).
#![allow(dead_code)] // used by the tests of the source, linking and training modules

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
            eprintln!(
                "note: BALI_SHARED is not set; skipping the part of this test that needs {rel}"
            );
            None
        }
    }
}

/// Runs a pipeline given as YAML text with the built-in kinds, in `workdir`, resolving relative
/// paths against the crate root. Returns the report, or the error that stopped the run.
pub fn run_yaml(yaml: &str, workdir: &Path) -> crate::Result<crate::engine::RunReport> {
    let plan = crate::spec::load_str(
        yaml,
        Path::new("test.yaml"),
        &crate::engine::Registry::builtin(),
        &crate::spec::LoadOptions {
            workdir: Some(workdir.to_path_buf()),
            overrides: Vec::new(),
            base_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
        },
    )?;
    let outcome = crate::engine::run(
        &plan,
        &crate::engine::RunOptions {
            progress: crate::engine::ProgressMode::Hidden,
            ..Default::default()
        },
    )?;
    match outcome.error {
        Some(e) => Err(e),
        None => Ok(outcome.report),
    }
}
