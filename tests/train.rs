//! The training loop: a tiny corpus is learnt, runs are deterministic, the best model is kept.

use burn::tensor::Device;
use melodeon::data::{SongSeq, Windows};
use melodeon::encoding::grid::Token;
use melodeon::encoding::vocab::Vocab;
use melodeon::eval::{evaluate, evaluate_songs};
use melodeon::model::{ModelConfig, average};
use melodeon::recipe::{Context, Recipe};
use melodeon::train::{LossMode, Progress, Start, TrainConfig, TrainData, Trainer, Weighting};

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

/// Steps `trainer` through every epoch.
fn run_to_end(trainer: &mut Trainer, data: TrainData<'_>) -> Vec<Progress> {
    let mut progress = Vec::new();
    while !trainer.is_finished() {
        progress.push(pollster::block_on(trainer.step(data)).unwrap());
    }
    progress
}

fn config(loss: LossMode) -> TrainConfig {
    TrainConfig {
        epochs: 40,
        batch_size: 16,
        learning_rate: 0.01,
        loss,
        seed: 3,
        ..Recipe::Windows.train()
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
            Start::Fresh(tiny_model()),
            config,
            all.clone(),
            all.clone(),
            vocab(),
            &device,
        )
        .unwrap();
        let progress = run_to_end(&mut trainer, TrainData::Windows(&data));
        let last = progress.last().unwrap();
        assert!(last.finished && last.epoch == 40);
        assert!(progress[0].train_loss > 1.0, "{loss:?}: starts near ln 6");
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
        let mut trainer = Trainer::new(
            Start::Fresh(model.clone()),
            config,
            all.clone(),
            all,
            vocab(),
            &Device::flex(),
        )
        .unwrap();
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
        Start::Fresh(tiny_model()),
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
        Start::Fresh(tiny_model()),
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
    let mut trainer = Trainer::new(
        Start::Fresh(model.clone()),
        config,
        all.clone(),
        all.clone(),
        vocab(),
        &device,
    )
    .unwrap();
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

#[test]
fn averaged_weights_are_the_mean_of_the_networks() {
    let device = Device::flex();
    let config = ModelConfig {
        look_back: 4,
        ..tiny_model()
    };
    let nets: Vec<_> = (0..3)
        .map(|seed| {
            device.seed(seed);
            config.init(&device)
        })
        .collect();
    let two = average::fold_in(nets[0].clone(), &nets[1], 1);
    let three = average::fold_in(two.clone(), &nets[2], 2);
    let flat = |net: &melodeon::model::MelodyModel| {
        let w = net.weights(&config).unwrap();
        let mut all = w.embedding.clone();
        all.extend(&w.layers[0].input_weight);
        all.extend(&w.layers[0].hidden_weight);
        all.extend(&w.layers[0].bias);
        all.extend(&w.output.weight);
        all
    };
    let members: Vec<_> = nets.iter().map(flat).collect();
    assert_ne!(members[0], members[1]);
    for (k, (got2, got3)) in flat(&two).iter().zip(flat(&three)).enumerate() {
        let mean2 = (members[0][k] + members[1][k]) / 2.0;
        let mean3 = (members[0][k] + members[1][k] + members[2][k]) / 3.0;
        assert!((got2 - mean2).abs() < 1e-6, "{k}: {got2} vs {mean2}");
        assert!((got3 - mean3).abs() < 1e-6, "{k}: {got3} vs {mean3}");
    }
}

#[test]
fn averaging_validates_the_mean_of_the_last_epochs() {
    let windows = tiny_corpus();
    let all = all_windows(&windows);
    // One initial network for both runs (the device's generator is shared between tests).
    let device = Device::flex();
    device.seed(9);
    let start = tiny_model().init(&device);
    let run = |average_last| {
        let config = TrainConfig {
            epochs: 4,
            average_last,
            ..config(LossMode::All)
        };
        let mut trainer = Trainer::new(
            Start::From(Box::new(start.clone())),
            config,
            all.clone(),
            all.clone(),
            vocab(),
            &device,
        )
        .unwrap();
        run_to_end(&mut trainer, TrainData::Windows(&windows))
            .iter()
            .filter_map(|p| p.valid.map(|m| m.nll))
            .collect::<Vec<_>>()
    };
    let plain = run(None);
    let averaged = run(Some(2));
    assert_eq!(plain.len(), 4);
    // The same run up to the averaged epochs; the first averaged epoch's mean is that epoch's
    // weights alone; the last is the mean of two epochs' weights, not the weights themselves.
    assert_eq!(plain[..3], averaged[..3]);
    assert_ne!(plain[3], averaged[3]);
}

#[test]
fn weighing_every_target_alike_foresees_the_end_as_often_as_it_comes() {
    // Four short and four long songs of one repeated figure, in batches of one length each.
    // Trained to convergence with every target weighing the same, the chances of ending summed
    // over every step of the songs come to one per song. A mean per chunk gives the short
    // songs' steps, and so the terminators, more weight: the end is foreseen too often.
    let set: Vec<SongSeq> = [2, 2, 2, 2, 24, 24, 24, 24]
        .into_iter()
        .map(|n| SongSeq {
            ids: [1u32, 5].repeat(n),
            inputs: Vec::new(),
        })
        .collect();
    let all: Vec<usize> = (0..set.len()).collect();
    let device = Device::flex();
    let model = ModelConfig {
        hidden: 2,
        ..tiny_model()
    };
    let ends = |weighting| {
        let config = TrainConfig {
            epochs: 300,
            batch_size: 4,
            learning_rate: 0.01,
            lr_decay: 1.0,
            grad_clip: None,
            weighting,
            seed: 5,
            ..Recipe::WholeSong.train()
        };
        let mut trainer = Trainer::new(
            Start::Fresh(model.clone()),
            config,
            all.clone(),
            all.clone(),
            vocab(),
            &device,
        )
        .unwrap();
        run_to_end(&mut trainer, TrainData::Songs(&set));
        let model = trainer.current_model().unwrap();
        let context = Context::WholeSong { chunk: 64 };
        pollster::block_on(evaluate_songs(
            &[&model],
            &set,
            &all,
            &vocab(),
            context,
            8,
            &device,
        ))
        .unwrap()
        .ends_foreseen
    };
    let per_target = ends(Weighting::PerTarget);
    assert!(
        (per_target - 1.0).abs() < 0.2,
        "{per_target} ends foreseen per song"
    );
    let per_chunk = ends(Weighting::PerChunk);
    assert!(per_chunk > 2.0, "{per_chunk} ends foreseen per song");
}
