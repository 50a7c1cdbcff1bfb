//! Capsules (Sabour, Frosst and Hinton, 2017): the squash non-linearity, routing by agreement
//! and the layer of parent capsules that uses it, each with its backward.
//!
//! Legend: N batch, I child capsules, J parent capsules, d child width, D parent width,
//! R routing iterations.
//!
//! ```text
//! squash:   v = ‖s‖²/(1 + ‖s‖²) · s/‖s‖              (direction kept, length in [0, 1))
//! votes:    û_{j|i} = W_ij u_i                         [N, I, J, D]
//! routing:  b_ij = 0; R times: c_i = softmax_j(b_i),  s_j = Σ_i c_ij û_{j|i},  v_j = squash(s_j),
//!           b_ij += û_{j|i}·v_j (except after the last)
//! ```
//! The backward runs through every routing iteration (the coefficients c depend on the votes
//! through the agreements), so the weights W see the gradient of the routing too.
//!
//! This math runs on the host (ndarray): the backend has no op for it yet; the parent layer's
//! weights live on the backend and cross at its edges, as a model's data does.

use ndarray::{Array2, Array3, Array4, ArrayView2, ArrayView3, Axis, Ix4, Zip};
use rand::Rng;

use super::{Layer, Param, uniform};
use crate::backend::{Backend, BackendResult, Cpu};
use crate::scalar::Scalar;

/// Added to ‖s‖² under the square root of squash, so that s = 0 has a gradient.
pub const SQUASH_EPS: f64 = 1e-12;

/// squash of every row of `s` `[M, D]`: `v = q/(1 + q) · s/√(q + ε)`, q = ‖s‖².
pub fn squash<T: Scalar>(s: ArrayView2<'_, T>) -> Array2<T> {
    let mut v = s.to_owned();
    for mut row in v.outer_iter_mut() {
        let q = row.iter().map(|&x| x.as_f64() * x.as_f64()).sum::<f64>();
        let h = q / ((1.0 + q) * (q + SQUASH_EPS).sqrt());
        row.mapv_inplace(|x| T::from_f64(x.as_f64() * h));
    }
    v
}

/// The adjoint of [`squash`], row by row: with `v = h(q) s`,
/// `ds = h dv + 2 h'(q) (s·dv) s`, `h'(q) = 1/((1 + q)² √(q + ε)) − q/(2 (1 + q) (q + ε)^{3/2})`.
pub fn squash_backward<T: Scalar>(s: ArrayView2<'_, T>, dv: ArrayView2<'_, T>) -> Array2<T> {
    let mut ds = Array2::zeros(s.raw_dim());
    Zip::from(ds.rows_mut())
        .and(s.rows())
        .and(dv.rows())
        .for_each(|mut ds, s, dv| {
            let q = s.iter().map(|&x| x.as_f64() * x.as_f64()).sum::<f64>();
            let root = (q + SQUASH_EPS).sqrt();
            let h = q / ((1.0 + q) * root);
            let h_prime = 1.0 / ((1.0 + q).powi(2) * root) - q / (2.0 * (1.0 + q) * root.powi(3));
            let s_dot_dv = s
                .iter()
                .zip(dv.iter())
                .map(|(&a, &b)| a.as_f64() * b.as_f64())
                .sum::<f64>();
            for ((d, &x), &g) in ds.iter_mut().zip(s.iter()).zip(dv.iter()) {
                *d = T::from_f64(h * g.as_f64() + 2.0 * h_prime * s_dot_dv * x.as_f64());
            }
        });
    ds
}

/// Routing by agreement over the votes of a batch, with what its backward needs.
#[derive(Clone, Debug)]
pub struct Routing<T: Scalar> {
    /// R, the number of iterations (at least 1).
    pub iterations: usize,
    /// û of the latest forward: `[N, I, J, D]`
    votes: Array4<T>,
    /// c of each iteration: R × `[N, I, J]`
    coefficients: Vec<Array3<T>>,
    /// s of each iteration: R × `[N·J, D]`
    totals: Vec<Array2<T>>,
    /// v of each iteration: R × `[N·J, D]`
    outputs: Vec<Array2<T>>,
}

impl<T: Scalar> Routing<T> {
    /// Routing with `iterations` rounds (Sabour et al. use 3).
    pub fn new(iterations: usize) -> Self {
        assert!(iterations >= 1, "routing needs at least one iteration");
        Self {
            iterations,
            votes: Array4::zeros((0, 0, 0, 0)),
            coefficients: Vec::new(),
            totals: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// The parent capsules v `[N, J, D]` for the votes û `[N, I, J, D]`.
    pub fn forward(&mut self, votes: Array4<T>) -> Array3<T> {
        let votes = votes.as_standard_layout().into_owned();
        let (n, i_count, j_count, d) = votes.dim();
        let u = votes.as_slice().expect("standard layout");
        let mut logits = Array3::<T>::zeros((n, i_count, j_count)); // b
        self.coefficients.clear();
        self.totals.clear();
        self.outputs.clear();
        for round in 0..self.iterations {
            let c = softmax_last(&logits); // [N, I, J]
            let cs = c.as_slice().expect("standard layout");
            // s_j = Σ_i c_ij û_{j|i}: [N·J, D]
            let mut s = Array2::<T>::zeros((n * j_count, d));
            let ss = s.as_slice_mut().expect("standard layout");
            for b in 0..n {
                for i in 0..i_count {
                    for j in 0..j_count {
                        let (at, vote) = ((b * i_count + i) * j_count + j, b * j_count + j);
                        let weight = cs[at];
                        for (acc, &x) in ss[vote * d..(vote + 1) * d]
                            .iter_mut()
                            .zip(&u[at * d..(at + 1) * d])
                        {
                            *acc += weight * x;
                        }
                    }
                }
            }
            let v = squash(s.view());
            if round + 1 < self.iterations {
                // b_ij += û_{j|i}·v_j
                let vs = v.as_slice().expect("standard layout");
                let ls = logits.as_slice_mut().expect("standard layout");
                for b in 0..n {
                    for i in 0..i_count {
                        for j in 0..j_count {
                            let (at, out) = ((b * i_count + i) * j_count + j, b * j_count + j);
                            ls[at] += dot(&u[at * d..(at + 1) * d], &vs[out * d..(out + 1) * d]);
                        }
                    }
                }
            }
            self.coefficients.push(c);
            self.totals.push(s);
            self.outputs.push(v);
        }
        self.votes = votes;
        self.outputs
            .last()
            .expect("at least one iteration")
            .clone()
            .into_shape_with_order((n, j_count, d))
            .expect("contiguous")
    }

    /// The coupling coefficients c `[N, I, J]` of the last iteration of the latest forward.
    pub fn coefficients(&self) -> &Array3<T> {
        self.coefficients.last().expect("routing: forward first")
    }

    /// dL/dû `[N, I, J, D]` for dL/dv `[N, J, D]`, back through every iteration.
    pub fn backward(&self, dv: ArrayView3<'_, T>) -> Array4<T> {
        let (n, i_count, j_count, d) = self.votes.dim();
        let u = self.votes.as_slice().expect("standard layout");
        let mut d_votes = Array4::<T>::zeros(self.votes.raw_dim());
        let du = d_votes.as_slice_mut().expect("standard layout");
        let mut d_logits = vec![T::zero(); n * i_count * j_count]; // dL/db^{r+1}
        let mut dc = vec![T::zero(); j_count];
        for round in (0..self.iterations).rev() {
            let vs = self.outputs[round].as_slice().expect("standard layout");
            let mut d_out = Array2::<T>::zeros((n * j_count, d)); // dL/dv^r
            if round + 1 == self.iterations {
                d_out.assign(&dv.to_shape((n * j_count, d)).expect("[N, J, D]"));
            } else {
                // b^{r+1} = b^r + a^r with a_ij = û_ij·v_j: da = dL/db^{r+1}.
                let dos = d_out.as_slice_mut().expect("standard layout");
                for b in 0..n {
                    for i in 0..i_count {
                        for j in 0..j_count {
                            let (at, out) = ((b * i_count + i) * j_count + j, b * j_count + j);
                            let da = d_logits[at];
                            for k in 0..d {
                                dos[out * d + k] += da * u[at * d + k];
                                du[at * d + k] += da * vs[out * d + k];
                            }
                        }
                    }
                }
            }
            let ds = squash_backward(self.totals[round].view(), d_out.view()); // [N·J, D]
            let ds = ds.as_slice().expect("standard layout");
            let cs = self.coefficients[round]
                .as_slice()
                .expect("standard layout");
            // s_j = Σ_i c_ij û_ij: dû_ij += c_ij ds_j, dc_ij = û_ij·ds_j; c_i = softmax(b_i).
            for b in 0..n {
                for i in 0..i_count {
                    let row = (b * i_count + i) * j_count;
                    for (j, dc_j) in dc.iter_mut().enumerate() {
                        let (at, out) = (row + j, b * j_count + j);
                        let ds_j = &ds[out * d..(out + 1) * d];
                        *dc_j = dot(&u[at * d..(at + 1) * d], ds_j);
                        for (g, &x) in du[at * d..(at + 1) * d].iter_mut().zip(ds_j) {
                            *g += cs[at] * x;
                        }
                    }
                    let mean = (0..j_count).map(|j| dc[j] * cs[row + j]).sum::<T>();
                    for (j, &dc_j) in dc.iter().enumerate() {
                        d_logits[row + j] += cs[row + j] * (dc_j - mean);
                    }
                }
            }
        }
        d_votes
    }
}

/// `a·b` of two slices of the same length.
fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).map(|(&x, &y)| x * y).sum()
}

/// Softmax along the last axis of `[N, I, J]`.
fn softmax_last<T: Scalar>(x: &Array3<T>) -> Array3<T> {
    let mut y = x.clone();
    for mut row in y.lanes_mut(Axis(2)) {
        let top = row.fold(T::neg_infinity(), |a, &b| a.max(b));
        row.mapv_inplace(|z| (z - top).exp());
        let total = row.sum();
        row.mapv_inplace(|z| z / total);
    }
    y
}

/// A layer of J parent capsules of width D over I child capsules of width d: votes
/// `û_{j|i} = W_ij u_i`, then [`Routing`]. W lives on backend `B`; the votes and the routing
/// are computed on the host.
#[derive(Clone, Debug)]
pub struct CapsuleLayer<T: Scalar, B: Backend = Cpu> {
    /// Where the weights live.
    backend: B,
    /// W: `[I, J, D, d]`
    pub weight: B::Tensor<T, Ix4>,
    /// dL/dW: `[I, J, D, d]`, accumulated by `backward`.
    pub grad_weight: B::Tensor<T, Ix4>,
    /// The routing and its caches.
    pub routing: Routing<T>,
    /// u of the latest forward: `[N, I, d]`
    input: Array3<T>,
    /// W as of the latest forward, on the host.
    host_weight: Array4<T>,
}

impl<T: Scalar, B: Backend> CapsuleLayer<T, B> {
    /// A layer from host weights `[I, J, D, d]`.
    pub fn from_weights_on(
        backend: &B,
        weight: Array4<T>,
        iterations: usize,
    ) -> BackendResult<Self> {
        Ok(Self {
            backend: backend.clone(),
            grad_weight: backend.zeros(weight.raw_dim())?,
            weight: backend.upload(weight.view())?,
            routing: Routing::new(iterations),
            input: Array3::zeros((0, 0, 0)),
            host_weight: weight,
        })
    }

    /// `parents` capsules of width `parent_width` over `children` of width `child_width`, W
    /// uniform in ±1/√d.
    pub fn new_on(
        backend: &B,
        (children, child_width): (usize, usize),
        (parents, parent_width): (usize, usize),
        iterations: usize,
        rng: &mut impl Rng,
    ) -> BackendResult<Self> {
        let bound = 1.0 / (child_width.max(1) as f64).sqrt();
        let weight = uniform((children, parents, parent_width, child_width), bound, rng);
        Self::from_weights_on(backend, weight, iterations)
    }

    /// v `[N, J, D]` for the child capsules u `[N, I, d]`.
    pub fn forward(&mut self, u: &Array3<T>) -> BackendResult<Array3<T>> {
        self.host_weight = self.backend.download(&self.weight)?;
        self.input = u.as_standard_layout().into_owned();
        let (n, i_count, d_in) = u.dim();
        let (_, j_count, d_out, _) = self.host_weight.dim();
        let w = self.host_weight.as_slice().expect("standard layout");
        let x = self.input.as_slice().expect("standard layout");
        // û_{j|i} = W_ij u_i: [N, I, J, D]
        let mut votes = Array4::<T>::zeros((n, i_count, j_count, d_out));
        let vs = votes.as_slice_mut().expect("standard layout");
        for b in 0..n {
            for i in 0..i_count {
                let u_i = &x[(b * i_count + i) * d_in..(b * i_count + i + 1) * d_in];
                for jk in 0..j_count * d_out {
                    let row = (i * j_count * d_out + jk) * d_in;
                    vs[(b * i_count + i) * j_count * d_out + jk] = dot(&w[row..row + d_in], u_i);
                }
            }
        }
        Ok(self.routing.forward(votes))
    }

    /// Adds dL/dW for dv `[N, J, D]` and returns dL/du `[N, I, d]`.
    pub fn backward(&mut self, dv: ArrayView3<'_, T>) -> BackendResult<Array3<T>> {
        let d_votes = self.routing.backward(dv); // [N, I, J, D]
        let (n, i_count, j_count, d_out) = d_votes.dim();
        let d_in = self.input.dim().2;
        let g = d_votes.as_slice().expect("standard layout");
        let w = self.host_weight.as_slice().expect("standard layout");
        let x = self.input.as_slice().expect("standard layout");
        let mut dw = Array4::<T>::zeros(self.host_weight.raw_dim());
        let dws = dw.as_slice_mut().expect("standard layout");
        let mut du = Array3::<T>::zeros(self.input.raw_dim());
        let dus = du.as_slice_mut().expect("standard layout");
        for b in 0..n {
            for i in 0..i_count {
                let child = (b * i_count + i) * d_in;
                for jk in 0..j_count * d_out {
                    let grad = g[(b * i_count + i) * j_count * d_out + jk];
                    let row = (i * j_count * d_out + jk) * d_in;
                    for m in 0..d_in {
                        dus[child + m] += w[row + m] * grad; // du_i = Σ_j W_ijᵀ dû_ij
                        dws[row + m] += grad * x[child + m]; // dW_ij = Σ_n dû_ij u_iᵀ
                    }
                }
            }
        }
        let dw = self.backend.upload(dw.view())?;
        self.backend
            .axpby(T::one(), &dw, T::one(), &mut self.grad_weight)?;
        Ok(du)
    }
}

impl<T: Scalar, B: Backend> Layer<T, B> for CapsuleLayer<T, B> {
    fn backend(&self) -> &B {
        &self.backend
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        visit(Param::of("weight", &mut self.weight, &mut self.grad_weight));
    }

    fn num_params(&self) -> usize {
        self.host_weight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{GradCheck, weighted_sum};
    use ndarray::{Array, Dimension};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn random<D: Dimension>(shape: D, rng: &mut ChaCha8Rng) -> Array<f64, D> {
        Array::from_shape_simple_fn(shape, || rng.random::<f64>() * 2.0 - 1.0)
    }

    const CHECK: GradCheck = GradCheck {
        step: 1e-6,
        rtol: 1e-5,
        atol: 1e-8,
    };

    #[test]
    fn squash_keeps_the_direction_and_a_length_below_one() {
        let s: Array2<f64> = ndarray::array![[3.0, 4.0], [0.03, 0.04], [0.0, 0.0]];
        let v = squash(s.view());
        assert!((v[[0, 0]] / v[[0, 1]] - 0.75).abs() < 1e-12);
        assert!((v.row(0).dot(&v.row(0)).sqrt() - 25.0 / 26.0).abs() < 1e-12);
        assert!(v.row(1).dot(&v.row(1)).sqrt() < 0.003);
        assert_eq!(v.row(2).sum(), 0.0);
    }

    #[test]
    fn squash_gradient_matches_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (s, g) = (
            random(ndarray::Ix2(5, 4), &mut rng),
            random(ndarray::Ix2(5, 4), &mut rng),
        );
        let ds = squash_backward(s.view(), g.view());
        CHECK
            .check("s", &s, &ds, |s| weighted_sum(&squash(s.view()), &g))
            .unwrap();
    }

    #[test]
    fn routing_gradient_runs_through_every_iteration() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let votes = random(ndarray::Ix4(2, 5, 3, 4), &mut rng);
        let g = random(ndarray::Ix3(2, 3, 4), &mut rng);
        let mut routing = Routing::new(3);
        routing.forward(votes.clone());
        let d_votes = routing.backward(g.view());
        let mut probe = Routing::new(3);
        CHECK
            .check("votes", &votes, &d_votes, |u| {
                weighted_sum(&probe.forward(u.clone()), &g)
            })
            .unwrap();
        let c = routing.coefficients();
        assert!(
            c.lanes(Axis(2))
                .into_iter()
                .all(|r| (r.sum() - 1.0).abs() < 1e-12)
        );
    }

    #[test]
    fn capsule_layer_gradients_match_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut layer = CapsuleLayer::<f64>::new_on(&Cpu, (4, 3), (2, 5), 2, &mut rng).unwrap();
        let u = random(ndarray::Ix3(2, 4, 3), &mut rng);
        let g = random(ndarray::Ix3(2, 2, 5), &mut rng);
        layer.forward(&u).unwrap();
        let du = layer.backward(g.view()).unwrap();
        let dw = layer.grad_weight.clone();
        let w = layer.weight.clone();
        let mut probe = layer.clone();
        CHECK
            .check("u", &u, &du, |u| {
                weighted_sum(&probe.forward(u).unwrap(), &g)
            })
            .unwrap();
        CHECK
            .check("weight", &w, &dw, |w| {
                probe.weight = w.clone();
                weighted_sum(&probe.forward(&u).unwrap(), &g)
            })
            .unwrap();
    }
}
