//! Share links: a tune, its provenance and presentation packed into the page address's
//! fragment (`#tune=…`), so that opening the link shows and plays the same tune with no server.
//!
//! Packing (then base64url): `M`, version 3, the provenance and presentation fields (varints,
//! length-prefixed UTF-8), the tune's mode (0 unknown, 1 major, 2 minor) and pickup (a
//! varint; version 1 links have neither and still open), the instrument (a byte; version 2
//! links have none and open at concert pitch), the title, then one byte per event (0 rest, 1–128 a MIDI note + 1)
//! followed by its number of holds as a varint, and a CRC-32 of everything before it. A
//! 256-step tune takes about 250 characters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use thiserror::Error;

use crate::encoding::grid::Token;
use crate::settings::MAX_LEN;
use crate::song::{Meter, Mode};
use crate::tune::{Instrument, Presentation, Provenance, Tune};

/// The fragment key of a shared tune.
pub const FRAGMENT_KEY: &str = "tune=";
const VERSION: u8 = 3;

/// A tune as shared: the tune, its title and how it is presented.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedTune {
    /// Title shown above the tune.
    pub title: String,
    /// Tokens and provenance.
    pub tune: Tune,
    /// Key, meter and tempo.
    pub presentation: Presentation,
}

/// Why a link could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LinkError {
    /// The fragment holds no tune or is not base64.
    #[error("this link does not hold a Melodeon tune")]
    NotATune,
    /// Made by a newer Melodeon.
    #[error("this link was made by a newer version of Melodeon (format {0})")]
    NewerVersion(u8),
    /// Cut short or altered.
    #[error("this link is damaged (it was cut short or altered): {0}")]
    Damaged(&'static str),
    /// Longer than any tune Melodeon writes.
    #[error("this link holds more than a tune of {} steps, the most Melodeon writes", MAX_LEN.range.max)]
    TooLong,
}

/// The longest fragment read: a tune of [`MAX_LEN`]'s most steps with long texts is far shorter.
const MAX_FRAGMENT: usize = 16 * 1024;

/// The fragment (without `#`) that shares `shared`.
pub fn encode(shared: &SharedTune) -> String {
    let mut out = vec![b'M', VERSION];
    let p = &shared.tune.provenance;
    varint(&mut out, p.seed);
    varint(
        &mut out,
        u64::from((p.temperature.clamp(0.0, 60.0) * 1000.0).round() as u32),
    );
    varint(&mut out, p.max_len as u64);
    varint(&mut out, p.created_ms.max(0.0) as u64);
    text(&mut out, &p.model);
    text(&mut out, &p.primer);
    let pr = &shared.presentation;
    out.push(pr.shift as u8);
    out.push(pr.meter.numerator.min(255) as u8);
    out.push(pr.meter.denominator.min(255) as u8);
    varint(&mut out, pr.tempo_bpm.clamp(1.0, 1000.0).round() as u64);
    out.push(match shared.tune.mode {
        None => 0,
        Some(Mode::Major) => 1,
        Some(Mode::Minor) => 2,
    });
    varint(&mut out, shared.tune.pickup as u64);
    out.push(pr.instrument.code());
    text(&mut out, &shared.title);
    let mut tokens = shared.tune.tokens.iter().peekable();
    while let Some(token) = tokens.next() {
        out.push(match token {
            Token::Note(m) => m.saturating_add(1).min(128),
            _ => 0,
        });
        let mut holds = 0u64;
        while tokens.next_if(|t| **t == Token::Hold).is_some() {
            holds += 1;
        }
        varint(&mut out, holds);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    format!("{FRAGMENT_KEY}{}", URL_SAFE_NO_PAD.encode(out))
}

/// Reads a fragment made by [`encode`] (with or without the leading `#`).
pub fn decode(fragment: &str) -> Result<SharedTune, LinkError> {
    let data = fragment
        .trim_start_matches('#')
        .strip_prefix(FRAGMENT_KEY)
        .ok_or(LinkError::NotATune)?;
    if data.len() > MAX_FRAGMENT {
        return Err(LinkError::TooLong);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(data.trim())
        .map_err(|_| LinkError::NotATune)?;
    if bytes.len() < 6 || bytes[0] != b'M' {
        return Err(LinkError::NotATune);
    }
    let version = bytes[1];
    if version > VERSION || version == 0 {
        return Err(LinkError::NewerVersion(version));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return Err(LinkError::Damaged("checksum mismatch"));
    }
    let mut r = Reader { bytes: &body[2..] };
    let seed = r.varint()?;
    let temperature = r.varint()? as f32 / 1000.0;
    let max_len = r.varint()? as usize;
    let created_ms = r.varint()? as f64;
    let model = r.text()?;
    let primer = r.text()?;
    let shift = r.byte()? as i8;
    let meter = Meter::parse(&format!("{}/{}", r.byte()?, r.byte()?))
        .ok_or(LinkError::Damaged("bad meter"))?;
    let tempo_bpm = r.varint()? as f64;
    let (mode, pickup) = if version >= 2 {
        let mode = match r.byte()? {
            0 => None,
            1 => Some(Mode::Major),
            2 => Some(Mode::Minor),
            _ => return Err(LinkError::Damaged("bad mode")),
        };
        (mode, r.varint()?.min(64) as usize)
    } else {
        (None, 0)
    };
    let instrument = if version >= 3 {
        Instrument::from_code(r.byte()?).ok_or(LinkError::Damaged("bad instrument"))?
    } else {
        Instrument::Concert
    };
    let title = r.text()?;
    if !(-5..=6).contains(&shift) {
        return Err(LinkError::Damaged("bad key"));
    }
    let mut tokens = Vec::new();
    while !r.bytes.is_empty() {
        let code = r.byte()?;
        tokens.push(match code {
            0 => Token::Rest,
            1..=128 => Token::Note(code - 1),
            _ => return Err(LinkError::Damaged("bad note")),
        });
        let holds = r.varint()?;
        if holds > 4096 {
            return Err(LinkError::Damaged("note too long"));
        }
        tokens.extend(std::iter::repeat_n(Token::Hold, holds as usize));
        if tokens.len() > MAX_LEN.range.max {
            return Err(LinkError::TooLong);
        }
    }
    Ok(SharedTune {
        title,
        tune: Tune {
            tokens,
            provenance: Provenance {
                model,
                seed,
                temperature,
                primer,
                max_len,
                created_ms,
            },
            mode,
            pickup,
        },
        presentation: Presentation {
            shift,
            meter,
            tempo_bpm,
            instrument,
        },
    })
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn text(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, LinkError> {
        let (&first, rest) = self
            .bytes
            .split_first()
            .ok_or(LinkError::Damaged("cut short"))?;
        self.bytes = rest;
        Ok(first)
    }

    fn varint(&mut self) -> Result<u64, LinkError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(LinkError::Damaged("number too long"))
    }

    fn text(&mut self) -> Result<String, LinkError> {
        let len = self.varint()? as usize;
        if len > self.bytes.len() {
            return Err(LinkError::Damaged("cut short"));
        }
        let (text, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        String::from_utf8(text.to_vec()).map_err(|_| LinkError::Damaged("bad text"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> SharedTune {
        SharedTune {
            title: "Tune for Ånna".into(),
            tune: Tune {
                tokens: "60 _ _ _ 62 _ r _ 67 _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ 65"
                    .split(' ')
                    .map(|t| t.parse().unwrap())
                    .collect(),
                provenance: Provenance {
                    model: "Erk 1×128".into(),
                    seed: 123_456_789,
                    temperature: 0.85,
                    primer: "C4 4".into(),
                    max_len: 256,
                    created_ms: 1_764_000_000_000.0,
                },
                mode: Some(Mode::Minor),
                pickup: 4,
            },
            presentation: Presentation {
                shift: -5,
                meter: Meter {
                    numerator: 6,
                    denominator: 8,
                },
                tempo_bpm: 96.0,
                instrument: Instrument::BFlat,
            },
        }
    }

    #[test]
    fn round_trip() {
        let link = encode(&shared());
        assert!(link.starts_with("tune="));
        assert_eq!(decode(&format!("#{link}")).unwrap(), shared());
    }

    #[test]
    fn a_long_tune_stays_short() {
        let mut long = shared();
        long.tune.tokens = (0..64)
            .flat_map(|i| {
                [
                    Token::Note(60 + (i % 12) as u8),
                    Token::Hold,
                    Token::Hold,
                    Token::Hold,
                ]
            })
            .collect();
        assert!(encode(&long).len() < 256, "{}", encode(&long).len());
    }

    #[test]
    fn malformed_and_tampered_links_are_refused() {
        let link = encode(&shared());
        assert_eq!(decode("#something-else"), Err(LinkError::NotATune));
        assert_eq!(decode("tune=!!!"), Err(LinkError::NotATune));
        assert!(matches!(
            decode(&link[..link.len() - 6]),
            Err(LinkError::Damaged(_) | LinkError::NotATune)
        ));
        let mut chars: Vec<char> = link.chars().collect();
        let at = chars.len() / 2;
        chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
        let tampered: String = chars.into_iter().collect();
        assert_eq!(
            decode(&tampered),
            Err(LinkError::Damaged("checksum mismatch"))
        );
    }

    #[test]
    fn links_beyond_the_longest_tune_are_refused() {
        let huge = format!("#{FRAGMENT_KEY}{}", "A".repeat(10_000_000));
        assert_eq!(decode(&huge), Err(LinkError::TooLong));
        let mut long = shared();
        long.tune.tokens = std::iter::once(Token::Note(60))
            .chain(std::iter::repeat_n(Token::Hold, MAX_LEN.range.max))
            .collect();
        assert_eq!(decode(&encode(&long)), Err(LinkError::TooLong));
        long.tune.tokens.pop();
        assert!(
            decode(&encode(&long)).is_ok(),
            "the longest tune still travels"
        );
    }
}
