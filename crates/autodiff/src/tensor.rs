//! The tensor: f32, row-major, on `ndarray`, with shared (copy-on-write) storage.

use ndarray::{ArcArray, ArrayD, IxDyn};
use neurodiv_kernels::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An n-dimensional f32 array in row-major (standard) layout. Cloning shares the data.
#[derive(Clone, PartialEq)]
pub struct Tensor {
    data: ArcArray<f32, IxDyn>,
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor{:?}", self.shape())?;
        if self.numel() <= 16 {
            write!(f, " {:?}", self.data())?;
        }
        Ok(())
    }
}

impl Tensor {
    /// A tensor of `shape` holding `data` in row-major order.
    ///
    /// # Panics
    /// When `data.len()` is not the product of `shape`.
    pub fn from_vec(shape: &[usize], data: Vec<f32>) -> Self {
        let n = crate::budget::charge(shape);
        assert_eq!(
            n,
            data.len(),
            "Tensor::from_vec: shape {shape:?} needs {n} values, got {}",
            data.len()
        );
        Self::from_counted(shape, data)
    }

    /// `data` under `shape`, whose element count (`data.len()`) the caller has checked.
    fn from_counted(shape: &[usize], data: Vec<f32>) -> Self {
        let arr = ArrayD::from_shape_vec(IxDyn(shape), data).expect("shape checked by the caller");
        Tensor {
            data: arr.into_shared(),
        }
    }

    /// All zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, 0.0)
    }

    /// All ones.
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, 1.0)
    }

    /// Every element equal to `value`.
    pub fn full(shape: &[usize], value: f32) -> Self {
        let n = crate::budget::charge(shape);
        Self::from_counted(shape, vec![value; n])
    }

    /// A 0-dimensional tensor.
    pub fn scalar(value: f32) -> Self {
        Self::from_vec(&[], vec![value])
    }

    /// Standard normal values.
    pub fn randn(shape: &[usize], rng: &mut Rng) -> Self {
        let n = crate::budget::charge(shape);
        Self::from_counted(shape, (0..n).map(|_| rng.normal()).collect())
    }

    /// Uniform values in `[lo, hi)`.
    pub fn uniform(shape: &[usize], lo: f32, hi: f32, rng: &mut Rng) -> Self {
        let n = crate::budget::charge(shape);
        Self::from_counted(shape, (0..n).map(|_| rng.uniform(lo, hi)).collect())
    }

    /// From any ndarray array (copied into standard layout when it is not already).
    pub fn from_ndarray<S, D>(arr: ndarray::ArrayBase<S, D>) -> Self
    where
        S: ndarray::Data<Elem = f32>,
        D: ndarray::Dimension,
    {
        let arr = arr.into_dyn();
        let owned: ArrayD<f32> = arr.as_standard_layout().into_owned();
        Tensor {
            data: owned.into_shared(),
        }
    }

    /// A copy as an owned ndarray array.
    pub fn to_ndarray(&self) -> ArrayD<f32> {
        self.data.to_owned()
    }

    /// A view of the data as an ndarray array (no copy).
    pub fn view(&self) -> ndarray::ArrayViewD<'_, f32> {
        self.data.view()
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        self.data.shape()
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.data.ndim()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[f32] {
        self.data
            .as_slice()
            .expect("tensors are always in standard layout")
    }

    /// Mutable access to the elements (copies first if the data is shared).
    pub fn data_mut(&mut self) -> &mut [f32] {
        self.data
            .as_slice_mut()
            .expect("tensors are always in standard layout")
    }

    /// The elements as a new vector.
    pub fn to_vec(&self) -> Vec<f32> {
        self.data().to_vec()
    }

    /// The single value of a one-element tensor.
    ///
    /// # Panics
    /// When the tensor does not hold exactly one element.
    pub fn item(&self) -> f32 {
        assert_eq!(self.numel(), 1, "Tensor::item on shape {:?}", self.shape());
        self.data()[0]
    }

    /// The same data under another shape with the same number of elements.
    ///
    /// # Panics
    /// When the element counts differ.
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        assert_eq!(
            n,
            self.numel(),
            "reshape: {:?} -> {shape:?} changes the element count",
            self.shape()
        );
        Tensor {
            data: self
                .data
                .clone()
                .into_shape_with_order(IxDyn(shape))
                .expect("standard layout"),
        }
    }

    /// Applies `f` to every element.
    pub fn map(&self, f: impl Fn(f32) -> f32) -> Tensor {
        Tensor::from_vec(self.shape(), self.data().iter().map(|&v| f(v)).collect())
    }

    /// True when every element is finite.
    pub fn all_finite(&self) -> bool {
        self.data().iter().all(|v| v.is_finite())
    }

    /// `self += alpha * other` element-wise (shapes must match).
    pub fn axpy_assign(&mut self, alpha: f32, other: &Tensor) {
        assert_eq!(self.shape(), other.shape(), "axpy_assign: shapes differ");
        neurodiv_kernels::elementwise::axpy(alpha, other.data(), self.data_mut());
    }
}

#[derive(Serialize, Deserialize)]
struct TensorRepr {
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl Serialize for Tensor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TensorRepr {
            shape: self.shape().to_vec(),
            data: self.to_vec(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Tensor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = TensorRepr::deserialize(d)?;
        // A stored shape is untrusted: its product may overflow (and wrap), exceed what an array
        // can hold, or disagree with the values.
        if crate::budget::element_count(&r.shape) != Some(r.data.len()) {
            return Err(serde::de::Error::custom(format!(
                "tensor of shape {:?} does not hold its {} stored values",
                r.shape,
                r.data.len()
            )));
        }
        Ok(Tensor::from_counted(&r.shape, r.data))
    }
}
