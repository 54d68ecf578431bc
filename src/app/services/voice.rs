//! Melodeon's voice: a soft reed-like wave with a short attack/decay/sustain/release
//! envelope, the same for playback and for rendered WAV files.

use web_sys::{BaseAudioContext, GainNode, OscillatorNode, PeriodicWave};

use super::browser::describe;

const PEAK: f32 = 0.22;
const ATTACK_S: f64 = 0.012;
const DECAY_S: f64 = 0.12;
const SUSTAIN: f32 = 0.65;
/// How long a note fades after its end.
pub(super) const RELEASE_S: f64 = 0.07;

/// The instrument on `ctx`: a master gain into the output and the reed's waveform.
pub(super) fn instrument(ctx: &BaseAudioContext) -> Result<(GainNode, PeriodicWave), String> {
    let master = ctx.create_gain().map_err(describe)?;
    master.gain().set_value(0.9);
    master
        .connect_with_audio_node(&ctx.destination())
        .map_err(describe)?;
    // A soft reed: fundamental and a few quickly falling harmonics.
    let mut real = vec![0.0f32; 8];
    let mut imag = vec![0.0, 1.0, 0.42, 0.22, 0.11, 0.05, 0.025, 0.012];
    let wave = ctx
        .create_periodic_wave(&mut real, &mut imag)
        .map_err(describe)?;
    Ok((master, wave))
}

/// Schedules one note from `start` to `end` (context seconds), with its envelope.
pub(super) fn sound(
    ctx: &BaseAudioContext,
    master: &GainNode,
    wave: &PeriodicWave,
    midi: u8,
    start: f64,
    end: f64,
) -> Result<OscillatorNode, String> {
    let oscillator = ctx.create_oscillator().map_err(describe)?;
    oscillator.set_periodic_wave(wave);
    oscillator
        .frequency()
        .set_value(440.0 * 2f32.powf((f32::from(midi) - 69.0) / 12.0));
    let decay_end = (start + ATTACK_S + DECAY_S).min(end);
    let envelope = [
        Point::At(0.0, start),
        Point::RampTo(PEAK, start + ATTACK_S),
        Point::RampTo(PEAK * SUSTAIN, decay_end),
        Point::At(PEAK * SUSTAIN, end),
        Point::RampTo(0.0, end + RELEASE_S),
    ];
    through_envelope(
        ctx,
        master,
        oscillator,
        &envelope,
        start,
        end + RELEASE_S + 0.02,
    )
}

/// A gain's value at a moment (context seconds): set then, or reached by a straight ramp.
#[derive(Clone, Copy, Debug)]
pub(super) enum Point {
    /// The value from this moment on.
    At(f32, f64),
    /// The value reached at this moment, ramping from the one before.
    RampTo(f32, f64),
}

/// Plays `oscillator` from `start` to `stop` through a gain that follows `envelope`, into
/// `master`.
pub(super) fn through_envelope(
    ctx: &BaseAudioContext,
    master: &GainNode,
    oscillator: OscillatorNode,
    envelope: &[Point],
    start: f64,
    stop: f64,
) -> Result<OscillatorNode, String> {
    let shaper = ctx.create_gain().map_err(describe)?;
    let gain = shaper.gain();
    for point in envelope {
        match *point {
            Point::At(value, at) => gain.set_value_at_time(value, at),
            Point::RampTo(value, at) => gain.linear_ramp_to_value_at_time(value, at),
        }
        .map_err(describe)?;
    }
    oscillator
        .connect_with_audio_node(&shaper)
        .map_err(describe)?;
    shaper.connect_with_audio_node(master).map_err(describe)?;
    oscillator.start_with_when(start).map_err(describe)?;
    oscillator.stop_with_when(stop).map_err(describe)?;
    Ok(oscillator)
}
