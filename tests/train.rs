//! The training loop: a tiny corpus is learnt, runs are deterministic, the best model is kept.

use burn::tensor::Device;
use melodeon::data::{SongSeq, Windows};
use melodeon::encoding::grid::Token;
use melodeon::encoding::vocab::Vocab;
use melodeon::eval::{evaluate, evaluate_songs};
use melodeon::model::ModelConfig;
use melodeon::recipe::{Context, Recipe};
use melodeon::train::{LossMode, TrainConfig, TrainData, Trainer};

const HOLD: u32 = 5;

/// `.`, four notes and `_` (id 5).
fn vocab() -> Vocab {
    let tokens = [
        Token::End,
        Token::Note(60),
        Token::Note(62),
        Token::Note(64),
        Token::Note(65),
        Token::Hold,
    ];
    Vocab::from_sequences([&tokens[..]])
}

fn phrase_songs() -> Vec<Vec<u32>> {
    let phrase = [1u32, 2, 5, 3, 4, 5, 5, 1];
    (2..8).map(|n| phrase.repeat(n)).collect()
}

/// Songs that repeat one phrase: each next token is fully determined by the last few.
fn tiny_corpus() -> Windows {
    Windows::new(&phrase_songs(), 8)
}

fn all_windows(windows: &Windows) -> Vec<usize> {
    (0..windows.len()).collect()
}

fn tiny_model() -> ModelConfig {
    ModelConfig {
        vocab_size: 6,
        embedding_dim: 6,
        hidden: 32,
        layers: 1,
        dropout: 0.0,
        conditioning: None,
        look_back: 0,
        copy: false,
    }
}

fn config(loss: LossMode) -> TrainConfig {
    TrainConfig {
        epochs: 40,
        batch_size: 16,
        learning_rate: 0.01,
        loss,
        seed: 3,
        ..Recipe::Seed.train()
    }
}

#[test]
fn the_model_learns_a_tiny_corpus() {
    for (loss, warmup) in [(LossMode::Last, 0), (LossMode::All, 0), (LossMode::All, 3)] {
        let data = tiny_corpus();
        let all = all_windows(&data);
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
            vocab(),
            &device,
        )
        .unwrap();
        let mut first = None;
        let mut last = None;
        while !trainer.is_finished() {
            let progress = pollster::block_on(trainer.step(TrainData::Windows(&data))).unwrap();
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
        let again = pollster::block_on(evaluate(&best, &data, &all, HOLD, 64, &device)).unwrap();
        assert!((again.nll - metrics.nll).abs() < 1e-5);
    }
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let run = |seed| {
        let windows = tiny_corpus();
        let all = all_windows(&windows);
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
            Trainer::new(&model, config, all.clone(), all, vocab(), &Device::flex()).unwrap();
        (0..4)
            .map(|_| {
                pollster::block_on(trainer.step(TrainData::Windows(&windows)))
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
    let all = all_windows(&windows);
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
        vocab(),
        &Device::flex(),
    )
    .unwrap();
    let steps = trainer.steps_per_epoch();
    assert_eq!(steps, all.len().div_ceil(16));
    let progress: Vec<_> = (0..2 * steps)
        .map(|_| pollster::block_on(trainer.step(TrainData::Windows(&windows))).unwrap())
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
        pollster::block_on(trainer.step(TrainData::Windows(&windows))).is_err(),
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
        vocab(),
        &Device::flex(),
    )
    .err();
    assert!(err.unwrap().contains("nothing to train on"));
}

#[test]
fn whole_songs_are_learnt_and_validated_whole() {
    let set: Vec<SongSeq> = phrase_songs()
        .into_iter()
        .map(|ids| SongSeq {
            ids,
            inputs: Vec::new(),
        })
        .collect();
    let all: Vec<usize> = (0..set.len()).collect();
    let config = TrainConfig {
        epochs: 60,
        batch_size: 3,
        learning_rate: 0.01,
        seed: 3,
        ..Recipe::WholeSong.train()
    };
    let device = Device::flex();
    // With a look-back head: its memory is carried across chunks like the LSTM state.
    let model = ModelConfig {
        look_back: 8,
        ..tiny_model()
    };
    let mut trainer =
        Trainer::new(&model, config, all.clone(), all.clone(), vocab(), &device).unwrap();
    let data = TrainData::Songs(&set);
    while !trainer.is_finished() {
        let progress = pollster::block_on(trainer.step(data)).unwrap();
        assert_eq!(progress.rate_unit, "tokens");
    }
    let metrics = trainer.best_metrics().unwrap();
    // Only the length of each song (where the terminator comes) is left to guess.
    assert!(metrics.nll < 0.2, "validation NLL {}", metrics.nll);
    let best = trainer.best_model().unwrap();
    let context = Context::WholeSong { chunk: 5 };
    let measure_in = |models: &[&melodeon::model::MelodyModel], batch: usize| {
        pollster::block_on(evaluate_songs(
            models,
            &set,
            &all,
            &vocab(),
            context,
            batch,
            &device,
        ))
        .unwrap()
    };
    let measure = |models: &[&melodeon::model::MelodyModel]| measure_in(models, 2);
    let again = measure(&[&best]);
    assert!((again.nll - metrics.nll).abs() < 1e-5);
    // Padding never reaches the loss or the carried state: all six songs of different lengths
    // in one padded batch score what each song scores alone.
    let alone = measure_in(&[&best], 1);
    let padded = measure_in(&[&best], 6);
    assert_eq!((alone.tokens, alone.notes), (padded.tokens, padded.notes));
    assert!(
        (alone.nll - padded.nll).abs() < 1e-6,
        "{} vs {}",
        alone.nll,
        padded.nll
    );
    // An ensemble of a model with itself predicts what the model does.
    assert!((measure(&[&best, &best]).nll - again.nll).abs() < 1e-5);
    assert_eq!(again.tokens, set.iter().map(SongSeq::steps).sum::<usize>());
}
