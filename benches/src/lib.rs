//! Criterion benchmarks of Neuro-Divergent.
