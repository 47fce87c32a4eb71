//! Element-wise kernels, dispatched to the best SIMD path (see [`crate::simd`]).
//! Today every entry forwards to its scalar twin; SIMD paths replace them one by one.
pub use crate::scalar::{
    add, axpy, div, exp, gelu, gelu_backward, leaky_relu, leaky_relu_backward, log, mul, relu,
    relu_backward, scale, sigmoid, sigmoid_backward, silu, silu_backward, softplus,
    softplus_backward, sub, tanh, tanh_backward,
};
