//! Neuro-Divergent: neural time-series forecasting in Rust (facade).
