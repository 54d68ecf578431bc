//! Ways to get the next token's logits from the model while generating.
//!
//! [`KernelDecoder`] feeds one token per step through the CPU kernel with the model's weights
//! as plain arrays and keeps the LSTM state `(h, c)`: constant work per token, no tensor
//! bookkeeping, and no burn (the page generates with it). With the `training` feature,
//! [`super::on_device`] adds burn's decoders for other devices and the tutorial's re-reading one.
//! All give the same distributions (tested); `melodeon bench` times them.

use crate::data::INPUTS_PER_STEP;
use crate::encoding::vocab::END_ID;
use crate::model::kernel::{self, Dims};
use crate::model::weights::{self, Weights};

/// Something that turns the tokens so far into the next token's logits.
///
/// Every fed token comes with the conditioning inputs of the step it predicts (empty for an
/// unconditioned model); a context of `n` tokens comes with `n × INPUTS_PER_STEP` inputs or
/// none.
pub trait Decoder {
    /// Appends `token` with its `inputs` (if any) to the context and returns the logits of the
    /// next token. `None` only for the first call, which returns the logits after the start
    /// context.
    fn next_logits(
        &mut self,
        token: Option<(u32, &[u32])>,
    ) -> impl Future<Output = Result<Vec<f32>, String>>;
}

/// One LSTM layer's carried state `(h, c)`.
type LayerState = (Vec<f32>, Vec<f32>);

/// The look-back head's keys and values of every step fed so far, and the tokens fed.
#[derive(Default)]
struct Memory {
    keys: Vec<f32>,
    values: Vec<f32>,
    ids: Vec<u32>,
}

/// `state × weight + bias` for one projection of `inputs → outputs`.
fn project(linear: &weights::Linear, state: &[f32]) -> Vec<f32> {
    let outputs = linear.bias.len();
    let mut out = linear.bias.clone();
    kernel::matmul(
        1,
        outputs,
        state.len(),
        &mut out,
        state,
        (state.len(), 1),
        &linear.weight,
        (outputs, 1),
        true,
    );
    out
}

impl Memory {
    /// Adds a step's key and value.
    fn remember(&mut self, head: &weights::LookBack, state: &[f32]) {
        self.keys.extend(project(&head.key, state));
        self.values.extend(project(&head.value, state));
    }

    /// Softmax weights of `query` against the first `keys` keys.
    fn attention(&self, width: usize, query: &[f32], keys: usize) -> Vec<f32> {
        let scale = 1.0 / (width as f32).sqrt();
        let scores: Vec<f32> = self
            .keys
            .chunks(width)
            .take(keys)
            .map(|key| scale * key.iter().zip(query).map(|(k, q)| k * q).sum::<f32>())
            .collect();
        softmax(&scores)
    }

    /// What the step with `state` (already remembered) reads from every step so far.
    fn read(&self, head: &weights::LookBack, state: &[f32]) -> Vec<f32> {
        let width = head.width;
        let query = project(&head.query, state);
        let weights = self.attention(width, &query, self.keys.len() / width);
        let mut read = vec![0.0; width];
        for (w, value) in weights.iter().zip(self.values.chunks(width)) {
            for (r, v) in read.iter_mut().zip(value) {
                *r += w * v;
            }
        }
        read
    }

    /// The next-token log-probabilities of the step with `top` (its state, then what it read):
    /// the softmax of `logits` mixed with the copy head's pointer at the earlier steps, as
    /// [`crate::model::look_back::LookBack::mix`] does.
    fn mix(&self, head: &weights::LookBack, logits: &[f32], top: &[f32]) -> Vec<f32> {
        let Some((query, gate)) = &head.copy else {
            return logits.to_vec();
        };
        let probabilities = softmax(logits);
        let steps = self.ids.len();
        if steps < 2 {
            return probabilities.iter().map(|p| p.ln()).collect();
        }
        let hidden = top.len() - head.width;
        let pointer = self.attention(head.width, &project(query, &top[..hidden]), steps - 1);
        let g = 1.0 / (1.0 + (-project(gate, top)[0]).exp());
        let end = probabilities.get(END_ID as usize).copied().unwrap_or(0.0);
        let mut mixed: Vec<f32> = probabilities.iter().map(|p| (1.0 - g) * p).collect();
        if let Some(p) = mixed.get_mut(END_ID as usize) {
            *p = end;
        }
        for (w, &next) in pointer.iter().zip(&self.ids[1..]) {
            if let Some(p) = mixed.get_mut(next as usize) {
                *p += g * (1.0 - end) * w;
            }
        }
        mixed.iter().map(|p| p.max(1e-20).ln()).collect()
    }
}

/// `softmax(logits)`.
fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|x| (x - max).exp()).collect();
    let total: f32 = exp.iter().sum();
    exp.iter().map(|e| e / total).collect()
}

/// `log(softmax(logits))`.
pub(super) fn log_softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let log_total = logits.iter().map(|x| (x - max).exp()).sum::<f32>().ln();
    logits.iter().map(|x| x - max - log_total).collect()
}

/// Feeds one token per step through the CPU kernel with carried state.
pub struct KernelDecoder<'w> {
    weights: &'w Weights,
    /// Input part of the first layer's gates for every vocabulary entry, `[vocab, 4h]`.
    table: Vec<f32>,
    states: Vec<LayerState>,
    memory: Memory,
    logits: Vec<f32>,
}

impl<'w> KernelDecoder<'w> {
    /// Starts from `context` (the model's start tokens, then any primer) with its `inputs`.
    pub fn new(weights: &'w Weights, context: &[u32], inputs: &[u32]) -> Self {
        let first = &weights.layers[0];
        let gates = 4 * first.hidden;
        let width = weights.embedding_dim;
        let vocab = weights.embedding.len() / width.max(1);
        let mut table: Vec<f32> = (0..vocab)
            .flat_map(|_| first.bias.iter().copied())
            .collect();
        kernel::matmul(
            vocab,
            gates,
            width,
            &mut table,
            &weights.embedding,
            (width, 1),
            &first.input_weight,
            (gates, 1),
            true,
        );
        let mut decoder = Self {
            weights,
            table,
            states: weights
                .layers
                .iter()
                .map(|l| (vec![0.0; l.hidden], vec![0.0; l.hidden]))
                .collect(),
            memory: Memory::default(),
            logits: Vec::new(),
        };
        decoder.feed(context, inputs);
        decoder
    }

    /// The first layer's gate inputs of `tokens` with their conditioning `inputs`.
    fn first_gates(&self, tokens: &[u32], inputs: &[u32]) -> Vec<f32> {
        let width = 4 * self.weights.layers[0].hidden;
        let row = |table: &[f32], class: u32| -> Vec<f32> {
            let at = class as usize * width;
            table
                .get(at..at + width)
                .map_or_else(|| vec![0.0; width], <[f32]>::to_vec)
        };
        let mut gates = Vec::with_capacity(tokens.len() * width);
        for (step, &token) in tokens.iter().enumerate() {
            let mut sum = row(&self.table, token);
            let classes = inputs.get(step * INPUTS_PER_STEP..(step + 1) * INPUTS_PER_STEP);
            for (table, &class) in self.weights.inputs.iter().zip(classes.unwrap_or(&[])) {
                for (g, v) in sum.iter_mut().zip(row(table, class)) {
                    *g += v;
                }
            }
            gates.extend(sum);
        }
        gates
    }

    /// Runs `tokens` (with their conditioning `inputs`) through every layer from the carried
    /// state, then the output layer.
    fn feed(&mut self, tokens: &[u32], inputs: &[u32]) {
        if tokens.is_empty() {
            return;
        }
        let steps = tokens.len();
        let mut gates_in = self.first_gates(tokens, inputs);
        let mut below = Vec::new();
        for (index, (layer, state)) in self.weights.layers.iter().zip(&mut self.states).enumerate()
        {
            let h = layer.hidden;
            if index > 0 {
                let d_input = below.len() / (2 * steps);
                gates_in = (0..steps)
                    .flat_map(|_| layer.bias.iter().copied())
                    .collect();
                kernel::matmul(
                    steps,
                    4 * h,
                    d_input,
                    &mut gates_in,
                    &below,
                    (2 * d_input, 1),
                    &layer.input_weight,
                    (4 * h, 1),
                    true,
                );
            }
            let dims = Dims {
                batch: 1,
                seq: steps,
                hidden: h,
            };
            let (out, _) = kernel::forward(
                dims,
                &gates_in,
                &state.0,
                &state.1,
                &layer.hidden_weight,
                false,
            );
            let last = &out[(steps - 1) * 2 * h..];
            *state = (last[..h].to_vec(), last[h..].to_vec());
            below = out;
        }
        let last = self.weights.layers.last().map_or(0, |l| l.hidden);
        let state = |t: usize| &below[t * 2 * last..t * 2 * last + last];
        let mut top = state(steps - 1).to_vec();
        let Some(head) = &self.weights.look_back else {
            self.logits = project(&self.weights.output, &top);
            return;
        };
        for t in 0..steps {
            self.memory.remember(head, state(t));
        }
        self.memory.ids.extend_from_slice(tokens);
        top.extend(self.memory.read(head, state(steps - 1)));
        self.logits = self
            .memory
            .mix(head, &project(&self.weights.output, &top), &top);
    }
}

impl Decoder for KernelDecoder<'_> {
    async fn next_logits(&mut self, token: Option<(u32, &[u32])>) -> Result<Vec<f32>, String> {
        if let Some((token, inputs)) = token {
            self.feed(&[token], inputs);
        }
        Ok(self.logits.clone())
    }
}
