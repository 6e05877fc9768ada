//! One function per subcommand; each resolves its arguments and calls the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};

use super::{Cli, Command, PipelineArgs};
use crate::engine::{load, Plan};
use crate::engine::{
    plan_state, run, select_stages, shard_prerequisites, Registry, RunOptions, Shard,
};
use crate::inspect::{format_batches, inspect_stage, query, render_status, InspectOptions};
use crate::spec::LoadOptions;
use crate::store::{FileHashCache, Store};
use crate::BaliError;

pub(super) fn dispatch(cli: Cli) -> Result<ExitCode> {
    let registry = crate::stages::registry();
    match cli.command {
        Command::Run {
            pipeline,
            mut only,
            dry_run,
            shard,
            shard_prepare,
        } => {
            let plan = load_plan(&pipeline, &registry)?;
            if shard_prepare {
                only = shard_prerequisites(&plan, &select_stages(&plan, &only)?);
                if only.is_empty() {
                    println!("nothing to prepare: no per-partition stage reads a whole table");
                    return Ok(ExitCode::SUCCESS);
                }
            }
            let shard = shard
                .map(|s| Shard::parse(&s, |v| std::env::var(v).ok()))
                .transpose()?;
            if dry_run {
                let selected = select_stages(&plan, &only)?;
                println!("{}", status_text(&plan, &selected, false)?);
                return Ok(ExitCode::SUCCESS);
            }
            run_command(&plan, only, shard, cli.progress.into())
        }
        Command::Validate { pipeline } => {
            let plan = load_plan(&pipeline, &registry)?;
            // Partition discovery is cheap and catches globs that match nothing.
            for stage in &plan.stages {
                if let Some(parts) = stage
                    .stage
                    .source_partitions()
                    .with_context(|| format!("stage `{}`", stage.name))?
                {
                    if parts.is_empty() {
                        eprintln!(
                            "warning: stage `{}` ({}) has no input files",
                            stage.name, stage.kind.name
                        );
                    }
                }
            }
            println!(
                "{}: ok ({} stages: {})",
                pipeline.pipeline.display(),
                plan.stages.len(),
                plan.stages
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" -> ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { pipeline, all } => {
            let plan = load_plan(&pipeline, &registry)?;
            let selected = vec![true; plan.stages.len()];
            println!("{}", status_text(&plan, &selected, all)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect {
            path,
            output,
            rows,
            partition,
            lineage,
        } => {
            let (store, stage) = split_stage_path(&path)?;
            if let Some(pmid) = lineage {
                print!("{}", crate::inspect::lineage(&store, pmid)?);
                return Ok(ExitCode::SUCCESS);
            }
            match stage {
                Some(stage) => {
                    let opts = InspectOptions {
                        output,
                        rows,
                        partition,
                        ..Default::default()
                    };
                    print!("{}", inspect_stage(&store, &stage, &opts)?);
                }
                None => print!("{}", list_stages(&store)?),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sql {
            query: sql,
            workdir,
            pipeline,
            format,
            max_width,
        } => {
            let workdir = match (workdir, pipeline) {
                (Some(w), _) => w,
                (None, Some(p)) => {
                    let args = PipelineArgs {
                        pipeline: p,
                        workdir: None,
                        overrides: vec![],
                    };
                    load_plan(&args, &registry)?.workdir
                }
                (None, None) => {
                    return Err(
                        BaliError::Spec("`bali sql` needs --workdir or --pipeline".into()).into(),
                    )
                }
            };
            let store = Store::open_existing(&workdir)?;
            let batches = query(&store, &sql)?;
            println!("{}", format_batches(&batches, format, max_width)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Kinds { kind } => {
            print!("{}", describe_kinds(&registry, kind.as_deref())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { path, out } => {
            let (store, stage) = split_stage_path(&path)?;
            let stage = stage.context("give WORKDIR/STAGE, the training stage to export")?;
            let files =
                crate::train::artifacts::export_stage(Path::new(&store.location()), &stage, &out)?;
            println!("wrote {} files to {}", files.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::spec::pipeline_schema(&registry))?
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn load_plan(args: &PipelineArgs, registry: &Registry) -> Result<Plan> {
    Ok(load(
        &args.pipeline,
        registry,
        &LoadOptions {
            workdir: args.workdir.clone(),
            overrides: args.overrides.clone(),
            base_dir: None,
        },
    )?)
}

fn status_text(plan: &Plan, selected: &[bool], all: bool) -> Result<String> {
    // A workdir that does not exist yet simply has nothing committed: nothing is created.
    let store = Store::at(&plan.workdir)?;
    if let Some(mirror) = store.remote() {
        // Reaches the bucket once, so a bad one is named plainly.
        mirror.is_empty()?;
    }
    let hashes = if store.root().is_dir() {
        FileHashCache::load(store.cache_dir().join("file_hashes.json"))
    } else {
        FileHashCache::in_memory()
    };
    let states = plan_state(plan, &store, &hashes)?;
    Ok(render_status(plan, &states, selected, all))
}

fn run_command(
    plan: &Plan,
    only: Vec<String>,
    shard: Option<Shard>,
    progress: crate::engine::ProgressMode,
) -> Result<ExitCode> {
    let interrupt = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupt.clone();
        let _ = ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                // Second Ctrl-C: stop now. Commits are atomic, so nothing half-done is visible.
                eprintln!("\ninterrupted again: exiting");
                std::process::exit(130);
            }
            eprintln!(
                "\ninterrupted: stopping after the batch in flight (Ctrl-C again to exit now)"
            );
        });
    }
    let opts = RunOptions {
        only,
        shard,
        progress,
        interrupt: Some(interrupt.clone()),
        ..Default::default()
    };
    let outcome = run(plan, &opts)?;
    println!("{}", outcome.report.summary());
    if let Some(path) = &outcome.report_path {
        println!("report: {}", path.display());
    }
    match outcome.error {
        None => Ok(ExitCode::SUCCESS),
        Some(_) if interrupt.load(Ordering::SeqCst) => Ok(ExitCode::from(130)),
        Some(e) => Err(e.into()),
    }
}

/// `out/sample/articles` -> (store out/sample, Some(articles)); `out/sample` -> (store, None).
fn split_stage_path(path: &Path) -> Result<(Store, Option<String>)> {
    let text = path.to_string_lossy();
    if crate::store::remote::is_url(&text) {
        // `s3://bucket/runs/x/articles`: a stage when its parent prefix lists it.
        let text = text.trim_end_matches('/');
        if let Some((parent, name)) = text.rsplit_once('/').filter(|(p, _)| !p.ends_with('/')) {
            let store = Store::at(parent)?;
            if store.stage_names()?.iter().any(|s| s == name) {
                return Ok((store, Some(name.to_string())));
            }
        }
        return Ok((Store::open_existing(text)?, None));
    }
    if crate::store::is_stage_dir(path) {
        let stage = path
            .file_name()
            .map(|s| s.to_string_lossy().to_string())
            .context("stage path has no name")?;
        let parent = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let parent = if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent
        };
        return Ok((Store::open_existing(parent)?, Some(stage)));
    }
    if path.is_dir() {
        return Ok((Store::open_existing(path)?, None));
    }
    // WORKDIR/STAGE where the stage has not been built: say which stages exist.
    if let Some(parent) = path.parent().filter(|p| p.is_dir()) {
        let store = Store::open_existing(parent)?;
        let names = store.stage_names()?;
        return Err(BaliError::Usage {
            path: path.to_path_buf(),
            reason: format!(
                "has no checkpoint; stages in {}: {}",
                parent.display(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        }
        .into());
    }
    Err(BaliError::Usage {
        path: path.to_path_buf(),
        reason: "does not exist".into(),
    }
    .into())
}

fn list_stages(store: &Store) -> Result<String> {
    let mut out = format!("workdir {}\n", store.location());
    for name in store.stage_names()? {
        if let Some(m) = store.stage(&name).manifest()? {
            let outputs: Vec<String> = m
                .outputs
                .iter()
                .map(|(o, _)| format!("{o}: {} rows", m.rows(o)))
                .collect();
            out.push_str(&format!(
                "  {name:<16} {:<16} {:>4} partitions  {}\n",
                m.kind,
                m.partitions.len(),
                outputs.join(", ")
            ));
        }
    }
    Ok(out)
}

fn describe_kinds(registry: &Registry, kind: Option<&str>) -> Result<String> {
    let mut out = String::new();
    match kind {
        None => {
            for k in registry.kinds() {
                out.push_str(&format!("{:<16} {}\n", k.name, k.summary));
            }
        }
        Some(name) => {
            let k = registry.get(name).with_context(|| {
                format!(
                    "no kind `{name}`{}",
                    crate::spec::did_you_mean(name, registry.kinds().iter().map(|k| k.name))
                        .map(|h| format!("; {h}"))
                        .unwrap_or_default()
                )
            })?;
            out.push_str(&format!("{} — {}\n\ninputs:\n", k.name, k.summary));
            if k.inputs.is_empty() {
                out.push_str("  (none: a source)\n");
            }
            for (i, d) in k.inputs.iter().enumerate() {
                let types: Vec<&str> = d.accepts.iter().map(|t| t.name()).collect();
                out.push_str(&format!(
                    "  {}. {}{}: {} ({:?})\n",
                    i + 1,
                    d.role,
                    if d.optional { " (optional)" } else { "" },
                    types.join(" | "),
                    d.mode
                ));
            }
            out.push_str("outputs:\n");
            for o in k.outputs {
                out.push_str(&format!(
                    "  {} ({}): {}\n",
                    o.name,
                    o.table,
                    o.table.description()
                ));
            }
            let mut generator = schemars::generate::SchemaSettings::draft07().into_generator();
            let schema = k.options_schema(&mut generator);
            let defs = generator.take_definitions(true);
            out.push_str("options:\n");
            out.push_str(&describe_options(&schema.to_value(), &defs));
            out.push_str(&format!("example:\n  options:\n{}\n", indent(k.example, 4)));
        }
    }
    Ok(out)
}

fn describe_options(
    schema: &serde_json::Value,
    defs: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let resolved = resolve_ref(schema, defs);
    let mut out = String::new();
    if let Some(props) = resolved.get("properties").and_then(|p| p.as_object()) {
        for (name, p) in props {
            let p = resolve_ref(p, defs);
            let desc = p
                .get("description")
                .and_then(|d| d.as_str())
                .unwrap_or("")
                .replace('\n', " ");
            let default = p
                .get("default")
                .map(|d| format!(" [default: {d}]"))
                .unwrap_or_default();
            out.push_str(&format!("  {name}: {desc}{default}\n"));
        }
    }
    out
}

fn resolve_ref<'a>(
    v: &'a serde_json::Value,
    defs: &'a serde_json::Map<String, serde_json::Value>,
) -> &'a serde_json::Value {
    v.get("$ref")
        .and_then(|r| r.as_str())
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| defs.get(name))
        .unwrap_or(v)
}

fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
