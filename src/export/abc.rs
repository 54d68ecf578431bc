//! ABC notation (standard 2.1), as folk players exchange tunes: the X, T, M, L, Q and K
//! headers, then the bars of [`crate::notation::layout`], four to a line.

use num_rational::Ratio;

use crate::notation::{self, Note, Score};
use crate::song::{Key, Mode, Quarters, Song};

/// The unit note length, `L:1/16` (the grid's step).
const UNIT: Quarters = Ratio::new_raw(1, 4);
/// Bars per line of music.
const BARS_PER_LINE: usize = 4;

/// Whether each note's letter name is written under it (as an annotation, `"_F♯"F`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Letters {
    /// Notes only, as files are exchanged.
    #[default]
    Hidden,
    /// A letter name under every note that starts a sound (not under rests or tied-to notes).
    Under,
}

/// Writes `song` as one ABC tune at `tempo_bpm` quarter notes per minute.
pub fn write(song: &Song, title: &str, tempo_bpm: f64) -> String {
    write_score(&notation::layout(song), title, tempo_bpm, Letters::Hidden)
}

/// Writes a song already laid out in bars ([`notation::layout`]) as one ABC tune.
pub fn write_score(score: &Score, title: &str, tempo_bpm: f64, letters: Letters) -> String {
    let mut out = format!(
        "X:1\nT:{}\nM:{}\nL:1/16\nQ:1/4={}\nK:{}\n",
        one_line(title),
        score.meter,
        tempo_bpm.round().clamp(20.0, 400.0),
        key_field(&score.key)
    );
    out.push_str(&body(score, letters));
    out
}

/// The `K:` field: `G`, `Em`, `Bb`, `F#m`.
fn key_field(key: &Key) -> String {
    let minor = if key.mode == Mode::Minor { "m" } else { "" };
    format!("{}{minor}", key.tonic_name())
}

/// Header text on one line (a line break would end the field).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn body(score: &Score, letters: Letters) -> String {
    let mut out = String::new();
    let mut tied_from_before = false;
    for (i, bar) in score.bars.iter().enumerate() {
        if bar.meter_changes(i.checked_sub(1).map(|p| &score.bars[p])) {
            out.push_str(&format!("[M:{}]", bar.meter));
        }
        for note in &bar.notes {
            if let (Letters::Under, Some((_, spelled)), false) =
                (letters, note.pitch, tied_from_before)
            {
                out.push_str(&format!("\"_{}\"", spelled.name()));
            }
            out.push_str(&note_text(note));
            tied_from_before = note.tie_to_next;
        }
        let last = i + 1 == score.bars.len();
        out.push_str(if last { "|]\n" } else { "|" });
        if !last && (i + 1) % BARS_PER_LINE == 0 {
            out.push('\n');
        }
    }
    out
}

/// One note or rest: accidental, letter with octave marks, length, tie.
fn note_text(note: &Note) -> String {
    let mut out = String::new();
    match note.pitch {
        None => out.push('z'),
        Some((_, spelled)) => {
            if let Some(alter) = note.accidental {
                out.push_str(match alter {
                    -2 => "__",
                    -1 => "_",
                    0 => "=",
                    1 => "^",
                    _ => "^^",
                });
            }
            // C4 is `C`, C5 `c`; commas go down and apostrophes up from there.
            if spelled.octave >= 5 {
                out.push(spelled.letter.to_ascii_lowercase());
                out.push_str(&"'".repeat((spelled.octave - 5) as usize));
            } else {
                out.push(spelled.letter);
                out.push_str(&",".repeat((4 - spelled.octave).max(0) as usize));
            }
        }
    }
    out.push_str(&length_text(note.duration / UNIT));
    if note.tie_to_next {
        out.push('-');
    }
    out
}

/// A length in units of `L`: `""` for 1, `3`, `/2`, `3/2`.
fn length_text(units: Quarters) -> String {
    match (*units.numer(), *units.denom()) {
        (1, 1) => String::new(),
        (n, 1) => n.to_string(),
        (1, d) => format!("/{d}"),
        (n, d) => format!("{n}/{d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::song::{Event, Meter, Pitch};

    #[test]
    fn a_small_tune_in_e_minor() {
        let key = Key::new('E', 0, Mode::Minor).unwrap();
        let q = |n, d| Ratio::new(n, d);
        let song = Song::new(
            "t",
            key,
            vec![Meter::parse("3/4").unwrap()],
            vec![
                Event::new(Pitch::Note(59), q(1, 1), 0),
                Event::new(Pitch::Note(64), q(2, 1), 1),
                Event::new(Pitch::Note(63), q(2, 1), 1),
                Event::new(Pitch::Rest, q(1, 2), 2),
                Event::new(Pitch::Note(76), q(3, 2), 2),
            ],
        );
        let abc = write(&song, "A  test\ntune", 96.4);
        assert_eq!(
            abc,
            "X:1\nT:A test tune\nM:3/4\nL:1/16\nQ:1/4=96\nK:Em\nB,4|E8^D4-|^D4z2e6|]\n"
        );
        let lettered = write_score(&notation::layout(&song), "", 96.0, Letters::Under);
        assert!(
            lettered.ends_with("\"_B\"B,4|\"_E\"E8\"_D♯\"^D4-|^D4z2\"_E\"e6|]\n"),
            "{lettered}"
        );
    }
}
