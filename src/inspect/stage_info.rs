//! `bali inspect`: one stage's outputs, schema, partitions, Parquet metadata and sample rows.

use std::fmt::Write as _;
use std::fs::File;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::statistics::Statistics;

use super::format::{format_batches, OutputFormat};
use crate::engine::Table;
use crate::error::{BaliError, IoResultExt, Result};
use crate::store::Store;
use crate::tables::DESCRIPTION_KEY;

/// What to show.
#[derive(Debug, Clone)]
pub struct InspectOptions {
    /// Which output (default: the stage's first).
    pub output: Option<String>,
    /// Sample rows to print.
    pub rows: usize,
    /// Only this partition (for rows and Parquet metadata).
    pub partition: Option<String>,
    /// Cell width limit for sample rows.
    pub max_width: usize,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            output: None,
            rows: 5,
            partition: None,
            max_width: 60,
        }
    }
}

/// Describes stage `stage` of the store.
pub fn inspect_stage(store: &Store, stage: &str, opts: &InspectOptions) -> Result<String> {
    let stage_store = store.stage(stage);
    let manifest = stage_store.manifest()?.ok_or_else(|| BaliError::Store {
        path: stage_store.location(),
        reason: format!(
            "no stage `{stage}` here; stages: {}",
            store.stage_names().unwrap_or_default().join(", ")
        ),
    })?;
    let table = Table::open(store, stage, opts.output.as_deref())?;
    let mut out = String::new();
    let total_bytes: u64 = manifest
        .partitions
        .values()
        .flat_map(|p| p.files.values())
        .map(|f| f.bytes)
        .sum();
    let _ = writeln!(
        out,
        "stage {stage} (kind {})  in {}",
        manifest.kind,
        store.location()
    );
    let _ = writeln!(out, "outputs:");
    for (name, ty) in &manifest.outputs {
        let marker = if name == table.output() { "*" } else { " " };
        let _ = writeln!(
            out,
            " {marker} {name:<12} {ty:<14} {:>10} rows  {}",
            manifest.rows(name),
            crate::tables::TableType::from_name(ty)
                .map(|t| t.description())
                .unwrap_or("")
        );
    }
    let _ = writeln!(out, "\nschema of `{}`:", table.output());
    let schema = table.schema();
    let name_w = schema
        .fields()
        .iter()
        .map(|f| f.name().len())
        .max()
        .unwrap_or(4);
    for f in schema.fields() {
        let ty = f.data_type().to_string();
        let ty = if ty.len() > 40 {
            format!("{}…", &ty[..39])
        } else {
            ty
        };
        let _ = writeln!(
            out,
            "  {:<name_w$}  {:<40} {:<8}  {}",
            f.name(),
            ty,
            if f.is_nullable() { "null" } else { "not null" },
            f.metadata()
                .get(DESCRIPTION_KEY)
                .map(String::as_str)
                .unwrap_or("")
        );
    }
    let _ = writeln!(
        out,
        "\npartitions: {} ({} rows of `{}`, {} on disk)",
        manifest.partitions.len(),
        table.num_rows(),
        table.output(),
        human_bytes(total_bytes)
    );
    let key_w = manifest
        .partitions
        .keys()
        .map(|k| k.len())
        .max()
        .unwrap_or(3)
        .max(3);
    let _ = writeln!(
        out,
        "  {:<key_w$}  {:>10}  {:>9}  {:<16}  {:<20}  {:>7}  run",
        "key", "rows", "size", "fingerprint", "created", "seconds"
    );
    let mut keys: Vec<&String> = manifest.partitions.keys().collect();
    keys.sort_by(|a, b| crate::engine::state::natural_cmp(a, b));
    for key in keys {
        let p = &manifest.partitions[key];
        let (rows, bytes) = p
            .files
            .get(table.output())
            .map(|f| (f.rows, f.bytes))
            .unwrap_or((0, 0));
        let _ = writeln!(
            out,
            "  {key:<key_w$}  {rows:>10}  {:>9}  {:<16}  {:<20}  {:>7.2}  {}",
            human_bytes(bytes),
            &p.fingerprint[..16.min(p.fingerprint.len())],
            p.created_at.format("%Y-%m-%d %H:%M:%SZ"),
            p.seconds,
            p.run_id
        );
    }
    // Parquet metadata of one file.
    let files = table.files();
    let keys = table.partition_keys();
    let chosen = match &opts.partition {
        Some(k) => keys
            .iter()
            .position(|x| x == k)
            .map(|i| (k.clone(), files[i].clone())),
        None => files.first().map(|f| (keys[0].to_string(), f.clone())),
    };
    if let Some((key, path)) = chosen {
        let _ = writeln!(out, "\nparquet of partition `{key}`: {}", path.display());
        out.push_str(&parquet_summary(&path)?);
    }
    if opts.rows > 0 {
        let stream = match &opts.partition {
            Some(k) => table.scan_partition(k)?,
            None => table.scan()?,
        };
        let mut batches = Vec::new();
        let mut n = 0;
        for b in stream {
            let b = b?;
            let take = (opts.rows - n).min(b.num_rows());
            batches.push(b.slice(0, take));
            n += take;
            if n >= opts.rows {
                break;
            }
        }
        let _ = writeln!(out, "\nfirst {n} rows:");
        out.push_str(&format_batches(
            &batches,
            OutputFormat::Table,
            opts.max_width,
        )?);
        out.push('\n');
    }
    Ok(out)
}

fn parquet_summary(path: &std::path::Path) -> Result<String> {
    let file = File::open(path).at(path)?;
    let reader = SerializedFileReader::new(file)?;
    let meta = reader.metadata();
    let fm = meta.file_metadata();
    let mut out = String::new();
    let groups = meta.num_row_groups();
    let (mut compressed, mut uncompressed) = (0i64, 0i64);
    let mut codecs = std::collections::BTreeSet::new();
    for rg in meta.row_groups() {
        for c in rg.columns() {
            compressed += c.compressed_size();
            uncompressed += c.uncompressed_size();
            codecs.insert(format!("{:?}", c.compression()));
        }
    }
    let _ = writeln!(
        out,
        "  {} rows in {groups} row group(s); {} compressed, {} uncompressed; codecs {}; created by {}",
        fm.num_rows(),
        human_bytes(compressed.max(0) as u64),
        human_bytes(uncompressed.max(0) as u64),
        codecs.into_iter().collect::<Vec<_>>().join(", "),
        fm.created_by().unwrap_or("?")
    );
    if let Some(rg) = meta.row_groups().first() {
        let _ = writeln!(out, "  column statistics (row group 0):");
        for c in rg.columns() {
            let Some(stats) = c.statistics() else {
                continue;
            };
            let (min, max) = stat_range(stats);
            let _ = writeln!(
                out,
                "    {:<32} nulls {:>8}  min {:<24} max {}",
                c.column_path().string(),
                stats
                    .null_count_opt()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into()),
                min,
                max
            );
        }
    }
    Ok(out)
}

fn stat_range(stats: &Statistics) -> (String, String) {
    fn clip(s: String) -> String {
        if s.chars().count() > 24 {
            let mut c: String = s.chars().take(23).collect();
            c.push('…');
            c
        } else {
            s
        }
    }
    let (min, max) = match stats {
        Statistics::Boolean(s) => (
            s.min_opt().map(|v| v.to_string()),
            s.max_opt().map(|v| v.to_string()),
        ),
        Statistics::Int32(s) => (
            s.min_opt().map(|v| v.to_string()),
            s.max_opt().map(|v| v.to_string()),
        ),
        Statistics::Int64(s) => (
            s.min_opt().map(|v| v.to_string()),
            s.max_opt().map(|v| v.to_string()),
        ),
        Statistics::Float(s) => (
            s.min_opt().map(|v| v.to_string()),
            s.max_opt().map(|v| v.to_string()),
        ),
        Statistics::Double(s) => (
            s.min_opt().map(|v| v.to_string()),
            s.max_opt().map(|v| v.to_string()),
        ),
        Statistics::ByteArray(s) => (
            s.min_opt()
                .map(|v| String::from_utf8_lossy(v.data()).to_string()),
            s.max_opt()
                .map(|v| String::from_utf8_lossy(v.data()).to_string()),
        ),
        _ => (None, None),
    };
    (
        clip(min.unwrap_or_else(|| "-".into())),
        clip(max.unwrap_or_else(|| "-".into())),
    )
}

/// `1.2 MB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
