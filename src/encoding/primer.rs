//! Opening notes typed by the user, turned into grid tokens.
//!
//! Syntax (items separated by spaces):
//! - a note name with octave and a duration: `G4 8` (eighth), `F#5 4.` (dotted quarter),
//!   `Bb3 2`; durations are reciprocals as in `**kern`: 1, 2, 4, 8, 16, 32, with an optional dot;
//! - a rest with a duration: `r 4`;
//! - raw grid tokens: a MIDI number (`67`), `_` (hold one more step), `r` (rest onset).
//!
//! Notes are given in the key the user chose for display; `shift` moves them into the model's
//! key (C major / A minor) exactly as songs are transposed for training.

use thiserror::Error;

use super::grid::{Step, Token};
use crate::song::letter_semitone;

/// What is wrong with a primer, and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("item {position} (`{item}`): {message}")]
pub struct PrimerError {
    /// 1-based position of the offending item.
    pub position: usize,
    /// The item as typed.
    pub item: String,
    /// What is wrong.
    pub message: String,
}

/// Parses `text` into tokens on the grid `step`, transposing notes by `shift` semitones.
pub fn parse(text: &str, step: Step, shift: i32) -> Result<Vec<Token>, PrimerError> {
    let items: Vec<&str> = text.split_whitespace().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < items.len() {
        let item = items[index];
        let error = |position: usize, message: String| PrimerError {
            position: position + 1,
            item: items[position].to_string(),
            message,
        };
        let onset = match item {
            "_" => {
                if tokens.is_empty() {
                    return Err(error(
                        index,
                        "a hold `_` needs a note or rest before it".into(),
                    ));
                }
                tokens.push(Token::Hold);
                index += 1;
                continue;
            }
            "r" => Token::Rest,
            _ if item.chars().all(|c| c.is_ascii_digit()) => {
                let midi: u8 = item
                    .parse()
                    .ok()
                    .filter(|&m| m <= 127)
                    .ok_or_else(|| error(index, "MIDI numbers go from 0 to 127".into()))?;
                tokens.push(Token::Note(midi));
                index += 1;
                continue;
            }
            _ => Token::Note(note_name(item, shift).map_err(|message| error(index, message))?),
        };
        // A note name needs a duration; a bare `r` is a raw rest token unless one follows.
        let duration = items.get(index + 1).filter(|next| is_duration(next));
        match duration {
            Some(duration) => {
                let steps = steps(duration, step).map_err(|message| error(index + 1, message))?;
                tokens.push(onset);
                tokens.extend(std::iter::repeat_n(Token::Hold, steps - 1));
                index += 2;
            }
            None if onset == Token::Rest => {
                tokens.push(onset);
                index += 1;
            }
            None => {
                return Err(error(
                    index,
                    "a note name needs a duration after it, e.g. `G4 8`".into(),
                ));
            }
        }
    }
    Ok(tokens)
}

fn is_duration(item: &str) -> bool {
    matches!(
        item.trim_end_matches('.'),
        "1" | "2" | "4" | "8" | "16" | "32"
    ) && item.matches('.').count() <= 1
}

/// Grid steps of a duration like `8` or `4.`.
fn steps(item: &str, step: Step) -> Result<usize, String> {
    let dotted = item.ends_with('.');
    let reciprocal: u32 = item
        .trim_end_matches('.')
        .parse()
        .map_err(|_| "not a duration".to_string())?;
    let mut quarters = num_rational::Ratio::new(4, reciprocal);
    if dotted {
        quarters *= num_rational::Ratio::new(3, 2);
    }
    let steps = quarters / step.quarters();
    if !steps.is_integer() {
        return Err(format!("this duration does not fit the {step} grid"));
    }
    Ok(steps.to_integer() as usize)
}

/// MIDI number of a note name such as `G4`, `F#5`, `Bb3` (octave 4 holds middle C), shifted.
fn note_name(item: &str, shift: i32) -> Result<u8, String> {
    let mut chars = item.chars();
    let letter = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or(' ');
    let base =
        letter_semitone(letter).ok_or("expected a note name (A–G), a MIDI number, `r` or `_`")?;
    let rest: String = chars.collect();
    let digits_at = rest
        .find(|c: char| c.is_ascii_digit() || c == '-')
        .ok_or("add an octave, e.g. `G4`")?;
    let (accidentals, octave) = rest.split_at(digits_at);
    let mut alter = 0;
    for c in accidentals.chars() {
        alter += match c {
            '#' => 1,
            'b' => -1,
            _ => return Err(format!("unknown accidental `{c}` (use # or b)")),
        };
    }
    let octave: i32 = octave
        .parse()
        .map_err(|_| format!("`{octave}` is not an octave number"))?;
    let midi = 12 * (octave + 1) + base + alter + shift;
    u8::try_from(midi)
        .ok()
        .filter(|&m| m <= 127)
        .ok_or_else(|| "this note is outside the MIDI range".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> String {
        crate::encoding::grid::to_text(&parse(text, Step::Sixteenth, 0).unwrap())
    }

    #[test]
    fn note_names_with_durations() {
        assert_eq!(tokens("G4 8 A4 8"), "67 _ 69 _");
        assert_eq!(
            tokens("F#4 4. r 16 Bb3 2"),
            "66 _ _ _ _ _ r 58 _ _ _ _ _ _ _"
        );
        assert_eq!(tokens("c5 16"), "72");
    }

    #[test]
    fn raw_tokens_and_mixtures() {
        assert_eq!(tokens("60 _ _ r _ 62"), "60 _ _ r _ 62");
        assert_eq!(tokens("60 _ D4 8"), "60 _ 62 _");
        assert_eq!(tokens(""), "");
    }

    #[test]
    fn transposition_shifts_note_names_only() {
        let shifted = parse("G4 8 67", Step::Sixteenth, -7).unwrap();
        assert_eq!(shifted, vec![Token::Note(60), Token::Hold, Token::Note(67)]);
    }

    #[test]
    fn errors_name_the_item() {
        let err = |text| parse(text, Step::Sixteenth, 0).unwrap_err();
        assert_eq!(err("G4").position, 1);
        assert!(err("G4").message.contains("duration"));
        assert_eq!(err("G4 8 H4 8").position, 3);
        assert!(err("_ 60").message.contains("before it"));
        assert!(err("G4 32").message.contains("1/16"));
        assert!(err("200").message.contains("0 to 127"));
        assert!(err("G 8").message.contains("octave"));
        assert_eq!(err("G4 8 A4 8 Cx4 4").item, "Cx4");
    }
}
