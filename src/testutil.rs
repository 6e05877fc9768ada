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
    run_yaml_with(yaml, workdir, &crate::stages::registry())
}

/// [`run_yaml`] with the kinds of `registry` (built-in kinds plus test kinds).
pub fn run_yaml_with(
    yaml: &str,
    workdir: &Path,
    registry: &crate::engine::Registry,
) -> crate::Result<crate::engine::RunReport> {
    let plan = crate::engine::load_str(
        yaml,
        Path::new("test.yaml"),
        registry,
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

/// Every `table` batch the `emit` callback of a source reader produced, concatenated.
fn collect_table(
    table: crate::tables::TableType,
    read: impl FnOnce(&mut crate::sources::Emit<'_>) -> crate::Result<crate::sources::ReadStats>,
) -> arrow::array::RecordBatch {
    let mut batches = Vec::new();
    read(&mut |t, batch| {
        if t == table {
            batches.push(batch);
        }
        Ok(())
    })
    .expect("the source reader reads the test file");
    arrow::compute::concat_batches(&table.schema(), &batches).expect("batches of one schema")
}

/// The `articles` of a PubMed file (plain or gzip), read by the `pubmed` source's reader.
pub fn pubmed_articles(path: &Path) -> arrow::array::RecordBatch {
    use crate::sources::pubmed::{read_pubmed, PubmedReadOptions};
    collect_table(crate::tables::TableType::Articles, |emit| {
        read_pubmed(
            path,
            &PubmedReadOptions::default(),
            &std::sync::atomic::AtomicU64::new(0),
            emit,
        )
    })
}

/// The `concepts` (English names) of an MRCONSO file, read by the `umls_concepts` source's
/// reader.
pub fn umls_concepts(path: &Path) -> arrow::array::RecordBatch {
    use crate::sources::umls::{read_mrconso, UmlsConceptsOptions};
    let options = UmlsConceptsOptions::default();
    collect_table(crate::tables::TableType::Concepts, |emit| {
        read_mrconso(path, &options, &std::sync::atomic::AtomicU64::new(0), emit)
    })
}

/// The `concepts` (names and synonyms) of an OBO file, read by the `obo` source's reader.
pub fn obo_concepts(path: &Path) -> arrow::array::RecordBatch {
    use crate::sources::obo::{read_obo, OboOptions};
    let options = OboOptions::new(path.to_string_lossy());
    collect_table(crate::tables::TableType::Concepts, |emit| {
        read_obo(path, &options, &std::sync::atomic::AtomicU64::new(0), emit)
    })
}
