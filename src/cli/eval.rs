//! `melodeon eval`: test metrics of a model file on a corpus: the whole-song NLL in three
//! units, the same NLL with the model's calibrations as writing applies them, and the tutorial's
//! window metric for a model without conditioning.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};

use super::{load_ensemble, read_corpus_for, song_set};
use crate::data::{SplitConfig, SplitMode, Windows, split_songs};
use crate::encoding::grid::Token;
use crate::eval::{Metrics, SongMetrics, evaluate, evaluate_songs};
use crate::generate::{OnDevice, tally_ends};
use crate::recipe::WINDOW_LEN;

/// Which songs to evaluate.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EvalSplit {
    /// The test songs of the split the model was trained with (variants grouped for new
    /// models: the same songs whatever else the corpus holds).
    Test,
    /// Every song of the corpus (for a collection the model never saw).
    All,
}

/// Options of `melodeon eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The model file; several (`--model a.mdl --model b.mdl`) are measured as an ensemble
    /// (their probabilities averaged; they must share vocabulary, encoding and conditioning).
    #[arg(long, required = true)]
    model: Vec<PathBuf>,
    /// Corpus files, folders and zips.
    #[arg(long, required = true, num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// Which songs.
    #[arg(long, value_enum, default_value = "test")]
    songs: EvalSplit,
    /// Print one JSON object: `songs` (whole-song metrics), `calibrated_nll` (nats per token
    /// with the model's calibrations, or null) and `windows` (the tutorial's metric).
    #[arg(long)]
    json: bool,
}

/// Runs `melodeon eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let (header, models, device) = load_ensemble(&args.model)?;
    let ensemble: Vec<&crate::model::MelodyModel> = models.iter().collect();
    let corpus = read_corpus_for(&header, &args.corpus)?;
    let conditioning = header.config.conditioning.as_ref();
    let (set, openings) = song_set(&header, &corpus)?;
    let songs: Vec<usize> = match args.songs {
        EvalSplit::All => (0..set.len()).collect(),
        EvalSplit::Test => {
            // Old window-split models are measured on the test songs of a split by song.
            let split = match header.training.split.mode {
                SplitMode::ByWindow => SplitConfig {
                    mode: SplitMode::BySong,
                    ..header.training.split
                },
                _ => header.training.split,
            };
            split_songs(&openings, &split).test
        }
    };
    if songs.is_empty() {
        bail!("none of these songs is a test song of the model's split; use --songs all");
    }
    let context = header.context();
    let whole = pollster::block_on(evaluate_songs(
        &ensemble,
        &set,
        &songs,
        &header.vocab,
        context,
        64,
        &device,
    ))
    .map_err(anyhow::Error::msg)?;
    let windows = if conditioning.is_none() && models.len() == 1 {
        let ids: Vec<&[u32]> = set.iter().map(|s| s.ids.as_slice()).collect();
        let windows = Windows::new(&ids, WINDOW_LEN);
        let indices: Vec<usize> = songs
            .iter()
            .flat_map(|&s| windows.windows_of_song(s))
            .collect();
        let hold = header.vocab.id(Token::Hold).unwrap_or(u32::MAX);
        Some(
            pollster::block_on(evaluate(&models[0], &windows, &indices, hold, 256, &device))
                .map_err(anyhow::Error::msg)?,
        )
    } else {
        None
    };
    // Writing applies the file's calibrations of the end and of new pitches to the network's
    // distribution; read token by token, the test songs' NLL under that distribution.
    let calibrated = if models.len() == 1 && (header.ends.is_some() || header.new_pitches.is_some())
    {
        let network =
            OnDevice::new(&models[0], &header.config, &device).map_err(anyhow::Error::msg)?;
        let test = songs.iter().map(|&i| &set[i]);
        Some(
            pollster::block_on(tally_ends(&network, header.writing(), test, true))
                .map_err(anyhow::Error::msg)?,
        )
    } else {
        None
    };
    if args.json {
        outln!(
            "{}",
            serde_json::json!({
                "songs": whole,
                "calibrated_nll": calibrated.as_ref().map(|c| c.nll()),
                "windows": windows,
            })
        )?;
    } else {
        print_metrics(&whole, windows.as_ref())?;
        if let Some(c) = calibrated {
            outln!(
                "with the file's calibrations of the end and of new pitches, as writing applies them: {:.4} nats/token ({} targets)",
                c.nll(),
                c.targets
            )?;
        }
    }
    Ok(())
}

/// Prints whole-song metrics and, if measured, the tutorial's window metric.
pub fn print_metrics(whole: &SongMetrics, windows: Option<&Metrics>) -> std::io::Result<()> {
    outln!(
        "whole songs ({} songs, {} tokens, {} notes): {:.4} nats/token · {:.3} joint bits/note · {:.3} pitch bits/note · onset {:.3} bits · accuracy {:.3} · ends foreseen per song {:.3}",
        whole.songs,
        whole.tokens,
        whole.notes,
        whole.nll,
        whole.joint_bits_per_note,
        whole.pitch_bits_per_note,
        whole.onset_bits,
        whole.accuracy,
        whole.ends_foreseen
    )?;
    if let Some(w) = windows {
        outln!(
            "seed's windows ({} windows): NLL {:.4} nats/token · onset {:.3} bits · accuracy {:.3}",
            w.windows,
            w.nll,
            w.onset_bits(),
            w.accuracy
        )?;
    }
    Ok(())
}
