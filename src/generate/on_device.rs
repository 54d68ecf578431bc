//! burn's decoders, for a network on any device (with the `training` feature):
//! [`CarriedState`] feeds one token per step through burn and keeps the LSTM state `(h, c)`:
//! constant work per token, on any device. [`Refeed`] re-reads the whole prefix every step, as
//! the tutorial does: work grows with the tune. [`OnDevice`] writes tunes with the fastest of
//! them for its device: the CPU kernel on a CPU device.

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::{Decoder, KernelDecoder, Network};
use crate::data::INPUTS_PER_STEP;
use crate::model::readback;
use crate::model::{MelodyModel, ModelConfig, State, Weights, sequence};

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

/// Re-reads the whole prefix at every step (the tutorial's method).
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

/// A burn network on its device, ready to write tunes: on a CPU device its weights are
/// copied once into the CPU kernel.
pub struct OnDevice<'m> {
    model: &'m MelodyModel,
    device: Device,
    kernel: Option<Weights>,
}

impl<'m> OnDevice<'m> {
    /// `model`, shaped by `config`, on `device`.
    pub fn new(
        model: &'m MelodyModel,
        config: &ModelConfig,
        device: &Device,
    ) -> Result<Self, String> {
        let kernel = if sequence::on_cpu(device) {
            Some(model.weights(config)?)
        } else {
            None
        };
        Ok(Self {
            model,
            device: device.clone(),
            kernel,
        })
    }
}

/// The decoder [`OnDevice`] starts: the CPU kernel, or burn's tensors elsewhere (WebGPU).
pub enum Stateful<'a> {
    /// The CPU kernel.
    Kernel(KernelDecoder<'a>),
    /// burn on the model's device.
    Burn(Box<CarriedState<'a>>),
}

impl Network for OnDevice<'_> {
    type Decoder<'a>
        = Stateful<'a>
    where
        Self: 'a;

    fn decoder(&self, context: &[u32], inputs: &[u32]) -> Stateful<'_> {
        match &self.kernel {
            Some(weights) => Stateful::Kernel(KernelDecoder::new(weights, context, inputs)),
            None => Stateful::Burn(Box::new(CarriedState::new(
                self.model,
                &self.device,
                context,
                inputs,
            ))),
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
