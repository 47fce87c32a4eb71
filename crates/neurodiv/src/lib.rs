//! Neuro-Divergent: neural time-series forecasting in Rust, with NeuralForecast's models, names
//! and defaults.
//!
//! ```no_run
//! use neurodiv::prelude::*;
//! let df = PanelFrame::from_csv_path("data/air_passengers.csv", &CsvOptions::default())?;
//! let (train, _test) = df.split_tail(12)?;
//! let model = MLP::new(MLPConfig::new(12, 24).max_steps(200))?;
//! let mut nf = NeuralForecast::new(vec![Box::new(model)], train.freq());
//! nf.fit(&train, 0)?;
//! let forecast = nf.predict(None)?;
//! println!("{}", forecast.to_csv_string());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod datasets;
pub mod evaluate;
pub mod explain;
mod forecast_frame;
pub mod intervals;
mod orchestrator;
pub mod parity;
#[cfg(feature = "plot")]
pub mod plot;
pub mod registry;
mod saved_frame;

pub use evaluate::{Evaluation, evaluate};
pub use explain::{Explanation, SeriesExplanation, VariableImportance};
pub use forecast_frame::{ENSEMBLE_COLUMN, Ensemble, ForecastFrame, write_atomic};
pub use intervals::{
    ConformalMethod, IntervalScores, Intervals, PredictionIntervals, interval_scores,
};
pub use orchestrator::{NeuralForecast, NfError};

pub use neurodiv_autodiff as autodiff;
pub use neurodiv_core as core;
pub use neurodiv_data as data;
pub use neurodiv_kernels as kernels;
pub use neurodiv_nn as nn;
pub use neurodiv_optim as optim;

/// The models of the enabled families.
pub mod models {
    #[cfg(feature = "conv")]
    pub use neurodiv_models_conv::*;
    #[cfg(feature = "graph")]
    pub use neurodiv_models_graph::*;
    #[cfg(feature = "linear")]
    pub use neurodiv_models_linear::*;
    #[cfg(feature = "llm")]
    pub use neurodiv_models_llm::{TimeLLM, TimeLLMConfig};
    #[cfg(feature = "mlp")]
    pub use neurodiv_models_mlp::*;
    #[cfg(feature = "recurrent")]
    pub use neurodiv_models_recurrent::*;
    #[cfg(feature = "transformer")]
    pub use neurodiv_models_transformer::*;
}

/// Everything a forecasting script needs.
pub mod prelude {
    pub use crate::models::*;
    pub use crate::{ForecastFrame, Intervals, NeuralForecast, NfError, PredictionIntervals};
    pub use neurodiv_core::{BaseConfig, NeuralModel};
    pub use neurodiv_data::{CsvOptions, Freq, PanelFrame, ScalerType};
    pub use neurodiv_optim::{Distribution, Loss};
}
