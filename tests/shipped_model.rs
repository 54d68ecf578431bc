//! The files shipped with the pretrained model agree with it. Its header describes 200
//! held-out songs for the comparison panel. `german.copies.json` is exactly the index of its
//! training songs, recomputed here from `../shared/corpus` when present, so a change to the
//! hash, the split or the encoding cannot leave a stale index in the page. The page's default
//! tune length covers 99 % of those songs. `melodeon eval` reads its test songs with its
//! calibrations too.

use std::path::PathBuf;

use melodeon::corpus::{self, EncodeOptions, archive};
use melodeon::data::split_songs;
use melodeon::model_file;
use melodeon::settings::MAX_LEN;
use melodeon::stats::{CopyIndex, REFERENCE_SONGS};

#[path = "common/corpus.rs"]
mod corpus_dir;
use corpus_dir::shared_corpus;

/// The path of a file shipped beside the pretrained model.
fn shipped_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("public/models")
        .join(name)
}

fn shipped(name: &str) -> Vec<u8> {
    let path = shipped_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_shipped_model_describes_its_held_out_songs_and_its_index_matches_its_training_songs() {
    let header = model_file::read_header(&shipped("german.mdl")).expect("the shipped model reads");
    let reference = header
        .training
        .reference
        .as_ref()
        .expect("held-out statistics");
    assert_eq!(reference.table.len(), REFERENCE_SONGS);
    assert_eq!(reference.rates.tunes, REFERENCE_SONGS);
    let index: CopyIndex =
        serde_json::from_slice(&shipped("german.copies.json")).expect("the index reads");
    assert_eq!(index.names.len(), index.runs.len());

    let Some(root) = shared_corpus() else {
        return;
    };
    let options = EncodeOptions {
        grid: header.grid,
        ..Default::default()
    };
    let paths = [root.join("erk-kern"), root.join("deutschl")];
    let corpus = corpus::ingest(
        archive::read_paths(&paths, options.max_file_bytes),
        &options,
    );
    assert_eq!(
        corpus.songs.len(),
        header.training.songs,
        "the corpus the model learnt from"
    );
    let parts = split_songs(&corpus.openings(), &header.training.split);
    let fresh = CopyIndex::of_songs(
        parts.train.iter().map(|&i| &corpus.songs[i]),
        header.grid.step,
    );
    assert_eq!(fresh.names, index.names);
    assert!(
        fresh.runs == index.runs,
        "the shipped index is stale: run `melodeon stats --copies-into`"
    );
    // The page's default length lets 99 % of these songs end by themselves.
    let mut lengths: Vec<usize> = corpus.songs.iter().map(|s| s.tokens.len()).collect();
    lengths.sort_unstable();
    let p99 = lengths[lengths.len() * 99 / 100];
    assert!(
        p99 <= MAX_LEN.default,
        "99th percentile {p99} steps, default {}",
        MAX_LEN.default
    );
}

/// The page reads model files without burn: the shipped model, the one before it and a
/// format-1 file give the same next-token logits that way as through burn.
#[test]
fn model_files_read_without_burn_give_burns_logits() {
    use burn::tensor::Device;
    use melodeon::generate::{CarriedState, Decoder, KernelDecoder};

    let format_1 = include_bytes!("models/erk-format1.mdl");
    let before_melodic = include_bytes!("models/german-before-melodic.mdl");
    for bytes in [
        shipped("german.mdl"),
        format_1.to_vec(),
        before_melodic.to_vec(),
    ] {
        let device = Device::flex();
        let (header, weights) = model_file::read(&bytes).expect("reads as plain arrays");
        let (_, model) = model_file::load(&bytes, &device).expect("loads as a network");
        let start = header.context().start_tokens();
        let context = vec![0; start];
        // A conditioned model reads every step with its inputs (all class 0 here).
        let conditioned = header.config.conditioning.is_some();
        let step_inputs = vec![
            0;
            if conditioned {
                melodeon::data::INPUTS_PER_STEP
            } else {
                0
            }
        ];
        let inputs = step_inputs.repeat(start);
        let mut kernel = KernelDecoder::new(&weights, &context, &inputs);
        let mut burn = CarriedState::new(&model, &device, &context, &inputs);
        let mut token = None;
        for step in 0..40u32 {
            let a = pollster::block_on(kernel.next_logits(token)).unwrap();
            let b = pollster::block_on(burn.next_logits(token)).unwrap();
            let diff = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(
                diff < 1e-3,
                "{}: step {step} differs by {diff}",
                header.name
            );
            token = Some((1 + step % (header.vocab.len() as u32 - 1), &step_inputs[..]));
        }
    }
}

#[test]
fn eval_reads_the_test_songs_with_the_calibrations_as_writing_applies_them() {
    let Some(root) = shared_corpus() else {
        return;
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_melodeon"))
        .args(["eval", "--json", "--model"])
        .arg(shipped_path("german.mdl"))
        .arg("--corpus")
        .arg(root.join("erk-kern"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let network = report["songs"]["nll"].as_f64().unwrap();
    let calibrated = report["calibrated_nll"]
        .as_f64()
        .expect("the shipped model carries calibrations");
    assert!(
        (calibrated - network).abs() < 0.02 * network,
        "the calibrations move probability between a few tokens: {network} → {calibrated}"
    );
    assert_ne!(calibrated, network, "the calibrations were applied");
}
