//! Writing new tunes: sample token after token from the model until the terminator.
//!
//! Generation starts from the model's start context (one start token for a whole-song model,
//! the tutorial's 64 terminators for a window model) plus optional primer tokens, samples from
//! `softmax(logits / temperature)` (optionally top-k) with a seeded generator, and stops at
//! the terminator or the maximum length. A conditioned model is told the meter, the mode, the
//! bar clock and the melody so far at every step ([`Steer`]); the meter and mode are the ones
//! asked for or, when none is, drawn from the training songs' shares, and the pickup is drawn
//! from the pickups of the training songs in that meter. Two rules keep every result decodable
//! (see [`Grammar`]), and a conditioned model's tune does not end before its first full bar
//! ([`Steer::shortest`]): a pickup alone is not a tune. A model file with a [`FormPrior`] has
//! some bars repeat an earlier bar, drawn at each bar line as the songs' forms go.

mod decoder;
mod ends;
mod ensemble;
mod fit;
mod forms;
mod new_pitches;
#[cfg(feature = "training")]
mod on_device;
mod sampler;

pub use decoder::{Decoder, KernelDecoder};
pub use ends::{EndCalibration, EndTally, tally_ends};
pub use ensemble::{Ensemble, EnsembleDecoder, average_probabilities};
pub use fit::{CalibrationFit, fit_calibration};
use forms::FORMS_SEED;
pub use forms::FormPrior;
pub use new_pitches::{NewPitchCalibration, NewPitchTally};
#[cfg(feature = "training")]
pub use on_device::{CarriedState, OnDevice, Refeed, Stateful};
pub use sampler::{Sampler, SamplerConfig};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::condition::Conditioning;
use crate::data::{Clock, Contour};
use crate::encoding::grid::Token;
use crate::encoding::vocab::{END_ID, Vocab};
use crate::model::Weights;
use crate::settings;
use crate::song::{Meter, Mode};

/// Which tokens may come next, so that the decoder can always place them:
/// - a hold `_` never comes right after the start (there is nothing to hold);
/// - the terminator never comes first (a tune has at least one token).
///
/// Masked tokens get probability zero; the others keep their relative probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grammar {
    /// Id of the terminator `.`.
    pub end: u32,
    /// Id of the hold `_` (none in a vocabulary without holds).
    pub hold: Option<u32>,
}

impl Grammar {
    /// The grammar of a vocabulary (its terminator is always id 0).
    pub fn of(vocab: &Vocab) -> Self {
        Self {
            end: END_ID,
            hold: vocab.id(Token::Hold),
        }
    }

    /// Whether `next` may follow `previous` (`None`: the start of the tune).
    pub fn allows(&self, previous: Option<u32>, next: u32) -> bool {
        match previous {
            None => Some(next) != self.hold && next != self.end,
            Some(_) => true,
        }
    }
}

/// What writing needs of a model besides its network: how it reads songs (vocabulary, grid
/// step, start tokens, conditioning) and its calibrations of writing. A model file gives it
/// (`ModelHeader::writing`); the calibrations' fit swaps in the ones being fitted.
#[derive(Clone, Copy, Debug)]
pub struct Writing<'a> {
    /// The vocabulary.
    pub vocab: &'a Vocab,
    /// The grid step the model's tokens are on.
    pub step: crate::encoding::grid::Step,
    /// Terminators read before a tune's first token.
    pub start_tokens: usize,
    /// The meter, mode and bar-clock inputs the model reads, if any.
    pub conditioning: Option<&'a Conditioning>,
    /// The end's calibration by the last pitch's degree, if the model has one.
    pub ends: Option<&'a EndCalibration>,
    /// The calibration of new pitches, if the model has one.
    pub new_pitches: Option<&'a NewPitchCalibration>,
    /// The prior of forms, if the model has one.
    pub forms: Option<&'a FormPrior>,
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerateConfig {
    /// Sampling settings (temperature, top-k, seed).
    pub sampler: SamplerConfig,
    /// Maximum number of tokens in the tune, primer included.
    pub max_len: usize,
    /// The meter asked for (a conditioned model writes in it; `None`: drawn from the songs).
    pub meter: Option<Meter>,
    /// The mode asked for (likewise).
    pub mode: Option<Mode>,
}

impl GenerateConfig {
    /// The default settings ([`crate::settings`]) with `seed`: meter and mode drawn.
    pub fn seeded(seed: u64) -> Self {
        Self {
            sampler: SamplerConfig {
                temperature: settings::TEMPERATURE.default,
                top_k: None,
                seed,
            },
            max_len: settings::MAX_LEN.default,
            meter: None,
            mode: None,
        }
    }
}

/// A written tune: its tokens and, for a conditioned model, the meter, mode and pickup it was
/// written in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Written {
    /// Grid tokens without the terminator, primer first.
    pub tokens: Vec<Token>,
    /// The meter the model was told (none for an unconditioned model).
    pub meter: Option<Meter>,
    /// The mode the model was told.
    pub mode: Option<Mode>,
    /// Grid steps before the first bar line.
    pub pickup: usize,
}

/// The clock of a tune: the meter and mode asked for or drawn from `conditioning`'s priors,
/// and a pickup and a length in bars drawn from that meter's songs. Draws use their own generator seeded from
/// `seed`, so the same seed gives the same tune.
pub fn clock(
    conditioning: &Conditioning,
    config: &GenerateConfig,
    step: crate::encoding::grid::Step,
) -> (Clock, Meter, Mode) {
    let mut rng = ChaCha8Rng::seed_from_u64(config.sampler.seed ^ 0x6d65_7465_7273);
    let mut draw = |weights: &mut dyn Iterator<Item = f64>| -> usize {
        let weights: Vec<f64> = weights.collect();
        let total: f64 = weights.iter().sum();
        let mut target = rng.random::<f64>() * total;
        for (i, w) in weights.iter().enumerate() {
            if target < *w {
                return i;
            }
            target -= w;
        }
        weights.len().saturating_sub(1)
    };
    let meter = config.meter.unwrap_or_else(|| {
        let i = draw(&mut conditioning.meters.iter().map(|m| m.share));
        conditioning
            .meters
            .get(i)
            .map_or(settings::METER, |m| m.meter)
    });
    let prior = conditioning.prior(meter);
    let mode = config.mode.unwrap_or_else(|| {
        let minor = prior.map_or(0.2, |p| p.minor);
        if draw(&mut [1.0 - minor, minor].into_iter()) == 1 {
            Mode::Minor
        } else {
            Mode::Major
        }
    });
    let pickup = prior.map_or(0, |p| draw(&mut p.pickups.iter().copied()));
    let bars = prior
        .filter(|p| !p.bars.is_empty())
        .map_or(0, |p| draw(&mut p.bars.iter().copied()));
    let clock = Clock {
        meter: conditioning.meter_class(meter),
        mode,
        bar_steps: meter.steps(step.quarters()).unwrap_or(16),
        pickup,
        bars,
        layout: conditioning.layout,
    };
    (clock, meter, mode)
}

/// What a conditioned model is told while writing: the clock, and the melody so far.
#[derive(Clone, Copy, Debug)]
pub struct Steer<'a> {
    /// The tune's clock.
    pub clock: &'a Clock,
    /// The vocabulary, to read the written ids as tokens.
    pub vocab: &'a Vocab,
    /// The model's calibration of the end by the last pitch's degree, if it has one.
    pub ends: Option<&'a EndCalibration>,
    /// The model's calibration of new pitches, if it has one.
    pub new_pitches: Option<&'a NewPitchCalibration>,
    /// The model's prior of forms, if it has one.
    pub forms: Option<&'a FormPrior>,
}

impl Steer<'_> {
    /// The fewest steps a tune may have: its pickup and one full bar.
    pub fn shortest(&self) -> usize {
        self.clock.pickup + self.clock.bar_steps
    }

    /// At a bar line after the first full bar of the tune `ids`, with a prior of forms: the
    /// bar to play again there, if the form drawn with `rng` repeats one.
    fn repeat(&self, ids: &[u32], rng: &mut impl Rng) -> Option<Vec<u32>> {
        let forms = self.forms?;
        let (pickup, bar) = (self.clock.pickup, self.clock.bar_steps.max(1));
        let into = ids.len().checked_sub(pickup)?;
        if !into.is_multiple_of(bar) || into < bar {
            return None;
        }
        let bars = forms::tune_bars(ids, pickup, bar);
        let j = bars.len();
        let back = forms.draw(forms::place(&bars, j - 1), j, rng)?;
        Some(bars[j - back].to_vec())
    }

    /// The inputs of every step from 0 to `ids.len()`, each after the ids before it.
    pub fn inputs(&self, ids: &[u32]) -> Vec<u32> {
        let mut contour = Contour::default();
        let mut out = Vec::new();
        for step in 0..=ids.len() {
            if let Some(&id) = step.checked_sub(1).and_then(|i| ids.get(i)) {
                contour.take(self.vocab, id);
            }
            out.extend(self.clock.inputs(step, &contour));
        }
        out
    }
}

/// Generates one tune with `decoder`, which must start from the context ending in `primer`.
/// With a `steer`, every fed token comes with the inputs of the step it predicts. Returns the
/// tune's tokens (primer first), without the terminator.
pub async fn generate<D: Decoder>(
    decoder: &mut D,
    grammar: Grammar,
    primer: &[u32],
    steer: Option<Steer<'_>>,
    config: &GenerateConfig,
) -> Result<Vec<u32>, String> {
    let mut sampler = Sampler::new(&config.sampler);
    let mut forms_rng = ChaCha8Rng::seed_from_u64(config.sampler.seed ^ FORMS_SEED);
    // The rest of a bar being played again, its next token last.
    let mut repeating: Vec<u32> = Vec::new();
    let mut tune = primer.to_vec();
    let mut last = None;
    let mut contour = Contour::default();
    let shortest = steer.map_or(0, |s| s.shortest());
    if let Some(steer) = steer {
        primer.iter().for_each(|&id| contour.take(steer.vocab, id));
    }
    while tune.len() < config.max_len {
        let inputs = steer.map_or_else(Vec::new, |s| s.clock.inputs(tune.len(), &contour).to_vec());
        let mut logits = decoder
            .next_logits(last.map(|t| (t, inputs.as_slice())))
            .await?;
        if let Some(steer) = steer
            && let Some(ends) = steer.ends
        {
            ends.apply(&mut logits, contour.ending(steer.clock.mode));
        }
        if let Some(steer) = steer
            && let Some(new_pitches) = steer.new_pitches
        {
            new_pitches.apply(&mut logits, steer.vocab, &contour);
        }
        let previous = tune.last().copied();
        let long_enough = tune.len() >= shortest;
        let allowed = |id: usize| {
            u32::try_from(id)
                .is_ok_and(|id| grammar.allows(previous, id) && (long_enough || id != grammar.end))
        };
        let sampled = sampler
            .sample(&logits, allowed)
            .ok_or("the model gave no usable probabilities (NaN or all masked)")?;
        let sampled = u32::try_from(sampled).map_err(|e| e.to_string())?;
        // The network decides at every step whether the tune ends; the form, how it goes on.
        if sampled == grammar.end {
            break;
        }
        let next = match repeating.pop() {
            Some(id) => id,
            None => match steer.and_then(|s| s.repeat(&tune, &mut forms_rng)) {
                Some(mut bar) if grammar.allows(previous, bar[0]) => {
                    bar.reverse();
                    let first = bar.pop().unwrap_or(sampled);
                    repeating = bar;
                    first
                }
                _ => sampled,
            },
        };
        tune.push(next);
        last = Some(next);
        if let Some(steer) = steer {
            contour.take(steer.vocab, next);
        }
    }
    Ok(tune)
}

/// A network that writes tunes: it starts a decoder from a context.
pub trait Network {
    /// The decoder it starts.
    type Decoder<'a>: Decoder
    where
        Self: 'a;

    /// A decoder that has read `context` with its conditioning `inputs`.
    fn decoder(&self, context: &[u32], inputs: &[u32]) -> Self::Decoder<'_>;
}

/// Weights as plain arrays write through the CPU kernel.
impl Network for Weights {
    type Decoder<'a> = KernelDecoder<'a>;

    fn decoder(&self, context: &[u32], inputs: &[u32]) -> KernelDecoder<'_> {
        KernelDecoder::new(self, context, inputs)
    }
}

/// Writes one tune with `network` (with carried state) from the model's start context
/// followed by `primer` (ids of the model's vocabulary).
pub async fn write_tune<N: Network>(
    network: &N,
    writing: Writing<'_>,
    primer: &[u32],
    config: &GenerateConfig,
) -> Result<Written, String> {
    let grammar = Grammar::of(writing.vocab);
    let start = writing.start_tokens;
    let mut context = vec![grammar.end; start];
    context.extend_from_slice(primer);
    let told = writing.conditioning.map(|c| clock(c, config, writing.step));
    let clock = told.as_ref().map(|(clock, ..)| *clock);
    let steer = clock.as_ref().map(|clock| Steer {
        clock,
        vocab: writing.vocab,
        ends: writing.ends,
        new_pitches: writing.new_pitches,
        forms: writing.forms,
    });
    // The start tokens before the last predict nothing; the rest predict steps 0, 1, ….
    let inputs: Vec<u32> = steer.map_or_else(Vec::new, |s| s.inputs(primer));
    let mut decoder = if inputs.is_empty() {
        network.decoder(&context, &[])
    } else {
        // Only whole-song models are conditioned: their context is one start token.
        network.decoder(&context[start - 1..], &inputs)
    };
    let ids = generate(&mut decoder, grammar, primer, steer, config).await?;
    Ok(Written {
        tokens: writing.vocab.decode(&ids).map_err(|e| e.to_string())?,
        meter: told.map(|(_, meter, _)| meter),
        mode: told.map(|(_, _, mode)| mode),
        pickup: clock.map_or(0, |c| c.pickup),
    })
}

/// Writes `count` tunes with `config`, the first with its seed and each next one with the
/// next seed, calling `progress(tunes written)` after each: the generated side of a
/// comparison with the held-out songs.
pub async fn write_set<N: Network>(
    network: &N,
    writing: Writing<'_>,
    config: &GenerateConfig,
    count: u64,
    mut progress: impl FnMut(usize),
) -> Result<Vec<Written>, String> {
    let mut tunes = Vec::new();
    for offset in 0..count {
        let mut one = config.clone();
        one.sampler.seed = config.sampler.seed.wrapping_add(offset);
        tunes.push(write_tune(network, writing, &[], &one).await?);
        progress(tunes.len());
    }
    Ok(tunes)
}
