//! The fused Adam update (`train::adam`) gives burn's `Adam`'s numbers on the CPU backends.

use melodeon::backend::CpuBackend;

#[path = "common/adam.rs"]
mod adam;
use adam::fused_adam_difference;

#[test]
fn fused_adam_follows_burns_adam_on_both_cpu_backends() {
    for backend in [CpuBackend::Flex, CpuBackend::NdArray] {
        let difference = fused_adam_difference(&backend.device(), None);
        assert!(difference < 1e-6, "{}: {difference}", backend.name());
    }
}

#[test]
fn fused_adam_follows_burns_adam_with_clipped_gradients() {
    let difference = fused_adam_difference(&CpuBackend::Flex.device(), Some(0.5));
    assert!(difference < 1e-6, "{difference}");
}
