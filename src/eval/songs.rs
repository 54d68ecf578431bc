//! Whole-song NLL on held-out songs: each song read from the model's start context to its
//! terminator with the state carried, as the model reads a tune it writes.
//!
//! Three units:
//! - nats per token (every token and the terminator);
//! - joint bits per note: all bits of the song ÷ its note onsets;
//! - pitch bits per note: at each true note onset, the softmax renormalised over the pitch
//!   tokens (what the model says about the pitch, given that a note starts).

use burn::tensor::Device;
use burn::tensor::activation::log_softmax;

use super::SongMetrics;
use crate::data::batch;
use crate::data::songs::{self, SongSeq};
use crate::encoding::grid::Token;
use crate::encoding::vocab::{END_ID, Vocab};
use crate::generate::average_probabilities;
use crate::model::readback;
use crate::model::{MelodyModel, State};
use crate::recipe::Context;

/// Which ids are what, for the per-note units.
struct Kinds {
    hold: Option<u32>,
    pitches: Vec<usize>,
}

impl Kinds {
    fn of(vocab: &Vocab) -> Self {
        let pitches = (0..vocab.len())
            .filter(|&id| matches!(vocab.token(id as u32), Some(Token::Note(_))))
            .collect();
        Self {
            hold: vocab.id(Token::Hold),
            pitches,
        }
    }
}

#[derive(Default)]
struct Totals {
    nats: f64,
    onset_nats: f64,
    pitch_nats: f64,
    correct: usize,
    tokens: usize,
    onsets: usize,
    notes: usize,
    ends: f64,
}

/// Evaluates `models` (in validation mode; more than one: an ensemble, their probabilities
/// averaged) on the songs `indices` of `set`, `batch_size` songs at a time, reading each from
/// `context`'s start tokens. Reads results asynchronously.
pub async fn evaluate_songs(
    models: &[&MelodyModel],
    set: &[SongSeq],
    indices: &[usize],
    vocab: &Vocab,
    context: Context,
    batch_size: usize,
    device: &Device,
) -> Result<SongMetrics, String> {
    let kinds = Kinds::of(vocab);
    let mut totals = Totals::default();
    for group in songs::eval_batches(set, indices, batch_size) {
        let mut states: Vec<Option<State>> = models.iter().map(|_| None).collect();
        for chunk in songs::chunks(set, &group, context.start_tokens(), context.chunk()) {
            let (ids, inputs) = batch::chunk_inputs(&chunk, device);
            let mut each = Vec::with_capacity(models.len());
            for (model, state) in models.iter().zip(&mut states) {
                let (logits, next) = model.forward(ids.clone(), inputs.clone(), state.take());
                if chunk.continues {
                    *state = Some(next);
                }
                let n: usize = logits.dims().iter().product();
                each.push(readback::floats(log_softmax(logits, 2).reshape([n])).await?);
            }
            let log_probs = average_probabilities(each);
            add_chunk(&mut totals, &kinds, &chunk, &log_probs, vocab.len());
        }
    }
    let per = |sum: f64, n: usize| if n == 0 { 0.0 } else { sum / n as f64 };
    let bits = std::f64::consts::LN_2;
    Ok(SongMetrics {
        nll: per(totals.nats, totals.tokens),
        joint_bits_per_note: per(totals.nats, totals.notes) / bits,
        pitch_bits_per_note: per(totals.pitch_nats, totals.notes) / bits,
        onset_bits: per(totals.onset_nats, totals.onsets) / bits,
        accuracy: per(totals.correct as f64, totals.tokens),
        songs: indices.len(),
        tokens: totals.tokens,
        notes: totals.notes,
        ends_foreseen: per(totals.ends, indices.len()),
    })
}

/// Adds the weighted targets of one chunk, given its log-probabilities `[rows·len, vocab]`.
fn add_chunk(
    totals: &mut Totals,
    kinds: &Kinds,
    chunk: &songs::SongChunk,
    log_probs: &[f32],
    vocab: usize,
) {
    for (at, (&target, &weight)) in chunk.targets.iter().zip(&chunk.weights).enumerate() {
        if weight == 0.0 {
            continue;
        }
        let row = &log_probs[at * vocab..(at + 1) * vocab];
        let nats = -f64::from(row[target as usize]);
        totals.nats += nats;
        totals.ends += f64::from(row[END_ID as usize].exp());
        totals.tokens += 1;
        let best = row
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        totals.correct += usize::from(best == target as usize);
        if Some(target) != kinds.hold {
            totals.onset_nats += nats;
            totals.onsets += 1;
        }
        if kinds.pitches.contains(&(target as usize)) {
            let max = kinds
                .pitches
                .iter()
                .map(|&p| f64::from(row[p]))
                .fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = kinds
                .pitches
                .iter()
                .map(|&p| (f64::from(row[p]) - max).exp())
                .sum();
            totals.pitch_nats += max + sum.ln() - f64::from(row[target as usize]);
            totals.notes += 1;
        }
    }
}
