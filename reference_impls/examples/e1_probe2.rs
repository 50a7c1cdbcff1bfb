use ndarray::Array2;
use rand::SeedableRng;
use reference_impls::layers::{Activation, ActivationLayer, Linear};
fn time(name: &str, n: usize, mut f: impl FnMut()) {
    for _ in 0..10 { f(); }
    let t0 = std::time::Instant::now();
    for _ in 0..n { f(); }
    println!("{name:30} {:.3} ms", t0.elapsed().as_secs_f64() / n as f64 * 1e3);
}
fn main() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut l1 = Linear::<f32>::new(784, 256, &mut rng);
    let mut a1 = ActivationLayer::<f32>::new(Activation::Relu);
    let x = Array2::<f32>::from_shape_fn((128, 784), |(i, j)| ((i * 31 + j * 7) % 13) as f32 / 13.0);
    let dy = Array2::<f32>::from_shape_fn((128, 256), |(i, j)| ((i * 3 + j * 7) % 5) as f32 / 5.0 - 0.4);
    let w = l1.weight.clone();
    let mut y = Array2::<f32>::zeros((128, 256));
    let mut dw = Array2::<f32>::zeros((256, 784));
    let mut dx = Array2::<f32>::zeros((128, 784));
    time("gemm x.Wt", 200, || ndarray::linalg::general_mat_mul(1.0, &x, &w.t(), 0.0, &mut y));
    time("gemm x.Wt beta1", 200, || ndarray::linalg::general_mat_mul(1.0, &x, &w.t(), 1.0, &mut y));
    let wt = w.t().as_standard_layout().into_owned();
    time("gemm x.(Wt contiguous)", 200, || ndarray::linalg::general_mat_mul(1.0, &x, &wt, 0.0, &mut y));
    time("gemm dyT.x", 200, || ndarray::linalg::general_mat_mul(1.0, &dy.t(), &x, 1.0, &mut dw));
    time("gemm dy.W", 200, || ndarray::linalg::general_mat_mul(1.0, &dy, &w, 0.0, &mut dx));
    time("linear forward", 200, || { l1.forward(x.view()); });
    time("linear backward", 200, || { l1.backward(dy.view()); });
    time("linear backward_params", 200, || { l1.backward_params(dy.view()); });
    let xs: Vec<f32> = y.iter().copied().collect(); let mut ys = vec![0f32; xs.len()];
    time("raw relu loop", 200, || { for (o, &v) in ys.iter_mut().zip(&xs) { *o = v.max(0.0); } std::hint::black_box(&ys); });
    time("raw copy", 200, || { ys.clear(); ys.extend_from_slice(&xs); std::hint::black_box(&ys); });
    use reference_impls::backend::{Backend, Cpu};
    time("Cpu.map max", 200, || { Cpu.map(ndarray::ArrayView1::from(&xs), ndarray::ArrayViewMut1::from(&mut ys), |v| v.max(0.0)); });
    time("Cpu.map Relu.value", 200, || { let f = Activation::Relu; Cpu.map(ndarray::ArrayView1::from(&xs), ndarray::ArrayViewMut1::from(&mut ys), |v| f.value(v)); });
    time("loop Relu.value", 200, || { let f = Activation::Relu; for (o, &v) in ys.iter_mut().zip(&xs) { *o = f.value(v); } std::hint::black_box(&ys); });
    use reference_impls::optim::{Optimizer, Sgd, SgdConfig, Adam, AdamConfig};
    let mut sgd = Sgd::new(SgdConfig::new(0.01));
    time("sgd step 200k", 200, || sgd.step(&mut l1));
    let mut adam = Adam::new(AdamConfig::adam(0.001));
    time("adam step 200k", 200, || adam.step(&mut l1));
    let mut gg = l1.grad_weight.clone();
    time("raw sgd loop 200k", 200, || { for (p, &g) in gg.as_slice_mut().unwrap().iter_mut().zip(l1.grad_weight.as_slice().unwrap()) { *p -= 0.01 * g; } std::hint::black_box(&gg); });
    time("relu forward", 200, || { a1.forward(y.view()); });
    time("relu backward", 200, || { a1.backward(dy.view()); });
}
