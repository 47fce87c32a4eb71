//! The core crate's error type, wrapping the lower layers'.

use crate::checkpoint::CheckpointError;
use neurodiv_data::DataError;
use neurodiv_optim::OptimError;

/// Everything that can go wrong when configuring, fitting, predicting, saving or loading.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Bad input data.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Bad optimizer or loss settings.
    #[error(transparent)]
    Optim(#[from] OptimError),
    /// A configuration value out of range.
    #[error("invalid config: {field} {reason}")]
    Config {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The data does not fit the model (missing exogenous column, series too short, ...).
    #[error("{0}")]
    Incompatible(String),
    /// Predict or save before fit.
    #[error("the model is not fitted yet: call fit first")]
    NotFitted,
    /// Training produced a non-finite loss, or one that exploded (see
    /// [`BaseConfig::divergence_factor`](crate::BaseConfig::divergence_factor)).
    #[error(
        "training diverged at step {step}: the loss is {loss}; lower the learning rate or check the data scale"
    )]
    Diverged {
        /// Step (0-based).
        step: usize,
        /// The loss value.
        loss: f32,
    },
    /// Training was stopped by the interrupt flag (Ctrl-C on the command line).
    #[error("interrupted")]
    Interrupted,
    /// A checkpoint could not be read or written.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// A pretrained backbone folder (TimeLLM's `llm`) is missing a file or does not fit:
    /// names the file and what was expected of it.
    #[error("backbone {file}: {reason}")]
    Backbone {
        /// The file of the folder (or the folder itself).
        file: String,
        /// What is missing or mismatched, with the expected shapes.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}
