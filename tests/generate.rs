//! Generation: carried state equals re-feeding, seeds are reproducible, the grammar holds.

use burn::tensor::Device;
use melodeon::data::condition::Layout;
use melodeon::data::{Clock, Contour, INPUTS_PER_STEP};
use melodeon::generate::{
    CarriedState, Decoder, GenerateConfig, Grammar, KernelDecoder, Refeed, SamplerConfig, generate,
};
use melodeon::model::{MelodyModel, ModelConfig};
use melodeon::recipe::Recipe;
use melodeon::song::Mode;

#[path = "common/conditioned.rs"]
mod conditioned;
use conditioned::conditioned_config;

const END: u32 = 0;
const HOLD: u32 = 9;
const GRAMMAR: Grammar = Grammar {
    end: END,
    hold: Some(HOLD),
};

fn config() -> ModelConfig {
    ModelConfig {
        layers: 2,
        hidden: 24,
        ..Recipe::Windows.network(10)
    }
}

fn model(device: &Device) -> MelodyModel {
    device.seed(5);
    config().init(device)
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

fn conditioned_model(device: &Device) -> MelodyModel {
    device.seed(6);
    conditioned_config().init(device)
}

/// The 3/4 clock in minor with a pickup of 4 steps.
const CLOCK: Clock = Clock {
    meter: 1,
    mode: Mode::Minor,
    bar_steps: 12,
    pickup: 4,
    bars: 9,
    layout: Layout {
        bars_left: true,
        melodic: true,
        interval: true,
    },
};

/// Writing settings at temperature 1 with `seed`, at most `max_len` tokens, meter and mode
/// drawn.
fn at_temperature_one(seed: u64, max_len: usize) -> GenerateConfig {
    GenerateConfig {
        sampler: SamplerConfig {
            temperature: 1.0,
            top_k: None,
            seed,
        },
        max_len,
        meter: None,
        mode: None,
    }
}

/// Feeds the same tokens (with the inputs of `clock`, if any, after a context of `start`
/// steps) to both decoders and checks their next-token distributions agree.
fn assert_same_distributions(
    a: &mut impl Decoder,
    b: &mut impl Decoder,
    steps: u32,
    clock: Option<(Clock, usize)>,
) {
    let mut token: Option<u32> = None;
    for step in 0..steps {
        let inputs = clock.map_or_else(Vec::new, |(c, start)| {
            c.inputs(start + step as usize, &Contour::default())
                .to_vec()
        });
        let fed = token.map(|t| (t, inputs.as_slice()));
        let p = softmax(&pollster::block_on(a.next_logits(fed)).unwrap());
        let q = softmax(&pollster::block_on(b.next_logits(fed)).unwrap());
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
    let mut carried = CarriedState::new(&model, &device, &context, &[]);
    assert_same_distributions(
        &mut carried,
        &mut Refeed::new(&model, &device, &context, &[]),
        60,
        None,
    );
}

#[test]
fn the_cpu_kernel_decoder_gives_the_same_distribution_at_every_step() {
    let device = Device::flex();
    let model = model(&device);
    let context = context(&[5, HOLD, 2]);
    let weights = model.weights(&config()).expect("a CPU model");
    let mut kernel = KernelDecoder::new(&weights, &context, &[]);
    assert_same_distributions(
        &mut CarriedState::new(&model, &device, &context, &[]),
        &mut kernel,
        60,
        None,
    );
}

#[test]
fn conditioned_decoders_agree_and_the_inputs_change_the_distribution() {
    let device = Device::flex();
    let model = conditioned_model(&device);
    // A start token and a primer of two tokens: inputs of steps 0, 1, 2.
    let context = [END, 3, 4];
    let inputs: Vec<u32> = (0..3)
        .flat_map(|s| CLOCK.inputs(s, &Contour::default()))
        .collect();
    assert_eq!(inputs.len(), 3 * INPUTS_PER_STEP);
    let weights = model.weights(&conditioned_config()).expect("a CPU model");
    let mut kernel = KernelDecoder::new(&weights, &context, &inputs);
    assert_same_distributions(
        &mut CarriedState::new(&model, &device, &context, &inputs),
        &mut kernel,
        40,
        Some((CLOCK, 3)),
    );
    assert_same_distributions(
        &mut CarriedState::new(&model, &device, &context, &inputs),
        &mut Refeed::new(&model, &device, &context, &inputs),
        20,
        Some((CLOCK, 3)),
    );
    // Another meter at the same step gives another distribution.
    let other: Vec<u32> = (0..3)
        .flat_map(|s| Clock { meter: 2, ..CLOCK }.inputs(s, &Contour::default()))
        .collect();
    let mut a = KernelDecoder::new(&weights, &context, &inputs);
    let mut b = KernelDecoder::new(&weights, &context, &other);
    let p = pollster::block_on(a.next_logits(None)).unwrap();
    let q = pollster::block_on(b.next_logits(None)).unwrap();
    assert!(p.iter().zip(&q).any(|(x, y)| (x - y).abs() > 1e-4));
}

fn tune(model: &MelodyModel, device: &Device, seed: u64, primer: &[u32]) -> Vec<u32> {
    let config = at_temperature_one(seed, 80);
    let mut decoder = CarriedState::new(model, device, &context(primer), &[]);
    pollster::block_on(generate(&mut decoder, GRAMMAR, primer, None, &config)).unwrap()
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

/// The terminator, the notes C4 to G4 and the hold (id [`HOLD`]).
fn eight_notes() -> melodeon::encoding::vocab::Vocab {
    use melodeon::encoding::grid::Token;
    let mut tokens = vec![Token::End];
    tokens.extend((60..68).map(Token::Note));
    tokens.push(Token::Hold);
    melodeon::encoding::vocab::Vocab::from_tokens(tokens).unwrap()
}

/// A decoder that always wants to end the tune.
struct Impatient;

impl Decoder for Impatient {
    async fn next_logits(&mut self, _: Option<(u32, &[u32])>) -> Result<Vec<f32>, String> {
        let mut logits = vec![0.0; 10];
        logits[END as usize] = 50.0;
        Ok(logits)
    }
}

#[test]
fn a_conditioned_tune_does_not_end_before_its_first_full_bar() {
    use melodeon::encoding::grid::Token;
    use melodeon::generate::Steer;

    let vocab = eight_notes();
    assert_eq!(vocab.id(Token::Hold), Some(HOLD));
    let config = at_temperature_one(3, 80);
    let steer = Steer {
        clock: &CLOCK,
        vocab: &vocab,
        ends: None,
        new_pitches: None,
        forms: None,
    };
    assert_eq!(steer.shortest(), 4 + 12, "the pickup and one 3/4 bar");
    let tune = pollster::block_on(generate(&mut Impatient, GRAMMAR, &[], Some(steer), &config));
    assert_eq!(tune.unwrap().len(), 16);
    let free = pollster::block_on(generate(&mut Impatient, GRAMMAR, &[], None, &config));
    assert_eq!(
        free.unwrap().len(),
        1,
        "without a clock only the grammar holds"
    );
}

#[test]
fn a_calibrated_end_comes_only_where_its_factor_allows() {
    use melodeon::data::condition::ENDINGS;
    use melodeon::encoding::grid::Token;
    use melodeon::generate::{EndCalibration, Steer};

    let vocab = eight_notes();
    // The clock is in minor (tonic A): the end all but ruled out unless the last pitch is C,
    // the third (held, or before a rest).
    let mut ends = EndCalibration {
        log_factor: vec![-100.0; ENDINGS],
    };
    ends.log_factor[3] = 0.0;
    ends.log_factor[12 + 3] = 0.0;
    let steer = Steer {
        clock: &CLOCK,
        vocab: &vocab,
        ends: Some(&ends),
        new_pitches: None,
        forms: None,
    };
    for seed in 0..20 {
        let config = at_temperature_one(seed, 400);
        let tune = pollster::block_on(generate(&mut Impatient, GRAMMAR, &[], Some(steer), &config))
            .unwrap();
        assert!(tune.len() < 400, "seed {seed}: the tune ended");
        let last = tune.iter().rev().find(|&&id| id != HOLD).unwrap();
        assert_eq!(
            vocab.token(*last),
            Some(Token::Note(60)),
            "seed {seed}: {tune:?}"
        );
    }
}

/// A decoder that finds every token but the end equally likely.
struct Wandering;

impl Decoder for Wandering {
    async fn next_logits(&mut self, _: Option<(u32, &[u32])>) -> Result<Vec<f32>, String> {
        let mut logits = vec![0.0; 10];
        logits[END as usize] = -50.0;
        Ok(logits)
    }
}

#[test]
fn a_calibration_of_new_pitches_keeps_a_tune_to_the_pitches_it_has_when_it_forbids_more() {
    use melodeon::encoding::grid::Token;
    use melodeon::generate::{NewPitchCalibration, Steer};

    let vocab = eight_notes();
    let config = at_temperature_one(11, 60);
    let pitches = |new_pitches: Option<&NewPitchCalibration>| {
        let steer = Steer {
            clock: &CLOCK,
            vocab: &vocab,
            ends: None,
            new_pitches,
            forms: None,
        };
        let tune = pollster::block_on(generate(&mut Wandering, GRAMMAR, &[], Some(steer), &config))
            .unwrap();
        let mut pitches: Vec<u8> = tune
            .iter()
            .filter_map(|&id| match vocab.token(id) {
                Some(Token::Note(pitch)) => Some(pitch),
                _ => None,
            })
            .collect();
        let notes = pitches.len();
        pitches.sort_unstable();
        pitches.dedup();
        (notes, pitches.len())
    };
    let (notes, free) = pitches(None);
    assert!(notes > 20 && free == 8, "{notes} notes, {free} pitches");
    let mut none_new = NewPitchCalibration::default();
    none_new.log_factor.iter_mut().for_each(|f| *f = -100.0);
    let (notes, kept) = pitches(Some(&none_new));
    assert!(notes > 20, "notes keep their share against holds: {notes}");
    assert_eq!(kept, 1, "only the first pitch");
}

#[test]
fn a_form_plays_the_bar_a_phrase_back_again_and_a_form_of_new_bars_changes_nothing() {
    use melodeon::generate::{FormPrior, Steer};

    let vocab = eight_notes();
    let config = at_temperature_one(5, 4 + 12 * 10);
    let write = |forms: Option<&FormPrior>| {
        let steer = Steer {
            clock: &CLOCK,
            vocab: &vocab,
            ends: None,
            new_pitches: None,
            forms,
        };
        pollster::block_on(generate(&mut Wandering, GRAMMAR, &[], Some(steer), &config)).unwrap()
    };
    // Every bar drawn to one place in the form: new (0), or the bar four back (1).
    let always = |place: usize| FormPrior {
        next: vec![vec![(0..3).map(|p| f64::from(u8::from(p == place))).collect(); 4]; 3],
    };
    let free = write(None);
    assert_eq!(
        write(Some(&always(0))),
        free,
        "new bars are the network's own"
    );
    let repeated = write(Some(&always(1)));
    let bars: Vec<&[u32]> = repeated[4..].chunks_exact(12).collect();
    assert_eq!(bars.len(), 10, "after the pickup of 4, ten bars of 3/4");
    assert_ne!(bars[0], bars[1], "the first phrase is the network's");
    for j in 4..10 {
        assert_eq!(bars[j], bars[j - 4], "bar {j} repeats bar {}", j - 4);
    }
}
