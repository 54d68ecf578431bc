//! Speed measurements shared by `melodeon bench` and the page's diagnostics: the tutorial's
//! training step through Melodeon's trainer, and token-by-token generation.

use burn::tensor::Device;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use web_time::Instant;

use crate::data::{SongSeq, Windows};
use crate::encoding::vocab::Vocab;
use crate::generate::{CarriedState, Decoder, KernelDecoder, Refeed};
use crate::model::sequence;
use crate::recipe::{Recipe, TrainConfig, WINDOW_LEN};
use crate::train::{Start, TrainData, Trainer};

/// The tutorial's vocabulary size.
pub const VOCAB: usize = 38;
/// The tutorial's batch size.
pub const BATCH: usize = 64;
/// Tokens generated per generation measurement.
pub const TUNE: usize = 256;

/// Random songs over the tutorial's vocabulary, long enough for `steps` batches.
pub fn synthetic_windows(steps: usize) -> Windows {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let song: Vec<u32> = (0..(steps + 2) * BATCH)
        .map(|_| rng.random_range(1..VOCAB as u32))
        .collect();
    Windows::new(&[song], WINDOW_LEN)
}

/// Training windows per second of the tutorial's step (batch 64, window 64, hidden 128,
/// vocabulary 38, loss on the last token) on `device`, over `steps` steps after a warm-up.
pub async fn train_speed(device: &Device, steps: usize) -> Result<f64, String> {
    let windows = synthetic_windows(steps);
    let indices: Vec<usize> = (0..windows.len()).collect();
    let config = TrainConfig {
        epochs: 1,
        ..Recipe::Windows.train()
    };
    let seconds =
        seconds_per_step(config, indices, TrainData::Windows(&windows), device, steps).await?;
    Ok(BATCH as f64 / seconds)
}

/// Mean seconds of `steps` training steps of the tutorial's network over `data` (the `train` units
/// of it), after one warm-up step.
async fn seconds_per_step(
    config: TrainConfig,
    train: Vec<usize>,
    data: TrainData<'_>,
    device: &Device,
    steps: usize,
) -> Result<f64, String> {
    let mut trainer = Trainer::new(
        Start::Fresh(Recipe::Windows.network(VOCAB)),
        config,
        train,
        vec![],
        synthetic_vocab(),
        device,
    )?;
    trainer.step(data).await?;
    let started = Instant::now();
    for _ in 0..steps {
        trainer.step(data).await?;
    }
    Ok(started.elapsed().as_secs_f64() / steps.max(1) as f64)
}

/// Songs in the whole-song step, unless asked for more.
pub const SONGS: usize = 32;
/// Length of the longest song in the whole-song step (1/16 steps); the others are shorter.
pub const LONGEST_SONG: usize = 512;

/// Tokens per second of a whole-song training step (the default recipe's context and chunks)
/// on `device`: a batch of `count` random songs of 140 to [`LONGEST_SONG`] steps (lengths
/// repeating every [`SONGS`] songs), the tutorial's 1×128 network, over `steps` steps after a
/// warm-up.
pub async fn whole_song_speed(device: &Device, steps: usize, count: usize) -> Result<f64, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let songs: Vec<SongSeq> = (0..count)
        .map(|i| SongSeq {
            ids: (0..LONGEST_SONG - (i % SONGS) * 12)
                .map(|_| rng.random_range(1..VOCAB as u32))
                .collect(),
            inputs: Vec::new(),
        })
        .collect();
    let config = TrainConfig {
        batch_size: count,
        epochs: steps + 1,
        ..Recipe::WholeSong.train()
    };
    let all: Vec<usize> = (0..count).collect();
    let seconds = seconds_per_step(config, all, TrainData::Songs(&songs), device, steps).await?;
    let tokens: usize = songs.iter().map(SongSeq::steps).sum();
    Ok(tokens as f64 / seconds)
}

/// A vocabulary of [`VOCAB`] tokens (the terminator, `_`, `r` and notes).
fn synthetic_vocab() -> Vocab {
    let mut tokens = vec![
        crate::encoding::grid::Token::End,
        crate::encoding::grid::Token::Hold,
        crate::encoding::grid::Token::Rest,
    ];
    tokens.extend((0..VOCAB as u8 - 3).map(|m| crate::encoding::grid::Token::Note(50 + m)));
    Vocab::from_sequences([tokens.as_slice()])
}

/// A way of decoding, for the generation figures.
#[derive(Clone, Copy, Debug)]
pub enum Method {
    /// Carried state in the CPU kernel ([`KernelDecoder`]).
    Kernel,
    /// Carried state through burn's tensors ([`CarriedState`]).
    Burn,
    /// Re-feeding the whole prefix (the tutorial's, [`Refeed`]).
    Refeed,
}

/// Tokens per second generating a 256-token tune with `method` on `device`.
pub async fn gen_speed(device: &Device, method: Method) -> Result<f64, String> {
    device.seed(3);
    let config = Recipe::Windows.network(VOCAB);
    let model = config.init(device);
    let context = vec![0u32; WINDOW_LEN];
    // The kernel's weights are read back before the clock starts (they are once per model).
    let weights = match method {
        Method::Kernel if sequence::on_cpu(device) => Some(model.weights(&config)?),
        Method::Kernel => return Err("the kernel runs on CPU devices only".into()),
        _ => None,
    };
    let started = Instant::now();
    match method {
        Method::Kernel => {
            let weights = weights.ok_or("no weights")?;
            feed(&mut KernelDecoder::new(&weights, &context, &[])).await?;
        }
        Method::Burn => feed(&mut CarriedState::new(&model, device, &context, &[])).await?,
        Method::Refeed => feed(&mut Refeed::new(&model, device, &context, &[])).await?,
    }
    Ok(TUNE as f64 / started.elapsed().as_secs_f64())
}

/// Asks for 256 next-token distributions, feeding tokens that cycle through the vocabulary.
async fn feed(decoder: &mut impl Decoder) -> Result<(), String> {
    let mut token = None;
    for i in 0..TUNE {
        decoder.next_logits(token.map(|t| (t, &[][..]))).await?;
        token = Some(1 + (i % (VOCAB - 1)) as u32);
    }
    Ok(())
}
