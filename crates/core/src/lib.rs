//! The core of Neuro-Divergent: the [`NeuralModel`] contract (spec, forward output, recursive
//! steps), [`BaseConfig`], the output heads ([`head`]), the [`Trainer`](train::Trainer), the
//! predictors ([`predict`]: direct, recursive, sampled), and the versioned checkpoint format.
//!
//! Modules depend on each other in one direction: `config` and `head` <- `model` <- `series` <-
//! `predict` <- `train`.

pub mod checkpoint;
mod config;
mod error;
pub mod head;
mod model;
pub mod predict;
pub mod series;
pub mod train;

pub use config::{
    BaseConfig, DEFAULT_DIVERGENCE_FACTOR, MAX_H, MAX_INPUT_SIZE, MAX_STEPS, MAX_WINDOW_VALUES,
    check,
};
pub use error::CoreError;
pub use head::{OutputHead, head_for};
pub use model::{
    Capabilities, ExogAlign, InputWindow, ModelOutput, ModelSpec, NeuralModel, OutputSteps,
    PredictKind, RecurrentState, RecursiveModel, WindowBatch,
};

/// Types the config macros name, re-exported so that model crates need no extra dependencies.
pub mod reexports {
    pub use neurodiv_data::ScalerType;
    pub use neurodiv_nn::ParamStore;
    pub use neurodiv_optim::{Loss, LrSchedulerKind, OptimizerKind};
    pub use serde_json;
}
