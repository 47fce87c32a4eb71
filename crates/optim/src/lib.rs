//! Optimizers, learning-rate schedules, gradient clipping and losses for Neuro-Divergent.
//!
//! - [`optimizer`]: [`Adam`], AdamW, [`Sgd`], [`RmsProp`] with PyTorch's update rules, behind
//!   the [`Optimizer`] trait; [`OptimizerKind`] (by name) and [`OptimizerConfig`] (with
//!   settings) build an [`AnyOptimizer`], whose state serialises for resuming training. They
//!   step the trainable parameters only, so frozen parameters and buffers carry no state.
//! - [`scheduler`]: [`StepLr`] (NeuralForecast's default decay), [`CosineAnnealing`],
//!   [`Warmup`], [`ReduceOnPlateau`], gathered in [`Schedule`].
//! - [`clip`]: [`clip_grad_norm`] and [`grads_are_finite`].
//! - [`losses`]: [`Loss`], NeuralForecast's point and quantile losses on the autodiff tape.
//!
//! ```
//! use neurodiv_autodiff::Tensor;
//! use neurodiv_optim::{LrScheduler, Optimizer, OptimizerKind, StepLr};
//!
//! let mut opt = "adam".parse::<OptimizerKind>().unwrap().build();
//! let sched = StepLr::neuralforecast(1e-3, 1000, 3); // halves every 333 steps
//! let mut w = Tensor::from_vec(&[2], vec![1.0, -1.0]);
//! let grads = vec![Tensor::from_vec(&[2], vec![0.5, -0.5])];
//! opt.step(sched.lr(0), &mut [&mut w], &grads);
//! assert!(w.data()[0] < 1.0);
//! ```

pub mod clip;
mod error;
pub mod losses;
pub mod optimizer;
pub mod scheduler;

pub use clip::{clip_grad_norm, grad_norm, grads_are_finite};
pub use error::{OptimError, check_lr};
pub use losses::{Distribution, Loss, quantile_name, sorted_quantile};
pub use optimizer::{
    Adam, AdamConfig, AdamState, AnyOptimizer, Optimizer, OptimizerConfig, OptimizerKind, RmsProp,
    RmsPropConfig, RmsPropState, Sgd, SgdConfig,
};
pub use scheduler::{
    ConstantLr, CosineAnnealing, LrScheduler, LrSchedulerKind, ReduceOnPlateau, Schedule, StepLr,
    Warmup, WarmupShape,
};
