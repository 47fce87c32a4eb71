//! The errors of `cargo xtask`.

use std::path::PathBuf;
use std::process::ExitStatus;

/// Everything that can stop an xtask command.
#[derive(Debug, thiserror::Error)]
pub enum XtaskError {
    /// Bad command line; the usage text is printed after the message.
    #[error("{0}")]
    Usage(String),
    /// A program could not be started.
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why it did not start.
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("`{command}` failed ({status})")]
    CommandFailed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: ExitStatus,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file did not hold what was expected.
    #[error("{path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The Python environment of `cargo xtask compare` could not be set up.
    #[error("{0}")]
    Python(String),
    /// Parity cases whose mean MAE is above their gate.
    #[error("parity gate failed for {}", .0.join(", "))]
    GateFailed(Vec<String>),
    /// The bench run produced no results to summarise.
    #[error("no benchmark results were written under {dir} by this run{hint}")]
    NoResults {
        /// Criterion's output directory.
        dir: PathBuf,
        /// A hint about the filter, if one was given.
        hint: String,
    },
}

impl XtaskError {
    /// An [`XtaskError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        XtaskError::Io {
            path: path.into(),
            source,
        }
    }
}
