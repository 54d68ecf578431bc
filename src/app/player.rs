//! Playback through the Web Audio API. Notes are scheduled on the AudioContext clock (not
//! timers), so timing stays exact; timers only move the playhead on screen. The voice is a
//! soft reed-like wave with a short attack/decay/sustain/release envelope.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioBuffer, AudioContext, BaseAudioContext, GainNode, OfflineAudioContext, OscillatorNode,
    PeriodicWave,
};

use super::browser::describe;

/// A note to play: start and length in quarter notes, MIDI pitch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlayNote {
    /// Start, in quarter notes from the beginning.
    pub start: f64,
    /// Length in quarter notes.
    pub length: f64,
    /// MIDI note number.
    pub midi: u8,
}

/// What the player is doing, for the page to show.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PlayState {
    /// Sounding.
    Playing,
    /// Stopped part-way; play resumes here.
    Paused,
}

/// The tune being played and its position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    /// Which tune.
    pub tune: u64,
    /// Where, in quarter notes.
    pub beat: f64,
    /// Playing or paused.
    pub state: PlayState,
}

const LEAD_S: f64 = 0.05;
const PEAK: f32 = 0.22;
const ATTACK_S: f64 = 0.012;
const DECAY_S: f64 = 0.12;
const SUSTAIN: f32 = 0.65;
const RELEASE_S: f64 = 0.07;

/// Where the beats and bar lines fall, for the count-in and the metronome (quarter notes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clock {
    /// A bar's length.
    pub bar: f64,
    /// A beat's length (a dotted quarter in 6/8).
    pub beat: f64,
    /// The pickup's length: the first bar line's place.
    pub pickup: f64,
}

impl Clock {
    /// The clock of `meter` with a pickup of `pickup` quarter notes.
    pub fn new(meter: crate::song::Meter, pickup: f64) -> Clock {
        let unit = 4.0 / f64::from(meter.denominator.max(1));
        let compound =
            meter.denominator == 8 && meter.numerator.is_multiple_of(3) && meter.numerator > 3;
        Clock {
            bar: crate::song::quarters_f64(meter.bar_length()),
            beat: if compound { 3.0 * unit } else { unit },
            pickup,
        }
    }
}

struct Current {
    tune: u64,
    clock: Clock,
    notes: Vec<PlayNote>,
    total: f64,
    tempo: f64,
    /// The span repeated, in quarter notes (the whole tune or an A–B section), if looping.
    looping: Option<(f64, f64)>,
    /// AudioContext time at which `origin_beat` sounds.
    origin_time: f64,
    origin_beat: f64,
    paused_at: Option<f64>,
}

/// The page's one player (one tune at a time).
#[derive(Default)]
pub struct Player {
    context: Option<(AudioContext, GainNode, PeriodicWave)>,
    voices: Vec<OscillatorNode>,
    current: Option<Current>,
    /// Clicks on every beat while playing.
    pub metronome: bool,
    /// One bar of clicks before playing starts.
    pub count_in: bool,
}

impl Player {
    /// Plays `notes` (tune `tune`, `total` quarter notes long) at `tempo` bpm, from where it
    /// was paused or from the start, repeating the span `looping` (quarter notes) if given.
    /// Creates or resumes the AudioContext: call it from a user gesture.
    pub fn play(
        &mut self,
        tune: u64,
        notes: Vec<PlayNote>,
        total: f64,
        tempo: f64,
        looping: Option<(f64, f64)>,
        clock: Clock,
    ) -> Result<(), String> {
        let mut from = match &self.current {
            Some(current) if current.tune == tune => current.paused_at.unwrap_or(0.0),
            _ => 0.0,
        };
        if let Some((start, end)) = looping.filter(|&(a, b)| from < a || from >= b) {
            from = start.min(end);
        }
        self.ensure_context()?;
        self.current = Some(Current {
            tune,
            clock,
            notes,
            total,
            tempo,
            looping,
            origin_time: 0.0,
            origin_beat: from,
            paused_at: None,
        });
        self.schedule_from(from, self.count_in)
    }

    /// Pauses, keeping the position.
    pub fn pause(&mut self) {
        let beat = self.beat();
        self.silence();
        if let (Some(current), Some(beat)) = (self.current.as_mut(), beat) {
            current.paused_at = Some(beat);
        }
    }

    /// Stops and forgets the position.
    pub fn stop(&mut self) {
        self.silence();
        self.current = None;
    }

    /// Changes the tempo; a playing tune goes on from where it is at the new tempo.
    pub fn set_tempo(&mut self, tune: u64, tempo: f64) {
        let beat = self.beat();
        let Some(current) = self.current.as_mut().filter(|c| c.tune == tune) else {
            return;
        };
        current.tempo = tempo;
        if current.paused_at.is_none()
            && let Some(beat) = beat
        {
            let _ = self.schedule(beat);
        }
    }

    /// Moves the tune being played or paused by `quarters` (negative: back), within the tune;
    /// it keeps playing or stays paused.
    pub fn move_by(&mut self, quarters: f64) {
        let Some(beat) = self.beat() else {
            return;
        };
        let Some(current) = self.current.as_mut() else {
            return;
        };
        let target = (beat + quarters).clamp(0.0, current.total);
        if current.paused_at.is_some() {
            current.paused_at = Some(target);
        } else {
            let _ = self.schedule(target);
        }
    }

    /// Sets the span repeated for the tune being played (`None`: play to the end once).
    pub fn set_looping(&mut self, tune: u64, looping: Option<(f64, f64)>) {
        let beat = self.beat();
        let Some(current) = self.current.as_mut().filter(|c| c.tune == tune) else {
            return;
        };
        current.looping = looping;
        if current.paused_at.is_none()
            && let Some(beat) = beat
        {
            // Reschedule: the notes after the span's end must not sound.
            let from = match looping {
                Some((a, b)) if beat < a || beat >= b => a,
                _ => beat,
            };
            let _ = self.schedule(from);
        }
    }

    /// Where playback is now; restarts a looping tune at its end and stops a finished one.
    pub fn position(&mut self) -> Option<Position> {
        let beat = self.beat()?;
        let current = self.current.as_ref()?;
        if current.paused_at.is_some() {
            return Some(Position {
                tune: current.tune,
                beat,
                state: PlayState::Paused,
            });
        }
        let end = current.looping.map_or(current.total, |(_, end)| end);
        if beat >= end {
            if let Some((start, _)) = current.looping {
                let tune = current.tune;
                let _ = self.schedule(start);
                return Some(Position {
                    tune,
                    beat: start,
                    state: PlayState::Playing,
                });
            }
            self.stop();
            return None;
        }
        Some(Position {
            tune: current.tune,
            beat,
            state: PlayState::Playing,
        })
    }

    /// Whether the AudioContext is running (for the tests and the status).
    pub fn audio_running(&self) -> bool {
        self.context
            .as_ref()
            .is_some_and(|(ctx, ..)| ctx.state() == web_sys::AudioContextState::Running)
    }

    fn beat(&self) -> Option<f64> {
        let current = self.current.as_ref()?;
        if let Some(paused) = current.paused_at {
            return Some(paused);
        }
        let (ctx, ..) = self.context.as_ref()?;
        let elapsed = (ctx.current_time() - current.origin_time).max(0.0);
        Some(current.origin_beat + elapsed * current.tempo / 60.0)
    }

    fn ensure_context(&mut self) -> Result<(), String> {
        if self.context.is_none() {
            let ctx = AudioContext::new().map_err(describe)?;
            let (master, wave) = instrument(&ctx)?;
            self.context = Some((ctx, master, wave));
        }
        if let Some((ctx, ..)) = &self.context {
            // Browsers start the context suspended until a user gesture; this call is one.
            let _ = ctx.resume();
        }
        // Where the browser has it (Safari), play like a music app: the silent switch does
        // not mute the tune.
        if let Some(session) = web_sys::window()
            .map(|w| js_sys::Reflect::get(&w.navigator(), &"audioSession".into()))
            .and_then(Result::ok)
            .filter(|s| s.is_object())
        {
            let _ = js_sys::Reflect::set(&session, &"type".into(), &"playback".into());
        }
        Ok(())
    }

    fn silence(&mut self) {
        for voice in self.voices.drain(..) {
            let _ = voice.stop();
        }
    }

    fn schedule(&mut self, from: f64) -> Result<(), String> {
        self.schedule_from(from, false)
    }

    /// Schedules the notes from beat `from` (after a bar of clicks with `count_in`) and, with
    /// the metronome on, a click on every beat.
    fn schedule_from(&mut self, from: f64, count_in: bool) -> Result<(), String> {
        self.silence();
        let (ctx, master, wave) = self.context.as_ref().ok_or("no audio")?;
        let current = self.current.as_mut().ok_or("nothing to play")?;
        let seconds_per_beat = 60.0 / current.tempo.max(1.0);
        let clock = current.clock;
        let lead = if count_in {
            clock.bar * seconds_per_beat
        } else {
            0.0
        };
        let t0 = ctx.current_time() + LEAD_S + lead;
        current.origin_time = t0;
        current.origin_beat = from;
        // Only up to the end of the looped span, if any.
        let until = current.looping.map_or(f64::INFINITY, |(_, end)| end);
        let mut clicks = Vec::new();
        if count_in {
            let beats = (clock.bar / clock.beat).round().max(1.0) as usize;
            clicks.extend(
                (0..beats).map(|i| (t0 - lead + i as f64 * clock.beat * seconds_per_beat, i == 0)),
            );
        }
        if self.metronome {
            let last = until.min(current.total);
            let mut at = clock.pickup + ((from - clock.pickup) / clock.beat).ceil() * clock.beat;
            while at < last - 1e-9 {
                let in_bar = (at - clock.pickup).rem_euclid(clock.bar);
                let accent = in_bar < 1e-6 || clock.bar - in_bar < 1e-6;
                clicks.push((t0 + (at - from) * seconds_per_beat, accent));
                at += clock.beat;
            }
        }
        for (time, accent) in clicks {
            self.voices.push(click(ctx, master, time, accent)?);
        }
        for note in current
            .notes
            .iter()
            .filter(|n| n.start + n.length > from && n.start < until)
        {
            let start = t0 + (note.start.max(from) - from) * seconds_per_beat;
            let end = t0 + ((note.start + note.length).min(until) - from) * seconds_per_beat;
            self.voices
                .push(sound(ctx, master, wave, note.midi, start, end)?);
        }
        Ok(())
    }
}

/// The instrument on `ctx`: a master gain into the output and the reed's waveform.
fn instrument(ctx: &BaseAudioContext) -> Result<(GainNode, PeriodicWave), String> {
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
fn sound(
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
    let envelope = ctx.create_gain().map_err(describe)?;
    let gain = envelope.gain();
    let decay_end = (start + ATTACK_S + DECAY_S).min(end);
    gain.set_value_at_time(0.0, start).map_err(describe)?;
    gain.linear_ramp_to_value_at_time(PEAK, start + ATTACK_S)
        .map_err(describe)?;
    gain.linear_ramp_to_value_at_time(PEAK * SUSTAIN, decay_end)
        .map_err(describe)?;
    gain.set_value_at_time(PEAK * SUSTAIN, end)
        .map_err(describe)?;
    gain.linear_ramp_to_value_at_time(0.0, end + RELEASE_S)
        .map_err(describe)?;
    oscillator
        .connect_with_audio_node(&envelope)
        .map_err(describe)?;
    envelope.connect_with_audio_node(master).map_err(describe)?;
    oscillator.start_with_when(start).map_err(describe)?;
    oscillator
        .stop_with_when(end + RELEASE_S + 0.02)
        .map_err(describe)?;
    Ok(oscillator)
}

/// A short click at `time` (context seconds), higher on the first beat of a bar.
fn click(
    ctx: &BaseAudioContext,
    master: &GainNode,
    time: f64,
    accent: bool,
) -> Result<OscillatorNode, String> {
    let oscillator = ctx.create_oscillator().map_err(describe)?;
    oscillator
        .frequency()
        .set_value(if accent { 1_760.0 } else { 1_320.0 });
    let envelope = ctx.create_gain().map_err(describe)?;
    let gain = envelope.gain();
    gain.set_value_at_time(0.0, time).map_err(describe)?;
    gain.linear_ramp_to_value_at_time(0.3, time + 0.003)
        .map_err(describe)?;
    gain.linear_ramp_to_value_at_time(0.0, time + 0.04)
        .map_err(describe)?;
    oscillator
        .connect_with_audio_node(&envelope)
        .map_err(describe)?;
    envelope.connect_with_audio_node(master).map_err(describe)?;
    oscillator.start_with_when(time).map_err(describe)?;
    oscillator.stop_with_when(time + 0.05).map_err(describe)?;
    Ok(oscillator)
}

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
