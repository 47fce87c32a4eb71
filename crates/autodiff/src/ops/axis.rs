//! Helpers shared by the axis-wise ops: a shape seen as `[outer, len, inner]` around one axis.

/// `(outer, len, inner)` for `axis` of `shape`: the product of the axes before it, its length,
/// and the product of the axes after it. Row-major data of `shape` is then `[outer, len, inner]`.
///
/// # Panics
/// When `axis` is out of range; `op` names the caller in the message.
pub(crate) fn split(shape: &[usize], axis: usize, op: &str) -> (usize, usize, usize) {
    assert!(
        axis < shape.len(),
        "{op}: axis {axis} out of range for shape {shape:?}"
    );
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

/// The length of the last axis and the number of rows before it.
///
/// # Panics
/// When `shape` is 0-dimensional.
pub(crate) fn rows(shape: &[usize], op: &str) -> (usize, usize) {
    assert!(
        !shape.is_empty(),
        "{op}: needs at least one axis, got a scalar"
    );
    let (last, lead) = shape.split_last().expect("checked non-empty");
    (lead.iter().product(), *last)
}
