//! A store of named parameter tensors, in creation order, each with a [`ParamRole`].
//!
//! - *Trainable* parameters ([`ParamStore::add`]) go on the tape as gradient-wanting leaves;
//!   [`Ctx::param_grads`](crate::Ctx::param_grads) returns their gradients and the optimizer
//!   steps them (see [`ParamStore::trainable_mut`]).
//! - *Frozen* parameters are trainable parameters switched off ([`ParamStore::freeze`],
//!   [`ParamStore::set_role`]), a pretrained backbone for instance. They go on the tape as
//!   constants, so they cost no gradient memory and no optimizer state, and keep their values
//!   through training. They still count in [`ParamStore::num_params`], as in PyTorch.
//! - *Buffers* ([`ParamStore::add_buffer`]) are named tensors that are part of the model's state
//!   but not parameters, such as the running statistics of batch normalisation. They go on the
//!   tape as constants; a layer may propose a new value with
//!   [`Ctx::set_buffer`](crate::Ctx::set_buffer), and the trainer writes those values back after
//!   the optimizer step. A buffer stays a buffer.
//!
//! Roles are not saved in checkpoints: which entries are buffers is part of the model's
//! structure, rebuilt by its constructor, and freezing is a choice made on the model you build,
//! re-applied after loading. [`ParamStore::load_from`] loads values only and keeps the roles of
//! the store it loads into.

use neurodiv_autodiff::Tensor;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Index of a parameter in its [`ParamStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParamId(pub usize);

/// What an entry of a [`ParamStore`] is for (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ParamRole {
    /// A parameter the optimizer trains: it gets a gradient and optimizer state.
    #[default]
    Trainable,
    /// A parameter kept fixed: no gradient, no optimizer state, counted as a parameter.
    Frozen,
    /// Model state that is not a parameter (running statistics): no gradient, no optimizer
    /// state, not counted as a parameter, updated through [`Ctx::set_buffer`](crate::Ctx::set_buffer).
    Buffer,
}

impl std::fmt::Display for ParamRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParamRole::Trainable => "trainable",
            ParamRole::Frozen => "frozen",
            ParamRole::Buffer => "buffer",
        })
    }
}

/// Why [`ParamStore::set_role`] refused a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    /// The id does not name an entry of this store.
    #[error("no entry {id} in a store of {len}")]
    UnknownId {
        /// The id asked for.
        id: usize,
        /// Entries in the store.
        len: usize,
    },
    /// Only trainable and frozen parameters switch roles: a buffer stays a buffer, and a
    /// parameter never becomes one.
    #[error(
        "{name} is {from} and cannot become {to}: only trainable and frozen parameters switch roles"
    )]
    Fixed {
        /// Name of the entry.
        name: String,
        /// Its role.
        from: ParamRole,
        /// The role asked for.
        to: ParamRole,
    },
}

/// Named parameter tensors in creation order (the order optimizers and checkpoints use), each
/// with its [`ParamRole`].
///
/// Checkpoints hold names and values only (see the module docs), so the serialised form is
/// the same whatever the roles. For the same reason two stores are equal when their names and
/// values are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(try_from = "StoredParams")]
pub struct ParamStore {
    names: Vec<String>,
    tensors: Vec<Tensor>,
    /// `roles[i]`: the role of entry `i`. Not serialised (see above); a store read from a
    /// checkpoint has it empty, and a missing role reads as trainable.
    #[serde(skip)]
    roles: Vec<ParamRole>,
    /// The names, for a duplicate check in constant time (a store may hold many thousand
    /// entries while a config asking for too many layers is built, until its budget refuses it).
    #[serde(skip)]
    taken: HashSet<String>,
}

/// The serialised form, checked on the way in: a checkpoint is untrusted, and a store whose
/// names and tensors differ in number would break every method that pairs them.
#[derive(Deserialize)]
struct StoredParams {
    names: Vec<String>,
    tensors: Vec<Tensor>,
}

impl TryFrom<StoredParams> for ParamStore {
    type Error = String;

    fn try_from(s: StoredParams) -> Result<Self, String> {
        if s.names.len() != s.tensors.len() {
            return Err(format!(
                "{} parameter names for {} tensors",
                s.names.len(),
                s.tensors.len()
            ));
        }
        Ok(ParamStore {
            taken: s.names.iter().cloned().collect(),
            names: s.names,
            tensors: s.tensors,
            roles: Vec::new(),
        })
    }
}

impl PartialEq for ParamStore {
    fn eq(&self, other: &Self) -> bool {
        self.names == other.names && self.tensors == other.tensors
    }
}

/// The role of entry `i` in `roles` (trainable when not recorded, as in a decoded store).
fn role_at(roles: &[ParamRole], i: usize) -> ParamRole {
    roles.get(i).copied().unwrap_or_default()
}

impl ParamStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a trainable parameter under `name`.
    ///
    /// # Panics
    /// When the name is already taken (a bug in the model's construction).
    pub fn add(&mut self, name: impl Into<String>, value: Tensor) -> ParamId {
        self.push(name.into(), value, ParamRole::Trainable)
    }

    /// Adds a buffer under `name` (saved and loaded like a parameter, never changed by the
    /// optimizer; see the module docs).
    ///
    /// # Panics
    /// When the name is already taken (a bug in the model's construction).
    pub fn add_buffer(&mut self, name: impl Into<String>, value: Tensor) -> ParamId {
        self.push(name.into(), value, ParamRole::Buffer)
    }

    fn push(&mut self, name: String, value: Tensor, role: ParamRole) -> ParamId {
        assert!(
            self.taken.insert(name.clone()),
            "ParamStore: duplicate parameter name {name}"
        );
        self.names.push(name);
        self.tensors.push(value);
        self.roles
            .resize(self.tensors.len() - 1, ParamRole::Trainable);
        self.roles.push(role);
        ParamId(self.tensors.len() - 1)
    }

    /// The role of entry `id`.
    ///
    /// # Panics
    /// When `id` is not an entry of this store (like [`get`](Self::get)).
    pub fn role(&self, id: ParamId) -> ParamRole {
        assert!(
            id.0 < self.len(),
            "ParamStore::role: no entry {} in a store of {}",
            id.0,
            self.len()
        );
        role_at(&self.roles, id.0)
    }

    /// Whether entry `id` is a buffer.
    ///
    /// # Panics
    /// When `id` is not an entry of this store.
    pub fn is_buffer(&self, id: ParamId) -> bool {
        self.role(id) == ParamRole::Buffer
    }

    /// Switches parameter `id` between [`ParamRole::Trainable`] and [`ParamRole::Frozen`].
    /// Returns whether the role changed. Asking a buffer for its own role is a no-op; any other
    /// change to or from [`ParamRole::Buffer`] is refused.
    ///
    /// An optimizer's state covers the parameters that were trainable when it stepped: after
    /// changing roles, start a fresh optimizer or reset it.
    pub fn set_role(&mut self, id: ParamId, role: ParamRole) -> Result<bool, RoleError> {
        let len = self.len();
        if id.0 >= len {
            return Err(RoleError::UnknownId { id: id.0, len });
        }
        let from = role_at(&self.roles, id.0);
        if from == role {
            return Ok(false);
        }
        if from == ParamRole::Buffer || role == ParamRole::Buffer {
            return Err(RoleError::Fixed {
                name: self.names[id.0].clone(),
                from,
                to: role,
            });
        }
        self.roles.resize(len, ParamRole::Trainable);
        self.roles[id.0] = role;
        Ok(true)
    }

    /// Freezes every trainable parameter whose name starts with `prefix` (`"blocks.0."`; `""`
    /// freezes them all). Returns how many changed. Buffers are left alone.
    pub fn freeze(&mut self, prefix: &str) -> usize {
        self.switch(prefix, ParamRole::Trainable, ParamRole::Frozen)
    }

    /// Makes every frozen parameter whose name starts with `prefix` trainable again. Returns how
    /// many changed. Buffers are left alone.
    pub fn unfreeze(&mut self, prefix: &str) -> usize {
        self.switch(prefix, ParamRole::Frozen, ParamRole::Trainable)
    }

    fn switch(&mut self, prefix: &str, from: ParamRole, to: ParamRole) -> usize {
        self.roles.resize(self.len(), ParamRole::Trainable);
        let mut changed = 0;
        for (name, role) in self.names.iter().zip(&mut self.roles) {
            if *role == from && name.starts_with(prefix) {
                *role = to;
                changed += 1;
            }
        }
        changed
    }

    /// Ids of the trainable parameters, in store order: the order of
    /// [`Ctx::param_grads`](crate::Ctx::param_grads), [`trainable`](Self::trainable) and
    /// [`trainable_mut`](Self::trainable_mut).
    pub fn trainable_ids(&self) -> Vec<ParamId> {
        (0..self.len())
            .filter(|&i| role_at(&self.roles, i) == ParamRole::Trainable)
            .map(ParamId)
            .collect()
    }

    /// The trainable tensors, in store order (to check a resumed optimizer's state).
    pub fn trainable(&self) -> Vec<&Tensor> {
        let roles = &self.roles;
        self.tensors
            .iter()
            .enumerate()
            .filter(|&(i, _)| role_at(roles, i) == ParamRole::Trainable)
            .map(|(_, t)| t)
            .collect()
    }

    /// The trainable tensors, mutable, in store order: what the optimizer steps, paired with
    /// [`Ctx::param_grads`](crate::Ctx::param_grads).
    pub fn trainable_mut(&mut self) -> Vec<&mut Tensor> {
        let roles = &self.roles;
        self.tensors
            .iter_mut()
            .enumerate()
            .filter(|&(i, _)| role_at(roles, i) == ParamRole::Trainable)
            .map(|(_, t)| t)
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

    /// Entry names in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Every tensor (parameters of all roles and buffers) in order.
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }

    /// Every tensor, mutable, in order (to set values; optimizers take
    /// [`trainable_mut`](Self::trainable_mut)).
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

    /// Total number of scalar parameters, trainable and frozen (buffers excluded, as PyTorch's
    /// and Lightning's parameter counts exclude them).
    pub fn num_params(&self) -> usize {
        self.count(|r| r != ParamRole::Buffer)
    }

    /// Total number of scalar values, parameters and buffers alike.
    pub fn num_values(&self) -> usize {
        self.count(|_| true)
    }

    /// Number of trainable scalar parameters.
    pub fn num_trainable(&self) -> usize {
        self.count(|r| r == ParamRole::Trainable)
    }

    /// Total number of scalar values held in buffers.
    pub fn num_buffer_values(&self) -> usize {
        self.count(|r| r == ParamRole::Buffer)
    }

    fn count(&self, keep: impl Fn(ParamRole) -> bool) -> usize {
        self.tensors
            .iter()
            .enumerate()
            .filter(|&(i, _)| keep(role_at(&self.roles, i)))
            .map(|(_, t)| t.numel())
            .sum()
    }

    /// Replaces every tensor with the one of the same name in `other`, checking names and shapes.
    /// Buffers and frozen parameters are loaded like the others; the roles stay as in `self`.
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
