use ndarray::Array2;
use rand::SeedableRng;
use reference_impls::layers::{Activation, ActivationLayer, Layer, Linear};
use reference_impls::loss::softmax_cross_entropy;
use reference_impls::optim::{Optimizer, Sgd, SgdConfig};
fn main() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut l1 = Linear::<f32>::new(784, 256, &mut rng);
    let mut l2 = Linear::<f32>::new(256, 128, &mut rng);
    let mut l3 = Linear::<f32>::new(128, 10, &mut rng);
    let mut a1 = ActivationLayer::new(Activation::Relu);
    let mut a2 = ActivationLayer::new(Activation::Relu);
    let x = Array2::<f32>::from_shape_fn((128, 784), |(i, j)| ((i * 31 + j * 7) % 13) as f32 / 13.0);
    let t: Vec<usize> = (0..128).map(|i| i % 10).collect();
    let mut g = Array2::<f32>::zeros((128, 10));
    let mut opt = Sgd::new(SgdConfig::new(0.01));
    let steps = 300;
    let mut tf = 0.0; let mut tb = 0.0; let mut to = 0.0;
    for s in 0..steps + 20 {
        let t0 = std::time::Instant::now();
        let h1 = l1.forward(x.view());
        let h1 = a1.forward(h1);
        let h2 = l2.forward(h1);
        let h2 = a2.forward(h2);
        let lo = l3.forward(h2);
        let _loss = softmax_cross_entropy(lo, &t, g.view_mut()).unwrap();
        let t1 = std::time::Instant::now();
        for l in [&mut l1 as &mut dyn Layer<f32>, &mut l2, &mut l3] { l.zero_grad(); }
        let d = l3.backward(g.view());
        let d = a2.backward(d);
        let d = l2.backward(d);
        let d = a1.backward(d);
        l1.backward_params(d);
        let t2 = std::time::Instant::now();
        for l in [&mut l1 as &mut dyn Layer<f32>, &mut l2, &mut l3] { opt.step(l); }
        let t3 = std::time::Instant::now();
        if s >= 20 { tf += (t1 - t0).as_secs_f64(); tb += (t2 - t1).as_secs_f64(); to += (t3 - t2).as_secs_f64(); }
    }
    let n = steps as f64;
    println!("per step ms: fwd {:.3} bwd {:.3} opt {:.3}; samples/s {:.0}", tf / n * 1e3, tb / n * 1e3, to / n * 1e3, 128.0 * n / (tf + tb + to));
    // pure GEMM cost of the same products
    let w1 = l1.weight.clone(); let mut y = Array2::<f32>::zeros((128, 256));
    let t0 = std::time::Instant::now();
    for _ in 0..steps { ndarray::linalg::general_mat_mul(1.0, &x, &w1.t(), 0.0, &mut y); }
    println!("gemm 128x784x256 ms {:.3} ({:.1} GFLOPS)", t0.elapsed().as_secs_f64() / n * 1e3, 2.0 * 128.0 * 784.0 * 256.0 * n / t0.elapsed().as_secs_f64() / 1e9);
}
