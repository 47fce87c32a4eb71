//! A store of named parameter tensors, in creation order.
//!
//! Besides trainable parameters a store holds *buffers*: named tensors that are part of the
//! model's state (saved in checkpoints, loaded back) but not trained, such as the running
//! statistics of batch normalisation. [`Ctx`](crate::Ctx) puts a buffer on the tape as a
//! constant (its gradient is always zero), a layer may propose a new value with
//! [`Ctx::set_buffer`](crate::Ctx::set_buffer), and the trainer writes those values back after
//! the optimizer step, restoring any buffer the optimizer touched (weight decay, for instance).

use neurodiv_autodiff::Tensor;
use serde::{Deserialize, Serialize};

/// Index of a parameter in its [`ParamStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParamId(pub usize);

/// Named parameter tensors in creation order (the order optimizers and checkpoints use).
///
/// Checkpoints hold names and values only: which entries are buffers is part of the model's
/// structure, rebuilt by its constructor, so the serialised form is the same as for a store
/// without buffers. For the same reason two stores are equal when their names and values are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ParamStore {
    names: Vec<String>,
    tensors: Vec<Tensor>,
    /// `buffer[i]`: entry `i` is a non-trainable buffer. Not serialised (see above); a store
    /// read from a checkpoint has it empty, which reads as "no buffers".
    #[serde(skip)]
    buffer: Vec<bool>,
}

impl PartialEq for ParamStore {
    fn eq(&self, other: &Self) -> bool {
        self.names == other.names && self.tensors == other.tensors
    }
}

impl ParamStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tensor under `name`.
    ///
    /// # Panics
    /// When the name is already taken (a bug in the model's construction).
    pub fn add(&mut self, name: impl Into<String>, value: Tensor) -> ParamId {
        self.push(name.into(), value, false)
    }

    /// Adds a non-trainable buffer under `name` (saved and loaded like a parameter, never
    /// changed by the optimizer; see the module docs).
    ///
    /// # Panics
    /// When the name is already taken (a bug in the model's construction).
    pub fn add_buffer(&mut self, name: impl Into<String>, value: Tensor) -> ParamId {
        self.push(name.into(), value, true)
    }

    fn push(&mut self, name: String, value: Tensor, buffer: bool) -> ParamId {
        assert!(
            !self.names.contains(&name),
            "ParamStore: duplicate parameter name {name}"
        );
        self.names.push(name);
        self.tensors.push(value);
        self.buffer.resize(self.tensors.len() - 1, false);
        self.buffer.push(buffer);
        ParamId(self.tensors.len() - 1)
    }

    /// Whether entry `id` is a buffer rather than a trainable parameter.
    pub fn is_buffer(&self, id: ParamId) -> bool {
        self.buffer.get(id.0).copied().unwrap_or(false)
    }

    /// Copies of every buffer with its id, in store order (the trainer keeps them across the
    /// optimizer step).
    pub fn buffer_snapshot(&self) -> Vec<(ParamId, Tensor)> {
        (0..self.tensors.len())
            .map(ParamId)
            .filter(|&id| self.is_buffer(id))
            .map(|id| (id, self.tensors[id.0].clone()))
            .collect()
    }

    /// Replaces buffer `id` with `value`.
    ///
    /// # Panics
    /// When `id` is not a buffer or the shapes differ (a bug in a layer).
    pub fn set_buffer(&mut self, id: ParamId, value: Tensor) {
        assert!(
            self.is_buffer(id),
            "ParamStore::set_buffer: {} is not a buffer",
            self.names[id.0]
        );
        assert_eq!(
            self.tensors[id.0].shape(),
            value.shape(),
            "ParamStore::set_buffer: shape of {}",
            self.names[id.0]
        );
        self.tensors[id.0] = value;
    }

    /// The tensor of `id`.
    pub fn get(&self, id: ParamId) -> &Tensor {
        &self.tensors[id.0]
    }

    /// The tensor called `name`.
    pub fn by_name(&self, name: &str) -> Option<&Tensor> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.tensors[i])
    }

    /// Parameter names in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Parameter tensors in order.
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }

    /// Mutable parameter tensors in order (for optimizers).
    pub fn tensors_mut(&mut self) -> &mut [Tensor] {
        &mut self.tensors
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Total number of trainable scalar parameters (buffers excluded, as PyTorch's and
    /// Lightning's parameter counts exclude them).
    pub fn num_params(&self) -> usize {
        self.count(false)
    }

    /// Total number of scalar values held in buffers.
    pub fn num_buffer_values(&self) -> usize {
        self.count(true)
    }

    fn count(&self, buffers: bool) -> usize {
        self.tensors
            .iter()
            .enumerate()
            .filter(|&(i, _)| self.is_buffer(ParamId(i)) == buffers)
            .map(|(_, t)| t.numel())
            .sum()
    }

    /// Replaces every tensor with the one of the same name in `other`, checking names and shapes.
    /// Buffers are loaded like parameters; which entries are buffers stays as in `self`.
    /// Returns a description of the first mismatch.
    pub fn load_from(&mut self, other: &ParamStore) -> Result<(), String> {
        if self.names != other.names {
            return Err(format!(
                "parameter names differ ({} stored, {} expected)",
                other.names.len(),
                self.names.len()
            ));
        }
        for (i, (mine, theirs)) in self.tensors.iter().zip(&other.tensors).enumerate() {
            if mine.shape() != theirs.shape() {
                return Err(format!(
                    "parameter {} has shape {:?}, expected {:?}",
                    self.names[i],
                    theirs.shape(),
                    mine.shape()
                ));
            }
        }
        self.tensors = other.tensors.clone();
        Ok(())
    }
}
