//! The model file: round trip, and a clear error for every kind of bad file.

use burn::tensor::{Device, Int, Tensor, TensorData};
use melodeon::data::SplitConfig;
use melodeon::encoding::grid::Token;
use melodeon::encoding::vocab::Vocab;
use melodeon::model::ModelConfig;
use melodeon::model_file::{self, FORMAT_VERSION, ModelFileError, ModelHeader, TrainingInfo};
use melodeon::recipe::{Context, Recipe, WINDOW_LEN};

fn header(vocab: Vocab) -> ModelHeader {
    ModelHeader {
        name: "test".into(),
        config: ModelConfig {
            hidden: 16,
            ..Recipe::Windows.network(vocab.len())
        },
        vocab,
        grid: Default::default(),
        training: TrainingInfo {
            corpus: "fixtures".into(),
            songs: 3,
            config: Recipe::Windows.train(),
            split: SplitConfig::default(),
            valid: None,
            test: None,
            test_songs: None,
            reference: None,
            training_seconds: 1.5,
            created_unix_s: 1_700_000_000,
        },
        ends: None,
        new_pitches: None,
        forms: None,
    }
}

fn vocab() -> Vocab {
    Vocab::from_tokens(vec![
        Token::End,
        Token::Note(60),
        Token::Note(62),
        Token::Hold,
        Token::Rest,
    ])
    .unwrap()
}

fn saved() -> (ModelHeader, Vec<u8>) {
    let device = Device::flex();
    device.seed(1);
    let header = header(vocab());
    let model = header.config.init(&device);
    (header.clone(), model_file::save(&header, &model).unwrap())
}

#[test]
fn a_saved_model_loads_back_with_the_same_outputs() {
    let device = Device::flex();
    device.seed(1);
    let header = header(vocab());
    let model = header.config.init(&device);
    let bytes = model_file::save(&header, &model).unwrap();
    let (loaded_header, loaded) = model_file::load(&bytes, &device).unwrap();
    assert_eq!(loaded_header, header);
    assert_eq!(model_file::read_header(&bytes).unwrap(), header);
    let ids = Tensor::<2, Int>::from_data(TensorData::new(vec![0i64, 1, 3, 2, 4], [1, 5]), &device);
    let a = model.forward_last(ids.clone()).into_data();
    let b = loaded.forward_last(ids).into_data();
    a.assert_approx_eq::<f32>(&b, Default::default());
}

/// Why `bytes` are refused: reading them as a burn network and as plain arrays (the page's
/// way) must refuse them alike.
fn refusal(bytes: &[u8]) -> ModelFileError {
    let loaded = model_file::load(bytes, &Device::flex()).expect_err("refused as a network");
    let read = model_file::read(bytes).expect_err("refused as plain arrays");
    assert_eq!(
        std::mem::discriminant(&loaded),
        std::mem::discriminant(&read),
        "{loaded} / {read}"
    );
    loaded
}

#[test]
fn not_a_model_file() {
    for bytes in [&b""[..], b"hello world, this is not a model", &[0u8; 100]] {
        assert_eq!(refusal(bytes), ModelFileError::NotAModel);
    }
}

#[test]
fn a_newer_format_is_refused_with_its_version() {
    let (_, mut bytes) = saved();
    bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = refusal(&bytes);
    assert_eq!(err, ModelFileError::NewerVersion(FORMAT_VERSION + 1));
    assert!(err.to_string().contains("newer Melodeon"));
}

#[test]
fn truncation_and_corruption_are_detected() {
    let (_, bytes) = saved();
    let err = refusal(&bytes[..bytes.len() - 10]);
    assert!(
        matches!(err, ModelFileError::Truncated { found, .. } if found == bytes.len() as u64 - 10)
    );
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    assert_eq!(refusal(&flipped), ModelFileError::Corrupted);
    let mut longer = bytes;
    longer.push(0);
    assert_eq!(refusal(&longer), ModelFileError::Corrupted);
}

/// Rewrites the header of a valid file (and fixes lengths and checksum), keeping the weights.
fn with_header(edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let (_, bytes) = saved();
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let mut json: serde_json::Value = serde_json::from_slice(&bytes[24..24 + header_len]).unwrap();
    edit(&mut json);
    let new_header = serde_json::to_vec(&json).unwrap();
    let weights = &bytes[24 + header_len..];
    let mut out = bytes[..24].to_vec();
    out[12..16].copy_from_slice(&(new_header.len() as u32).to_le_bytes());
    out.extend_from_slice(&new_header);
    out.extend_from_slice(weights);
    let crc = crc32fast_hash(&out[24..]);
    out[20..24].copy_from_slice(&crc.to_le_bytes());
    out
}

fn crc32fast_hash(bytes: &[u8]) -> u32 {
    // The same CRC-32 (IEEE) the file uses, computed bit by bit.
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_header_that_does_not_fit_is_refused() {
    let bad_vocab = with_header(|json| json["vocab"] = serde_json::json!([".", "60", "62", "_"]));
    let err = refusal(&bad_vocab);
    assert!(
        err.to_string()
            .contains("vocabulary has 4 tokens but the network predicts 5"),
        "{err}"
    );

    let no_end =
        with_header(|json| json["vocab"] = serde_json::json!(["60", "62", "64", "_", "r"]));
    assert!(
        refusal(&no_end)
            .to_string()
            .contains("first token must be '.'")
    );

    let bad_token =
        with_header(|json| json["vocab"] = serde_json::json!([".", "60", "x", "_", "r"]));
    assert!(matches!(refusal(&bad_token), ModelFileError::BadHeader(_)));

    let bad_config = with_header(|json| json["config"]["layers"] = serde_json::json!(0));
    assert!(
        refusal(&bad_config)
            .to_string()
            .contains("number of layers")
    );

    let not_json = with_header(|json| *json = serde_json::json!("just a string"));
    assert!(matches!(refusal(&not_json), ModelFileError::BadHeader(_)));
}

#[test]
fn weights_of_another_shape_are_refused() {
    let bigger = with_header(|json| json["config"]["hidden"] = serde_json::json!(32));
    let err = refusal(&bigger);
    assert!(matches!(err, ModelFileError::BadWeights(_)), "{err}");
}

#[test]
fn a_header_claiming_a_huge_network_is_refused_before_building_it() {
    // 8 layers of 4096 units would take about 4 GB: the file's few weights cannot hold them,
    // so nothing that size is ever allocated.
    let forged = with_header(|json| {
        json["config"]["hidden"] = serde_json::json!(4096);
        json["config"]["layers"] = serde_json::json!(8);
    });
    let started = std::time::Instant::now();
    let err = refusal(&forged);
    assert!(err.to_string().contains("too few for"), "{err}");
    assert!(started.elapsed().as_secs() < 5, "refused at once");
}

/// A model file written before whole songs and conditioning (format 1: the model shipped until
/// then, kept here as it was).
const FORMAT_1: &[u8] = include_bytes!("models/erk-format1.mdl");

#[test]
fn model_files_of_format_1_still_load_as_the_seeds_windows() {
    let (header, model) = model_file::load(FORMAT_1, &Device::flex()).unwrap();
    assert_eq!(u32::from_le_bytes(FORMAT_1[8..12].try_into().unwrap()), 1);
    assert_eq!(header.context(), Context::Window { len: WINDOW_LEN });
    assert_eq!(header.context().start_tokens(), 64);
    assert!(header.config.conditioning.is_none() && model.inputs.is_empty());
    assert!(header.training.test.is_some() && header.training.test_songs.is_none());
    assert_eq!(header.config.num_params(), 92_362);
}

#[test]
fn a_half_precision_file_is_smaller_and_predicts_alike() {
    let device = Device::flex();
    let (header, bytes) = saved();
    let half = model_file::halved(&bytes).unwrap();
    // Two bytes a parameter fewer (less the padding that starts each tensor on a 256-byte
    // boundary, which is most of this tiny network's file).
    let params = header.config.num_params();
    assert!(
        bytes.len() - half.len() > params,
        "{} → {}",
        bytes.len(),
        half.len()
    );
    let (half_header, _) = model_file::read(&half).unwrap();
    assert_eq!(half_header, header);
    let ids = Tensor::<2, Int>::from_data(TensorData::new(vec![0i64, 1, 3, 2, 4], [1, 5]), &device);
    let (_, full) = model_file::load(&bytes, &device).unwrap();
    let (_, halved) = model_file::load(&half, &device).unwrap();
    let a = full
        .forward_last(ids.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let b = halved
        .forward_last(ids)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    assert!(diff < 1e-2, "logits differ by {diff}");
}

/// The model shipped from 2026-11-26 to 2026-11-27 (format 2: whole songs, conditioned, with
/// look-back), kept as it was: files saved before the melodic inputs and the copy head, as
/// users' browsers hold them.
const BEFORE_MELODIC: &[u8] = include_bytes!("models/german-before-melodic.mdl");

#[test]
fn model_files_from_before_the_melodic_inputs_load_and_write_tunes() {
    use melodeon::generate::{GenerateConfig, SamplerConfig, write_tune};

    let (header, weights) = model_file::read(BEFORE_MELODIC).expect("reads as plain arrays");
    let conditioning = header.config.conditioning.as_ref().expect("conditioned");
    assert!(!conditioning.layout.melodic && !conditioning.layout.bars_left && !header.config.copy);
    assert_eq!(
        conditioning.classes().len(),
        5,
        "meter, mode and the bar clock"
    );
    assert_eq!(header.config.num_params(), 168_086);
    let config = GenerateConfig {
        sampler: SamplerConfig {
            temperature: 1.0,
            top_k: None,
            seed: 4,
        },
        max_len: 512,
        meter: melodeon::song::Meter::parse("3/4"),
        mode: Some(melodeon::song::Mode::Minor),
    };
    let tune = pollster::block_on(write_tune(&weights, header.writing(), &[], &config)).unwrap();
    assert!(
        tune.tokens.len() >= 12,
        "at least one bar: {:?}",
        tune.tokens
    );
    assert_eq!(tune.mode, Some(melodeon::song::Mode::Minor));
}
