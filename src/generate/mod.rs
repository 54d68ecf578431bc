//! Writing new tunes: sample token after token from the model until the terminator.
//!
//! Generation starts from the seed's context (64 terminators) plus optional primer tokens,
//! samples from `softmax(logits / temperature)` (optionally top-k) with a seeded generator,
//! and stops at the terminator or the maximum length. Two rules keep every result decodable
//! (see [`Grammar`]).

mod decoder;
mod sampler;

pub use decoder::{CarriedState, Decoder, KernelDecoder, Refeed, Stateful};
pub use sampler::{Sampler, SamplerConfig};

use burn::tensor::Device;

use crate::data::SEQUENCE_LEN;
use crate::encoding::grid::Token;
use crate::encoding::vocab::{END_ID, Vocab};
use crate::model::MelodyModel;

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

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerateConfig {
    /// Sampling settings (temperature, top-k, seed).
    pub sampler: SamplerConfig,
    /// Maximum number of tokens in the tune, primer included.
    pub max_len: usize,
}

/// Generates one tune with `decoder`, which must start from the context ending in `primer`.
/// Returns the tune's tokens (primer first), without the terminator.
pub async fn generate<D: Decoder>(
    decoder: &mut D,
    grammar: Grammar,
    primer: &[u32],
    config: &GenerateConfig,
) -> Result<Vec<u32>, String> {
    let mut sampler = Sampler::new(&config.sampler);
    let mut tune = primer.to_vec();
    let mut last = None;
    while tune.len() < config.max_len {
        let logits = decoder.next_logits(last).await?;
        let previous = tune.last().copied();
        let allowed = |id: usize| u32::try_from(id).is_ok_and(|id| grammar.allows(previous, id));
        let next = sampler
            .sample(&logits, allowed)
            .ok_or("the model gave no usable probabilities (NaN or all masked)")?;
        let next = u32::try_from(next).map_err(|e| e.to_string())?;
        if next == grammar.end {
            break;
        }
        tune.push(next);
        last = Some(next);
    }
    Ok(tune)
}

/// Writes one tune with `model` (on `device`, with carried state) from the seed's context of
/// terminators followed by `primer` (ids of `vocab`), and returns its tokens (primer first).
pub async fn write_tune(
    model: &MelodyModel,
    device: &Device,
    vocab: &Vocab,
    primer: &[u32],
    config: &GenerateConfig,
) -> Result<Vec<Token>, String> {
    let grammar = Grammar::of(vocab);
    let mut context = vec![grammar.end; SEQUENCE_LEN];
    context.extend_from_slice(primer);
    let mut decoder = Stateful::new(model, device, &context);
    let ids = generate(&mut decoder, grammar, primer, config).await?;
    vocab.decode(&ids).map_err(|e| e.to_string())
}
