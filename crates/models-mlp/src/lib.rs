//! MLP-based forecasting models, with NeuralForecast's names and defaults.

mod blocks;
mod mlp;
mod nbeats;
mod nhits;

pub use mlp::{MLP, MLPConfig};
pub use nbeats::{NBEATS, NBEATSConfig, NBEATSx, NBEATSxConfig, StackType};
pub use nhits::{NHITS, NHITSConfig, PoolingMode};
