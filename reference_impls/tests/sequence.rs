//! Finite-difference gradient checks (f64) of the sequence layers and losses: RNN, LSTM, GRU,
//! scaled dot-product attention, multi-head attention, the pre-norm transformer encoder layer,
//! and the GAN losses. Shapes are small and odd so that a transposed or mixed-up axis shows.
//!
//! Every backward is checked as PyTorch's reference vectors define gradients: with probes G, the
//! loss is `L = Σ output ⊙ G` (plus the final recurrent state against its own probe), and every
//! input and parameter gradient must match the central difference of L.

use ndarray::{Array, Array2, Array3, ArrayD, Dimension, IxDyn, ShapeBuilder};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use reference_impls::gan::{discriminator_loss, generator_loss_nonsaturating};
use reference_impls::gradcheck::{GradCheck, weighted_sum};
use reference_impls::layers::attention::{MultiHeadAttention, ScaledDotProductAttention};
use reference_impls::layers::recurrent::{Cell, GruCell, LstmCell, Recurrent, RnnTanhCell};
use reference_impls::layers::transformer::TransformerEncoderLayer;
use reference_impls::layers::{Layer, uniform};

/// Random values in ±1 of `shape`, from a fixed seed.
fn random<Sh: ShapeBuilder<Dim = D>, D: Dimension>(
    shape: Sh,
    rng: &mut ChaCha8Rng,
) -> Array<f64, D> {
    uniform(shape, 1.0, rng)
}

/// Checks the accumulated gradient of every parameter of `layer` against finite differences of
/// `loss` (which must run the forward pass only). Call after `zero_grad` and one backward.
fn check_params<L: Layer<f64>>(layer: &mut L, mut loss: impl FnMut(&mut L) -> f64) {
    let mut snapshot: Vec<(String, ArrayD<f64>, ArrayD<f64>)> = Vec::new();
    layer.params_mut(&mut |p| {
        snapshot.push((p.name.to_string(), p.value.to_owned(), p.grad.to_owned()));
    });
    assert!(!snapshot.is_empty(), "the layer has parameters");
    for (name, value, grad) in &snapshot {
        let set = |layer: &mut L, v: &ArrayD<f64>| {
            layer.params_mut(&mut |mut p| {
                if p.name == name.as_str() {
                    p.value.assign(v);
                }
            })
        };
        let result = GradCheck::default().check(name, value, grad, |v| {
            set(layer, v);
            loss(layer)
        });
        set(layer, value);
        if let Err(e) = result {
            panic!("{e}");
        }
    }
}

/// Checks one input's analytic gradient against finite differences of `loss`.
fn check_input<D: Dimension>(
    name: &str,
    x: &Array<f64, D>,
    analytic: &Array<f64, D>,
    loss: impl FnMut(&Array<f64, D>) -> f64,
) {
    if let Err(e) = GradCheck::default().check(name, x, analytic, loss) {
        panic!("{e}");
    }
}

/// L = Σ output ⊙ G + Σ_parts final_state_part ⊙ G_part for a recurrent layer.
fn recurrent_loss<C: Cell>(
    layer: &mut Recurrent<f64, C>,
    x: &Array3<f64>,
    state0: &[Array2<f64>],
    probe: &Array3<f64>,
    final_probe: &[Array2<f64>],
) -> f64 {
    let out = weighted_sum(layer.forward(x, state0).unwrap(), probe);
    let fin = layer.final_state();
    out + fin
        .iter()
        .zip(final_probe)
        .map(|(part, g)| weighted_sum(part, g))
        .sum::<f64>()
}

/// B=2, T=3, I=5, H=4: gradients of x, every part of the initial state and the four weights,
/// with the loss reading both the outputs and the final state.
fn check_recurrent<C: Cell>(seed: u64) {
    let (b, t, i, h) = (2, 3, 5, 4);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut layer = Recurrent::<f64, C>::new(i, h, &mut rng);
    let x = random((b, t, i), &mut rng);
    let random_state = |rng: &mut ChaCha8Rng| -> Vec<Array2<f64>> {
        C::PARTS.iter().map(|_| random((b, h), rng)).collect()
    };
    let state0 = random_state(&mut rng);
    let probe = random((b, t, h), &mut rng);
    let final_probe = random_state(&mut rng);

    layer.zero_grad().unwrap();
    layer.forward(&x, &state0).unwrap();
    let (dx, d_state0) = layer.backward(&probe, Some(&final_probe)).unwrap();
    let (dx, d_state0) = (dx.to_owned(), d_state0.to_vec());

    check_input("x", &x, &dx, |x| {
        recurrent_loss(&mut layer, x, &state0, &probe, &final_probe)
    });
    for (k, name) in C::PARTS.iter().enumerate() {
        let part = state0[k].to_owned();
        let analytic = d_state0[k].to_owned();
        check_input(&format!("{name}0"), &part, &analytic, |v| {
            let mut s0 = state0.clone();
            s0[k] = v.clone();
            recurrent_loss(&mut layer, &x, &s0, &probe, &final_probe)
        });
    }
    check_params(&mut layer, |l| {
        recurrent_loss(l, &x, &state0, &probe, &final_probe)
    });
}

#[test]
fn rnn_tanh_backward_matches_finite_differences() {
    check_recurrent::<RnnTanhCell>(11);
}

#[test]
fn lstm_backward_matches_finite_differences() {
    check_recurrent::<LstmCell>(12);
}

#[test]
fn gru_backward_matches_finite_differences() {
    check_recurrent::<GruCell>(13);
}

/// Gradients of q, k, v for attention with the given shapes (N, Lq, Lk, D, Dv).
fn check_sdpa(causal: bool, scale: Option<f64>, dims: (usize, usize, usize, usize, usize)) {
    let (n, lq, lk, d, dv) = dims;
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let [q, k] = [lq, lk].map(|len| random((n, len, d), &mut rng));
    let v = random((n, lk, dv), &mut rng);
    let probe = random((n, lq, dv), &mut rng);
    let mut sdpa = ScaledDotProductAttention::new(causal, scale);
    sdpa.forward(&q, &k, &v).unwrap();
    let [dq, dk, dv_] = sdpa.backward(&probe).unwrap().map(|g| g.to_owned());
    let mut loss = |q: &Array3<f64>, k: &Array3<f64>, v: &Array3<f64>| {
        weighted_sum(sdpa.forward(q, k, v).unwrap(), &probe)
    };
    check_input("q", &q, &dq, |q| loss(q, &k, &v));
    check_input("k", &k, &dk, |k| loss(&q, k, &v));
    check_input("v", &v, &dv_, |v| loss(&q, &k, v));
}

#[test]
fn sdpa_backward_matches_finite_differences() {
    check_sdpa(false, None, (3, 3, 5, 4, 2));
}

#[test]
fn sdpa_causal_backward_matches_finite_differences() {
    check_sdpa(true, None, (2, 4, 4, 3, 5));
    check_sdpa(true, Some(0.7), (2, 5, 3, 3, 2)); // more queries than keys, custom scale
}

#[test]
fn causal_mask_blocks_gradients_from_the_future() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (q, k, v) = (
        random((1, 4, 3), &mut rng),
        random((1, 4, 3), &mut rng),
        random((1, 4, 2), &mut rng),
    );
    let mut sdpa = ScaledDotProductAttention::new(true, None);
    sdpa.forward(&q, &k, &v).unwrap();
    let mut probe = Array3::zeros((1, 4, 2));
    probe[[0, 1, 0]] = 1.0; // the loss reads query 1 only
    let [_, dk, dv] = sdpa.backward(&probe).unwrap();
    assert!(dk.slice(ndarray::s![0, 2.., ..]).iter().all(|&g| g == 0.0));
    assert!(dv.slice(ndarray::s![0, 2.., ..]).iter().all(|&g| g == 0.0));
}

/// Gradients of the inputs and the four parameters of multi-head attention. Self-attention
/// feeds one x to query, key and value, so its gradient is the sum of the three paths.
fn check_mha(self_attention: bool, causal: bool) {
    let (b, lq, lk, e, heads) = (2, 3, if self_attention { 3 } else { 5 }, 6, 3);
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let mut mha = MultiHeadAttention::new(e, heads, causal, &mut rng).unwrap();
    // Non-zero biases, so that their gradients and the bias paths are exercised.
    mha.in_proj_bias = random(3 * e, &mut rng);
    mha.out_proj.bias = random(e, &mut rng);
    let query = random((b, lq, e), &mut rng);
    let key = random((b, lk, e), &mut rng);
    let value = random((b, lk, e), &mut rng);
    let probe = random((b, lq, e), &mut rng);
    let run =
        |mha: &mut MultiHeadAttention<f64>, q: &Array3<f64>, k: &Array3<f64>, v: &Array3<f64>| {
            if self_attention {
                weighted_sum(mha.forward(q, q, q).unwrap(), &probe)
            } else {
                weighted_sum(mha.forward(q, k, v).unwrap(), &probe)
            }
        };
    mha.zero_grad().unwrap();
    run(&mut mha, &query, &key, &value);
    if self_attention {
        let dx = mha.backward_self(&probe).unwrap().to_owned();
        check_input("x", &query, &dx, |x| run(&mut mha, x, &key, &value));
    } else {
        let [dq, dk, dv] = mha.backward(&probe).unwrap().map(|g| g.to_owned());
        check_input("query", &query, &dq, |q| run(&mut mha, q, &key, &value));
        check_input("key", &key, &dk, |k| run(&mut mha, &query, k, &value));
        check_input("value", &value, &dv, |v| run(&mut mha, &query, &key, v));
    }
    check_params(&mut mha, |m| run(m, &query, &key, &value));
}

#[test]
fn mha_self_backward_matches_finite_differences() {
    check_mha(true, false);
}

#[test]
fn mha_self_causal_backward_matches_finite_differences() {
    check_mha(true, true);
}

#[test]
fn mha_cross_backward_matches_finite_differences() {
    check_mha(false, false);
}

#[test]
fn mha_averages_attention_weights_over_heads() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut mha = MultiHeadAttention::<f64>::new(6, 3, true, &mut rng).unwrap();
    let x = random((2, 4, 6), &mut rng);
    mha.forward(&x, &x, &x).unwrap();
    let avg = mha.attn_weights_avg().unwrap();
    assert_eq!(avg.dim(), (2, 4, 4));
    for row in avg.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
    }
    assert_eq!(avg[[1, 0, 3]], 0.0); // causal: the first position sees nothing after it
}

#[test]
fn transformer_encoder_layer_backward_matches_finite_differences() {
    let (b, l, e, heads, ff) = (2, 3, 6, 2, 10);
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let mut layer = TransformerEncoderLayer::new(e, heads, ff, &mut rng).unwrap();
    // Move every parameter away from its initial constant (γ = 1, β = 0, zero biases).
    layer.params_mut(&mut |mut p| {
        let noise: ArrayD<f64> = random(IxDyn(p.value.shape()), &mut rng);
        p.value += &(noise * 0.3);
    });
    let x = random((b, l, e), &mut rng);
    let probe = random((b, l, e), &mut rng);
    layer.zero_grad().unwrap();
    layer.forward(&x).unwrap();
    let dx = layer.backward(&probe).unwrap().to_owned();
    check_input("x", &x, &dx, |x| {
        weighted_sum(layer.forward(x).unwrap(), &probe)
    });
    check_params(&mut layer, |layer| {
        weighted_sum(layer.forward(&x).unwrap(), &probe)
    });
}

#[test]
fn gan_losses_gradients_match_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(51);
    let real = random((5, 1), &mut rng) * 4.0;
    let fake = random((5, 1), &mut rng) * 4.0;
    let d = discriminator_loss(real.view(), fake.view());
    assert!((d.loss - d.loss_real - d.loss_fake).abs() < 1e-15);
    check_input("real_logits", &real, &d.grad_real_logits, |r| {
        discriminator_loss(r.view(), fake.view()).loss
    });
    check_input("fake_logits", &fake, &d.grad_fake_logits, |f| {
        discriminator_loss(real.view(), f.view()).loss
    });
    let g = generator_loss_nonsaturating(fake.view());
    check_input("fake_logits (generator)", &fake, &g.grad, |f| {
        generator_loss_nonsaturating(f.view()).loss
    });
}
