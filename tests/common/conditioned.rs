//! A small network with meter, mode, bar-clock and melodic inputs (two meters known) and a
//! look-back head with a copy head: the shipped model's kind, for tests (included with
//! `#[path]`).

use melodeon::data::condition::{Conditioning, Layout};
use melodeon::data::meters::MeterPrior;
use melodeon::model::ModelConfig;
use melodeon::recipe::Recipe;
use melodeon::song::Meter;

/// The network's shape; no dropout, whose random masks differ between backends.
pub fn conditioned_config() -> ModelConfig {
    let prior = |numerator| MeterPrior {
        meter: Meter {
            numerator,
            denominator: 4,
        },
        share: 0.5,
        minor: 0.5,
        pickups: vec![1.0],
        bars: vec![0.0, 1.0],
    };
    ModelConfig {
        hidden: 24,
        conditioning: Some(Conditioning {
            meters: vec![prior(3), prior(4)],
            layout: Layout {
                bars_left: true,
                melodic: true,
                interval: true,
            },
        }),
        look_back: 8,
        copy: true,
        dropout: 0.0,
        ..Recipe::Windows.network(10)
    }
}
