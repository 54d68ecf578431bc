//! Format detection from content (the file name is only a hint in messages).

use serde::Serialize;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Humdrum `**kern`.
    Kern,
    /// EsAC records.
    Esac,
    /// A zip archive.
    Zip,
}

impl Format {
    /// Lower-case name, as in the report.
    pub fn name(self) -> &'static str {
        match self {
            Format::Kern => "kern",
            Format::Esac => "esac",
            Format::Zip => "zip",
        }
    }
}

/// Why a file is not one of the formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotMusic {
    /// Zero bytes or only whitespace.
    Empty,
    /// NUL bytes or mostly control bytes.
    Binary,
    /// Text, but neither `**kern` nor EsAC.
    Unknown,
}

impl NotMusic {
    /// Short reason for the report.
    pub fn reason(self) -> &'static str {
        match self {
            NotMusic::Empty => "empty file",
            NotMusic::Binary => "binary file",
            NotMusic::Unknown => "unknown format",
        }
    }
}

/// How many leading bytes are sniffed for binary content.
const SNIFF: usize = 8192;

/// Detects the format of `bytes`: zip by its signature, binary by NUL or
/// control bytes, `**kern` by a line starting an exclusive interpretation
/// with a `**kern` spine, EsAC by a `KEY[` or `MEL[` field at a line start.
pub fn detect(bytes: &[u8]) -> Result<Format, NotMusic> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(Format::Zip);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(NotMusic::Empty);
    }
    let head = &bytes[..bytes.len().min(SNIFF)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        .count();
    if head.contains(&0) || controls * 20 > head.len() {
        return Err(NotMusic::Binary);
    }
    let mut esac = false;
    for line in bytes.split(|&b| b == b'\n' || b == b'\r') {
        if line.starts_with(b"**") && line.split(|&b| b == b'\t').any(|f| f == b"**kern") {
            return Ok(Format::Kern);
        }
        let line = line.trim_ascii_start();
        esac |= line.starts_with(b"KEY[") || line.starts_with(b"MEL[");
    }
    if esac {
        Ok(Format::Esac)
    } else {
        Err(NotMusic::Unknown)
    }
}
