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
//! `dh_{t−1} += d gh_t · W_hh`, then one product each for `dW_ih`, `dW_hh` and `dx` over all steps.

use std::marker::PhantomData;

use ndarray::{
    Array1, Array2, Array3, ArrayView2, ArrayView3, ArrayViewMut2, Axis, Ix2, Ix3, concatenate, s,
};
use rand::Rng;

use super::activation::sigmoid;
use super::{Layer, Param, ShapeError, reuse, uniform};
use crate::backend::host;
use crate::scalar::Scalar;

/// The state a cell carries from one step to the next: `h`, and `c` for the LSTM.
pub trait HiddenState<T: Scalar>: Clone {
    /// The names of the state's parts, `h` first (`["h"]` or `["h", "c"]`).
    const PARTS: &'static [&'static str];

    /// Builds a state from its parts `[B, H]`, in the order of [`HiddenState::PARTS`].
    ///
    /// # Panics
    /// When the number of parts differs from `PARTS.len()`.
    fn from_parts(parts: Vec<Array2<T>>) -> Self;

    /// The parts `[B, H]`, in the order of [`HiddenState::PARTS`].
    fn parts(&self) -> Vec<ArrayView2<'_, T>>;

    /// The hidden output h `[B, H]`.
    fn h(&self) -> ArrayView2<'_, T>;

    /// The hidden output h `[B, H]`, writable.
    fn h_mut(&mut self) -> ArrayViewMut2<'_, T>;

    /// The all-zero state for `batch` rows of `hidden` units (PyTorch's default h0, c0).
    fn zeros(batch: usize, hidden: usize) -> Self {
        Self::from_parts(
            Self::PARTS
                .iter()
                .map(|_| Array2::zeros((batch, hidden)))
                .collect(),
        )
    }
}

impl<T: Scalar> HiddenState<T> for Array2<T> {
    const PARTS: &'static [&'static str] = &["h"];

    fn from_parts(parts: Vec<Array2<T>>) -> Self {
        let [h]: [Array2<T>; 1] = parts
            .try_into()
            .expect("an RNN or GRU state has one part, h");
        h
    }

    fn parts(&self) -> Vec<ArrayView2<'_, T>> {
        vec![self.view()]
    }

    fn h(&self) -> ArrayView2<'_, T> {
        self.view()
    }

    fn h_mut(&mut self) -> ArrayViewMut2<'_, T> {
        self.view_mut()
    }
}

/// The LSTM's state: hidden output h and cell c, both `[B, H]`.
#[derive(Clone, Debug, PartialEq)]
pub struct LstmState<T> {
    /// h: [B, H]
    pub h: Array2<T>,
    /// c: [B, H]
    pub c: Array2<T>,
}

impl<T: Scalar> HiddenState<T> for LstmState<T> {
    const PARTS: &'static [&'static str] = &["h", "c"];

    fn from_parts(parts: Vec<Array2<T>>) -> Self {
        let [h, c]: [Array2<T>; 2] = parts
            .try_into()
            .expect("an LSTM state has two parts, h and c");
        Self { h, c }
    }

    fn parts(&self) -> Vec<ArrayView2<'_, T>> {
        vec![self.h.view(), self.c.view()]
    }

    fn h(&self) -> ArrayView2<'_, T> {
        self.h.view()
    }

    fn h_mut(&mut self) -> ArrayViewMut2<'_, T> {
        self.h.view_mut()
    }
}

/// What the backward of one step returns.
#[derive(Clone, Debug)]
pub struct StepGrads<T, S> {
    /// dL/d gx_t: [B, G] (gx_t = x_t W_ihᵀ + b_ih)
    pub d_gx: Array2<T>,
    /// dL/d gh_t: [B, G] (gh_t = h_{t−1} W_hhᵀ + b_hh)
    pub d_gh: Array2<T>,
    /// The part of dL/d state_{t−1} that does not go through W_hh (zero for the plain RNN).
    pub d_prev: S,
}

/// One recurrent step: how a kind of cell turns the pre-activations and the previous state into
/// the next state, and back.
pub trait Cell<T: Scalar> {
    /// The number of gate blocks stacked in the weight rows (G = GATES·H).
    const GATES: usize;
    /// The PyTorch-style name (`rnn_tanh`, `lstm`, `gru`).
    const NAME: &'static str;
    /// The state carried between steps.
    type State: HiddenState<T>;
    /// What the step's backward needs from its forward.
    type Cache;

    /// The next state from gx `[B, G]`, gh `[B, G]` and the previous state.
    fn step(
        gx: ArrayView2<'_, T>,
        gh: ArrayView2<'_, T>,
        prev: &Self::State,
    ) -> (Self::State, Self::Cache);

    /// The gradients of one step, given dL/d(next state) (all paths into it summed).
    fn step_backward(cache: &Self::Cache, d_next: &Self::State) -> StepGrads<T, Self::State>;
}

/// σ(x) element-wise: [B, H] → [B, H].
fn sigmoid_of<T: Scalar>(x: ArrayView2<'_, T>) -> Array2<T> {
    let mut y = Array2::zeros(x.raw_dim());
    host::map(x, y.view_mut(), sigmoid);
    y
}

/// tanh(x) element-wise: [B, H] → [B, H], as `2σ(2x) − 1`.
///
/// One `exp` per value instead of libm's `expm1`-based tanh: the LSTM forward spends a third
/// less time; the result differs from `tanh` by at most a few ulp of 1 (absolute).
fn tanh_of<T: Scalar>(x: ArrayView2<'_, T>) -> Array2<T> {
    let mut y = Array2::zeros(x.raw_dim());
    let two = T::from_f64(2.0);
    host::map(x, y.view_mut(), |v| two * sigmoid(two * v) - T::one());
    y
}

/// dL/d(pre-activation) of a sigmoid from dL/dσ and σ: `d ⊙ σ(1 − σ)`.
fn through_sigmoid<T: Scalar>(d: &Array2<T>, s: &Array2<T>) -> Array2<T> {
    let mut out = Array2::zeros(d.raw_dim());
    host::zip_map(d.view(), s.view(), out.view_mut(), |d, s| {
        d * s * (T::one() - s)
    });
    out
}

/// dL/d(pre-activation) of a tanh from dL/d tanh and tanh: `d ⊙ (1 − tanh²)`.
fn through_tanh<T: Scalar>(d: &Array2<T>, t: &Array2<T>) -> Array2<T> {
    let mut out = Array2::zeros(d.raw_dim());
    host::zip_map(d.view(), t.view(), out.view_mut(), |d, t| {
        d * (T::one() - t * t)
    });
    out
}

/// Gate block `k` (columns k·H … (k+1)·H) of pre-activations `[B, G]`.
fn gate<T>(pre: ArrayView2<'_, T>, k: usize, hidden: usize) -> ArrayView2<'_, T> {
    pre.slice_move(s![.., k * hidden..(k + 1) * hidden])
}

/// Gate blocks `[B, H]` side by side: `[B, blocks·H]`.
fn stack_gates<T: Scalar>(blocks: &[&Array2<T>]) -> Array2<T> {
    let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
    concatenate(Axis(1), &views).expect("gate blocks share the batch size")
}

/// A `[B, T, X]` sequence seen as `[B·T, X]` rows in (b, t) order.
pub(super) fn sequence_rows<T>(a: &Array3<T>) -> ArrayView2<'_, T> {
    let (batch, steps, cols) = a.dim();
    a.view()
        .into_shape_with_order((batch * steps, cols))
        .expect("the layer's buffers are contiguous")
}

/// The Elman RNN cell: `h' = tanh(gx + gh)` (PyTorch's `nn.RNN(nonlinearity="tanh")`).
#[derive(Clone, Copy, Debug, Default)]
pub struct RnnTanhCell;

impl<T: Scalar> Cell<T> for RnnTanhCell {
    const GATES: usize = 1;
    const NAME: &'static str = "rnn_tanh";
    type State = Array2<T>;
    /// h' [B, H]
    type Cache = Array2<T>;

    fn step(
        gx: ArrayView2<'_, T>,
        gh: ArrayView2<'_, T>,
        _prev: &Array2<T>,
    ) -> (Array2<T>, Array2<T>) {
        let h = tanh_of((&gx + &gh).view()); // h' = tanh(W_ih x + b_ih + W_hh h + b_hh): [B, H]
        (h.clone(), h)
    }

    fn step_backward(h: &Array2<T>, d_h: &Array2<T>) -> StepGrads<T, Array2<T>> {
        let d_pre = through_tanh(d_h, h); // [B, H]
        StepGrads {
            d_gx: d_pre.clone(),
            d_prev: Array2::zeros(d_pre.raw_dim()), // h reaches h' only through W_hh
            d_gh: d_pre,
        }
    }
}

/// The LSTM cell (PyTorch's `nn.LSTM`), gates i, f, g, o.
#[derive(Clone, Copy, Debug, Default)]
pub struct LstmCell;

/// What the LSTM step keeps for its backward (all `[B, H]`).
#[derive(Clone, Debug)]
pub struct LstmCache<T> {
    /// Input gate σ(·).
    i: Array2<T>,
    /// Forget gate σ(·).
    f: Array2<T>,
    /// Candidate cell tanh(·).
    g: Array2<T>,
    /// Output gate σ(·).
    o: Array2<T>,
    /// The previous cell c.
    c_prev: Array2<T>,
    /// tanh(c').
    tanh_c: Array2<T>,
}

impl<T: Scalar> Cell<T> for LstmCell {
    const GATES: usize = 4;
    const NAME: &'static str = "lstm";
    type State = LstmState<T>;
    type Cache = LstmCache<T>;

    fn step(
        gx: ArrayView2<'_, T>,
        gh: ArrayView2<'_, T>,
        prev: &LstmState<T>,
    ) -> (LstmState<T>, LstmCache<T>) {
        let hidden = prev.h.ncols();
        let pre = &gx + &gh; // W_ih x + b_ih + W_hh h + b_hh: [B, 4H], blocks i, f, g, o
        // The gates, each [B, H]:
        let i = sigmoid_of(gate(pre.view(), 0, hidden)); // input gate   i = σ(·)
        let f = sigmoid_of(gate(pre.view(), 1, hidden)); // forget gate  f = σ(·)
        let g = tanh_of(gate(pre.view(), 2, hidden)); // candidate cell  g = tanh(·)
        let o = sigmoid_of(gate(pre.view(), 3, hidden)); // output gate  o = σ(·)
        let c = &f * &prev.c + &i * &g; // c' = f ⊙ c + i ⊙ g: [B, H]
        let tanh_c = tanh_of(c.view()); // tanh(c'): [B, H]
        let h = &o * &tanh_c; // h' = o ⊙ tanh(c'): [B, H]
        let cache = LstmCache {
            i,
            f,
            g,
            o,
            c_prev: prev.c.clone(),
            tanh_c,
        };
        (LstmState { h, c }, cache)
    }

    fn step_backward(cache: &LstmCache<T>, d_next: &LstmState<T>) -> StepGrads<T, LstmState<T>> {
        let LstmCache {
            i,
            f,
            g,
            o,
            c_prev,
            tanh_c,
        } = cache;
        let d_h = &d_next.h; // dL/dh': [B, H]
        let d_o = d_h * tanh_c; // h' = o ⊙ tanh(c')
        let d_c = &d_next.c + &through_tanh(&(d_h * o), tanh_c); // c' reaches L directly and via h'
        let d_i = &d_c * g; // c' = f ⊙ c + i ⊙ g
        let d_f = &d_c * c_prev;
        let d_g = &d_c * i;
        let d_pre = stack_gates(&[
            &through_sigmoid(&d_i, i),
            &through_sigmoid(&d_f, f),
            &through_tanh(&d_g, g),
            &through_sigmoid(&d_o, o),
        ]); // [B, 4H]
        let d_prev = LstmState {
            h: Array2::zeros(d_h.raw_dim()), // h reaches the step only through W_hh
            c: &d_c * f,
        };
        StepGrads {
            d_gx: d_pre.clone(),
            d_gh: d_pre,
            d_prev,
        }
    }
}

/// The GRU cell (PyTorch's `nn.GRU`), gates r, z, n with the reset gate applied after the
/// hidden product: `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GruCell;

/// What the GRU step keeps for its backward (all `[B, H]`).
#[derive(Clone, Debug)]
pub struct GruCache<T> {
    /// Reset gate σ(·).
    r: Array2<T>,
    /// Update gate σ(·).
    z: Array2<T>,
    /// Candidate tanh(·).
    n: Array2<T>,
    /// The hidden part of the candidate, W_hn h + b_hn.
    gh_n: Array2<T>,
    /// The previous hidden state h.
    h_prev: Array2<T>,
}

impl<T: Scalar> Cell<T> for GruCell {
    const GATES: usize = 3;
    const NAME: &'static str = "gru";
    type State = Array2<T>;
    type Cache = GruCache<T>;

    fn step(
        gx: ArrayView2<'_, T>,
        gh: ArrayView2<'_, T>,
        h: &Array2<T>,
    ) -> (Array2<T>, GruCache<T>) {
        let hidden = h.ncols();
        // gx, gh: [B, 3H] each, blocks r, z, n; every result below is [B, H]
        let r = sigmoid_of((&gate(gx, 0, hidden) + &gate(gh, 0, hidden)).view()); // reset gate
        let z = sigmoid_of((&gate(gx, 1, hidden) + &gate(gh, 1, hidden)).view()); // update gate
        let gh_n = gate(gh, 2, hidden).to_owned(); // W_hn h + b_hn
        let n = tanh_of((&gate(gx, 2, hidden) + &(&r * &gh_n)).view()); // n = tanh(W_in x + b_in + r ⊙ gh_n)
        let h_next = &z.mapv(|z| T::one() - z) * &n + &z * h; // h' = (1 − z) ⊙ n + z ⊙ h
        let cache = GruCache {
            r,
            z,
            n,
            gh_n,
            h_prev: h.clone(),
        };
        (h_next, cache)
    }

    fn step_backward(cache: &GruCache<T>, d_h: &Array2<T>) -> StepGrads<T, Array2<T>> {
        let GruCache {
            r,
            z,
            n,
            gh_n,
            h_prev,
        } = cache;
        let d_n = d_h * &z.mapv(|z| T::one() - z); // h' = (1−z)⊙n + z⊙h
        let d_z = d_h * &(h_prev - n);
        let d_n_pre = through_tanh(&d_n, n); // n = tanh(gx_n + r ⊙ gh_n)
        let d_r = &d_n_pre * gh_n;
        let d_r_pre = through_sigmoid(&d_r, r);
        let d_z_pre = through_sigmoid(&d_z, z);
        StepGrads {
            d_gx: stack_gates(&[&d_r_pre, &d_z_pre, &d_n_pre]), // [B, 3H]
            d_gh: stack_gates(&[&d_r_pre, &d_z_pre, &(&d_n_pre * r)]), // [B, 3H]
            d_prev: d_h * z,
        }
    }
}

/// A one-layer recurrent network unrolled over `[B, T, I]` sequences (`batch_first=True`), with
/// cell kind `C` and PyTorch's parameters.
#[derive(Clone, Debug)]
pub struct Recurrent<T: Scalar, C: Cell<T>> {
    /// W_ih: [G, I]
    pub weight_ih: Array2<T>,
    /// W_hh: [G, H]
    pub weight_hh: Array2<T>,
    /// b_ih: [G]
    pub bias_ih: Array1<T>,
    /// b_hh: [G]
    pub bias_hh: Array1<T>,
    /// dL/dW_ih: [G, I], accumulated by `backward`.
    pub grad_weight_ih: Array2<T>,
    /// dL/dW_hh: [G, H], accumulated by `backward`.
    pub grad_weight_hh: Array2<T>,
    /// dL/db_ih: [G], accumulated by `backward`.
    pub grad_bias_ih: Array1<T>,
    /// dL/db_hh: [G], accumulated by `backward`.
    pub grad_bias_hh: Array1<T>,
    /// x of the latest forward: [B, T, I]
    input: Array3<T>,
    /// gx = x W_ihᵀ + b_ih for every step: [B·T, G] (rows in (b, t) order)
    gx: Array2<T>,
    /// h_{t−1}, the state each step started from: [B, T, H]
    h_prev: Array3<T>,
    /// h_t for every step: [B, T, H]
    output: Array3<T>,
    /// The cells' caches, one per step.
    caches: Vec<C::Cache>,
    /// The state after the last step (h_n, c_n).
    final_state: C::State,
    /// dL/dx of the latest backward: [B, T, I]
    grad_input: Array3<T>,
    /// dL/d(state0) of the latest backward.
    grad_state0: C::State,
    /// dL/d gx of the latest backward: [B, T, G]
    grad_gx: Array3<T>,
    /// dL/d gh of the latest backward: [B, T, G]
    grad_gh: Array3<T>,
    cell: PhantomData<C>,
}

/// The Elman RNN with tanh, like `nn.RNN(nonlinearity="tanh", batch_first=True)`.
pub type RnnTanh<T> = Recurrent<T, RnnTanhCell>;
/// The LSTM, like `nn.LSTM(batch_first=True)`.
pub type Lstm<T> = Recurrent<T, LstmCell>;
/// The GRU, like `nn.GRU(batch_first=True)`.
pub type Gru<T> = Recurrent<T, GruCell>;

impl<T: Scalar, C: Cell<T>> Recurrent<T, C> {
    /// A layer with PyTorch's weights `weight_ih` `[G, I]`, `weight_hh` `[G, H]`, `bias_ih` and
    /// `bias_hh` `[G]`, G = GATES·H.
    pub fn from_weights(
        weight_ih: Array2<T>,
        weight_hh: Array2<T>,
        bias_ih: Array1<T>,
        bias_hh: Array1<T>,
    ) -> Result<Self, ShapeError> {
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
        Ok(Self {
            grad_weight_ih: Array2::zeros(weight_ih.raw_dim()),
            grad_weight_hh: Array2::zeros(weight_hh.raw_dim()),
            grad_bias_ih: Array1::zeros(rows),
            grad_bias_hh: Array1::zeros(rows),
            weight_ih,
            weight_hh,
            bias_ih,
            bias_hh,
            input: Array3::zeros((0, 0, 0)),
            gx: Array2::zeros((0, 0)),
            h_prev: Array3::zeros((0, 0, 0)),
            output: Array3::zeros((0, 0, 0)),
            caches: Vec::new(),
            final_state: C::State::zeros(0, hidden),
            grad_input: Array3::zeros((0, 0, 0)),
            grad_gx: Array3::zeros((0, 0, 0)),
            grad_gh: Array3::zeros((0, 0, 0)),
            grad_state0: C::State::zeros(0, hidden),
            cell: PhantomData,
        })
    }

    /// A layer initialised like PyTorch's: every weight and bias uniform in ±1/√H.
    pub fn new(input_size: usize, hidden_size: usize, rng: &mut impl Rng) -> Self {
        let bound = 1.0 / (hidden_size.max(1) as f64).sqrt();
        let rows = C::GATES * hidden_size;
        Self::from_weights(
            uniform((rows, input_size), bound, rng),
            uniform((rows, hidden_size), bound, rng),
            uniform(rows, bound, rng),
            uniform(rows, bound, rng),
        )
        .expect("shapes match by construction")
    }

    /// I: the number of input features.
    pub fn input_size(&self) -> usize {
        self.weight_ih.ncols()
    }

    /// H: the number of hidden units.
    pub fn hidden_size(&self) -> usize {
        self.weight_hh.ncols()
    }

    /// Runs the sequence x `[B, T, I]` from `state0` (h0 `[B, H]`, and c0 for the LSTM; use
    /// [`HiddenState::zeros`] for PyTorch's default) and returns the hidden outputs `[B, T, H]`.
    /// The state after the last step is [`Recurrent::final_state`].
    pub fn forward(&mut self, x: ArrayView3<'_, T>, state0: &C::State) -> ArrayView3<'_, T> {
        let (batch, steps, features) = x.dim();
        let (hidden, rows) = (self.hidden_size(), C::GATES * self.hidden_size());
        assert_eq!(features, self.input_size(), "{}: input features", C::NAME);
        assert_eq!(
            state0.h().dim(),
            (batch, hidden),
            "{}: initial state shape",
            C::NAME
        );
        reuse(&mut self.input, x.raw_dim()).assign(&x); // x: [B, T, I]

        // gx = x W_ihᵀ + b_ih for all B·T rows at once: [B·T, I]·[I, G] → [B·T, G]
        let x_rows = sequence_rows(&self.input); // [B·T, I]
        let gx = reuse(&mut self.gx, Ix2(batch * steps, rows));
        gx.assign(&self.bias_ih);
        host::gemm(
            T::one(),
            x_rows,
            false,
            self.weight_ih.view(),
            true,
            T::one(),
            gx.view_mut(),
        );
        let gx = self
            .gx
            .view()
            .into_shape_with_order((batch, steps, rows))
            .expect("gx is contiguous"); // [B, T, G]

        reuse(&mut self.h_prev, Ix3(batch, steps, hidden));
        reuse(&mut self.output, Ix3(batch, steps, hidden));
        self.caches.clear();
        let mut gh = Array2::zeros((batch, rows)); // gh = h W_hhᵀ + b_hh: [B, G]
        let mut state = state0.clone();
        for t in 0..steps {
            self.h_prev.index_axis_mut(Axis(1), t).assign(&state.h());
            gh.assign(&self.bias_hh);
            host::gemm(
                T::one(),
                state.h(),
                false,
                self.weight_hh.view(),
                true,
                T::one(),
                gh.view_mut(),
            );
            let (next, cache) = C::step(gx.index_axis(Axis(1), t), gh.view(), &state);
            self.output.index_axis_mut(Axis(1), t).assign(&next.h());
            self.caches.push(cache);
            state = next;
        }
        self.final_state = state;
        self.output.view()
    }

    /// The state after the last step of the latest forward (h_n, and c_n for the LSTM).
    pub fn final_state(&self) -> &C::State {
        &self.final_state
    }

    /// Backpropagates through time. Takes dL/d output `[B, T, H]` and, if the loss also uses the
    /// final state, dL/d final state; adds the parameter gradients and returns dL/dx `[B, T, I]`
    /// and dL/d state0.
    pub fn backward(
        &mut self,
        d_output: ArrayView3<'_, T>,
        d_final: Option<&C::State>,
    ) -> (ArrayView3<'_, T>, &C::State) {
        let (batch, steps, hidden) = self.output.dim();
        let rows = C::GATES * hidden;
        assert_eq!(
            d_output.dim(),
            self.output.dim(),
            "{}: grad_output shape",
            C::NAME
        );
        let d_gx = reuse(&mut self.grad_gx, Ix3(batch, steps, rows)); // dL/d gx: [B, T, G]
        let d_gh = reuse(&mut self.grad_gh, Ix3(batch, steps, rows)); // dL/d gh: [B, T, G]
        let mut d_state = d_final
            .cloned()
            .unwrap_or_else(|| C::State::zeros(batch, hidden));
        for t in (0..steps).rev() {
            d_state
                .h_mut()
                .zip_mut_with(&d_output.index_axis(Axis(1), t), |d, &g| *d += g);
            let step = C::step_backward(&self.caches[t], &d_state);
            d_gx.index_axis_mut(Axis(1), t).assign(&step.d_gx);
            d_gh.index_axis_mut(Axis(1), t).assign(&step.d_gh);
            d_state = step.d_prev;
            // dh_{t−1} += d gh_t [B, G] · W_hh [G, H]
            host::gemm(
                T::one(),
                step.d_gh.view(),
                false,
                self.weight_hh.view(),
                false,
                T::one(),
                d_state.h_mut(),
            );
        }
        self.grad_state0 = d_state;

        let (d_gx, d_gh) = (sequence_rows(&self.grad_gx), sequence_rows(&self.grad_gh)); // [B·T, G] each
        // dW_ih: [G, I] += d gxᵀ [G, B·T] · x [B·T, I];  db_ih += Σ rows of d gx
        host::gemm(
            T::one(),
            d_gx,
            true,
            sequence_rows(&self.input),
            false,
            T::one(),
            self.grad_weight_ih.view_mut(),
        );
        host::add_column_sums(d_gx, self.grad_bias_ih.view_mut());
        // dW_hh: [G, H] += d ghᵀ [G, B·T] · h_prev [B·T, H];  db_hh += Σ rows of d gh
        host::gemm(
            T::one(),
            d_gh,
            true,
            sequence_rows(&self.h_prev),
            false,
            T::one(),
            self.grad_weight_hh.view_mut(),
        );
        host::add_column_sums(d_gh, self.grad_bias_hh.view_mut());
        // dx: [B·T, I] = d gx [B·T, G] · W_ih [G, I]
        let dx = reuse(&mut self.grad_input, self.input.raw_dim());
        let dx_rows = dx
            .view_mut()
            .into_shape_with_order((batch * steps, self.weight_ih.ncols()))
            .expect("contiguous");
        host::gemm(
            T::one(),
            d_gx,
            false,
            self.weight_ih.view(),
            false,
            T::zero(),
            dx_rows,
        );
        (self.grad_input.view(), &self.grad_state0)
    }
}

impl<T: Scalar, C: Cell<T>> Layer<T> for Recurrent<T, C> {
    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T>)) {
        visit(Param::new(
            "weight_ih",
            self.weight_ih.view_mut(),
            self.grad_weight_ih.view_mut(),
        ));
        visit(Param::new(
            "weight_hh",
            self.weight_hh.view_mut(),
            self.grad_weight_hh.view_mut(),
        ));
        visit(Param::new(
            "bias_ih",
            self.bias_ih.view_mut(),
            self.grad_bias_ih.view_mut(),
        ));
        visit(Param::new(
            "bias_hh",
            self.bias_hh.view_mut(),
            self.grad_bias_hh.view_mut(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
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
        let state0 = LstmState {
            h: array![[0.5]],
            c: array![[-1.0]],
        };
        let y = lstm.forward(array![[[0.25]]].view(), &state0).to_owned();
        let s = sigmoid(0.75_f64);
        let c = -s + s * 0.75_f64.tanh(); // f ⊙ c + i ⊙ g with c = −1
        assert!((lstm.final_state().c[[0, 0]] - c).abs() < 1e-15);
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
        let y = gru.forward(x.view(), &h0).to_owned();
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
        let mut gru = Gru::<f32>::new(3, 16, &mut rng);
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
}
