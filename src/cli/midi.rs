//! `melodeon midi`: what a MIDI file holds (title, tempo, meter, key, notes), read with midly.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

/// Options of `melodeon midi`.
#[derive(Args, Debug)]
pub struct MidiArgs {
    /// The MIDI file.
    file: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `melodeon midi`.
pub fn run(args: &MidiArgs) -> anyhow::Result<()> {
    let bytes = super::read_file(&args.file)?;
    let smf = Smf::parse(&bytes)
        .with_context(|| format!("{} is not a valid MIDI file", args.file.display()))?;
    let ticks_per_quarter = match smf.header.timing {
        Timing::Metrical(t) => u32::from(t.as_int()),
        Timing::Timecode(..) => 0,
    };
    let (mut title, mut tempo, mut meter, mut key) = (None, None, None, None);
    let mut notes = Vec::new();
    for track in &smf.tracks {
        let mut time = 0u32;
        let mut sounding: Vec<(u8, u32)> = Vec::new();
        for event in track {
            time += event.delta.as_int();
            match event.kind {
                TrackEventKind::Meta(MetaMessage::TrackName(name)) => {
                    title = Some(String::from_utf8_lossy(name).into_owned())
                }
                TrackEventKind::Meta(MetaMessage::Tempo(t)) => {
                    tempo = Some(60_000_000.0 / f64::from(t.as_int()))
                }
                TrackEventKind::Meta(MetaMessage::TimeSignature(n, d, ..)) => {
                    meter = Some(format!("{n}/{}", 1u32 << d))
                }
                TrackEventKind::Meta(MetaMessage::KeySignature(fifths, minor)) => {
                    key = Some((fifths, minor))
                }
                TrackEventKind::Midi {
                    message: MidiMessage::NoteOn { key: k, vel },
                    ..
                } if vel.as_int() > 0 => {
                    sounding.push((k.as_int(), time));
                }
                TrackEventKind::Midi {
                    message:
                        MidiMessage::NoteOff { key: k, .. } | MidiMessage::NoteOn { key: k, .. },
                    ..
                } => {
                    if let Some(at) = sounding.iter().position(|(p, _)| *p == k.as_int()) {
                        let (pitch, start) = sounding.remove(at);
                        notes.push([u32::from(pitch), start, time]);
                    }
                }
                _ => {}
            }
        }
    }
    notes.sort_by_key(|n| (n[1], n[0]));
    if args.json {
        let json = serde_json::json!({
            "ticks_per_quarter": ticks_per_quarter, "title": title, "tempo_bpm": tempo,
            "meter": meter, "key_fifths": key.map(|k| k.0), "minor": key.map(|k| k.1), "notes": notes,
        });
        outln!("{json}")?;
    } else {
        outln!(
            "{} · {} ticks per quarter · tempo {:?} · meter {:?} · key {:?}",
            title.unwrap_or_default(),
            ticks_per_quarter,
            tempo,
            meter,
            key
        )?;
        for [pitch, start, end] in notes {
            outln!("{pitch:3} {start:6} {end:6}")?;
        }
    }
    Ok(())
}
