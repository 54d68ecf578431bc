//! WAV files of a tune: what the player plays, rendered by an OfflineAudioContext.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AudioBuffer, OfflineAudioContext};

use super::browser::describe;
use super::player::PlayNote;
use super::voice::{RELEASE_S, instrument, sound};

/// Sample rate of rendered audio files.
pub const WAV_RATE: u32 = 44_100;

/// What the player plays for `notes` (`total` quarter notes at `tempo` bpm), rendered by an
/// OfflineAudioContext into a 16-bit mono WAV file.
pub async fn render_wav(notes: &[PlayNote], total: f64, tempo: f64) -> Result<Vec<u8>, String> {
    let seconds_per_beat = 60.0 / tempo.max(1.0);
    let seconds = total * seconds_per_beat + RELEASE_S + 0.05;
    let frames = (seconds * f64::from(WAV_RATE)).ceil() as u32;
    let ctx = OfflineAudioContext::new_with_number_of_channels_and_length_and_sample_rate(
        1,
        frames,
        WAV_RATE as f32,
    )
    .map_err(describe)?;
    let (master, wave) = instrument(&ctx)?;
    for note in notes {
        let start = note.start * seconds_per_beat;
        let end = (note.start + note.length) * seconds_per_beat;
        sound(&ctx, &master, &wave, note.midi, start, end)?;
    }
    let rendered = JsFuture::from(ctx.start_rendering().map_err(describe)?)
        .await
        .map_err(describe)?;
    let buffer: AudioBuffer = rendered.dyn_into().map_err(describe)?;
    let samples = buffer.get_channel_data(0).map_err(describe)?;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: WAV_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).map_err(|e| e.to_string())?;
    for sample in samples {
        // In −1..=1 after the clamp, so the product fits an i16.
        let value = (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
        writer.write_sample(value).map_err(|e| e.to_string())?;
    }
    writer.finalize().map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}
