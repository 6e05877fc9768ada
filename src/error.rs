//! The one error type of the library.
//!
//! Every failure a user can cause or meet names where it happened (file and position, or stage
//! and partition) and, where there is one, the next step. `Internal` is reserved for states that
//! are bugs in bali. The CLI maps [`BaliError::exit_code`] to the process exit status: 2 for
//! usage and validation errors, 1 for everything that failed while running.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in an input file something was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A byte offset into the (decompressed) stream.
    Byte(u64),
    /// A 1-based line number.
    Line(u64),
    /// A 1-based line and column.
    LineColumn(u64, u64),
    /// The n-th record (0-based) of the file.
    Record(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Byte(b) => write!(f, "byte {b}"),
            Position::Line(l) => write!(f, "line {l}"),
            Position::LineColumn(l, c) => write!(f, "{l}:{c}"),
            Position::Record(r) => write!(f, "record {r}"),
        }
    }
}

/// Result alias with [`BaliError`].
pub type Result<T, E = BaliError> = std::result::Result<T, E>;

/// Everything that can go wrong in bali.
#[derive(Debug, thiserror::Error)]
pub enum BaliError {
    /// The pipeline file or the command line is invalid; the message lists every problem found.
    #[error("{0}")]
    Spec(String),

    /// The pipeline file has problems: every one found, as data (file, line, column, message,
    /// hint); the CLI renders them against the file's text.
    #[error("{0}")]
    Invalid(Box<crate::diagnostic::Problems>),

    /// A stage's option names something unusable (a file that is not there, a bad pattern):
    /// found when the stage is built, reported at the option's key in the pipeline file.
    #[error("option `{option}`: {source}")]
    Option {
        /// The option's key under `options:`.
        option: String,
        /// What is wrong with it.
        source: Box<BaliError>,
    },

    /// An input file holds data bali cannot read.
    #[error("{}: {position}: {reason}", file.display())]
    BadInput {
        /// The file.
        file: PathBuf,
        /// Where in it.
        position: Position,
        /// What is wrong, in words.
        reason: String,
    },

    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The command cannot run as given: a workdir that does not exist, or one another run
    /// holds. Exit code 2, like a validation error.
    #[error("{}: {reason}", path.display())]
    Usage {
        /// The workdir or path the command was given.
        path: PathBuf,
        /// What is wrong and what to do, in words.
        reason: String,
    },

    /// The checkpoint store holds something bali did not write or cannot understand.
    #[error("checkpoint store {}: {reason}", path.display())]
    Store {
        /// The file or folder in the store.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// A stage failed on one of its partitions.
    #[error("stage `{stage}`, partition `{partition}`: {source}")]
    Stage {
        /// The stage name from the pipeline file.
        stage: String,
        /// The partition key.
        partition: String,
        /// The cause.
        #[source]
        source: Box<BaliError>,
    },

    /// An error with a sentence of context in front of it.
    #[error("{0}: {1}")]
    Context(String, #[source] Box<BaliError>),

    /// Arrow failed (usually a schema mismatch, which is a bug).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),

    /// Parquet failed to read or write a checkpoint file.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),

    /// A SQL query failed.
    #[error("sql: {0}")]
    Sql(Box<datafusion::error::DataFusionError>),

    /// candle failed (shapes, devices, safetensors).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),

    /// The tokenizer could not be loaded or failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),

    /// JSON (manifests, reports, configs) could not be read or written.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),

    /// The run was interrupted (Ctrl-C) or stopped because another stage failed.
    #[error("cancelled")]
    Cancelled,

    /// A state that should be impossible: a bug in bali.
    #[error("internal error (a bug in bali, please report it): {0}")]
    Internal(String),
}

impl From<datafusion::error::DataFusionError> for BaliError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        BaliError::Sql(Box::new(e))
    }
}

impl BaliError {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        BaliError::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// Bad data in `file` at `position`.
    pub fn bad_input(
        file: impl AsRef<Path>,
        position: Position,
        reason: impl Into<String>,
    ) -> Self {
        BaliError::BadInput {
            file: file.as_ref().to_path_buf(),
            position,
            reason: reason.into(),
        }
    }

    /// Wraps the error with a sentence of context.
    pub fn context(self, context: impl Into<String>) -> Self {
        BaliError::Context(context.into(), Box::new(self))
    }

    /// True when the run stopped because of Ctrl-C or another stage's failure.
    pub fn is_cancelled(&self) -> bool {
        match self {
            BaliError::Cancelled => true,
            BaliError::Stage { source, .. } | BaliError::Context(_, source) => {
                source.is_cancelled()
            }
            _ => false,
        }
    }

    /// The process exit code the CLI uses: 2 for usage/validation errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            BaliError::Spec(_)
            | BaliError::Invalid(_)
            | BaliError::Usage { .. }
            | BaliError::Option { .. } => 2,
            BaliError::Context(_, source) => source.exit_code(),
            _ => 1,
        }
    }
}

/// Adds `.context(...)` and `.io_context(path)` to results.
pub trait ResultExt<T> {
    /// Wraps the error with a sentence of context.
    fn context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<BaliError>> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| e.into().context(context()))
    }
}

/// Adds the path to an I/O error.
pub trait IoResultExt<T> {
    /// Converts an `io::Error` into [`BaliError::Io`] naming `path`.
    fn at(self, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoResultExt<T> for std::io::Result<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| BaliError::io(path, e))
    }
}
