//! A store of named parameter tensors, in creation order.

use neurodiv_autodiff::Tensor;
use serde::{Deserialize, Serialize};

/// Index of a parameter in its [`ParamStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParamId(pub usize);

/// Named parameter tensors in creation order (the order optimizers and checkpoints use).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamStore {
    names: Vec<String>,
    tensors: Vec<Tensor>,
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
        let name = name.into();
        assert!(
            !self.names.contains(&name),
            "ParamStore: duplicate parameter name {name}"
        );
        self.names.push(name);
        self.tensors.push(value);
        ParamId(self.tensors.len() - 1)
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

    /// Total number of scalar parameters.
    pub fn num_params(&self) -> usize {
        self.tensors.iter().map(Tensor::numel).sum()
    }

    /// Replaces every tensor with the one of the same name in `other`, checking names and shapes.
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
