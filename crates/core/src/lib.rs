//! The core of Neuro-Divergent: the [`NeuralModel`] trait, [`BaseConfig`], the trainer,
//! prediction with inverse scaling, and the versioned checkpoint format.

pub mod checkpoint;
mod config;
mod error;
mod model;
pub mod predict;
pub mod series;
pub mod train;

pub use config::BaseConfig;
pub use error::CoreError;
pub use model::{Capabilities, NeuralModel, WindowBatch};

/// Types the config macros name, re-exported so that model crates need no extra dependencies.
pub mod reexports {
    pub use neurodiv_data::ScalerType;
    pub use neurodiv_nn::ParamStore;
    pub use neurodiv_optim::{Loss, OptimizerKind};
    pub use serde_json;
}
