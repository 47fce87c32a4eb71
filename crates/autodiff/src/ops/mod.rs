//! Differentiable operations on [`Var`](crate::Var). Each op is a forward computation plus a
//! backward closure that captures only what the gradient needs.

mod arith;
mod broadcast;
mod matmul;
mod reduce;
mod shape;
mod unary;

pub use broadcast::{broadcast_shape, sum_to_shape};
