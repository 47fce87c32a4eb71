//! Run-time SIMD dispatch. The CPU's features are detected once, on first use.
