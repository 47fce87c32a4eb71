//! Differentiable operations on [`Var`](crate::Var). Each op is a forward computation plus a
//! backward closure that captures only what the gradient needs.

mod arith;
pub(crate) mod axis;
mod broadcast;
mod conv;
mod dropout;
mod fft;
mod gather;
mod interpolate;
mod layout;
mod matmul;
mod normalize;
mod patches;
mod pool;
pub mod recurrent;
mod reduce;
mod scan;
mod shape;
mod unary;

pub use broadcast::{broadcast_shape, sum_to_shape};
pub use interpolate::InterpolateMode;
pub use recurrent::{Cell, CellScratch, CellWeights, RecurrentParams, cell_step};
