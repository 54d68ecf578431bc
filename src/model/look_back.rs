//! Look-back: attention over the song written so far.
//!
//! Folk songs repeat their phrases. An LSTM has to hold a phrase in its state to repeat it; this
//! head lets every step ask (a query) the top layer's states of every earlier step (their
//! keys) and read a mix of them (their values), so a bar can be copied from anywhere before.
//! The output layer reads the state and what it read. Keys and values of the steps read so far
//! are carried like the LSTM state ([`Memory`]), so a song read in chunks, or a tune written
//! step by step, looks back over all of it.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

/// The attention head: three projections of the top layer's state.
#[derive(Module, Debug)]
pub struct LookBack {
    /// What a step asks for: `[hidden, width]`.
    pub query: Linear,
    /// What a step is found by: `[hidden, width]`.
    pub key: Linear,
    /// What a step gives when found: `[hidden, width]`.
    pub value: Linear,
}

/// Keys and values of every step read so far, both `[batch, steps, width]`.
#[derive(Clone, Debug)]
pub struct Memory {
    /// Keys.
    pub keys: Tensor<3>,
    /// Values.
    pub values: Tensor<3>,
}

impl Memory {
    /// The same memory cut from the autodiff graph.
    pub fn detach(self) -> Self {
        Self {
            keys: self.keys.detach(),
            values: self.values.detach(),
        }
    }
}

impl LookBack {
    /// A head reading states of `hidden` units into `width` values.
    pub fn new(hidden: usize, width: usize, device: &Device) -> Self {
        let linear = || LinearConfig::new(hidden, width).init(device);
        Self {
            query: linear(),
            key: linear(),
            value: linear(),
        }
    }

    /// What each step of `hidden: [batch, len, hidden]` reads from itself, the earlier steps
    /// and `memory`: `[batch, len, width]`, with the memory grown by these steps.
    pub fn attend(&self, hidden: Tensor<3>, memory: Option<Memory>) -> (Tensor<3>, Memory) {
        let [batch, len, _] = hidden.dims();
        let query = self.query.forward(hidden.clone());
        let (keys, values) = (self.key.forward(hidden.clone()), self.value.forward(hidden));
        let (keys, values) = match memory {
            Some(m) => (
                Tensor::cat(vec![m.keys, keys], 1),
                Tensor::cat(vec![m.values, values], 1),
            ),
            None => (keys, values),
        };
        let total = keys.dims()[1];
        let width = query.dims()[2];
        let scores = query
            .matmul(keys.clone().swap_dims(1, 2))
            .div_scalar((width as f64).sqrt());
        let mask = causal_mask(len, total, &scores.device()).repeat_dim(0, batch);
        let read = softmax(scores + mask, 2).matmul(values.clone());
        (read, Memory { keys, values })
    }
}

/// `[1, len, total]`: 0 where step `t` (the last `len` of `total`) may look (itself and
/// before), a large negative number after it.
fn causal_mask(len: usize, total: usize, device: &Device) -> Tensor<3> {
    let past = total - len;
    let values: Vec<f32> = (0..len)
        .flat_map(|t| (0..total).map(move |j| if j <= past + t { 0.0 } else { -1e9 }))
        .collect();
    Tensor::from_data(TensorData::new(values, [1, len, total]), device)
}
