//! MusicXML 4.0 (partwise), for MuseScore and other notation programs: one part, the bars of
//! [`crate::notation::layout`] with clef, key, meter and tempo in the first bar, ties and
//! printed accidentals.

use num_rational::Ratio;

use crate::notation::{self, Note};
use crate::song::{Mode, Quarters, Song};

/// Divisions of a quarter note: 1/32 notes and dotted 1/64 notes are whole numbers.
const DIVISIONS: u32 = 32;

/// Writes `song` as a MusicXML document at `tempo_bpm` quarter notes per minute.
pub fn write(song: &Song, title: &str, tempo_bpm: f64) -> String {
    let score = notation::layout(song);
    let mut out = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<!DOCTYPE score-partwise PUBLIC \"-//Recordare//DTD MusicXML 4.0 Partwise//EN\" ",
        "\"http://www.musicxml.org/dtds/partwise.dtd\">\n",
        "<score-partwise version=\"4.0\">\n",
    ));
    out.push_str(&format!(
        "  <work><work-title>{}</work-title></work>\n",
        escape(title)
    ));
    out.push_str(concat!(
        "  <identification><encoding><software>Melodeon</software></encoding></identification>\n",
        "  <part-list><score-part id=\"P1\"><part-name>Melody</part-name></score-part></part-list>\n",
        "  <part id=\"P1\">\n",
    ));
    let tempo = tempo_bpm.round().clamp(20.0, 400.0);
    for (i, bar) in score.bars.iter().enumerate() {
        let implicit = if bar.number == 0 {
            " implicit=\"yes\""
        } else {
            ""
        };
        out.push_str(&format!(
            "    <measure number=\"{}\"{implicit}>\n",
            bar.number
        ));
        if i == 0 {
            let mode = match score.key.mode {
                Mode::Major => "major",
                Mode::Minor => "minor",
            };
            out.push_str(&format!(
                concat!(
                    "      <attributes><divisions>{}</divisions>",
                    "<key><fifths>{}</fifths><mode>{}</mode></key>",
                    "<time><beats>{}</beats><beat-type>{}</beat-type></time>",
                    "<clef><sign>G</sign><line>2</line></clef></attributes>\n",
                    "      <direction placement=\"above\"><direction-type><metronome>",
                    "<beat-unit>quarter</beat-unit><per-minute>{}</per-minute></metronome>",
                    "</direction-type><sound tempo=\"{}\"/></direction>\n",
                ),
                DIVISIONS,
                score.key.fifths(),
                mode,
                score.meter.numerator,
                score.meter.denominator,
                tempo,
                tempo
            ));
        }
        if bar.meter_changes(i.checked_sub(1).map(|p| &score.bars[p])) {
            out.push_str(&format!(
                "      <attributes><time><beats>{}</beats><beat-type>{}</beat-type></time></attributes>\n",
                bar.meter.numerator, bar.meter.denominator
            ));
        }
        let mut tied_from_before = false;
        if let Some(previous) = i.checked_sub(1).and_then(|p| score.bars[p].notes.last()) {
            tied_from_before = previous.tie_to_next;
        }
        for note in &bar.notes {
            out.push_str(&note_xml(note, tied_from_before));
            tied_from_before = note.tie_to_next;
        }
        if i + 1 == score.bars.len() {
            out.push_str(
                "      <barline location=\"right\"><bar-style>light-heavy</bar-style></barline>\n",
            );
        }
        out.push_str("    </measure>\n");
    }
    out.push_str("  </part>\n</score-partwise>\n");
    out
}

/// One `<note>`: pitch or rest, duration, ties (sound and notation), type, dot, accidental.
fn note_xml(note: &Note, tied_from_before: bool) -> String {
    let duration = (note.duration * DIVISIONS).to_integer();
    let mut out = String::from("      <note>");
    match note.pitch {
        None => out.push_str("<rest/>"),
        Some((_, spelled)) => {
            out.push_str(&format!("<pitch><step>{}</step>", spelled.letter));
            if spelled.alter != 0 {
                out.push_str(&format!("<alter>{}</alter>", spelled.alter));
            }
            out.push_str(&format!("<octave>{}</octave></pitch>", spelled.octave));
        }
    }
    out.push_str(&format!("<duration>{duration}</duration>"));
    let is_note = note.pitch.is_some();
    let stop = is_note && tied_from_before;
    let start = is_note && note.tie_to_next;
    if stop {
        out.push_str("<tie type=\"stop\"/>");
    }
    if start {
        out.push_str("<tie type=\"start\"/>");
    }
    out.push_str(&format!("<type>{}</type>", type_name(note.base)));
    if note.dots > 0 {
        out.push_str("<dot/>");
    }
    if let Some(alter) = note.accidental {
        out.push_str(&format!(
            "<accidental>{}</accidental>",
            accidental_name(alter)
        ));
    }
    if stop || start {
        out.push_str("<notations>");
        if stop {
            out.push_str("<tied type=\"stop\"/>");
        }
        if start {
            out.push_str("<tied type=\"start\"/>");
        }
        out.push_str("</notations>");
    }
    out.push_str("</note>\n");
    out
}

/// MusicXML's name of a note value given in quarter notes.
fn type_name(base: Quarters) -> &'static str {
    const NAMES: [(u32, u32, &str); 8] = [
        (4, 1, "whole"),
        (2, 1, "half"),
        (1, 1, "quarter"),
        (1, 2, "eighth"),
        (1, 4, "16th"),
        (1, 8, "32nd"),
        (1, 16, "64th"),
        (1, 32, "128th"),
    ];
    NAMES
        .iter()
        .find(|(n, d, _)| Ratio::new(*n, *d) == base)
        .map_or("256th", |(_, _, name)| name)
}

fn accidental_name(alter: i8) -> &'static str {
    match alter {
        -2 => "flat-flat",
        -1 => "flat",
        0 => "natural",
        1 => "sharp",
        _ => "double-sharp",
    }
}

/// Text as XML character data.
fn escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .fold(String::new(), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                _ => out.push(c),
            }
            out
        })
}
