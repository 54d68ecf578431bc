//! The melody network: Embedding → LSTM layers → Dropout → Linear, as in the tutorial, with
//! optional conditioning inputs and an optional look-back head.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::module::Module;
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig,
};
use burn::tensor::module::embedding;
use burn::tensor::{Device, Int, Tensor};

use super::look_back::{LookBack, Memory};
use super::lstm::{FusedLstm, LstmState};
use super::sequence;
use super::{ModelConfig, Weights};

/// What a network carries from one call to the next: each layer's LSTM state and, with
/// look-back, the keys and values of every step read so far.
#[derive(Clone, Debug)]
pub struct State {
    /// One LSTM state per layer.
    pub layers: Vec<LstmState>,
    /// The look-back head's memory (none without the head, or before the first step).
    pub memory: Option<Memory>,
}

impl State {
    /// The same state cut from the autodiff graph (carried into the next chunk of a song
    /// without back-propagating into the previous one).
    pub fn detach(self) -> Self {
        Self {
            layers: self.layers.into_iter().map(LstmState::detach).collect(),
            memory: self.memory.map(Memory::detach),
        }
    }
}

/// The network. Build it with [`super::ModelConfig::init`] or load it from a model file.
#[derive(Module, Debug)]
pub struct MelodyModel {
    /// Token embedding `[vocab, embedding]`.
    pub embedding: Embedding,
    /// One table per conditioning input, `[classes, 4·hidden]`, added to the first layer's
    /// gates (empty for an unconditioned network).
    pub inputs: Vec<Embedding>,
    /// Stacked LSTM layers.
    pub layers: Vec<FusedLstm>,
    /// Dropout after each LSTM layer (active only on an autodiff device in training mode).
    pub dropout: Dropout,
    /// Attention over the earlier steps (none in the tutorial's network).
    pub look_back: Option<LookBack>,
    /// Output projection to one logit per token (from the top state and, with look-back, what
    /// it read).
    pub output: Linear,
}

impl MelodyModel {
    /// Logits at every position: `ids: [batch, seq]` (and, for a conditioned network, its
    /// inputs `[batch, seq, inputs]`) → `[batch, seq, vocab]`, with the final state of each
    /// layer (to carry on from). A network with a copy head gives log-probabilities, which
    /// every softmax, log-softmax and sampler reads the same way.
    pub fn forward(
        &self,
        ids: Tensor<2, Int>,
        inputs: Option<Tensor<3, Int>>,
        state: Option<State>,
    ) -> (Tensor<3>, State) {
        let (layers, memory) = match state {
            Some(state) => (Some(state.layers), state.memory),
            None => (None, None),
        };
        let (hidden, layers) = self.hidden(ids.clone(), inputs, layers);
        let hidden = super::dropout::dropout(&self.dropout, hidden);
        let Some(head) = &self.look_back else {
            let logits = self.output.forward(hidden);
            return (
                logits,
                State {
                    layers,
                    memory: None,
                },
            );
        };
        let (read, memory) = head.attend(hidden.clone(), ids, memory);
        let top = Tensor::cat(vec![hidden, read], 2);
        let scores = head.mix(self.output.forward(top.clone()), top, &memory);
        let memory = Some(memory);
        (scores, State { layers, memory })
    }

    /// Logits for the token after the last position only (the tutorial's prediction):
    /// `ids: [batch, seq]` → `[batch, vocab]`.
    pub fn forward_last(&self, ids: Tensor<2, Int>) -> Tensor<2> {
        if self.look_back.is_some() {
            let (logits, _) = self.forward(ids, None, None);
            let [batch, seq, vocab] = logits.dims();
            return logits.narrow(1, seq - 1, 1).reshape([batch, vocab]);
        }
        let (hidden, _) = self.hidden(ids, None, None);
        let [batch, seq, width] = hidden.dims();
        // Dropped out after the cut: the other steps never reach the output (in the tutorial's
        // Keras model, too, dropout follows the LSTM's last output only).
        let last = hidden.narrow(1, seq - 1, 1).reshape([batch, width]);
        self.output
            .forward(super::dropout::dropout(&self.dropout, last))
    }

    /// One generation step: feeds `ids: [batch]` (one token per row, with its conditioning
    /// `inputs: [batch, inputs]`) and returns the logits of the next token `[batch, vocab]` and
    /// the carried state.
    pub fn step(
        &self,
        ids: Tensor<1, Int>,
        inputs: Option<Tensor<2, Int>>,
        state: State,
    ) -> (Tensor<2>, State) {
        let [batch] = ids.dims();
        let inputs = inputs.map(|inputs| {
            let width = inputs.dims()[1];
            inputs.reshape([batch, 1, width])
        });
        let (logits, state) = self.forward(ids.reshape([batch, 1]), inputs, Some(state));
        let vocab = logits.dims()[2];
        (logits.reshape([batch, vocab]), state)
    }

    /// The zero state every sequence starts from.
    pub fn initial_state(&self, batch: usize, device: &Device) -> State {
        State {
            layers: self
                .layers
                .iter()
                .map(|layer| LstmState::zeros(batch, layer.d_hidden, device))
                .collect(),
            memory: None,
        }
    }

    /// Number of token ids the network predicts.
    pub fn vocab_size(&self) -> usize {
        self.output.weight.shape().dims::<2>()[1]
    }

    /// Hidden states of the last layer at every step and the final states. Dropout follows
    /// every layer but the last; the callers drop out what they read of the last.
    ///
    /// The first layer's input part is computed once per vocabulary entry (embedding table ×
    /// input weights) and looked up for every position (see [`lookup`]).
    fn hidden(
        &self,
        ids: Tensor<2, Int>,
        inputs: Option<Tensor<3, Int>>,
        state: Option<Vec<LstmState>>,
    ) -> (Tensor<3>, Vec<LstmState>) {
        let batch = ids.dims()[0];
        let states = state.unwrap_or_else(|| self.initial_state(batch, &ids.device()).layers);
        let mut finals = Vec::with_capacity(self.layers.len());
        let mut below: Option<Tensor<3>> = None;
        for (layer, layer_state) in self.layers.iter().zip(states) {
            let gates_in = match below {
                None => self.conditioned(
                    lookup(layer.input_gates(self.embedding.weight.val()), ids.clone()),
                    inputs.clone(),
                ),
                Some(x) => layer.sequence_gates(super::dropout::dropout(&self.dropout, x)),
            };
            let (hidden, last) = layer.forward_gates(gates_in, layer_state);
            below = Some(hidden);
            finals.push(last);
        }
        (below.expect("a model has at least one layer"), finals)
    }

    /// Adds the conditioning inputs' rows to the first layer's gates `[batch, seq, 4·hidden]`.
    fn conditioned(&self, gates: Tensor<3>, inputs: Option<Tensor<3, Int>>) -> Tensor<3> {
        let Some(inputs) = inputs.filter(|_| !self.inputs.is_empty()) else {
            return gates;
        };
        let [batch, seq, _] = gates.dims();
        self.inputs
            .iter()
            .enumerate()
            .fold(gates, |gates, (k, table)| {
                let ids = inputs.clone().narrow(2, k, 1).reshape([batch, seq]);
                gates + lookup(table.weight.val(), ids)
            })
    }
}

/// Whether lookups on a GPU are one-hot products (see [`lookup`]); cleared for software GPUs.
static GPU_PRODUCTS: AtomicBool = AtomicBool::new(true);

/// Makes lookups on a GPU gathers (`false`) or one-hot products (`true`, the default). The
/// page clears it on a fallback (software) WebGPU adapter, which runs the products'
/// arithmetic on the CPU, where it costs more than the gathers' backward (docs/speed.md,
/// "Software GPUs").
pub fn lookup_products_on_gpu(on: bool) {
    GPU_PRODUCTS.store(on, Ordering::Relaxed);
}

/// Rows of `table` (`[classes, width]`) for `ids` (`[batch, seq]`): `[batch, seq, width]`.
///
/// On the CPU a gather. On a GPU a one-hot product per sequence instead: the gather's gradient
/// (burn's `select_assign`) gives each column of the table one thread that walks every id of
/// the batch in turn, a large share of a GPU's step, where the product's gradient is one
/// batched product (docs/decisions.md; docs/speed.md, "Real GPUs").
fn lookup(table: Tensor<2>, ids: Tensor<2, Int>) -> Tensor<3> {
    if sequence::on_cpu(&ids.device()) || !GPU_PRODUCTS.load(Ordering::Relaxed) {
        return embedding(table, ids);
    }
    // Compared with each class rather than burn's `one_hot`, which reads the ids back to check
    // them (a blocking read, which WebAssembly cannot do).
    let classes = table.dims()[0];
    let [batch, seq] = ids.dims();
    let shape = [batch, seq, classes];
    let each = Tensor::<1, Int>::arange(0..classes as i64, &ids.device())
        .reshape([1, 1, classes])
        .expand(shape);
    let one_hot = ids.unsqueeze_dim::<3>(2).expand(shape).equal(each).float();
    one_hot.matmul(table.unsqueeze())
}

impl ModelConfig {
    /// A freshly initialised network on `device` (PyTorch's initialisation, see [`FusedLstm::new`]).
    pub fn init(&self, device: &Device) -> MelodyModel {
        let layers = (0..self.layers)
            .map(|layer| {
                let d_input = if layer == 0 {
                    self.embedding_dim
                } else {
                    self.hidden
                };
                FusedLstm::new(d_input, self.hidden, device)
            })
            .collect();
        // Each conditioning input adds one learnt row to the first layer's gates, initialised
        // like the LSTM's own weights.
        let bound = 1.0 / (self.hidden as f64).sqrt();
        let inputs = self
            .input_classes()
            .into_iter()
            .map(|classes| {
                EmbeddingConfig::new(classes, 4 * self.hidden)
                    .with_initializer(Initializer::Uniform {
                        min: -bound,
                        max: bound,
                    })
                    .init(device)
            })
            .collect();
        MelodyModel {
            embedding: EmbeddingConfig::new(self.vocab_size, self.embedding_dim).init(device),
            inputs,
            layers,
            dropout: DropoutConfig::new(self.dropout).init(),
            look_back: (self.look_back > 0)
                .then(|| LookBack::new(self.hidden, self.look_back, self.copy, device)),
            output: LinearConfig::new(self.hidden + self.look_back, self.vocab_size).init(device),
        }
    }
}

impl MelodyModel {
    /// This network's parameters as plain arrays, for the CPU kernel. The parameters must be
    /// readable synchronously (a CPU device).
    pub fn weights(&self, config: &ModelConfig) -> Result<Weights, String> {
        let bytes = self
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| e.to_string())?;
        Weights::read(&bytes, config)
    }
}
