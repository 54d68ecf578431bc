//! Dropout on the CPU: the share kept, the scale, and the same mask for the same seed. A test
//! binary of its own: the device's generator is shared by the tests of one binary, which run
//! at the same time.

use burn::nn::DropoutConfig;
use burn::tensor::{Device, Tensor};
use melodeon::model::dropout::dropout;

#[test]
fn dropout_on_the_cpu_keeps_its_share_scaled_and_repeats_with_the_seed() {
    let layer = DropoutConfig::new(0.2).init();
    let base = Device::flex();
    let device = base.clone().autodiff();
    let ones = || Tensor::<3>::ones([4, 64, 128], &device);
    let draw = || -> Vec<f32> { dropout(&layer, ones()).into_data().try_to_vec().unwrap() };
    base.seed(3);
    let a = draw();
    let kept = a.iter().filter(|&&x| x > 0.0).count() as f64 / a.len() as f64;
    assert!((kept - 0.8).abs() < 0.01, "kept {kept}");
    assert!(
        a.iter().all(|&x| x == 0.0 || (x - 1.25).abs() < 1e-6),
        "kept values are scaled by 1 / 0.8"
    );
    let b = draw();
    assert!(a != b, "the next call draws a new mask");
    base.seed(3);
    assert!(draw() == a, "the same seed gives the same mask");
    // Without autodiff (generation, evaluation) nothing is dropped.
    let plain = Device::flex();
    let same = dropout(&layer, Tensor::<3>::ones([2, 3, 4], &plain));
    assert_eq!(same.sum().into_scalar::<f32>(), 24.0);
}
