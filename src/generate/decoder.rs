//! Ways to get the next token's logits from the model while generating.
//!
//! [`CarriedState`] feeds one token per step through burn and keeps the LSTM state `(h, c)`:
//! constant work per token, on any device. [`KernelDecoder`] does the same with the model's
//! weights copied once into the CPU kernel: no per-token tensor bookkeeping, so it is the
//! fastest on the CPU. [`Refeed`] re-reads the whole prefix every step, as the seed does:
//! work grows with the tune. All give the same distributions (tested); `melodeon bench`
//! times them.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::INPUTS_PER_STEP;
use crate::model::kernel::{self, Dims};
use crate::model::{MelodyModel, State, sequence};
use crate::readback;

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

/// Feeds one token per step, carrying the LSTM state.
pub struct CarriedState<'m> {
    model: &'m MelodyModel,
    device: Device,
    state: Option<State>,
    logits: Option<Tensor<2>>,
}

impl<'m> CarriedState<'m> {
    /// Starts from `context` (the model's start tokens, then any primer) and its `inputs`,
    /// read in one pass.
    pub fn new(model: &'m MelodyModel, device: &Device, context: &[u32], inputs: &[u32]) -> Self {
        let (logits, state) = model.forward(
            ids_tensor(context, device),
            inputs_tensor(inputs, context.len(), device),
            None,
        );
        let [_, seq, vocab] = logits.dims();
        Self {
            model,
            device: device.clone(),
            state: Some(state),
            logits: Some(logits.narrow(1, seq - 1, 1).reshape([1, vocab])),
        }
    }
}

impl Decoder for CarriedState<'_> {
    async fn next_logits(&mut self, token: Option<(u32, &[u32])>) -> Result<Vec<f32>, String> {
        if let Some((token, inputs)) = token {
            let state = self.state.take().ok_or("decoder state lost")?;
            let ids = Tensor::<1, Int>::from_data(
                TensorData::new(vec![i64::from(token)], [1]),
                &self.device,
            );
            let inputs =
                inputs_tensor(inputs, 1, &self.device).map(|t| t.reshape([1, INPUTS_PER_STEP]));
            let (logits, state) = self.model.step(ids, inputs, state);
            self.state = Some(state);
            self.logits = Some(logits);
        }
        readback::floats(self.logits.clone().ok_or("decoder has no logits")?).await
    }
}

/// Re-reads the whole prefix at every step (the seed's method).
pub struct Refeed<'m> {
    model: &'m MelodyModel,
    device: Device,
    prefix: Vec<u32>,
    inputs: Vec<u32>,
}

impl<'m> Refeed<'m> {
    /// Starts from `context` (the model's start tokens, then any primer) and its `inputs`.
    pub fn new(model: &'m MelodyModel, device: &Device, context: &[u32], inputs: &[u32]) -> Self {
        Self {
            model,
            device: device.clone(),
            prefix: context.to_vec(),
            inputs: inputs.to_vec(),
        }
    }
}

impl Decoder for Refeed<'_> {
    async fn next_logits(&mut self, token: Option<(u32, &[u32])>) -> Result<Vec<f32>, String> {
        if let Some((token, inputs)) = token {
            self.prefix.push(token);
            self.inputs.extend_from_slice(inputs);
        }
        let (logits, _) = self.model.forward(
            ids_tensor(&self.prefix, &self.device),
            inputs_tensor(&self.inputs, self.prefix.len(), &self.device),
            None,
        );
        let [_, seq, vocab] = logits.dims();
        readback::floats(logits.narrow(1, seq - 1, 1).reshape([vocab])).await
    }
}

fn ids_tensor(ids: &[u32], device: &Device) -> Tensor<2, Int> {
    let data: Vec<i64> = ids.iter().map(|&id| i64::from(id)).collect();
    Tensor::from_data(TensorData::new(data, [1, ids.len()]), device)
}

/// `[1, steps, INPUTS_PER_STEP]` conditioning inputs, or `None` when there are none.
fn inputs_tensor(inputs: &[u32], steps: usize, device: &Device) -> Option<Tensor<3, Int>> {
    (!inputs.is_empty()).then(|| {
        let data: Vec<i64> = inputs.iter().map(|&id| i64::from(id)).collect();
        Tensor::from_data(TensorData::new(data, [1, steps, INPUTS_PER_STEP]), device)
    })
}

/// One LSTM layer's weights as plain `f32`s.
struct KernelLayer {
    input_weight: Vec<f32>,
    bias: Vec<f32>,
    hidden_weight: Vec<f32>,
    hidden: usize,
    state: (Vec<f32>, Vec<f32>),
}

/// The look-back head's weights (`[hidden, width]` and bias) and the keys and values of every
/// step fed so far.
struct KernelLookBack {
    width: usize,
    query: (Vec<f32>, Vec<f32>),
    key: (Vec<f32>, Vec<f32>),
    value: (Vec<f32>, Vec<f32>),
    keys: Vec<f32>,
    values: Vec<f32>,
}

impl KernelLookBack {
    /// `state × weight + bias` for one of the three projections.
    fn project(&self, (weight, bias): &(Vec<f32>, Vec<f32>), state: &[f32]) -> Vec<f32> {
        let mut out = bias.clone();
        kernel::matmul(
            1,
            self.width,
            state.len(),
            &mut out,
            state,
            (state.len(), 1),
            weight,
            (self.width, 1),
            true,
        );
        out
    }

    /// Adds a step's key and value.
    fn remember(&mut self, state: &[f32]) {
        let key = self.project(&self.key, state);
        let value = self.project(&self.value, state);
        self.keys.extend(key);
        self.values.extend(value);
    }

    /// What the step with `state` (already remembered) reads from every step so far.
    fn read(&self, state: &[f32]) -> Vec<f32> {
        let query = self.project(&self.query, state);
        let scale = 1.0 / (self.width as f32).sqrt();
        let scores: Vec<f32> = self
            .keys
            .chunks(self.width)
            .map(|key| scale * key.iter().zip(&query).map(|(k, q)| k * q).sum::<f32>())
            .collect();
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let weights: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
        let total: f32 = weights.iter().sum();
        let mut read = vec![0.0; self.width];
        for (w, value) in weights.iter().zip(self.values.chunks(self.width)) {
            for (r, v) in read.iter_mut().zip(value) {
                *r += w / total * v;
            }
        }
        read
    }
}

/// A linear layer's bias as plain `f32`s (zeros when it has none).
fn bias(linear: &burn::nn::Linear) -> Vec<f32> {
    linear.bias.as_ref().map_or_else(
        || vec![0.0; linear.weight.val().dims()[1]],
        |b| values(b.val()),
    )
}

/// Feeds one token per step through the CPU kernel with carried state (CPU devices only).
pub struct KernelDecoder {
    /// Input part of the first layer's gates for every vocabulary entry, `[vocab, 4h]`.
    table: Vec<f32>,
    /// Each conditioning input's rows of the first layer's gates, `[classes, 4h]`.
    input_tables: Vec<Vec<f32>>,
    layers: Vec<KernelLayer>,
    look_back: Option<KernelLookBack>,
    output_weight: Vec<f32>,
    output_bias: Vec<f32>,
    logits: Vec<f32>,
}

fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default()
}

impl KernelDecoder {
    /// Copies the weights of `model` and reads `context` with its `inputs`; `None` unless the
    /// model is on a CPU device (where weights can be read at once).
    pub fn new(model: &MelodyModel, context: &[u32], inputs: &[u32]) -> Option<Self> {
        let first = model.layers.first()?;
        if !sequence::supported(&first.hidden_weight.val().device()) {
            return None;
        }
        let layers: Vec<KernelLayer> = model
            .layers
            .iter()
            .map(|layer| KernelLayer {
                input_weight: values(layer.input_weight.val()),
                bias: values(layer.input_bias.val() + layer.hidden_bias.val()),
                hidden_weight: values(layer.hidden_weight.val()),
                hidden: layer.d_hidden,
                state: (vec![0.0; layer.d_hidden], vec![0.0; layer.d_hidden]),
            })
            .collect();
        let [vocab, width] = model.embedding.weight.val().dims();
        let embedding = values(model.embedding.weight.val());
        let gates = 4 * layers[0].hidden;
        let mut table: Vec<f32> = (0..vocab)
            .flat_map(|_| layers[0].bias.iter().copied())
            .collect();
        kernel::matmul(
            vocab,
            gates,
            width,
            &mut table,
            &embedding,
            (width, 1),
            &layers[0].input_weight,
            (gates, 1),
            true,
        );
        let mut decoder = Self {
            table,
            input_tables: model
                .inputs
                .iter()
                .map(|t| values(t.weight.val()))
                .collect(),
            layers,
            look_back: model.look_back.as_ref().map(|head| KernelLookBack {
                width: head.query.weight.val().dims()[1],
                query: (values(head.query.weight.val()), bias(&head.query)),
                key: (values(head.key.weight.val()), bias(&head.key)),
                value: (values(head.value.weight.val()), bias(&head.value)),
                keys: Vec::new(),
                values: Vec::new(),
            }),
            output_weight: values(model.output.weight.val()),
            output_bias: values(model.output.bias.as_ref()?.val()),
            logits: Vec::new(),
        };
        decoder.feed(context, inputs);
        Some(decoder)
    }

    /// The first layer's gate inputs of `tokens` with their conditioning `inputs`.
    fn first_gates(&self, tokens: &[u32], inputs: &[u32]) -> Vec<f32> {
        let width = 4 * self.layers[0].hidden;
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
            for (table, &class) in self.input_tables.iter().zip(classes.unwrap_or(&[])) {
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
        for (index, layer) in self.layers.iter_mut().enumerate() {
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
                &layer.state.0,
                &layer.state.1,
                &layer.hidden_weight,
                false,
            );
            let last = &out[(steps - 1) * 2 * h..];
            layer.state = (last[..h].to_vec(), last[h..].to_vec());
            below = out;
        }
        let last = self.layers.last().map_or(0, |l| l.hidden);
        let state = |t: usize| &below[t * 2 * last..t * 2 * last + last];
        let mut top = state(steps - 1).to_vec();
        if let Some(head) = &mut self.look_back {
            for t in 0..steps {
                head.remember(state(t));
            }
            top.extend(head.read(state(steps - 1)));
        }
        let vocab = self.output_bias.len();
        let mut logits = self.output_bias.clone();
        kernel::matmul(
            1,
            vocab,
            top.len(),
            &mut logits,
            &top,
            (top.len(), 1),
            &self.output_weight,
            (vocab, 1),
            true,
        );
        self.logits = logits;
    }
}

impl Decoder for KernelDecoder {
    async fn next_logits(&mut self, token: Option<(u32, &[u32])>) -> Result<Vec<f32>, String> {
        if let Some((token, inputs)) = token {
            self.feed(&[token], inputs);
        }
        Ok(self.logits.clone())
    }
}

/// The fastest carried-state decoder for the model's device: the CPU kernel on a CPU device,
/// burn's tensors elsewhere (WebGPU).
pub enum Stateful<'m> {
    /// The CPU kernel.
    Kernel(KernelDecoder),
    /// burn on the model's device.
    Burn(CarriedState<'m>),
}

impl<'m> Stateful<'m> {
    /// Starts from `context` and its `inputs` on the model's own device.
    pub fn new(model: &'m MelodyModel, device: &Device, context: &[u32], inputs: &[u32]) -> Self {
        match KernelDecoder::new(model, context, inputs) {
            Some(kernel) => Stateful::Kernel(kernel),
            None => Stateful::Burn(CarriedState::new(model, device, context, inputs)),
        }
    }
}

impl Decoder for Stateful<'_> {
    async fn next_logits(&mut self, token: Option<(u32, &[u32])>) -> Result<Vec<f32>, String> {
        match self {
            Stateful::Kernel(decoder) => decoder.next_logits(token).await,
            Stateful::Burn(decoder) => decoder.next_logits(token).await,
        }
    }
}
