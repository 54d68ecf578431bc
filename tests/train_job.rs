//! A whole training run as the page's worker drives it: a fixture corpus is trained for two
//! short epochs, checkpoints and the final file load back, fine-tuning skips songs with
//! unknown tokens, and models move between devices without synchronous reads.

use burn::tensor::{Device, Int, Tensor};
use melodeon::corpus::{self, Corpus, InputFile};
use melodeon::data::condition::ENDINGS;
use melodeon::generate::{GenerateConfig, OnDevice, SamplerConfig, write_tune};
use melodeon::model::transfer;
use melodeon::model_file;
use melodeon::recipe::CalibrationRounds;
use melodeon::song::{Meter, Mode};
use melodeon::train::{Job, JobSpec, LossMode, Recipe, Shape, TrainConfig};

/// No rounds of tunes: the end's teacher-forced fit alone, and no calibration of new pitches.
const NO_ROUNDS: CalibrationRounds = CalibrationRounds {
    rounds: 0,
    tunes: 0,
};

/// One round of a few tunes.
const ONE_ROUND: CalibrationRounds = CalibrationRounds {
    rounds: 1,
    tunes: 20,
};

fn fixture_files() -> Vec<InputFile> {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    corpus::archive::read_paths(&[dir], corpus::DEFAULT_MAX_FILE_BYTES)
}

fn fixture_corpus() -> Corpus {
    corpus::ingest(fixture_files(), &Default::default())
}

/// A tiny run of the seed's window recipe (loss on every position).
fn spec(epochs: usize) -> JobSpec {
    JobSpec {
        name: "fixtures".into(),
        corpus_name: "test fixtures".into(),
        shape: Shape {
            hidden: 16,
            ..Recipe::Windows.shape()
        },
        train: TrainConfig {
            epochs,
            batch_size: 16,
            learning_rate: 0.01,
            loss: LossMode::All,
            stride: 4,
            ..Recipe::Windows.train()
        },
        split: Default::default(),
        grid: Default::default(),
    }
}

/// A tiny run of the default whole-song recipe.
fn whole_song_spec(epochs: usize) -> JobSpec {
    JobSpec {
        name: "whole songs".into(),
        corpus_name: "test fixtures".into(),
        shape: Shape {
            hidden: 16,
            ..Recipe::WholeSong.shape()
        },
        train: TrainConfig {
            epochs,
            batch_size: 4,
            learning_rate: 0.01,
            ..Recipe::WholeSong.train()
        },
        split: Default::default(),
        grid: Default::default(),
    }
}

fn train(job: &mut Job) -> Vec<f64> {
    let mut losses = Vec::new();
    while !job.is_finished() {
        let progress = pollster::block_on(job.step()).unwrap();
        losses.push(progress.train_loss);
    }
    losses
}

#[test]
fn a_fixture_corpus_trains_and_its_files_load_back() {
    let corpus = fixture_corpus();
    assert_eq!(corpus.songs.len(), 9);
    let device = Device::flex();
    let mut job = Job::new(&corpus, spec(6), None, &device).unwrap();
    let sizes = job.sizes();
    assert_eq!(sizes.songs, 9);
    assert!(sizes.valid_songs > 0 && sizes.test_songs > 0, "{sizes:?}");
    assert_eq!(sizes.unit, "windows");
    assert!(job.skipped().is_empty());
    let losses = train(&mut job);
    let third = losses.len() / 3;
    let mean = |l: &[f64]| l.iter().sum::<f64>() / l.len() as f64;
    assert!(
        mean(&losses[losses.len() - third..]) < mean(&losses[..third]),
        "loss did not fall: {losses:?}"
    );

    let checkpoint = pollster::block_on(job.best_file()).unwrap();
    let header = model_file::read_header(&checkpoint).unwrap();
    assert!(header.training.valid.is_some() && header.training.test.is_none());
    let (bytes, songs, test) = pollster::block_on(job.finish(NO_ROUNDS)).unwrap();
    let test = test.expect("a window model has the window metric");
    assert!(test.nll.is_finite() && songs.nll.is_finite());
    assert_eq!(songs.songs, sizes.test_songs);
    let (header, _) = model_file::load(&bytes, &Device::flex()).unwrap();
    assert_eq!(header.name, "fixtures");
    assert_eq!(header.training.songs, 9);
    // JSON keeps the figures to within a rounding step (serde_json's float parsing).
    let near = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(near(header.training.test.unwrap().nll, test.nll));
    let stored = header.training.test_songs.unwrap();
    assert!(near(stored.nll, songs.nll) && stored.notes == songs.notes);
    assert_eq!(header.vocab, corpus.vocab);
    assert!(header.config.conditioning.is_none());
}

#[test]
fn a_whole_song_run_trains_saves_and_writes_in_the_meter_asked_for() {
    let corpus = fixture_corpus();
    let device = Device::flex();
    let mut job = Job::new(&corpus, whole_song_spec(8), None, &device).unwrap();
    assert_eq!(job.sizes().unit, "tokens");
    let losses = train(&mut job);
    assert!(
        losses.last().unwrap() < losses.first().unwrap(),
        "loss did not fall: {losses:?}"
    );
    let (bytes, songs, windows) = pollster::block_on(job.finish(ONE_ROUND)).unwrap();
    assert!(
        windows.is_none(),
        "a conditioned model has no window metric"
    );
    assert!(songs.nll.is_finite() && songs.joint_bits_per_note > songs.pitch_bits_per_note);
    let (header, model) = model_file::load(&bytes, &device).unwrap();
    let conditioning = header.config.conditioning.clone().expect("conditioned");
    assert!(!conditioning.meters.is_empty());
    let ends = header
        .ends
        .as_ref()
        .expect("a conditioned model's end is calibrated");
    assert_eq!(ends.log_factor.len(), ENDINGS);
    assert!(ends.log_factor.iter().all(|f| f.is_finite()));
    let new_pitches = header
        .new_pitches
        .as_ref()
        .expect("a round of tunes fits the calibration of new pitches");
    assert!(new_pitches.log_factor.iter().all(|f| f.is_finite()));
    let forms = header
        .forms
        .as_ref()
        .expect("a conditioned model counts its songs' forms");
    assert!(
        forms
            .next
            .iter()
            .flatten()
            .all(|row| (row.iter().sum::<f64>() - 1.0).abs() < 1e-9)
    );
    let three_four = Meter {
        numerator: 3,
        denominator: 4,
    };
    let config = GenerateConfig {
        sampler: SamplerConfig {
            temperature: 1.0,
            top_k: None,
            seed: 5,
        },
        max_len: 64,
        meter: Some(three_four),
        mode: Some(Mode::Minor),
    };
    let network = OnDevice::new(&model, &header.config, &device).unwrap();
    let tune = pollster::block_on(write_tune(&network, header.writing(), &[], &config)).unwrap();
    assert_eq!(tune.meter, Some(three_four));
    assert_eq!(tune.mode, Some(Mode::Minor));
    assert!(!tune.tokens.is_empty() && tune.pickup < 12);
}

#[test]
fn fine_tuning_skips_songs_with_tokens_the_model_does_not_know() {
    let corpus = fixture_corpus();
    let device = Device::flex();
    let mut job = Job::new(&corpus, spec(1), None, &device).unwrap();
    train(&mut job);
    let (bytes, ..) = pollster::block_on(job.finish(NO_ROUNDS)).unwrap();

    // A corpus with one song of a pitch (MIDI 61) that the fixtures never use.
    let mut files = fixture_files();
    files.push(InputFile::new(
        "odd.krn",
        b"**kern\n*M2/4\n*k[]\n*C:\n4c#\n4d\n=\n2c\n==\n*-\n".to_vec(),
    ));
    let wider = corpus::ingest(files, &Default::default());
    assert_eq!(wider.songs.len(), 10);
    let base = model_file::load(&bytes, &device).unwrap();
    let job = Job::new(&wider, spec(1), Some(base), &device).unwrap();
    assert_eq!(job.sizes().songs, 9);
    assert_eq!(job.skipped().len(), 1);
    assert!(
        job.skipped()[0].reason.contains("61"),
        "{:?}",
        job.skipped()
    );
}

#[test]
fn a_corpus_too_small_to_split_is_refused() {
    let files = vec![InputFile::new(
        "one.krn",
        b"**kern\n*M2/4\n*C:\n4c\n4d\n=\n2c\n==\n*-\n".to_vec(),
    )];
    let corpus = corpus::ingest(files, &Default::default());
    let error = Job::new(&corpus, spec(1), None, &Device::flex())
        .err()
        .unwrap();
    assert!(error.contains("at least 3"), "{error}");
}

#[test]
fn a_model_moves_between_backends_unchanged() {
    let corpus = fixture_corpus();
    let config = Shape::default().config(corpus.vocab.len(), None);
    let flex = Device::flex();
    flex.seed(7);
    let model = config.init(&flex);
    #[allow(deprecated)]
    let ndarray = Device::ndarray();
    let moved = pollster::block_on(transfer::to_device(&model, &ndarray)).unwrap();
    let ids = [[0i64, 3, 5, 2, 1, 4]];
    let out = |m: &melodeon::model::MelodyModel, d: &Device| {
        let ids = Tensor::<2, Int>::from_data(ids, d);
        m.forward_last(ids).into_data().try_to_vec::<f32>().unwrap()
    };
    let (a, b) = (out(&model, &flex), out(&moved, &ndarray));
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
    }
}
