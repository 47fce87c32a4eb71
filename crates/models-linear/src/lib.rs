//! Linear forecasting models, with NeuralForecast's names and defaults: DLinear and NLinear
//! (Zeng et al., "Are Transformers Effective for Time Series Forecasting?", AAAI 2023,
//! arXiv:2205.13504) and RLinear (Li et al., "Revisiting Long-term Time Series Forecasting: An
//! Investigation on Linear Mapping", arXiv:2305.10721), which NeuralForecast lacks.

mod models;

pub use models::{DLinear, DLinearConfig, NLinear, NLinearConfig, RLinear, RLinearConfig};
