//! Look-back: attention over the song written so far.
//!
//! Folk songs repeat their phrases. An LSTM has to hold a phrase in its state to repeat it; this
//! head lets every step ask (a query) the top layer's states of every earlier step (their
//! keys) and read a mix of them (their values), so a bar can be copied from anywhere before.
//! The output layer reads the state and what it read. Keys and values of the steps read so far
//! are carried like the LSTM state ([`Memory`]), so a song read in chunks, or a tune written
//! step by step, looks back over all of it.
//!
//! With a copy head ([`CopyHead`]) a step can also point at an earlier step and propose the
//! token that came after it: the next-token distribution is a learnt mix of the output layer's
//! softmax and the tokens pointed at. Reading a value lets the network *know* what came
//! before; pointing lets it *repeat* it exactly, which is what a sung repeat does. Whether the
//! song ends is the output layer's call alone: the mix shares out only the rest of the
//! probability, so repeating a phrase does not put off the end. The network then gives
//! log-probabilities instead of logits: the same to a softmax, a log-softmax and a sampler.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::module::embedding;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::encoding::vocab::END_ID;

/// The attention head: three projections of the top layer's state.
#[derive(Module, Debug)]
pub struct LookBack {
    /// What a step asks for: `[hidden, width]`.
    pub query: Linear,
    /// What a step is found by: `[hidden, width]`.
    pub key: Linear,
    /// What a step gives when found: `[hidden, width]`.
    pub value: Linear,
    /// Pointing at an earlier step to repeat what followed it (none: reading only).
    pub copy: Option<CopyHead>,
}

/// The copy head: where to point (its own query against the look-back's keys) and how much to
/// trust the pointer (a gate read from the state and what the look-back read).
#[derive(Module, Debug)]
pub struct CopyHead {
    /// What a step looks for to repeat: `[hidden, width]`.
    pub query: Linear,
    /// The share of the copy in the mix, before a sigmoid: `[hidden + width, 1]`.
    pub gate: Linear,
}

/// Keys and values of every step read so far, both `[batch, steps, width]`, and the tokens
/// fed at those steps `[batch, steps]`.
#[derive(Clone, Debug)]
pub struct Memory {
    /// Keys.
    pub keys: Tensor<3>,
    /// Values.
    pub values: Tensor<3>,
    /// Token ids fed.
    pub ids: Tensor<2, Int>,
}

impl Memory {
    /// The same memory cut from the autodiff graph.
    pub fn detach(self) -> Self {
        Self {
            keys: self.keys.detach(),
            values: self.values.detach(),
            ids: self.ids,
        }
    }
}

/// Below this probability the mix is clamped before its logarithm.
const MIN_PROBABILITY: f64 = 1e-20;

impl LookBack {
    /// A head reading states of `hidden` units into `width` values, with a copy head when
    /// `copy`.
    pub fn new(hidden: usize, width: usize, copy: bool, device: &Device) -> Self {
        let linear = || LinearConfig::new(hidden, width).init(device);
        Self {
            query: linear(),
            key: linear(),
            value: linear(),
            copy: copy.then(|| CopyHead {
                query: linear(),
                gate: LinearConfig::new(hidden + width, 1).init(device),
            }),
        }
    }

    /// What each step of `hidden: [batch, len, hidden]` (fed `ids: [batch, len]`) reads from
    /// itself, the earlier steps and `memory`: `[batch, len, width]`, with the memory grown by
    /// these steps.
    pub fn attend(
        &self,
        hidden: Tensor<3>,
        ids: Tensor<2, Int>,
        memory: Option<Memory>,
    ) -> (Tensor<3>, Memory) {
        let [batch, len, _] = hidden.dims();
        let query = self.query.forward(hidden.clone());
        let (keys, values) = (self.key.forward(hidden.clone()), self.value.forward(hidden));
        let (keys, values, ids) = match memory {
            Some(m) => (
                Tensor::cat(vec![m.keys, keys], 1),
                Tensor::cat(vec![m.values, values], 1),
                Tensor::cat(vec![m.ids, ids], 1),
            ),
            None => (keys, values, ids),
        };
        let total = keys.dims()[1];
        let width = query.dims()[2];
        let scores = query
            .matmul(keys.clone().swap_dims(1, 2))
            .div_scalar((width as f64).sqrt());
        let mask = causal_mask(len, total, (total - len) as isize, &scores.device());
        let read = softmax(scores + mask.repeat_dim(0, batch), 2).matmul(values.clone());
        (read, Memory { keys, values, ids })
    }

    /// The next-token log-probabilities of the last `top.dims()[1]` steps of `memory`, from the
    /// output layer's `logits` and `top` (the state and what it read): the logits' softmax
    /// `s` mixed with the copy head's pointer `c` by its gate `g`, the terminator keeping its
    /// probability, `p = (1 − g)·s + g·(1 − s_end)·c + g·s_end·[end]` (`c` never proposes the
    /// terminator: no song goes on after one); or the logits themselves without a copy head.
    pub fn mix(&self, logits: Tensor<3>, top: Tensor<3>, memory: &Memory) -> Tensor<3> {
        let Some(copy) = &self.copy else {
            return logits;
        };
        let [batch, len, vocab] = logits.dims();
        let total = memory.keys.dims()[1];
        let past = total - len;
        if total < 2 {
            // The first step has nothing before it to point at.
            return burn::tensor::activation::log_softmax(logits, 2);
        }
        let width = memory.keys.dims()[2];
        let device = logits.device();
        let hidden = top.dims()[2] - width;
        let query = copy.query.forward(top.clone().narrow(2, 0, hidden));
        // Step `j`'s pointer proposes the token fed at `j + 1`: only steps before the current
        // one have it.
        let keys = memory.keys.clone().narrow(1, 0, total - 1);
        let scores = query
            .matmul(keys.swap_dims(1, 2))
            .div_scalar((width as f64).sqrt());
        let mask = causal_mask(len, total - 1, past as isize - 1, &device);
        let pointer = softmax(scores + mask.repeat_dim(0, batch), 2);
        let following = memory.ids.clone().narrow(1, 1, total - 1);
        let eye = Tensor::<2>::eye(vocab, &device);
        let one_hot = embedding(eye.clone(), following);
        let copied = pointer.matmul(one_hot);
        // The first step of a song (`past + t == 0`) cannot copy.
        let can_copy: Vec<f32> = (0..len)
            .map(|t| f32::from(u8::from(past + t > 0)))
            .collect();
        let can_copy = Tensor::<3>::from_data(TensorData::new(can_copy, [1, len, 1]), &device);
        let gate = sigmoid(copy.gate.forward(top)) * can_copy.repeat_dim(0, batch);
        let ones = Tensor::<3>::ones([batch, len, 1], &device);
        let probabilities = softmax(logits, 2);
        let end = probabilities.clone().narrow(2, END_ID as usize, 1);
        let end_row = eye.narrow(0, END_ID as usize, 1).reshape([1, 1, vocab]);
        let mixed = probabilities * (ones.clone() - gate.clone())
            + copied * (gate.clone() * (ones - end.clone()))
            + end_row.repeat_dim(0, batch).repeat_dim(1, len) * (gate * end);
        mixed.clamp_min(MIN_PROBABILITY).log()
    }
}

/// `[1, len, keys]`: 0 where step `t` (the `t`-th of the last `len`) may look, up to key
/// `past + t`, a large negative number after it.
fn causal_mask(len: usize, keys: usize, past: isize, device: &Device) -> Tensor<3> {
    let values: Vec<f32> = (0..len)
        .flat_map(|t| {
            (0..keys).map(move |j| {
                if j as isize <= past + t as isize {
                    0.0
                } else {
                    -1e9
                }
            })
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [1, len, keys]), device)
}
