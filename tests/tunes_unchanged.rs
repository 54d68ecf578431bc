//! Behaviour kept across refactors: the same model files and seeds write the same tunes, and
//! the tunes, share links and exports recorded by an earlier build read back the same.
//!
//! `tests/fixtures/tunes-before.json` was written by this test with `MELODEON_RECORD_TUNES=1`
//! before the house was reorganised (issue 35). Re-record it only for a deliberate change of
//! what the model files write, and say so in the commit.

use std::path::{Path, PathBuf};

use melodeon::encoding::primer;
use melodeon::export::{Format, link};
use melodeon::generate::{GenerateConfig, SamplerConfig, write_tune};
use melodeon::model_file;
use melodeon::song::{Meter, Mode};
use melodeon::tune::{Presentation, Provenance, Tune};
use serde::{Deserialize, Serialize};

/// One tune asked of a model file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Ask {
    model: String,
    seed: u64,
    temperature: f32,
    max_len: usize,
    meter: Option<String>,
    mode: Option<Mode>,
    primer: String,
}

/// What it wrote, and how the page keeps and shares it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Recorded {
    ask: Ask,
    tokens: String,
    meter: Option<String>,
    mode: Option<Mode>,
    pickup: usize,
    /// The tune as the page stores it (serde JSON of [`Tune`]).
    stored: String,
    /// Its share link's fragment.
    link: String,
    /// CRC-32 of each export (MIDI, ABC, MusicXML) of the tune in its presentation.
    exports: Vec<u32>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture() -> PathBuf {
    root().join("tests/fixtures/tunes-before.json")
}

/// The tunes asked: the shipped whole-song model in drawn and chosen meters and modes, at
/// several temperatures and with a primer, and a window model from before whole songs.
fn asks() -> Vec<Ask> {
    let ask = |model: &str, seed, temperature, meter: Option<&str>, mode, primer: &str| Ask {
        model: model.into(),
        seed,
        temperature,
        max_len: 256,
        meter: meter.map(str::to_owned),
        mode,
        primer: primer.into(),
    };
    let shipped = "public/models/german.mdl";
    let windows = "tests/models/erk-format1.mdl";
    let before_melodic = "tests/models/german-before-melodic.mdl";
    let mut asks = Vec::new();
    for seed in 1..=6 {
        asks.push(ask(shipped, seed, 1.0, None, None, ""));
    }
    asks.push(ask(shipped, 7, 0.7, Some("3/4"), Some(Mode::Minor), ""));
    asks.push(ask(shipped, 8, 1.3, Some("6/8"), Some(Mode::Major), ""));
    asks.push(ask(shipped, 9, 1.0, Some("2/4"), None, "G4 8 A4 8"));
    asks.push(ask(
        shipped,
        10,
        0.5,
        Some("4/4"),
        Some(Mode::Major),
        "60 _ _ _ 64 _",
    ));
    asks.push(ask(windows, 11, 1.0, None, None, ""));
    asks.push(ask(windows, 12, 0.8, None, None, "C4 4"));
    asks.push(ask(before_melodic, 13, 1.0, Some("3/4"), None, ""));
    asks
}

fn record(ask: &Ask) -> Recorded {
    let bytes = std::fs::read(root().join(&ask.model)).expect("model file");
    let (header, weights) = model_file::read(&bytes).expect("model file reads");
    let primer_tokens = primer::parse(&ask.primer, header.grid.step, 0).expect("primer");
    let primer_ids = header.vocab.encode(&primer_tokens).expect("primer ids");
    let meter = ask
        .meter
        .as_deref()
        .map(|m| Meter::parse(m).expect("meter"));
    let config = GenerateConfig {
        sampler: SamplerConfig {
            temperature: ask.temperature,
            top_k: None,
            seed: ask.seed,
        },
        max_len: ask.max_len,
        meter,
        mode: ask.mode,
    };
    let written = pollster::block_on(write_tune(&weights, header.writing(), &primer_ids, &config))
        .expect("writes a tune");
    let tune = Tune {
        tokens: written.tokens.clone(),
        provenance: Provenance {
            model: header.name.clone(),
            seed: ask.seed,
            temperature: ask.temperature,
            primer: ask.primer.clone(),
            max_len: ask.max_len,
            created_ms: 1_765_000_000_000.0,
        },
        mode: written.mode,
        pickup: written.pickup,
    };
    let presentation = Presentation {
        meter: written
            .meter
            .or(meter)
            .unwrap_or(Presentation::default().meter),
        shift: 2,
        ..Presentation::default()
    };
    let song = tune
        .song(header.grid.step, &presentation)
        .expect("the tune decodes");
    let title = format!("Seed {}", ask.seed);
    Recorded {
        ask: ask.clone(),
        tokens: melodeon::encoding::grid::to_text(&written.tokens),
        meter: written.meter.map(|m| m.to_string()),
        mode: written.mode,
        pickup: written.pickup,
        stored: serde_json::to_string(&tune).expect("tune as JSON"),
        link: link::encode(&link::SharedTune {
            title: title.clone(),
            tune: tune.clone(),
            presentation,
        }),
        exports: Format::ALL
            .iter()
            .map(|format| crc32fast::hash(&format.write(&song, &title, presentation.tempo_bpm)))
            .collect(),
    }
}

fn read_fixture(path: &Path) -> Vec<Recorded> {
    let text = std::fs::read_to_string(path).expect("tests/fixtures/tunes-before.json");
    serde_json::from_str(&text).expect("the fixture parses")
}

#[test]
fn the_same_seeds_write_the_same_tunes_and_earlier_tunes_and_links_read_back() {
    let now: Vec<Recorded> = asks().iter().map(record).collect();
    if std::env::var_os("MELODEON_RECORD_TUNES").is_some() {
        let text = serde_json::to_string_pretty(&now).expect("JSON");
        std::fs::write(fixture(), text + "\n").expect("writes the fixture");
        return;
    }
    let before = read_fixture(&fixture());
    assert_eq!(before.len(), now.len(), "the fixture asks other tunes");
    for (old, new) in before.iter().zip(&now) {
        assert_eq!(old.ask, new.ask, "the fixture asks other tunes");
        assert_eq!(old.tokens, new.tokens, "tokens of {:?}", old.ask);
        assert_eq!(
            (&old.meter, old.mode, old.pickup),
            (&new.meter, new.mode, new.pickup),
            "clock of {:?}",
            old.ask
        );
        // What an earlier build stored and shared reads back as the tune written now.
        let stored: Tune = serde_json::from_str(&old.stored).expect("a stored tune reads");
        let shared = link::decode(&old.link).expect("an earlier share link reads");
        let now_stored: Tune = serde_json::from_str(&new.stored).expect("tune JSON");
        assert_eq!(stored, now_stored, "stored tune of {:?}", old.ask);
        assert_eq!(shared.tune, now_stored, "shared tune of {:?}", old.ask);
        assert_eq!(old.link, new.link, "share link of {:?}", old.ask);
        assert_eq!(old.exports, new.exports, "exports of {:?}", old.ask);
    }
}
