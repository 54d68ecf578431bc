//! Generation: carried state equals re-feeding, seeds are reproducible, the grammar holds.

use burn::tensor::Device;
use melodeon::generate::{
    CarriedState, Decoder, GenerateConfig, Grammar, KernelDecoder, Refeed, SamplerConfig, generate,
};
use melodeon::model::{MelodyModel, ModelConfig};

const END: u32 = 0;
const HOLD: u32 = 9;
const GRAMMAR: Grammar = Grammar {
    end: END,
    hold: Some(HOLD),
};

fn model(device: &Device) -> MelodyModel {
    device.seed(5);
    ModelConfig {
        layers: 2,
        hidden: 24,
        ..ModelConfig::seed(10)
    }
    .init(device)
}

fn context(primer: &[u32]) -> Vec<u32> {
    let mut context = vec![END; 64];
    context.extend_from_slice(primer);
    context
}

fn softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f64> = logits.iter().map(|&x| f64::from(x - max).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

/// Feeds the same tokens to both decoders and checks their next-token distributions agree.
fn assert_same_distributions(a: &mut impl Decoder, b: &mut impl Decoder, steps: u32) {
    let mut token = None;
    for step in 0..steps {
        let p = softmax(&pollster::block_on(a.next_logits(token)).unwrap());
        let q = softmax(&pollster::block_on(b.next_logits(token)).unwrap());
        let diff = p
            .iter()
            .zip(&q)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(diff < 1e-5, "step {step}: distributions differ by {diff}");
        token = Some(1 + (step * 7) % 9);
    }
}

#[test]
fn carried_state_and_refeeding_give_the_same_distribution_at_every_step() {
    let device = Device::flex();
    let model = model(&device);
    let context = context(&[3, 4, HOLD]);
    let mut carried = CarriedState::new(&model, &device, &context);
    assert_same_distributions(
        &mut carried,
        &mut Refeed::new(&model, &device, &context),
        60,
    );
}

#[test]
fn the_cpu_kernel_decoder_gives_the_same_distribution_at_every_step() {
    let device = Device::flex();
    let model = model(&device);
    let context = context(&[5, HOLD, 2]);
    let mut kernel = KernelDecoder::new(&model, &context).expect("a CPU model");
    assert_same_distributions(
        &mut CarriedState::new(&model, &device, &context),
        &mut kernel,
        60,
    );
}

fn tune(model: &MelodyModel, device: &Device, seed: u64, primer: &[u32]) -> Vec<u32> {
    let config = GenerateConfig {
        sampler: SamplerConfig {
            temperature: 1.0,
            top_k: None,
            seed,
        },
        max_len: 80,
    };
    let mut decoder = CarriedState::new(model, device, &context(primer));
    pollster::block_on(generate(&mut decoder, GRAMMAR, primer, &config)).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_tune() {
    let device = Device::flex();
    let model = model(&device);
    let a = tune(&model, &device, 1, &[]);
    assert_eq!(a, tune(&model, &device, 1, &[]));
    assert_ne!(a, tune(&model, &device, 2, &[]));
}

#[test]
fn tunes_respect_the_grammar_the_primer_and_the_length() {
    let device = Device::flex();
    let model = model(&device);
    for seed in 0..20 {
        let free = tune(&model, &device, seed, &[]);
        assert!(!free.is_empty() && free.len() <= 80);
        assert_ne!(free[0], HOLD, "a tune never starts with a hold");
        assert!(
            !free.contains(&END),
            "the terminator is never part of the tune"
        );
        let primed = tune(&model, &device, seed, &[4, HOLD, 5]);
        assert_eq!(&primed[..3], &[4, HOLD, 5]);
    }
}
