//! A bound on the tensor elements a piece of code may allocate, for building models from
//! untrusted configs (a checkpoint, command-line options) without an allocation abort.
//!
//! [`with_element_budget`] runs a closure with a per-thread budget of tensor elements. Every
//! tensor constructor ([`Tensor::zeros`](crate::Tensor::zeros), `full`, `uniform`, `randn`,
//! `from_vec`, `map`) charges its element count, computed with overflow-checked arithmetic,
//! *before* it allocates. A request over the budget, or one whose count overflows, unwinds out of
//! the closure (with [`std::panic::resume_unwind`], which runs no panic hook and prints nothing)
//! and `with_element_budget` returns [`BudgetExceeded`]. So a config asking for a model of
//! trillions of parameters is refused as soon as its first large tensor is requested, whatever
//! the model, with no per-model code. Outside a budget, constructors behave as before (a shape
//! whose element count overflows `usize` panics: a bug in the caller).

use std::cell::Cell;
use std::panic::AssertUnwindSafe;

thread_local! {
    static REMAINING: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The closure given to [`with_element_budget`] asked for more tensor elements than its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("more than {limit} tensor elements requested")]
pub struct BudgetExceeded {
    /// The budget.
    pub limit: usize,
}

/// Runs `f` allowing it at most `limit` tensor elements in total (see the module docs); returns
/// its result, or [`BudgetExceeded`] when it asked for more. Panics of `f` propagate unchanged.
/// Inside another budget, `f` gets at most what is left of that one.
pub fn with_element_budget<R>(limit: usize, f: impl FnOnce() -> R) -> Result<R, BudgetExceeded> {
    let previous = REMAINING.with(|r| r.get());
    let limit = previous.map_or(limit, |left| left.min(limit));
    REMAINING.with(|r| r.set(Some(limit)));
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    // What `f` used is used from the enclosing budget too.
    REMAINING.with(|r| {
        let used = limit - r.get().unwrap_or(limit);
        r.set(previous.map(|left| left - used));
    });
    match result {
        Ok(value) => Ok(value),
        Err(payload) => match payload.downcast::<Exceeded>() {
            Ok(_) => Err(BudgetExceeded { limit }),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

/// The unwinding payload of a refused request (private: only `with_element_budget` catches it).
struct Exceeded;

/// The element count of `shape`, or `None` when no array can have that shape: the count
/// overflows `usize`, or (ndarray's rule, which a zero axis does not lift) the product of the
/// non-zero axis lengths exceeds `isize::MAX`.
pub(crate) fn element_count(shape: &[usize]) -> Option<usize> {
    let nonzero = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))?;
    if nonzero > isize::MAX as usize {
        return None;
    }
    Some(if shape.contains(&0) { 0 } else { nonzero })
}

/// What a tensor costs the budget at least, whatever its size: its name and bookkeeping in a
/// parameter store. It bounds the number of tensors as well as their values, so a config asking
/// for millions of tiny layers is refused as quickly as one asking for a huge one.
pub const MIN_CHARGE: usize = 1024;

/// The element count of `shape`, charged against the current budget (at least [`MIN_CHARGE`]),
/// if any.
///
/// # Panics
/// Outside a budget, when the count overflows `usize`.
pub(crate) fn charge(shape: &[usize]) -> usize {
    let n = element_count(shape);
    REMAINING.with(|r| match (r.get(), n) {
        (None, Some(n)) => n,
        (None, None) => panic!("tensor shape {shape:?} has more elements than an array can hold"),
        (Some(left), Some(n)) if n.max(MIN_CHARGE) <= left => {
            r.set(Some(left - n.max(MIN_CHARGE)));
            n
        }
        (Some(_), _) => std::panic::resume_unwind(Box::new(Exceeded)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tensor;

    #[test]
    fn requests_within_the_budget_succeed_and_larger_ones_are_refused() {
        let t = with_element_budget(3000, || Tensor::zeros(&[2, 1000])).unwrap();
        assert_eq!(t.numel(), 2000);
        let refused = with_element_budget(3000, || {
            let _a = Tensor::zeros(&[2, 1000]);
            Tensor::zeros(&[1001])
        });
        assert_eq!(refused.unwrap_err(), BudgetExceeded { limit: 3000 });
        let tiny = with_element_budget(10 * MIN_CHARGE, || {
            (0..11).map(|_| Tensor::zeros(&[1])).collect::<Vec<_>>()
        });
        assert!(tiny.is_err(), "every tensor costs at least MIN_CHARGE");
    }

    #[test]
    fn an_overflowing_shape_is_refused_before_any_allocation() {
        let huge = [usize::MAX / 2, 3];
        let r = with_element_budget(usize::MAX, || Tensor::zeros(&huge));
        assert!(r.is_err());
        let r = with_element_budget(1 << 20, || {
            Tensor::uniform(
                &[1 << 20, 1 << 20],
                -1.0,
                1.0,
                &mut neurodiv_kernels::Rng::new(1),
            )
        });
        assert!(r.is_err());
    }

    #[test]
    fn element_counts_follow_ndarrays_limits() {
        assert_eq!(element_count(&[3, 4]), Some(12));
        assert_eq!(element_count(&[]), Some(1));
        assert_eq!(element_count(&[5, 0]), Some(0));
        assert_eq!(element_count(&[usize::MAX, 2]), None);
        assert_eq!(
            element_count(&[1 << 63, 0]),
            None,
            "a zero axis does not lift the limit"
        );
        assert_eq!(
            element_count(&[isize::MAX as usize, 1]),
            Some(isize::MAX as usize)
        );
    }

    #[test]
    fn the_budget_ends_with_the_closure_and_other_panics_propagate() {
        assert!(with_element_budget(1, || ()).is_ok());
        assert_eq!(Tensor::zeros(&[4, 4]).numel(), 16, "no budget outside");
        let r = std::panic::catch_unwind(|| with_element_budget(10, || panic!("a bug")));
        assert!(r.is_err());
        let nested = with_element_budget(3 * MIN_CHARGE, || {
            let inner = with_element_budget(usize::MAX, || Tensor::zeros(&[2 * MIN_CHARGE]));
            assert!(inner.is_ok(), "within the outer budget");
            let inner = with_element_budget(usize::MAX, || Tensor::zeros(&[2 * MIN_CHARGE]));
            assert!(inner.is_err(), "only what is left of the outer budget");
        });
        assert!(nested.is_ok());
    }
}
