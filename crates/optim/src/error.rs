//! The crate's error type: bad optimizer, scheduler or loss settings.

/// Everything that can be wrong with an optimizer, scheduler or loss configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimError {
    /// A numeric setting out of its allowed range.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidValue {
        /// The setting (e.g. `"learning rate"`, `"quantile"`).
        name: &'static str,
        /// The offending value, printed.
        value: String,
        /// The allowed range.
        reason: &'static str,
    },
    /// A name that is not one of the known optimizers or losses.
    #[error("unknown {kind} {name:?}; expected one of {expected}")]
    UnknownName {
        /// What was being named (`"optimizer"`, `"loss"`).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The accepted names.
        expected: &'static str,
    },
    /// A loss or optimizer description whose arguments could not be read.
    #[error("cannot parse {kind} {input:?}: {reason}")]
    Parse {
        /// What was being parsed.
        kind: &'static str,
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A target value outside the support of a distribution loss (a negative count, a
    /// Bernoulli target other than 0 or 1).
    #[error("{distribution} cannot model the target value {value}: {reason}")]
    Target {
        /// The distribution (`"Poisson"`, `"Bernoulli"`, ...).
        distribution: &'static str,
        /// The offending target.
        value: f32,
        /// What its targets must be.
        reason: &'static str,
    },
    /// Optimizer state (e.g. loaded from a checkpoint) that does not fit the parameters.
    #[error("optimizer state does not fit the parameters: {0}")]
    StateMismatch(String),
}

impl OptimError {
    pub(crate) fn invalid(
        name: &'static str,
        value: impl std::fmt::Display,
        reason: &'static str,
    ) -> Self {
        OptimError::InvalidValue {
            name,
            value: value.to_string(),
            reason,
        }
    }
}

/// Checks that a learning rate is finite and non-negative.
pub fn check_lr(lr: f32) -> Result<(), OptimError> {
    if lr.is_finite() && lr >= 0.0 {
        Ok(())
    } else {
        Err(OptimError::invalid(
            "learning rate",
            lr,
            "must be finite and non-negative",
        ))
    }
}

/// `Ok` when `v` is finite and `v >= lo`.
pub(crate) fn check_at_least(
    name: &'static str,
    v: f64,
    lo: f64,
    reason: &'static str,
) -> Result<(), OptimError> {
    if v.is_finite() && v >= lo {
        Ok(())
    } else {
        Err(OptimError::invalid(name, v, reason))
    }
}
