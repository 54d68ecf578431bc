//! A whole training run as the page's worker drives it: a fixture corpus is trained for two
//! short epochs, checkpoints and the final file load back, fine-tuning skips songs with
//! unknown tokens, and models move between devices without synchronous reads.

use burn::tensor::{Device, Int, Tensor};
use melodeon::corpus::{self, Corpus, InputFile};
use melodeon::model::file;
use melodeon::model::transfer;
use melodeon::train::{Job, JobSpec, LossMode, Shape, TrainConfig};

fn fixture_files() -> Vec<InputFile> {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    corpus::archive::read_paths(&[dir], corpus::DEFAULT_MAX_FILE_BYTES)
}

fn fixture_corpus() -> Corpus {
    corpus::ingest(fixture_files(), &Default::default())
}

fn spec(epochs: usize) -> JobSpec {
    JobSpec {
        name: "fixtures".into(),
        corpus_name: "test fixtures".into(),
        shape: Shape {
            hidden: 16,
            ..Shape::default()
        },
        train: TrainConfig {
            epochs,
            batch_size: 16,
            learning_rate: 0.01,
            loss: LossMode::All,
            stride: 4,
            ..TrainConfig::seed_recipe()
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
    assert!(
        sizes.valid_windows > 0 && sizes.test_windows > 0,
        "{sizes:?}"
    );
    assert!(job.skipped().is_empty());
    let losses = train(&mut job);
    let third = losses.len() / 3;
    let mean = |l: &[f64]| l.iter().sum::<f64>() / l.len() as f64;
    assert!(
        mean(&losses[losses.len() - third..]) < mean(&losses[..third]),
        "loss did not fall: {losses:?}"
    );

    let checkpoint = pollster::block_on(job.best_file()).unwrap();
    let header = file::read_header(&checkpoint).unwrap();
    assert!(header.training.valid.is_some() && header.training.test.is_none());
    let (bytes, test) = pollster::block_on(job.finish()).unwrap();
    assert!(test.nll.is_finite() && test.windows == sizes.test_windows);
    let (header, _) = file::load(&bytes, &Device::flex()).unwrap();
    assert_eq!(header.name, "fixtures");
    assert_eq!(header.training.songs, 9);
    assert_eq!(header.training.test, Some(test));
    assert_eq!(header.vocab, corpus.vocab);
}

#[test]
fn fine_tuning_skips_songs_with_tokens_the_model_does_not_know() {
    let corpus = fixture_corpus();
    let device = Device::flex();
    let mut job = Job::new(&corpus, spec(1), None, &device).unwrap();
    train(&mut job);
    let (bytes, _) = pollster::block_on(job.finish()).unwrap();

    // A corpus with one song of a pitch (MIDI 61) that the fixtures never use.
    let mut files = fixture_files();
    files.push(InputFile::new(
        "odd.krn",
        b"**kern\n*M2/4\n*k[]\n*C:\n4c#\n4d\n=\n2c\n==\n*-\n".to_vec(),
    ));
    let wider = corpus::ingest(files, &Default::default());
    assert_eq!(wider.songs.len(), 10);
    let base = file::load(&bytes, &device).unwrap();
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
    let config = Shape::default().config(corpus.vocab.len());
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
