//! MLP-based forecasting models, with NeuralForecast's names and defaults.

mod blocks;
mod deepnpts;
mod mlp;
mod mlp_multivariate;
mod nbeats;
mod nhits;
mod tide;
mod tsmixer;
mod tsmixerx;

pub use deepnpts::{DeepNPTS, DeepNPTSConfig};
pub use mlp::{MLP, MLPConfig};
pub use mlp_multivariate::{MLPMultivariate, MLPMultivariateConfig};
pub use nbeats::{NBEATS, NBEATSConfig, NBEATSx, NBEATSxConfig, StackType};
pub use nhits::{NHITS, NHITSConfig, PoolingMode};
pub use tide::{TiDE, TiDEConfig};
pub use tsmixer::{TSMixer, TSMixerConfig};
pub use tsmixerx::{TSMixerx, TSMixerxConfig};
