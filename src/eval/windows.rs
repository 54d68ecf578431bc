//! The tutorial's window metric, computed the tutorial's way (the token after each window), so that
//! models trained with either loss mode compare fairly.

use burn::tensor::Device;
use burn::tensor::activation::log_softmax;

use super::Metrics;
use crate::data::Windows;
use crate::data::batch;
use crate::model::MelodyModel;
use crate::model::readback;

/// Sums that become [`Metrics`].
#[derive(Default)]
struct Totals {
    nll: f64,
    onset_nll: f64,
    correct: usize,
    windows: usize,
    onsets: usize,
}

/// Evaluates `model` (in validation mode) on the windows `indices`, `batch_size` at a time.
/// `hold` is the id of `_`. Reads results asynchronously (never blocks WebGPU).
pub async fn evaluate(
    model: &MelodyModel,
    windows: &Windows,
    indices: &[usize],
    hold: u32,
    batch_size: usize,
    device: &Device,
) -> Result<Metrics, String> {
    let mut totals = Totals::default();
    for chunk in indices.chunks(batch_size.max(1)) {
        let targets = batch::next_targets(windows, chunk);
        let logits = model.forward_last(batch::inputs(windows, chunk, device));
        let picked = log_softmax(logits.clone(), 1)
            .gather(1, batch::ids(&targets, device).reshape([chunk.len(), 1]));
        let log_probs = readback::floats(picked.reshape([chunk.len()])).await?;
        let predicted = readback::ints(logits.argmax(1).reshape([chunk.len()])).await?;
        for ((&target, log_prob), guess) in targets.iter().zip(log_probs).zip(predicted) {
            let nll = -f64::from(log_prob);
            totals.nll += nll;
            totals.windows += 1;
            totals.correct += usize::from(guess == i64::from(target));
            if target != hold {
                totals.onset_nll += nll;
                totals.onsets += 1;
            }
        }
    }
    let per = |sum: f64, n: usize| if n == 0 { 0.0 } else { sum / n as f64 };
    Ok(Metrics {
        nll: per(totals.nll, totals.windows),
        onset_nll: per(totals.onset_nll, totals.onsets),
        accuracy: per(totals.correct as f64, totals.windows),
        windows: totals.windows,
        onsets: totals.onsets,
    })
}
