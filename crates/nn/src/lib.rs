//! Parameters, initialisers and layers shared by the model families.
//!
//! A model owns a [`ParamStore`] of named tensors (`blocks.0.mlp.1.weight`). Layers hold only the
//! [`ParamId`]s of their tensors and their sizes. For a forward pass the store is bound to a tape
//! in a [`Ctx`], which hands each layer its parameters as tape variables and, after backward,
//! collects their gradients in the store's order.

mod batch_norm;
mod conv;
mod ctx;
mod decomp;
mod embed;
pub mod init;
mod layers;
mod norm;
mod recurrent;
mod revin;
mod store;

pub use batch_norm::BatchNorm1d;
pub use conv::Conv1d;
pub use ctx::Ctx;
pub use decomp::series_decomp;
pub use embed::{DataEmbedding, positional_table};
pub use layers::{Activation, HorizonDecoder, Linear, Mlp};
pub use norm::{Dropout, Embedding, LayerNorm};
pub use recurrent::{CellKind, Recurrent, RecurrentLayer, StepScratch};
pub use revin::{RevIN, RevINStats};
pub use store::{ParamId, ParamRole, ParamStore, RoleError};
