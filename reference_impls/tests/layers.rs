//! Every backward of the core layers and losses against central finite differences (f64).
//!
//! Each test draws inputs and weights from a seeded normal, runs forward and backward with a
//! random upstream gradient G, and compares every analytic gradient with the numeric gradient of
//! L = Σ y ⊙ G (or of the loss itself).

use ndarray::{Array, Array1, Array2, Array4, ArrayD, Dimension, IxDyn, ShapeBuilder};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use reference_impls::gradcheck::{GradCheck, weighted_sum};
use reference_impls::layers::{
    Activation, ActivationLayer, Conv2d, Embedding, LayerNorm, Linear, LogSoftmax, Pool2d,
    PoolKind, Softmax,
};
use reference_impls::loss;

/// Standard normal values of `shape`, from `seed`.
fn randn<Sh, D>(shape: Sh, seed: u64) -> Array<f64, D>
where
    Sh: ShapeBuilder<Dim = D>,
    D: Dimension,
{
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array::from_shape_simple_fn(shape, || StandardNormal.sample(&mut rng))
}

/// Checks `analytic` against finite differences of `loss` at `x`, failing with the check's
/// message.
fn check<D: Dimension>(
    name: &str,
    x: &Array<f64, D>,
    analytic: &Array<f64, D>,
    loss: impl FnMut(&Array<f64, D>) -> f64,
) {
    if let Err(err) = GradCheck::default().check(name, x, analytic, loss) {
        panic!("{err}");
    }
}

#[test]
fn every_activation_backward_matches_finite_differences() {
    let variants = [
        Activation::LeakyRelu {
            negative_slope: 0.2,
        },
        Activation::Elu { alpha: 0.7 },
        Activation::Softplus {
            beta: 2.0,
            threshold: 20.0,
        },
    ];
    for (i, act) in Activation::ALL.into_iter().chain(variants).enumerate() {
        let x: ArrayD<f64> = randn(IxDyn(&[3, 7]), 10 + i as u64) * 3.0;
        let g: ArrayD<f64> = randn(IxDyn(&[3, 7]), 100 + i as u64);
        let mut layer = ActivationLayer::new(act);
        layer.forward(&x).unwrap();
        let dx = layer.backward(&g).unwrap().to_owned();
        check(act.name(), &x, &dx, |x| {
            weighted_sum(&x.mapv(|v| act.value(v)), &g)
        });
        // The element-wise derivative is the backward of dy = 1.
        let ones = ArrayD::ones(x.raw_dim());
        let dydx = layer.backward(&ones).unwrap().to_owned();
        assert_eq!(dydx, x.mapv(|v| act.derivative(v)), "{}", act.name());
    }
}

#[test]
fn softmax_and_log_softmax_backward_match_finite_differences() {
    for shape in [&[4, 6][..], &[2, 3, 5]] {
        let x: ArrayD<f64> = randn(IxDyn(shape), 1) * 2.0;
        let g: ArrayD<f64> = randn(IxDyn(shape), 2);
        let mut softmax = Softmax::new();
        softmax.forward(&x).unwrap();
        let dx = softmax.backward(&g).unwrap().to_owned();
        check("softmax x", &x, &dx, |x| {
            weighted_sum(Softmax::new().forward(x).unwrap(), &g)
        });
        let mut log_softmax = LogSoftmax::new();
        log_softmax.forward(&x).unwrap();
        let dx = log_softmax.backward(&g).unwrap().to_owned();
        check("log_softmax x", &x, &dx, |x| {
            weighted_sum(LogSoftmax::new().forward(x).unwrap(), &g)
        });
    }
}

#[test]
fn linear_backward_matches_finite_differences() {
    let (n, i, o) = (5, 4, 3);
    let x: Array2<f64> = randn((n, i), 1);
    let w: Array2<f64> = randn((o, i), 2);
    let b: Array1<f64> = randn(o, 3);
    let g: Array2<f64> = randn((n, o), 4);
    let mut layer = Linear::from_weights(w.clone(), b.clone()).unwrap();
    layer.forward(&x).unwrap();
    let dx = layer.backward(&g).unwrap().to_owned();
    let run = |x: &Array2<f64>, w: &Array2<f64>, b: &Array1<f64>| {
        let mut l = Linear::from_weights(w.clone(), b.clone()).unwrap();
        weighted_sum(l.forward(x).unwrap(), &g)
    };
    check("linear x", &x, &dx, |x| run(x, &w, &b));
    check("linear weight", &w, &layer.grad_weight, |w| run(&x, w, &b));
    check("linear bias", &b, &layer.grad_bias, |b| run(&x, &w, b));
}

#[test]
fn conv2d_backward_matches_finite_differences_for_strides_and_paddings() {
    let (n, c, h, w, f, kh, kw) = (2, 2, 6, 5, 3, 3, 2);
    for (stride, padding) in [(1, 0), (1, 1), (2, 0), (2, 1), (3, 2)] {
        let seed = (stride * 10 + padding) as u64;
        let x: Array4<f64> = randn((n, c, h, w), seed);
        let weight: Array4<f64> = randn((f, c, kh, kw), seed + 1);
        let bias: Array1<f64> = randn(f, seed + 2);
        let run = |x: &Array4<f64>, weight: &Array4<f64>, bias: &Array1<f64>, g: &Array4<f64>| {
            let mut conv =
                Conv2d::from_weights(weight.clone(), bias.clone(), stride, padding).unwrap();
            weighted_sum(conv.forward(x).unwrap(), g)
        };
        let mut conv = Conv2d::from_weights(weight.clone(), bias.clone(), stride, padding).unwrap();
        let out_shape = conv.forward(&x).unwrap().raw_dim();
        let g: Array4<f64> = randn(out_shape, seed + 3);
        let dx = conv.backward(&g).unwrap().to_owned();
        let label = format!("conv2d s{stride} p{padding}");
        check(&format!("{label} x"), &x, &dx, |x| {
            run(x, &weight, &bias, &g)
        });
        check(
            &format!("{label} weight"),
            &weight,
            &conv.grad_weight,
            |wt| run(&x, wt, &bias, &g),
        );
        check(&format!("{label} bias"), &bias, &conv.grad_bias, |b| {
            run(&x, &weight, b, &g)
        });
    }
}

#[test]
fn pooling_backward_matches_finite_differences() {
    let x: Array4<f64> = randn((2, 3, 5, 7), 7);
    for kind in [PoolKind::Max, PoolKind::Avg] {
        for (kernel, stride, padding) in [(2, 2, 0), (3, 2, 1), (2, 1, 0)] {
            let mut pool = Pool2d::new(kind, kernel, stride, padding);
            let out_shape = pool.forward(&x).unwrap().raw_dim();
            let g: Array4<f64> = randn(out_shape, 8);
            let dx = pool.backward(&g).unwrap().to_owned();
            let name = format!("{kind:?} pool k{kernel} s{stride} p{padding}");
            check(&name, &x, &dx, |x| {
                weighted_sum(
                    Pool2d::new(kind, kernel, stride, padding)
                        .forward(x)
                        .unwrap(),
                    &g,
                )
            });
        }
    }
}

#[test]
fn layer_norm_backward_matches_finite_differences() {
    let x: ArrayD<f64> = randn(IxDyn(&[2, 3, 6]), 1) * 2.0 + 0.5;
    let weight: Array1<f64> = randn(6, 2) * 0.2 + 1.0;
    let bias: Array1<f64> = randn(6, 3);
    let g: ArrayD<f64> = randn(IxDyn(&[2, 3, 6]), 4);
    let run = |x: &ArrayD<f64>, weight: &Array1<f64>, bias: &Array1<f64>| {
        let mut ln = LayerNorm::from_weights(weight.clone(), bias.clone(), 1e-5).unwrap();
        weighted_sum(ln.forward(x).unwrap(), &g)
    };
    let mut ln = LayerNorm::from_weights(weight.clone(), bias.clone(), 1e-5).unwrap();
    ln.forward(&x).unwrap();
    let dx = ln.backward(&g).unwrap().to_owned();
    check("layer_norm x", &x, &dx, |x| run(x, &weight, &bias));
    check("layer_norm weight", &weight, &ln.grad_weight, |w| {
        run(&x, w, &bias)
    });
    check("layer_norm bias", &bias, &ln.grad_bias, |b| {
        run(&x, &weight, b)
    });
}

#[test]
fn embedding_backward_matches_finite_differences() {
    let table: Array2<f64> = randn((5, 3), 1);
    let ids = [4, 0, 4, 2, 4];
    let g: Array2<f64> = randn((ids.len(), 3), 2);
    let mut emb = Embedding::from_weights(table.clone());
    emb.forward(&ids).unwrap();
    emb.backward(&g).unwrap();
    check("embedding weight", &table, &emb.grad_weight, |t| {
        let mut e = Embedding::from_weights(t.clone());
        weighted_sum(e.forward(&ids).unwrap(), &g)
    });
}

#[test]
fn loss_gradients_match_finite_differences() {
    let input: Array2<f64> = randn((4, 5), 1) * 2.0;
    let target: Array2<f64> = randn((4, 5), 2);
    let mse = loss::mse(input.view(), target.view()).unwrap();
    check("mse input", &input, &mse.grad, |x| {
        loss::mse(x.view(), target.view()).unwrap().loss
    });
    check("mse target", &target, &-&mse.grad, |y| {
        loss::mse(input.view(), y.view()).unwrap().loss
    });

    let probabilities = randn::<_, ndarray::Ix2>((4, 5), 3).mapv(|v: f64| 1.0 / (1.0 + (-v).exp()));
    let (bce, grad_target) = loss::bce_with_logits(input.view(), probabilities.view()).unwrap();
    let bce_of = |z: &Array2<f64>, y: &Array2<f64>| {
        loss::bce_with_logits(z.view(), y.view()).unwrap().0.loss
    };
    check("bce logits", &input, &bce.grad, |z| {
        bce_of(z, &probabilities)
    });
    check("bce target", &probabilities, &grad_target, |y| {
        bce_of(&input, y)
    });

    let classes = [0, 4, 2, 2];
    let mut grad = Array2::zeros((4, 5));
    loss::softmax_cross_entropy(input.view(), &classes, grad.view_mut()).unwrap();
    check("cross-entropy logits", &input, &grad, |z| {
        let mut scratch = Array2::zeros(z.raw_dim());
        loss::softmax_cross_entropy(z.view(), &classes, scratch.view_mut()).unwrap()
    });

    let hinge = loss::multi_margin(input.view(), &classes, 1.0).unwrap();
    assert!(
        hinge.loss > 0.0,
        "some margins are violated, so the check is not vacuous"
    );
    check("multi-margin input", &input, &hinge.grad, |x| {
        loss::multi_margin(x.view(), &classes, 1.0).unwrap().loss
    });
}
