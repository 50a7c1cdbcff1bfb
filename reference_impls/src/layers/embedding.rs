//! Embedding: a lookup table from token ids to vectors, as PyTorch's `nn.Embedding`.
//!
//! Legend: V vocabulary size, D embedding size, L the number of ids looked up (any batch of
//! sequences flattened), E the table `[V, D]`.
//!
//! ```text
//! forward:  y[l, :] = E[id_l, :]
//! backward: dE[id_l, :] += dy[l, :]      (scatter-add: an id seen twice gets both gradients)
//! ```
//! The ids are not differentiable, so backward returns nothing.

use ndarray::{Array2, Ix2};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::{Layer, Param};
use crate::backend::{Backend, BackendError, BackendResult, Cpu, Shaped, reuse_on};
use crate::scalar::Scalar;

/// An id outside the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token id {id} at position {position} is outside the vocabulary 0..{vocab}")]
pub struct TokenOutOfRange {
    /// The offending id.
    pub id: usize,
    /// Its position in the input.
    pub position: usize,
    /// V.
    pub vocab: usize,
}

/// Why a lookup failed: an id outside the vocabulary, or the device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmbeddingError {
    /// An id outside the vocabulary (checked on the host, before the ids are uploaded).
    #[error(transparent)]
    OutOfRange(#[from] TokenOutOfRange),
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// A table of V vectors of size D, on backend `B` (the CPU unless said otherwise).
#[derive(Clone, Debug)]
pub struct Embedding<T: Scalar, B: Backend = Cpu> {
    /// Where the table lives and the rows are gathered.
    backend: B,
    /// E: `[V, D]`
    pub weight: B::Tensor<T, Ix2>,
    /// dL/dE: `[V, D]`, accumulated by `backward`.
    pub grad_weight: B::Tensor<T, Ix2>,
    /// The ids of the latest forward, in backend memory: `[L]`
    ids: B::Indices,
    /// y: `[L, D]`
    output: B::Tensor<T, Ix2>,
}

impl<T: Scalar> Embedding<T> {
    /// A CPU table with the given rows `[V, D]`.
    pub fn from_weights(weight: Array2<T>) -> Self {
        Self::from_weights_on(&Cpu, weight).expect("the CPU backend does not fail")
    }

    /// A CPU table initialised like PyTorch's: every entry from N(0, 1).
    pub fn new(vocab: usize, dim: usize, rng: &mut impl Rng) -> Self {
        Self::new_on(&Cpu, vocab, dim, rng).expect("the CPU backend does not fail")
    }
}

impl<T: Scalar, B: Backend> Embedding<T, B> {
    /// A table on `backend` with the given host rows `[V, D]`.
    pub fn from_weights_on(backend: &B, weight: Array2<T>) -> BackendResult<Self> {
        Ok(Self {
            backend: backend.clone(),
            grad_weight: backend.zeros(weight.raw_dim())?,
            weight: backend.upload(weight.view())?,
            ids: backend.upload_indices(&[])?,
            output: backend.zeros(Ix2(0, 0))?,
        })
    }

    /// A table on `backend` initialised like PyTorch's: every entry from N(0, 1).
    pub fn new_on(
        backend: &B,
        vocab: usize,
        dim: usize,
        rng: &mut impl Rng,
    ) -> BackendResult<Self> {
        let weight = Array2::from_shape_simple_fn((vocab, dim), || {
            T::from_f64(StandardNormal.sample(&mut *rng))
        });
        Self::from_weights_on(backend, weight)
    }

    /// The rows for `ids`: y `[L, D]`; remembers the ids for backward.
    pub fn forward(&mut self, ids: &[usize]) -> Result<&B::Tensor<T, Ix2>, EmbeddingError> {
        let (vocab, dim) = (self.weight.shape()[0], self.weight.shape()[1]);
        if let Some(position) = ids.iter().position(|&id| id >= vocab) {
            return Err(TokenOutOfRange {
                id: ids[position],
                position,
                vocab,
            }
            .into());
        }
        let be = &self.backend;
        be.write_indices(ids, &mut self.ids)?;
        let y = reuse_on(be, &mut self.output, Ix2(ids.len(), dim))?; // y: [L, D]
        be.gather_rows(&self.weight, &self.ids, y)?;
        Ok(&self.output)
    }

    /// Adds `dy` `[L, D]` into the rows of dE that the latest forward read.
    pub fn backward(&mut self, dy: &B::Tensor<T, Ix2>) -> BackendResult<()> {
        assert_eq!(
            dy.shape(),
            self.output.shape(),
            "embedding: grad_output shape"
        );
        self.backend
            .scatter_add_rows(dy, &self.ids, &mut self.grad_weight)
    }
}

impl<T: Scalar, B: Backend> Layer<T, B> for Embedding<T, B> {
    fn backend(&self) -> &B {
        &self.backend
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        visit(Param::of("weight", &mut self.weight, &mut self.grad_weight));
    }

    fn num_params(&self) -> usize {
        self.weight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn repeated_ids_accumulate_their_gradients() {
        let mut emb = Embedding::from_weights(array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        assert_eq!(
            emb.forward(&[2, 0, 2]).unwrap(),
            array![[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]]
        );
        emb.backward(&array![[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
            .unwrap();
        assert_eq!(emb.grad_weight, array![[2.0, 2.0], [0.0, 0.0], [4.0, 4.0]]);
    }

    #[test]
    fn unknown_ids_are_errors() {
        let mut emb = Embedding::<f32>::from_weights(Array2::zeros((3, 2)));
        match emb.forward(&[0, 3]).unwrap_err() {
            EmbeddingError::OutOfRange(e) => assert_eq!(e.position, 1),
            e => panic!("not a range error: {e}"),
        }
    }
}
