//! The NeuralModel trait, BaseConfig, the trainer, prediction and checkpoints.
