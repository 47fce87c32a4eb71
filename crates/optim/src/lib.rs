//! Optimizers, LR schedulers, gradient clipping and losses.
