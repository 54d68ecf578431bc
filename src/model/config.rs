//! The network's shape, stored in every model file.

use serde::{Deserialize, Serialize};

use crate::data::Conditioning;
use crate::settings::Range;

/// The range of the vocabulary's size.
pub const VOCAB: Range<usize> = Range { min: 1, max: 4096 };
/// The range of the embedding's width.
pub const EMBEDDING: Range<usize> = Range { min: 1, max: 4096 };
/// The range of hidden units per LSTM layer.
pub const HIDDEN: Range<usize> = Range { min: 1, max: 4096 };
/// The range of stacked LSTM layers.
pub const LAYERS: Range<usize> = Range { min: 1, max: 8 };
/// The range of the look-back head's width (0: none).
pub const LOOK_BACK: Range<usize> = Range { min: 0, max: 4096 };
/// Dropout's range (above it a network learns little).
pub const DROPOUT: Range<f64> = Range { min: 0.0, max: 0.9 };

/// Sizes of the network: Embedding(vocab, embedding) → LSTM(hidden) × layers → Dropout → Linear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Number of token ids (the vocabulary's size).
    pub vocab_size: usize,
    /// Width of the embedding (the tutorial: equal to the vocabulary size).
    pub embedding_dim: usize,
    /// Hidden units per LSTM layer (the tutorial: 128).
    pub hidden: usize,
    /// Number of stacked LSTM layers (the tutorial: 1).
    pub layers: usize,
    /// Dropout after each LSTM layer while training (the tutorial: 0.2).
    pub dropout: f64,
    /// Meter, mode and bar-clock inputs (none in the tutorial's network and in files from before
    /// them).
    #[serde(default)]
    pub conditioning: Option<Conditioning>,
    /// Width of the look-back head's keys and values (0: no look-back, as the tutorial).
    #[serde(default)]
    pub look_back: usize,
    /// Whether the look-back head also points at earlier steps to repeat what followed them
    /// (files from before it: no).
    #[serde(default)]
    pub copy: bool,
}

impl ModelConfig {
    /// Classes of each conditioning input (empty without conditioning).
    pub fn input_classes(&self) -> Vec<usize> {
        self.conditioning
            .as_ref()
            .map_or_else(Vec::new, |c| c.classes().to_vec())
    }

    /// Checks that the sizes make a network, each against its range: the one judge of a
    /// network from a file, the command line or the page's form.
    pub fn validate(&self) -> Result<(), String> {
        let sizes = [
            (VOCAB, "the vocabulary size", self.vocab_size),
            (EMBEDDING, "the embedding size", self.embedding_dim),
            (HIDDEN, "the hidden size", self.hidden),
            (LAYERS, "the number of layers", self.layers),
            (LOOK_BACK, "the look-back width", self.look_back),
        ];
        for (range, name, value) in sizes {
            range.check(name, value)?;
        }
        if self.copy && self.look_back == 0 {
            return Err("a copy head needs a look-back head".into());
        }
        DROPOUT.check("the dropout", self.dropout)?;
        Ok(())
    }

    /// Number of trainable parameters (92,362 for the tutorial's network on 38 tokens).
    pub fn num_params(&self) -> usize {
        self.layer_summary().iter().map(|layer| layer.params).sum()
    }

    /// The layers with their output shapes and parameter counts, for the model card.
    pub fn layer_summary(&self) -> Vec<LayerSummary> {
        let (v, e, h) = (self.vocab_size, self.embedding_dim, self.hidden);
        let mut layers = vec![LayerSummary {
            name: "Embedding".into(),
            output: format!("[batch, seq, {e}]"),
            params: v * e,
        }];
        let classes = self.input_classes();
        if !classes.is_empty() {
            let melodic = self.conditioning.as_ref().is_some_and(|c| c.layout.melodic);
            layers.push(LayerSummary {
                name: if melodic {
                    "Meter, mode, bar clock, melody so far"
                } else {
                    "Meter, mode, bar clock"
                }
                .into(),
                output: format!("[batch, seq, {}]", 4 * h),
                params: classes.iter().sum::<usize>() * 4 * h,
            });
        }
        for layer in 0..self.layers {
            let d_input = if layer == 0 { e } else { h };
            layers.push(LayerSummary {
                name: format!("LSTM {}", layer + 1),
                output: format!("[batch, seq, {h}]"),
                params: 4 * (d_input * h + h * h + 2 * h),
            });
        }
        layers.push(LayerSummary {
            name: format!("Dropout({})", self.dropout),
            output: format!("[batch, seq, {h}]"),
            params: 0,
        });
        let d = self.look_back;
        if d > 0 {
            layers.push(LayerSummary {
                name: "Look-back attention".into(),
                output: format!("[batch, seq, {d}]"),
                params: 3 * (h * d + d),
            });
        }
        if self.copy {
            layers.push(LayerSummary {
                name: "Copy head".into(),
                output: format!("[batch, seq, {v}]"),
                params: h * d + d + (h + d) + 1,
            });
        }
        layers.push(LayerSummary {
            name: "Linear".into(),
            output: format!("[batch, seq, {v}]"),
            params: (h + d) * v + v,
        });
        layers
    }
}

/// One row of the architecture diagram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerSummary {
    /// Layer name, e.g. `LSTM 1`.
    pub name: String,
    /// Output shape, e.g. `[batch, seq, 128]`.
    pub output: String,
    /// Trainable parameters.
    pub params: usize,
}
