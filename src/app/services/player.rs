//! Playback through the Web Audio API. Notes are scheduled on the AudioContext clock (not
//! timers), so timing stays exact; timers only move the playhead on screen. The voice is a
//! soft reed ([`super::voice`]); WAV files of the same sound come from [`super::wav`].

use web_sys::{AudioContext, BaseAudioContext, GainNode, OscillatorNode, PeriodicWave};

use super::browser::describe;
use super::voice::{Point, instrument, sound, through_envelope};

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
        self.change(tune, |current, beat| {
            current.tempo = tempo;
            beat
        });
    }

    /// Applies `change` to tune `tune` if it is the one playing or paused; a playing one goes
    /// on from the beat `change` gives (from the beat it is at).
    fn change(&mut self, tune: u64, change: impl FnOnce(&mut Current, f64) -> f64) {
        let beat = self.beat();
        let Some(current) = self.current.as_mut().filter(|c| c.tune == tune) else {
            return;
        };
        let from = change(current, beat.unwrap_or(0.0));
        if current.paused_at.is_none() && beat.is_some() {
            let _ = self.schedule(from);
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
        // Rescheduled: the notes after the span's end must not sound.
        self.change(tune, |current, beat| {
            current.looping = looping;
            match looping {
                Some((a, b)) if beat < a || beat >= b => a,
                _ => beat,
            }
        });
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
    let envelope = [
        Point::At(0.0, time),
        Point::RampTo(0.3, time + 0.003),
        Point::RampTo(0.0, time + 0.04),
    ];
    through_envelope(ctx, master, oscillator, &envelope, time, time + 0.05)
}
