//! Two ways to get the next token's logits from the model while generating.
//!
//! [`CarriedState`] feeds one token per step and keeps the LSTM state `(h, c)`: constant work
//! per token. [`Refeed`] re-reads the whole prefix every step, as the seed does: work grows
//! with the tune. Both give the same distributions (tested); `melodeon bench` times them.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::model::{LstmState, MelodyModel};
use crate::readback;

/// Something that turns the tokens so far into the next token's logits.
pub trait Decoder {
    /// Appends `token` (if any) to the context and returns the logits of the next token.
    /// `None` only for the first call, which returns the logits after the start context.
    fn next_logits(&mut self, token: Option<u32>) -> impl Future<Output = Result<Vec<f32>, String>>;
}

/// Feeds one token per step, carrying the LSTM state.
pub struct CarriedState<'m> {
    model: &'m MelodyModel,
    device: Device,
    state: Option<Vec<LstmState>>,
    logits: Option<Tensor<2>>,
}

impl<'m> CarriedState<'m> {
    /// Starts from `context` (the seed's 64 terminators, then any primer), read in one pass.
    pub fn new(model: &'m MelodyModel, device: &Device, context: &[u32]) -> Self {
        let (logits, state) = model.forward(ids_tensor(context, device), None);
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
    async fn next_logits(&mut self, token: Option<u32>) -> Result<Vec<f32>, String> {
        if let Some(token) = token {
            let state = self.state.take().ok_or("decoder state lost")?;
            let ids = Tensor::<1, Int>::from_data(TensorData::new(vec![i64::from(token)], [1]), &self.device);
            let (logits, state) = self.model.step(ids, state);
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
}

impl<'m> Refeed<'m> {
    /// Starts from `context` (the seed's 64 terminators, then any primer).
    pub fn new(model: &'m MelodyModel, device: &Device, context: &[u32]) -> Self {
        Self { model, device: device.clone(), prefix: context.to_vec() }
    }
}

impl Decoder for Refeed<'_> {
    async fn next_logits(&mut self, token: Option<u32>) -> Result<Vec<f32>, String> {
        self.prefix.extend(token);
        readback::floats(self.model.forward_last(ids_tensor(&self.prefix, &self.device))).await
    }
}

fn ids_tensor(ids: &[u32], device: &Device) -> Tensor<2, Int> {
    let data: Vec<i64> = ids.iter().map(|&id| i64::from(id)).collect();
    Tensor::from_data(TensorData::new(data, [1, ids.len()]), device)
}
