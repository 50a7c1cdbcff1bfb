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

use ndarray::{Array2, ArrayView2, Ix2};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::{Layer, Param, reuse};
use crate::backend::Cpu;
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

/// A table of V vectors of size D.
#[derive(Clone, Debug)]
pub struct Embedding<T> {
    /// E: `[V, D]`
    pub weight: Array2<T>,
    /// dL/dE: `[V, D]`, accumulated by `backward`.
    pub grad_weight: Array2<T>,
    /// The ids of the latest forward: `[L]`
    ids: Vec<usize>,
    /// y: `[L, D]`
    output: Array2<T>,
}

impl<T: Scalar> Embedding<T> {
    /// A table with the given rows `[V, D]`.
    pub fn from_weights(weight: Array2<T>) -> Self {
        Self {
            grad_weight: Array2::zeros(weight.raw_dim()),
            weight,
            ids: Vec::new(),
            output: Array2::zeros((0, 0)),
        }
    }

    /// A table initialised like PyTorch's: every entry from N(0, 1).
    pub fn new(vocab: usize, dim: usize, rng: &mut impl Rng) -> Self {
        let weight = Array2::from_shape_simple_fn((vocab, dim), || {
            T::from_f64(StandardNormal.sample(&mut *rng))
        });
        Self::from_weights(weight)
    }

    /// The rows for `ids`: y `[L, D]`; remembers the ids for backward.
    pub fn forward(&mut self, ids: &[usize]) -> Result<ArrayView2<'_, T>, TokenOutOfRange> {
        let (vocab, dim) = self.weight.dim();
        if let Some(position) = ids.iter().position(|&id| id >= vocab) {
            return Err(TokenOutOfRange {
                id: ids[position],
                position,
                vocab,
            });
        }
        self.ids.clear();
        self.ids.extend_from_slice(ids);
        let y = reuse(&mut self.output, Ix2(ids.len(), dim));
        for (mut row, &id) in y.rows_mut().into_iter().zip(ids) {
            row.assign(&self.weight.row(id));
        }
        Ok(self.output.view())
    }

    /// Adds `dy` `[L, D]` into the rows of dE that the latest forward read.
    pub fn backward(&mut self, dy: ArrayView2<'_, T>) {
        assert_eq!(dy.dim(), self.output.dim(), "embedding: grad_output shape");
        for (row, &id) in dy.rows().into_iter().zip(&self.ids) {
            let mut acc = self.grad_weight.row_mut(id);
            acc += &row;
        }
    }
}

impl<T: Scalar> Layer<T> for Embedding<T> {
    fn backend(&self) -> &Cpu {
        &Cpu
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T>)) {
        visit(Param::new(
            "weight",
            self.weight.view_mut(),
            self.grad_weight.view_mut(),
        ));
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
        emb.backward(array![[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]].view());
        assert_eq!(emb.grad_weight, array![[2.0, 2.0], [0.0, 0.0], [4.0, 4.0]]);
    }

    #[test]
    fn unknown_ids_are_errors() {
        let mut emb = Embedding::<f32>::from_weights(Array2::zeros((3, 2)));
        assert_eq!(emb.forward(&[0, 3]).unwrap_err().position, 1);
    }
}
