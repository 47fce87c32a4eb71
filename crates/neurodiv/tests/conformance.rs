//! The conformance harness: every model the registry knows (`registry::model_names()`, so a new
//! model is covered as soon as it is registered) goes through the same checks with a tiny config:
//! output shapes and column names, every compatible loss, other horizons and input sizes,
//! cross-validation, save/load bit for bit, Send + Sync and fitting on another thread, seeding,
//! and learning (`conformance/forecasting.rs`); exogenous columns by capability, scalers,
//! optimizers, training options, panels, short series, inference batch and thread-count
//! invariance (`conformance/options.rs`); names, configs and option errors
//! (`conformance/names.rs`). Tiny configs and helpers live in `conformance/harness.rs`.
//!
//! Each test loops over all models, runs each model's checks under `catch_unwind` so that one
//! failing model does not hide the others, and fails at the end naming every model that failed
//! (the individual assertion messages are printed above it).

mod common;
#[path = "conformance/distributions.rs"]
mod distributions;
#[path = "conformance/forecasting.rs"]
mod forecasting;
#[path = "conformance/harness.rs"]
mod harness;
#[path = "conformance/names.rs"]
mod names;
#[path = "conformance/options.rs"]
mod options;
