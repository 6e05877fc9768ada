//! The engine: plans what must run, runs stages concurrently, commits partitions.
//!
//! - [`stage`]: what a stage kind is (the trait every kind implements);
//! - [`kind`]: the registry of kinds;
//! - [`state`]: partitions, fingerprints and freshness, computed without running anything;
//! - [`executor`]: threads, bounded channels, commits, cancellation, the run report;
//! - [`shard`]: which partitions a worker of a sharded run builds;
//! - [`context`]: what a stage sees while building a partition.

pub mod context;
pub mod executor;
pub mod kind;
pub mod plan;
pub mod progress;
pub mod report;
pub mod shard;
pub mod stage;
pub mod state;

pub use crate::kind::KindEntry;
pub use context::{PartitionCtx, Table};
pub use executor::{
    per_partition, run, select_stages, shard_prerequisites, RunOptions, RunOutcome,
};
pub use kind::Registry;
pub use plan::{load, load_str, Plan, PlannedStage};
pub use progress::{ProgressMode, StageProgress, Unit};
pub use report::{RunReport, StageReport};
pub use shard::Shard;
pub use stage::{
    BuildContext, InputDecl, InputMode, OutputDecl, SourcePartition, Stage, StageKind,
};
pub use state::{plan_state, PartitionPlan, PartitionStatus, StageState};

#[cfg(test)]
mod spec_tests;
#[cfg(test)]
pub(crate) mod testkinds;
#[cfg(test)]
mod tests;
