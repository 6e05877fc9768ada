//! Looking at checkpoints: SQL over every stage output (DataFusion), a stage's schema,
//! partitions and Parquet metadata, and what a run would do.

mod extra_tables;
mod format;
mod lineage;
mod session;
mod stage_info;
mod status;

pub use extra_tables::read_runs;
pub use format::{format_batches, OutputFormat};
pub use lineage::lineage;
pub use session::{query, run_queries, session, table_names};
pub use stage_info::{inspect_stage, InspectOptions};
pub use status::render_status;
