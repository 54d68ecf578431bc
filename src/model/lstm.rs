//! A fused-gate LSTM layer.
//!
//! burn's own `nn::Lstm` computes eight small matrix products per time step (an input and a
//! hidden product for each of the four gates). This layer keeps the four gates side by side,
//! so a step needs one `[batch, hidden] × [hidden, 4·hidden]` product plus its input part, and
//! the input part can be computed ahead (for the first layer, once per vocabulary entry: see
//! [`super::MelodyModel`]). The arithmetic is the same as burn's (and PyTorch's) LSTM:
//! `tests/model.rs` checks it against `nn::Lstm` on the same weights, and `melodeon bench`
//! measures the difference.
//!
//! On the CPU backends and on burn's cubecl backend (WebGPU, Vulkan) the whole recurrence is one
//! operation with a hand-written backward ([`super::sequence`]); composed from tensor operations
//! it was no faster than burn's `Lstm` on the CPU, because burn's autodiff bookkeeping per
//! operation outweighs the arithmetic at these sizes, and on a GPU each operation is a launch.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use super::sequence;

/// One LSTM layer. Gate blocks are stored side by side in the order input, forget, output,
/// cell (`i f o g`), so one sigmoid covers the first three.
#[derive(Module, Debug)]
pub struct FusedLstm {
    /// Input weights of the four gates: `[d_input, 4·d_hidden]`.
    pub input_weight: Param<Tensor<2>>,
    /// Hidden (recurrent) weights of the four gates: `[d_hidden, 4·d_hidden]`.
    pub hidden_weight: Param<Tensor<2>>,
    /// Bias of the input product: `[4·d_hidden]`.
    pub input_bias: Param<Tensor<1>>,
    /// Bias of the hidden product: `[4·d_hidden]` (kept apart, as in PyTorch and burn,
    /// so that parameter counts and imported weights match).
    pub hidden_bias: Param<Tensor<1>>,
    /// Size of the hidden state.
    pub d_hidden: usize,
}

/// The recurrent state `(h, c)` of one layer for a batch: both `[batch, d_hidden]`.
#[derive(Clone, Debug)]
pub struct LstmState {
    /// Hidden state `h`, the layer's output at the last step.
    pub hidden: Tensor<2>,
    /// Cell state `c`.
    pub cell: Tensor<2>,
}

impl LstmState {
    /// The all-zero state that starts every sequence.
    pub fn zeros(batch: usize, d_hidden: usize, device: &Device) -> Self {
        Self {
            hidden: Tensor::zeros([batch, d_hidden], device),
            cell: Tensor::zeros([batch, d_hidden], device),
        }
    }

    /// The same state cut from the autodiff graph (carried into the next chunk of a song
    /// without back-propagating into the previous one).
    pub fn detach(self) -> Self {
        Self {
            hidden: self.hidden.detach(),
            cell: self.cell.detach(),
        }
    }
}

impl FusedLstm {
    /// A layer initialised as PyTorch does: every weight and bias uniform in ±1/√d_hidden.
    pub fn new(d_input: usize, d_hidden: usize, device: &Device) -> Self {
        let bound = 1.0 / (d_hidden as f64).sqrt();
        let init = Initializer::Uniform {
            min: -bound,
            max: bound,
        };
        Self {
            input_weight: init.init([d_input, 4 * d_hidden], device),
            hidden_weight: init.init([d_hidden, 4 * d_hidden], device),
            input_bias: init.init([4 * d_hidden], device),
            hidden_bias: init.init([4 * d_hidden], device),
            d_hidden,
        }
    }

    /// The input part of the gates, both biases included: `[n, d_input]` → `[n, 4·d_hidden]`.
    pub fn input_gates(&self, input: Tensor<2>) -> Tensor<2> {
        let bias = self.input_bias.val() + self.hidden_bias.val();
        input.matmul(self.input_weight.val()) + bias.unsqueeze()
    }

    /// The composed recurrence over the input part of the gates of each step, from `state`.
    /// Returns each step's hidden state.
    fn run(
        &self,
        gate_inputs: impl IntoIterator<Item = Tensor<2>>,
        mut state: LstmState,
    ) -> (Vec<Tensor<2>>, LstmState) {
        let hidden_weight = self.hidden_weight.val();
        let outputs = gate_inputs
            .into_iter()
            .map(|gates_in| {
                state = self.cell(gates_in, state.clone(), &hidden_weight);
                state.hidden.clone()
            })
            .collect();
        (outputs, state)
    }

    /// Runs the layer over `input: [batch, seq, d_input]` from `state` (zeros when `None`),
    /// like burn's `Lstm::forward`: every step's hidden state `[batch, seq, d_hidden]` and the
    /// final state.
    pub fn forward(&self, input: Tensor<3>, state: Option<LstmState>) -> (Tensor<3>, LstmState) {
        let batch = input.dims()[0];
        let state =
            state.unwrap_or_else(|| LstmState::zeros(batch, self.d_hidden, &input.device()));
        let gates = self.sequence_gates(input);
        self.forward_gates(gates, state)
    }

    /// The input part of the gates for `input: [batch, seq, d_input]`:
    /// `[batch, seq, 4·d_hidden]`. On a GPU the product is batched per sequence, so that its
    /// weight gradient is many short products rather than one over every step of the batch
    /// (which leaves a GPU a few workgroups, each walking all the steps).
    pub fn sequence_gates(&self, input: Tensor<3>) -> Tensor<3> {
        let [batch, seq, d_input] = input.dims();
        if sequence::on_cpu(&input.device()) {
            return self
                .input_gates(input.reshape([batch * seq, d_input]))
                .reshape([batch, seq, 4 * self.d_hidden]);
        }
        let bias = self.input_bias.val() + self.hidden_bias.val();
        input.matmul(self.input_weight.val().unsqueeze()) + bias.unsqueeze()
    }

    /// Runs the layer over the input part of the gates `[batch, seq, 4·d_hidden]` (see
    /// [`FusedLstm::input_gates`]) from `state`: every step's hidden state and the final state.
    /// Where [`sequence::supported`], the recurrence is one operation with a hand-written
    /// backward ([`super::sequence`]); elsewhere it is composed step by step.
    pub fn forward_gates(&self, gates_in: Tensor<3>, state: LstmState) -> (Tensor<3>, LstmState) {
        let [batch, seq, _] = gates_in.dims();
        let h = self.d_hidden;
        if !sequence::supported(&gates_in.device(), h) {
            let steps = gates_in
                .iter_dim(1)
                .map(|step| step.reshape([batch, 4 * h]));
            let (outputs, state) = self.run(steps, state);
            return (Tensor::stack(outputs, 1), state);
        }
        let both =
            sequence::lstm_sequence(gates_in, state.hidden, state.cell, self.hidden_weight.val());
        let last = both.clone().narrow(1, seq - 1, 1).reshape([batch, 2 * h]);
        let state = LstmState {
            hidden: last.clone().narrow(1, 0, h),
            cell: last.narrow(1, h, h),
        };
        (both.narrow(2, 0, h), state)
    }

    /// The cell update from the input part of one step's gates.
    fn cell(&self, gates_in: Tensor<2>, state: LstmState, hidden_weight: &Tensor<2>) -> LstmState {
        let h = self.d_hidden;
        let gates = gates_in + state.hidden.matmul(hidden_weight.clone());
        let ifo = sigmoid(gates.clone().narrow(1, 0, 3 * h));
        let input_gate = ifo.clone().narrow(1, 0, h);
        let forget_gate = ifo.clone().narrow(1, h, h);
        let output_gate = ifo.narrow(1, 2 * h, h);
        let candidate = gates.narrow(1, 3 * h, h).tanh();
        let cell = forget_gate * state.cell + input_gate * candidate;
        let hidden = output_gate * cell.clone().tanh();
        LstmState { hidden, cell }
    }
}
