//! The training loop: a tiny corpus is learnt, runs are deterministic, the best model is kept.

use burn::tensor::Device;
use melodeon::data::Windows;
use melodeon::model::ModelConfig;
use melodeon::train::{LossMode, TrainConfig, Trainer, evaluate};

const HOLD: u32 = 5;

/// Songs that repeat one phrase: each next token is fully determined by the last few.
fn tiny_corpus() -> Windows {
    let phrase = [1u32, 2, 5, 3, 4, 5, 5, 1];
    let songs: Vec<Vec<u32>> = (2..8).map(|n| phrase.repeat(n)).collect();
    Windows::new(&songs, 8)
}

fn tiny_model() -> ModelConfig {
    ModelConfig {
        vocab_size: 6,
        embedding_dim: 6,
        hidden: 32,
        layers: 1,
        dropout: 0.0,
    }
}

fn config(loss: LossMode) -> TrainConfig {
    TrainConfig {
        epochs: 40,
        batch_size: 16,
        learning_rate: 0.01,
        loss,
        seed: 3,
        ..TrainConfig::seed_recipe()
    }
}

#[test]
fn the_model_learns_a_tiny_corpus() {
    for (loss, warmup) in [(LossMode::Last, 0), (LossMode::All, 0), (LossMode::All, 3)] {
        let windows = tiny_corpus();
        let all: Vec<usize> = (0..windows.len()).collect();
        let device = Device::flex();
        let config = TrainConfig {
            warmup,
            ..config(loss)
        };
        let mut trainer = Trainer::new(
            &tiny_model(),
            config,
            all.clone(),
            all.clone(),
            HOLD,
            &device,
        )
        .unwrap();
        let mut first = None;
        let mut last = None;
        while !trainer.is_finished() {
            let progress = pollster::block_on(trainer.step(&windows)).unwrap();
            first.get_or_insert(progress.train_loss);
            last = Some(progress);
        }
        let last = last.unwrap();
        assert!(last.finished && last.epoch == 40);
        assert!(first.unwrap() > 1.0, "{loss:?}: starts near ln 6");
        let metrics = trainer
            .best_metrics()
            .expect("validated at every epoch end");
        assert!(
            metrics.nll < 0.15,
            "{loss:?}: validation NLL {} should fall below 0.15",
            metrics.nll
        );
        assert!(
            metrics.accuracy > 0.9,
            "{loss:?}: accuracy {}",
            metrics.accuracy
        );
        // The kept model is the best one: evaluating it again gives its recorded metrics.
        let best = trainer.best_model().unwrap();
        let again = pollster::block_on(evaluate(&best, &windows, &all, HOLD, 64, &device)).unwrap();
        assert!((again.nll - metrics.nll).abs() < 1e-5);
    }
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let run = |seed| {
        let windows = tiny_corpus();
        let all: Vec<usize> = (0..windows.len()).collect();
        let config = TrainConfig {
            seed,
            epochs: 1,
            ..config(LossMode::All)
        };
        let model = ModelConfig {
            dropout: 0.2,
            ..tiny_model()
        };
        let mut trainer =
            Trainer::new(&model, config, all.clone(), all, HOLD, &Device::flex()).unwrap();
        (0..4)
            .map(|_| {
                pollster::block_on(trainer.step(&windows))
                    .unwrap()
                    .train_loss
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

#[test]
fn progress_counts_steps_and_epochs() {
    let windows = tiny_corpus();
    let all: Vec<usize> = (0..windows.len()).collect();
    let config = TrainConfig {
        epochs: 2,
        eval_every: Some(3),
        ..config(LossMode::Last)
    };
    let mut trainer = Trainer::new(
        &tiny_model(),
        config,
        all.clone(),
        all.clone(),
        HOLD,
        &Device::flex(),
    )
    .unwrap();
    let steps = trainer.steps_per_epoch();
    assert_eq!(steps, all.len().div_ceil(16));
    let progress: Vec<_> = (0..2 * steps)
        .map(|_| pollster::block_on(trainer.step(&windows)).unwrap())
        .collect();
    assert_eq!(progress[0].step_in_epoch, 1);
    assert_eq!(progress[steps].epoch, 2);
    assert!(
        progress[steps - 1].valid.is_some(),
        "evaluates at the end of an epoch"
    );
    assert!(progress[2].valid.is_some(), "evaluates every 3 steps");
    assert!(progress.last().unwrap().finished);
    assert!(
        pollster::block_on(trainer.step(&windows)).is_err(),
        "no step after the end"
    );
}

#[test]
fn empty_training_data_is_refused() {
    let err = Trainer::new(
        &tiny_model(),
        config(LossMode::All),
        vec![],
        vec![],
        HOLD,
        &Device::flex(),
    )
    .err();
    assert!(err.unwrap().contains("no training windows"));
}
