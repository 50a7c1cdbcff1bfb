//! Recurrent layers: the Elman RNN (tanh), the LSTM and the GRU, unrolled over time, with full
//! backpropagation through time.
//!
//! Legend: B batch, T time steps, I input features, H hidden units, G = gates·H rows of the
//! stacked gate weights (1·H for the RNN, 4·H for the LSTM, 3·H for the GRU).
//!
//! Layouts are PyTorch's (`nn.RNN`, `nn.LSTM`, `nn.GRU` with `batch_first=True`, one layer):
//! x `[B, T, I]`, output `[B, T, H]`, h0/c0 `[B, H]`, `weight_ih` `[G, I]`, `weight_hh` `[G, H]`,
//! `bias_ih` and `bias_hh` `[G]`, gate blocks stacked along the rows: LSTM i, f, g, o; GRU r, z, n.
//!
//! Every step splits the pre-activations in two, the part that comes from the input and the part
//! that comes from the previous hidden state:
//! ```text
//! gx_t = x_t W_ihᵀ + b_ih      [B, G]   one matrix product for all T steps, before the loop
//! gh_t = h_{t−1} W_hhᵀ + b_hh  [B, G]   one matrix product per step
//! ```
//! A [`Cell`] turns `(gx_t, gh_t, state_{t−1})` into `state_t`; its backward returns `d gx_t`,
//! `d gh_t` and the gradient that reaches `state_{t−1}` directly (not through `W_hh`). The layer
//! ([`Recurrent`]) does the products around the cells: in backward, one product per step for
//! `dh_{t−1} += d gh_t · W_hh`, then one product each for `dW_ih`, `dW_hh` and `dx` over all steps
//! (`dx` only when the input needs a gradient: [`Recurrent::backward_params`] skips it).
//!
//! When a cell only uses the sum `gx_t + gh_t` (the RNN and the LSTM: [`Cell::ADDITIVE`]), the
//! layer folds `b_hh` into `gx` before the loop and lets each step's product accumulate onto its
//! slice of `gx`, so that no step adds two `[B, G]` matrices; then `d gh_t = d gx_t`.
//!
//! Everything runs on the layer's backend; a state is a list of `[B, H]` tensors, its parts in
//! the order of [`Cell::PARTS`] (`h`, then `c` for the LSTM).

use std::marker::PhantomData;

use ndarray::{Array1, Array2, Dimension, Ix1, Ix2, Ix3};
use rand::Rng;

use super::{Activation, Layer, LayerError, Param, ShapeError, uniform};
use crate::backend::{Backend, BackendResult, Cpu, Mat, Shaped, reuse_on};
use crate::scalar::Scalar;

/// A recurrent state on backend `B`: its parts `[B, H]` in the order of [`Cell::PARTS`].
pub type State<T, B = Cpu> = Vec<<B as Backend>::Tensor<T, Ix2>>;

/// What [`Recurrent::backward`] returns: dL/dx `[B, T, I]` and dL/d state0 (its parts `[B, H]`).
pub type InputGrads<'a, T, B> = (
    &'a <B as Backend>::Tensor<T, Ix3>,
    &'a [<B as Backend>::Tensor<T, Ix2>],
);

/// What one step keeps for its backward, on the layer's backend (sizes `[B, G]` and `[B, H]`).
#[derive(Clone, Debug)]
pub struct StepBuffers<T: Scalar, B: Backend> {
    /// gx_t = x_t W_ihᵀ + b_ih: `[B, G]` (empty for an [`Cell::ADDITIVE`] cell)
    pub gx: B::Tensor<T, Ix2>,
    /// gh_t = h_{t−1} W_hhᵀ + b_hh: `[B, G]` (empty for an [`Cell::ADDITIVE`] cell)
    pub gh: B::Tensor<T, Ix2>,
    /// The gates of the step: `[B, G]`. An [`Cell::ADDITIVE`] cell finds gx_t + gh_t there;
    /// the RNN keeps these pre-activations, the LSTM (and the GRU) the activated gates.
    pub gates: B::Tensor<T, Ix2>,
    /// tanh(c_t) for the LSTM: `[B, H]` (empty for the others)
    pub tanh_c: B::Tensor<T, Ix2>,
}

/// One recurrent step: how a kind of cell turns the pre-activations and the previous state into
/// the next state, and back, with the backend's ops.
pub trait Cell {
    /// The number of gate blocks stacked in the weight rows (G = GATES·H).
    const GATES: usize;
    /// The PyTorch-style name (`rnn_tanh`, `lstm`, `gru`).
    const NAME: &'static str;
    /// The names of the state's parts, `h` first (`["h"]` or `["h", "c"]`).
    const PARTS: &'static [&'static str];
    /// Whether the cell uses `gx_t` and `gh_t` only through their sum: then the layer hands
    /// [`Cell::step`] the sum in `step.gates` (`step.gx` and `step.gh` stay empty), and takes
    /// `d gh_t = d gx_t` after [`Cell::step_backward`] (which leaves `d_gh` alone).
    const ADDITIVE: bool;

    /// Writes `next` (the state after the step) from `step.gx`, `step.gh` and `prev`; keeps in
    /// `step` what the backward needs.
    fn step<T: Scalar, B: Backend>(
        be: &B,
        step: &mut StepBuffers<T, B>,
        prev: &[B::Tensor<T, Ix2>],
        next: &mut [B::Tensor<T, Ix2>],
    ) -> BackendResult<()>;

    /// The backward of one step: `d_state` holds dL/d(next state), all paths summed, and
    /// becomes the part of dL/d(previous state) that does not go through W_hh; writes
    /// dL/d gx_t and dL/d gh_t `[B, G]`.
    fn step_backward<T: Scalar, B: Backend>(
        be: &B,
        step: &StepBuffers<T, B>,
        prev: &[B::Tensor<T, Ix2>],
        d_state: &mut [B::Tensor<T, Ix2>],
        d_gx: &mut B::Tensor<T, Ix2>,
        d_gh: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()>;
}

/// The Elman RNN cell: `h' = tanh(gx + gh)` (PyTorch's `nn.RNN(nonlinearity="tanh")`).
#[derive(Clone, Copy, Debug, Default)]
pub struct RnnTanhCell;

impl Cell for RnnTanhCell {
    const GATES: usize = 1;
    const NAME: &'static str = "rnn_tanh";
    const PARTS: &'static [&'static str] = &["h"];
    const ADDITIVE: bool = true;

    fn step<T: Scalar, B: Backend>(
        be: &B,
        step: &mut StepBuffers<T, B>,
        _prev: &[B::Tensor<T, Ix2>],
        next: &mut [B::Tensor<T, Ix2>],
    ) -> BackendResult<()> {
        // h' = tanh(W_ih x + b_ih + W_hh h + b_hh): [B, H]; the sum (in gates) is kept for
        // backward.
        be.activation(Activation::Tanh, &step.gates, &mut next[0])
    }

    fn step_backward<T: Scalar, B: Backend>(
        be: &B,
        step: &StepBuffers<T, B>,
        _prev: &[B::Tensor<T, Ix2>],
        d_state: &mut [B::Tensor<T, Ix2>],
        d_gx: &mut B::Tensor<T, Ix2>,
        _d_gh: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        let d_h = &mut d_state[0];
        be.activation_backward(Activation::Tanh, &step.gates, d_h, d_gx)?; // dh' ⊙ (1 − h'²)
        be.fill(d_h, T::zero()) // h reaches h' only through W_hh
    }
}

/// The LSTM cell (PyTorch's `nn.LSTM`), gates i, f, g, o.
#[derive(Clone, Copy, Debug, Default)]
pub struct LstmCell;

impl Cell for LstmCell {
    const GATES: usize = 4;
    const NAME: &'static str = "lstm";
    const PARTS: &'static [&'static str] = &["h", "c"];
    const ADDITIVE: bool = true;

    fn step<T: Scalar, B: Backend>(
        be: &B,
        step: &mut StepBuffers<T, B>,
        prev: &[B::Tensor<T, Ix2>],
        next: &mut [B::Tensor<T, Ix2>],
    ) -> BackendResult<()> {
        // gates = W_ih x + b_ih + W_hh h + b_hh: [B, 4H], blocks i, f, g, o; activated in place:
        // i = σ(·), f = σ(·), g = tanh(·), o = σ(·); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').
        let [h, c] = next else {
            unreachable!("an LSTM state has two parts, h and c")
        };
        be.lstm_cell(&mut step.gates, &prev[1], c, &mut step.tanh_c, h)
    }

    fn step_backward<T: Scalar, B: Backend>(
        be: &B,
        step: &StepBuffers<T, B>,
        prev: &[B::Tensor<T, Ix2>],
        d_state: &mut [B::Tensor<T, Ix2>],
        d_gx: &mut B::Tensor<T, Ix2>,
        _d_gh: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        // dL/dh' and dL/dc' in; dL/d(pre-activations) [B, 4H] and dL/dc = dc' ⊙ f out.
        let [d_h, d_c] = d_state else {
            unreachable!("an LSTM state has two parts, h and c")
        };
        be.lstm_cell_backward(&step.gates, &prev[1], &step.tanh_c, d_h, d_c, d_gx)?;
        be.fill(d_h, T::zero()) // h reaches the step only through W_hh
    }
}

/// The GRU cell (PyTorch's `nn.GRU`), gates r, z, n with the reset gate applied after the
/// hidden product: `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GruCell;

impl Cell for GruCell {
    const GATES: usize = 3;
    const NAME: &'static str = "gru";
    const PARTS: &'static [&'static str] = &["h"];
    const ADDITIVE: bool = false;

    fn step<T: Scalar, B: Backend>(
        be: &B,
        step: &mut StepBuffers<T, B>,
        prev: &[B::Tensor<T, Ix2>],
        next: &mut [B::Tensor<T, Ix2>],
    ) -> BackendResult<()> {
        // r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r ⊙ gh_n),
        // h' = (1 − z) ⊙ n + z ⊙ h; gx, gh: [B, 3H], every state [B, H].
        be.gru_cell(&step.gx, &step.gh, &prev[0], &mut step.gates, &mut next[0])
    }

    fn step_backward<T: Scalar, B: Backend>(
        be: &B,
        step: &StepBuffers<T, B>,
        prev: &[B::Tensor<T, Ix2>],
        d_state: &mut [B::Tensor<T, Ix2>],
        d_gx: &mut B::Tensor<T, Ix2>,
        d_gh: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        // dL/dh' becomes dL/dh' ⊙ z, the part of dL/dh that skips W_hh.
        be.gru_cell_backward(&step.gates, &step.gh, &prev[0], &mut d_state[0], d_gx, d_gh)
    }
}

/// Time step `t` of a `[B, T, C]` sequence tensor: the matrix `[B, C]` with rows `T·C` apart.
fn at_step<R: Shaped>(seq: R, t: usize) -> Mat<R> {
    let (batch, steps, cols) = (seq.shape()[0], seq.shape()[1], seq.shape()[2]);
    Mat::of(seq).strided(t * cols, batch, cols, steps * cols)
}

/// A one-layer recurrent network unrolled over `[B, T, I]` sequences (`batch_first=True`), with
/// cell kind `C` and PyTorch's parameters, on backend `B` (the CPU unless said otherwise).
#[derive(Clone, Debug)]
pub struct Recurrent<T: Scalar, C: Cell, B: Backend = Cpu> {
    /// Where the tensors live and the steps run.
    backend: B,
    /// W_ih: [G, I]
    pub weight_ih: B::Tensor<T, Ix2>,
    /// W_hh: [G, H]
    pub weight_hh: B::Tensor<T, Ix2>,
    /// b_ih: [G]
    pub bias_ih: B::Tensor<T, Ix1>,
    /// b_hh: [G]
    pub bias_hh: B::Tensor<T, Ix1>,
    /// dL/dW_ih: [G, I], accumulated by `backward`.
    pub grad_weight_ih: B::Tensor<T, Ix2>,
    /// dL/dW_hh: [G, H], accumulated by `backward`.
    pub grad_weight_hh: B::Tensor<T, Ix2>,
    /// dL/db_ih: [G], accumulated by `backward`.
    pub grad_bias_ih: B::Tensor<T, Ix1>,
    /// dL/db_hh: [G], accumulated by `backward`.
    pub grad_bias_hh: B::Tensor<T, Ix1>,
    /// W_hhᵀ [H, G], copied at each forward: the per-step product h W_hhᵀ then reads its
    /// right-hand side in the order the matrix kernels want, instead of reordering W_hh at
    /// every step.
    weight_hh_t: B::Tensor<T, Ix2>,
    /// x of the latest forward: [B, T, I]
    input: B::Tensor<T, Ix3>,
    /// gx = x W_ihᵀ + b_ih for every step: [B, T, G]
    gx: B::Tensor<T, Ix3>,
    /// h_{t−1}, the state each step started from: [B, T, H]
    h_prev: B::Tensor<T, Ix3>,
    /// h_t for every step: [B, T, H]
    output: B::Tensor<T, Ix3>,
    /// What each step keeps for backward, one per step (kept across calls).
    steps: Vec<StepBuffers<T, B>>,
    /// The states: entry 0 the initial state, entry t + 1 the state after step t.
    states: Vec<State<T, B>>,
    /// dL/dx of the latest backward: [B, T, I]
    grad_input: B::Tensor<T, Ix3>,
    /// dL/d(state) while going back in time; dL/d(state0) after the latest backward.
    grad_state: State<T, B>,
    /// dL/d gx of the latest backward: [B, T, G]
    grad_gx: B::Tensor<T, Ix3>,
    /// dL/d gh of the latest backward: [B, T, G] (empty for an [`Cell::ADDITIVE`] cell, whose
    /// dL/d gh is dL/d gx)
    grad_gh: B::Tensor<T, Ix3>,
    /// dL/d gx_t and dL/d gh_t of one step: [B, G] each
    step_grads: [B::Tensor<T, Ix2>; 2],
    cell: PhantomData<C>,
}

/// The Elman RNN with tanh, like `nn.RNN(nonlinearity="tanh", batch_first=True)`.
pub type RnnTanh<T, B = Cpu> = Recurrent<T, RnnTanhCell, B>;
/// The LSTM, like `nn.LSTM(batch_first=True)`.
pub type Lstm<T, B = Cpu> = Recurrent<T, LstmCell, B>;
/// The GRU, like `nn.GRU(batch_first=True)`.
pub type Gru<T, B = Cpu> = Recurrent<T, GruCell, B>;

impl<T: Scalar, C: Cell> Recurrent<T, C> {
    /// A CPU layer with PyTorch's weights `weight_ih` `[G, I]`, `weight_hh` `[G, H]`, `bias_ih`
    /// and `bias_hh` `[G]`, G = GATES·H.
    pub fn from_weights(
        weight_ih: Array2<T>,
        weight_hh: Array2<T>,
        bias_ih: Array1<T>,
        bias_hh: Array1<T>,
    ) -> Result<Self, ShapeError> {
        Self::from_weights_on(&Cpu, [weight_ih, weight_hh], [bias_ih, bias_hh])
            .map_err(LayerError::into_cpu_shape_error)
    }

    /// A CPU layer initialised like PyTorch's: every weight and bias uniform in ±1/√H.
    pub fn new(input_size: usize, hidden_size: usize, rng: &mut impl Rng) -> Self {
        Self::new_on(&Cpu, input_size, hidden_size, rng).expect("the CPU backend does not fail")
    }
}

impl<T: Scalar, C: Cell, B: Backend> Recurrent<T, C, B> {
    /// A layer on `backend` with PyTorch's host weights `[weight_ih, weight_hh]` (`[G, I]`,
    /// `[G, H]`) and `[bias_ih, bias_hh]` (`[G]` each), G = GATES·H.
    pub fn from_weights_on(
        backend: &B,
        [weight_ih, weight_hh]: [Array2<T>; 2],
        [bias_ih, bias_hh]: [Array1<T>; 2],
    ) -> Result<Self, LayerError> {
        let hidden = weight_hh.ncols();
        let rows = C::GATES * hidden;
        let what = |name: &str| format!("{} {name}", C::NAME);
        ShapeError::check(&what("weight_hh"), &[rows, hidden], weight_hh.shape())?;
        ShapeError::check(
            &what("weight_ih"),
            &[rows, weight_ih.ncols()],
            weight_ih.shape(),
        )?;
        ShapeError::check(&what("bias_ih"), &[rows], bias_ih.shape())?;
        ShapeError::check(&what("bias_hh"), &[rows], bias_hh.shape())?;
        let seq = || backend.zeros(Ix3(0, 0, 0));
        let mat = || backend.zeros(Ix2(0, 0));
        Ok(Self {
            backend: backend.clone(),
            grad_weight_ih: backend.zeros(weight_ih.raw_dim())?,
            grad_weight_hh: backend.zeros(weight_hh.raw_dim())?,
            grad_bias_ih: backend.zeros(Ix1(rows))?,
            grad_bias_hh: backend.zeros(Ix1(rows))?,
            weight_ih: backend.upload(weight_ih.view())?,
            weight_hh: backend.upload(weight_hh.view())?,
            bias_ih: backend.upload(bias_ih.view())?,
            bias_hh: backend.upload(bias_hh.view())?,
            weight_hh_t: mat()?,
            input: seq()?,
            gx: seq()?,
            h_prev: seq()?,
            output: seq()?,
            steps: Vec::new(),
            states: Vec::new(),
            grad_input: seq()?,
            grad_state: Vec::new(),
            grad_gx: seq()?,
            grad_gh: seq()?,
            step_grads: [mat()?, mat()?],
            cell: PhantomData,
        })
    }

    /// A layer on `backend` initialised like PyTorch's: every weight and bias uniform in ±1/√H.
    pub fn new_on(
        backend: &B,
        input_size: usize,
        hidden_size: usize,
        rng: &mut impl Rng,
    ) -> BackendResult<Self> {
        let bound = 1.0 / (hidden_size.max(1) as f64).sqrt();
        let rows = C::GATES * hidden_size;
        let weights = [
            uniform((rows, input_size), bound, rng),
            uniform((rows, hidden_size), bound, rng),
        ];
        let biases = [uniform(rows, bound, rng), uniform(rows, bound, rng)];
        Self::from_weights_on(backend, weights, biases).map_err(|e| match e {
            LayerError::Backend(e) => e,
            LayerError::Shape(e) => unreachable!("shapes match by construction: {e}"),
        })
    }

    /// I: the number of input features.
    pub fn input_size(&self) -> usize {
        self.weight_ih.shape()[1]
    }

    /// H: the number of hidden units.
    pub fn hidden_size(&self) -> usize {
        self.weight_hh.shape()[1]
    }

    /// The all-zero state for `batch` rows (PyTorch's default h0, c0).
    pub fn zero_state(&self, batch: usize) -> BackendResult<State<T, B>> {
        let dim = Ix2(batch, self.hidden_size());
        C::PARTS.iter().map(|_| self.backend.zeros(dim)).collect()
    }

    /// Runs the sequence x `[B, T, I]` from `state0` (h0 `[B, H]`, and c0 for the LSTM; use
    /// [`Recurrent::zero_state`] for PyTorch's default) and returns the hidden outputs
    /// `[B, T, H]`. The state after the last step is [`Recurrent::final_state`].
    pub fn forward(
        &mut self,
        x: &B::Tensor<T, Ix3>,
        state0: &[B::Tensor<T, Ix2>],
    ) -> BackendResult<&B::Tensor<T, Ix3>> {
        let (batch, steps, features) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        let (hidden, rows) = (self.hidden_size(), C::GATES * self.hidden_size());
        assert_eq!(features, self.input_size(), "{}: input features", C::NAME);
        assert_eq!(state0.len(), C::PARTS.len(), "{}: state parts", C::NAME);
        for part in state0 {
            assert_eq!(
                part.shape(),
                [batch, hidden],
                "{}: initial state shape",
                C::NAME
            );
        }
        let be = &self.backend;
        let input = reuse_on(be, &mut self.input, Ix3(batch, steps, features))?; // x: [B, T, I]
        be.geam(T::one(), Mat::of(x), T::zero(), Mat::of(input))?;

        // gx = x W_ihᵀ + b_ih for all B·T rows at once: [B·T, I]·[I, G] → [B·T, G]; an
        // additive cell's gx takes b_hh too.
        let gx = reuse_on(be, &mut self.gx, Ix3(batch, steps, rows))?;
        be.add_bias(&self.bias_ih, 1, T::zero(), gx)?;
        if C::ADDITIVE {
            be.add_bias(&self.bias_hh, 1, T::one(), gx)?;
        }
        be.gemm(
            T::one(),
            Mat::flat(&self.input, features),
            Mat::of(&self.weight_ih).t(),
            T::one(),
            Mat::flat(gx, rows),
        )?;

        reuse_on(be, &mut self.h_prev, Ix3(batch, steps, hidden))?;
        reuse_on(be, &mut self.output, Ix3(batch, steps, hidden))?;
        let w_t = reuse_on(be, &mut self.weight_hh_t, Ix2(hidden, rows))?;
        be.geam(
            T::one(),
            Mat::of(&self.weight_hh).t(),
            T::zero(),
            Mat::of(w_t),
        )?;
        self.size_step_buffers(batch, steps)?;
        let be = &self.backend;
        for (part, value) in self.states[0].iter_mut().zip(state0) {
            be.axpby(T::one(), value, T::zero(), part)?;
        }
        for t in 0..steps {
            let (done, rest) = self.states.split_at_mut(t + 1);
            let (prev, next) = (&done[t], &mut rest[0]);
            let step = &mut self.steps[t];
            let h_prev = at_step(&mut self.h_prev, t);
            be.geam(T::one(), Mat::of(&prev[0]), T::zero(), h_prev)?;
            // An additive cell's gates = gx_t + h W_hhᵀ (b_hh is in gx); else gx_t and
            // gh_t = h W_hhᵀ + b_hh apart: [B, G]
            let gx_t = at_step(&self.gx, t);
            let gh = if C::ADDITIVE {
                be.geam(T::one(), gx_t, T::zero(), Mat::of(&mut step.gates))?;
                &mut step.gates
            } else {
                be.geam(T::one(), gx_t, T::zero(), Mat::of(&mut step.gx))?;
                be.add_bias(&self.bias_hh, 1, T::zero(), &mut step.gh)?;
                &mut step.gh
            };
            be.gemm(
                T::one(),
                Mat::of(&prev[0]),
                Mat::of(&self.weight_hh_t),
                T::one(),
                Mat::of(gh),
            )?;
            C::step(be, step, prev, next)?;
            let h_t = at_step(&mut self.output, t);
            be.geam(T::one(), Mat::of(&next[0]), T::zero(), h_t)?;
        }
        Ok(&self.output)
    }

    /// Makes the per-step buffers and states fit `batch` × `steps` (allocating only when the
    /// sizes changed).
    fn size_step_buffers(&mut self, batch: usize, steps: usize) -> BackendResult<()> {
        let (hidden, rows) = (self.hidden_size(), C::GATES * self.hidden_size());
        let be = &self.backend;
        let lstm = C::PARTS.len() == 2;
        let tanh_dim = if lstm { Ix2(batch, hidden) } else { Ix2(0, 0) };
        let apart_dim = if C::ADDITIVE {
            Ix2(0, 0)
        } else {
            Ix2(batch, rows)
        };
        let fits = |m: &B::Tensor<T, Ix2>, d: Ix2| m.shape() == d.slice();
        let stale = self.steps.len() != steps
            || self
                .steps
                .first()
                .is_some_and(|s| !fits(&s.gates, Ix2(batch, rows)));
        if stale {
            self.steps = (0..steps)
                .map(|_| {
                    Ok(StepBuffers {
                        gx: be.zeros(apart_dim)?,
                        gh: be.zeros(apart_dim)?,
                        gates: be.zeros(Ix2(batch, rows))?,
                        tanh_c: be.zeros(tanh_dim)?,
                    })
                })
                .collect::<BackendResult<_>>()?;
            self.states = (0..=steps)
                .map(|_| self.zero_state(batch))
                .collect::<BackendResult<_>>()?;
        }
        Ok(())
    }

    /// The state after the last step of the latest forward (h_n, and c_n for the LSTM).
    pub fn final_state(&self) -> &[B::Tensor<T, Ix2>] {
        self.states.last().map_or(&[], Vec::as_slice)
    }

    /// Backpropagates through time. Takes dL/d output `[B, T, H]` and, if the loss also uses the
    /// final state, dL/d final state; adds the parameter gradients and returns dL/dx `[B, T, I]`
    /// and dL/d state0.
    pub fn backward(
        &mut self,
        d_output: &B::Tensor<T, Ix3>,
        d_final: Option<&[B::Tensor<T, Ix2>]>,
    ) -> BackendResult<InputGrads<'_, T, B>> {
        self.backward_params(d_output, d_final)?;
        let (batch, steps) = (d_output.shape()[0], d_output.shape()[1]);
        let (rows, features) = (C::GATES * self.hidden_size(), self.input_size());
        let be = &self.backend;
        // dx: [B·T, I] = d gx [B·T, G] · W_ih [G, I]
        let dx = reuse_on(be, &mut self.grad_input, Ix3(batch, steps, features))?;
        be.gemm(
            T::one(),
            Mat::flat(&self.grad_gx, rows),
            Mat::of(&self.weight_ih),
            T::zero(),
            Mat::flat(dx, features),
        )?;
        Ok((&self.grad_input, &self.grad_state))
    }

    /// [`Recurrent::backward`] for an input that needs no gradient (data, one-hot characters:
    /// PyTorch skips dL/dx the same way when x does not require grad): adds the parameter
    /// gradients and returns dL/d state0, without the product for dL/dx.
    pub fn backward_params(
        &mut self,
        d_output: &B::Tensor<T, Ix3>,
        d_final: Option<&[B::Tensor<T, Ix2>]>,
    ) -> BackendResult<&[B::Tensor<T, Ix2>]> {
        let (batch, steps, hidden) = {
            let s = self.output.shape();
            (s[0], s[1], s[2])
        };
        let (rows, features) = (C::GATES * hidden, self.input_size());
        assert_eq!(
            d_output.shape(),
            self.output.shape(),
            "{}: grad_output shape",
            C::NAME
        );
        let be = &self.backend;
        reuse_on(be, &mut self.grad_gx, Ix3(batch, steps, rows))?; // dL/d gx: [B, T, G]
        if !C::ADDITIVE {
            reuse_on(be, &mut self.grad_gh, Ix3(batch, steps, rows))?; // dL/d gh: [B, T, G]
        }
        if self
            .grad_state
            .first()
            .is_none_or(|h| h.shape() != [batch, hidden])
        {
            self.grad_state = self.zero_state(batch)?;
        }
        let be = &self.backend;
        for (k, d) in self.grad_state.iter_mut().enumerate() {
            match d_final {
                Some(d_final) => be.axpby(T::one(), &d_final[k], T::zero(), d)?,
                None => be.fill(d, T::zero())?,
            }
        }
        let [d_gx, d_gh] = &mut self.step_grads;
        let d_gx = reuse_on(be, d_gx, Ix2(batch, rows))?;
        let d_gh = reuse_on(be, d_gh, Ix2(if C::ADDITIVE { 0 } else { batch }, rows))?;
        for t in (0..steps).rev() {
            // dL/dh_t += dL/d output_t
            let d_h = Mat::of(&mut self.grad_state[0]);
            be.geam(T::one(), at_step(d_output, t), T::one(), d_h)?;
            let prev = &self.states[t];
            C::step_backward(be, &self.steps[t], prev, &mut self.grad_state, d_gx, d_gh)?;
            be.geam(
                T::one(),
                Mat::of(&*d_gx),
                T::zero(),
                at_step(&mut self.grad_gx, t),
            )?;
            let d_gh = if C::ADDITIVE {
                &*d_gx // d gh_t = d gx_t
            } else {
                let slot = at_step(&mut self.grad_gh, t);
                be.geam(T::one(), Mat::of(&*d_gh), T::zero(), slot)?;
                &*d_gh
            };
            // dh_{t−1} += d gh_t [B, G] · W_hh [G, H]
            be.gemm(
                T::one(),
                Mat::of(d_gh),
                Mat::of(&self.weight_hh),
                T::one(),
                Mat::of(&mut self.grad_state[0]),
            )?;
        }

        let grad_gh = if C::ADDITIVE {
            &self.grad_gx
        } else {
            &self.grad_gh
        };
        // dW_ih: [G, I] += d gxᵀ [G, B·T] · x [B·T, I];  db_ih += Σ rows of d gx
        be.gemm(
            T::one(),
            Mat::flat(&self.grad_gx, rows).t(),
            Mat::flat(&self.input, features),
            T::one(),
            Mat::of(&mut self.grad_weight_ih),
        )?;
        be.add_channel_sums(&self.grad_gx, 1, &mut self.grad_bias_ih)?;
        // dW_hh: [G, H] += d ghᵀ [G, B·T] · h_prev [B·T, H];  db_hh += Σ rows of d gh
        be.gemm(
            T::one(),
            Mat::flat(grad_gh, rows).t(),
            Mat::flat(&self.h_prev, hidden),
            T::one(),
            Mat::of(&mut self.grad_weight_hh),
        )?;
        be.add_channel_sums(grad_gh, 1, &mut self.grad_bias_hh)?;
        Ok(&self.grad_state)
    }
}

impl<T: Scalar, C: Cell, B: Backend> Layer<T, B> for Recurrent<T, C, B> {
    fn backend(&self) -> &B {
        &self.backend
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        visit(Param::of(
            "weight_ih",
            &mut self.weight_ih,
            &mut self.grad_weight_ih,
        ));
        visit(Param::of(
            "weight_hh",
            &mut self.weight_hh,
            &mut self.grad_weight_hh,
        ));
        visit(Param::of(
            "bias_ih",
            &mut self.bias_ih,
            &mut self.grad_bias_ih,
        ));
        visit(Param::of(
            "bias_hh",
            &mut self.bias_hh,
            &mut self.grad_bias_hh,
        ));
    }

    fn num_params(&self) -> usize {
        self.weight_ih.len() + self.weight_hh.len() + self.bias_ih.len() + self.bias_hh.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::activation::sigmoid;
    use ndarray::{Array3, Axis, array};
    use rand::SeedableRng;

    #[test]
    fn lstm_step_matches_the_gate_equations_by_hand() {
        // One unit, one input, all weights 1 and biases 0: every gate sees x + h.
        let mut lstm = Lstm::from_weights(
            Array2::ones((4, 1)),
            Array2::ones((4, 1)),
            Array1::zeros(4),
            Array1::zeros(4),
        )
        .unwrap();
        let state0 = [array![[0.5]], array![[-1.0]]]; // h, c
        let y = lstm.forward(&array![[[0.25]]], &state0).unwrap().to_owned();
        let s = sigmoid(0.75_f64);
        let c = -s + s * 0.75_f64.tanh(); // f ⊙ c + i ⊙ g with c = −1
        assert!((lstm.final_state()[1][[0, 0]] - c).abs() < 1e-15);
        assert!((y[[0, 0, 0]] - s * c.tanh()).abs() < 1e-15);
    }

    #[test]
    fn gru_keeps_the_state_when_the_update_gate_saturates() {
        // A huge update-gate bias makes z = 1, so h' = h whatever the input.
        let mut bias_ih = Array1::zeros(6);
        bias_ih[2] = 100.0;
        bias_ih[3] = 100.0;
        let mut gru = Gru::from_weights(
            Array2::ones((6, 3)),
            Array2::ones((6, 2)),
            bias_ih,
            Array1::zeros(6),
        )
        .unwrap();
        let h0 = array![[0.3_f64, -0.7]];
        let x = Array3::from_elem((1, 4, 3), 2.0);
        let y = gru
            .forward(&x, std::slice::from_ref(&h0))
            .unwrap()
            .to_owned();
        assert!(
            y.index_axis(Axis(1), 3)
                .iter()
                .zip(&h0)
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
    }

    #[test]
    fn seeded_init_follows_torch_bounds_and_layouts() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let gru = Gru::<f32>::new(3, 16, &mut rng);
        assert_eq!(gru.weight_ih.dim(), (48, 3));
        assert!(gru.weight_hh.iter().all(|w| w.abs() <= 0.25));
        assert_eq!(gru.num_params(), 48 * 3 + 48 * 16 + 2 * 48);
        let err = Lstm::<f64>::from_weights(
            Array2::zeros((16, 3)),
            Array2::zeros((12, 4)),
            Array1::zeros(12),
            Array1::zeros(12),
        )
        .unwrap_err();
        assert_eq!(err.expected, vec![16, 4]);
        assert_eq!(err.what, "lstm weight_hh");
    }

    /// Without dL/dx, the backward makes one product fewer and the same parameter gradients.
    #[test]
    fn backward_params_skips_only_the_input_gradient() {
        use crate::backend::counting::Counting;
        let backend = Counting::new(Cpu);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let mut lstm = Lstm::<f64, _>::new_on(&backend, 3, 4, &mut rng).unwrap();
        let x = Array3::from_shape_fn((2, 5, 3), |(b, t, i)| (b + 2 * t) as f64 * 0.1 - i as f64);
        let dy = Array3::from_shape_fn((2, 5, 4), |(b, t, h)| (b * t + h) as f64 * 0.05);
        let state0 = lstm.zero_state(2).unwrap();
        let mut grads = Vec::new();
        for with_dx in [true, false] {
            lstm.zero_grad().unwrap();
            lstm.forward(&x, &state0).unwrap();
            backend.reset();
            if with_dx {
                lstm.backward(&dy, None).unwrap();
            } else {
                lstm.backward_params(&dy, None).unwrap();
            }
            grads.push((
                backend.counts().get("gemm").copied(),
                lstm.grad_weight_ih.clone(),
            ));
        }
        assert_eq!(grads[0].0, Some(5 + 3));
        assert_eq!(grads[1].0, Some(5 + 2));
        assert_eq!(grads[0].1, grads[1].1);
        assert!(grads[1].1.iter().any(|&g| g != 0.0));
    }

    /// The ops of an LSTM forward and backward through time go through the layer's backend,
    /// and a second pass allocates nothing.
    #[test]
    fn an_lstm_step_runs_through_the_backend() {
        use crate::backend::counting::Counting;
        let backend = Counting::new(Cpu);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut lstm = Lstm::<f32, _>::new_on(&backend, 3, 4, &mut rng).unwrap();
        let (batch, steps) = (2, 5);
        let x = backend
            .upload(Array3::from_elem((batch, steps, 3), 0.5_f32).view())
            .unwrap();
        let dy = backend
            .upload(Array3::from_elem((batch, steps, 4), 1.0_f32).view())
            .unwrap();
        let state0 = lstm.zero_state(batch).unwrap();
        for pass in 0..2 {
            backend.reset();
            lstm.forward(&x, &state0).unwrap();
            lstm.backward(&dy, None).unwrap();
            if pass == 0 {
                continue; // buffers sized
            }
            let counts = backend.counts();
            // gx for all steps, gh per step, dh per step, then dW_ih, dW_hh and dx.
            assert_eq!(counts.get("gemm"), Some(&(2 * steps + 4)), "{counts:?}");
            assert_eq!(counts.get("lstm_cell"), Some(&steps), "{counts:?}");
            assert_eq!(counts.get("lstm_cell_backward"), Some(&steps), "{counts:?}");
            assert_eq!(counts.get("add_channel_sums"), Some(&2), "{counts:?}");
            assert_eq!(counts.get("zeros"), None, "{counts:?}");
        }
    }
}
