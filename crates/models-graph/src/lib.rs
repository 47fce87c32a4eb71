//! Graph neural network forecasting models, with NeuralForecast's names and defaults.

mod stemgnn;

pub use stemgnn::{StemGNN, StemGNNConfig};
