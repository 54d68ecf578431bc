//! The settings a person chooses for writing and playing tunes, each with its default and its
//! range: the one home that the page's inputs and the command line's flags read. Training's
//! settings live with the recipes ([`crate::recipe`]) and the network's sizes with the model
//! ([`crate::model::config`]), in the same [`Range`] form.

use std::fmt::Display;

use crate::song::Meter;

/// The range a number is kept in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range<T> {
    /// The smallest value.
    pub min: T,
    /// The largest value.
    pub max: T,
}

impl<T: Copy + PartialOrd + Display> Range<T> {
    /// Whether `value` lies in the range (a NaN does not).
    pub fn contains(&self, value: T) -> bool {
        self.min <= value && value <= self.max
    }

    /// `value` moved into the range (a NaN becomes the minimum).
    pub fn clamp(&self, value: T) -> T {
        if value > self.max {
            self.max
        } else if self.min <= value {
            value
        } else {
            self.min
        }
    }

    /// `value` if it lies in the range, else why not (`name` names the setting).
    pub fn check(&self, name: &str, value: T) -> Result<T, String> {
        if self.contains(value) {
            Ok(value)
        } else {
            Err(format!(
                "{name} must be between {} and {}, not {value}",
                self.min, self.max
            ))
        }
    }
}

/// A setting: its default and its range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setting<T> {
    /// The value until a person chooses another.
    pub default: T,
    /// Where a chosen value is kept.
    pub range: Range<T>,
}

/// Softmax temperature of writing: below 1 the likely notes get likelier, above 1 less so.
pub const TEMPERATURE: Setting<f32> = Setting {
    default: 1.0,
    range: Range { min: 0.1, max: 2.0 },
};

/// The longest tune written, in grid steps, primer included. The default is the 99th
/// percentile of the German songs' lengths (docs/results.md); the most is 64 bars of 4/4 and
/// also bounds what a share link may hold.
pub const MAX_LEN: Setting<usize> = Setting {
    default: 768,
    range: Range { min: 16, max: 1024 },
};

/// Tunes written at one request.
pub const TUNES: Setting<u64> = Setting {
    default: 1,
    range: Range { min: 1, max: 20 },
};

/// Seed of a tune: the command line's first tune takes the default, the page draws one below
/// [`DRAWN_SEEDS`] (short to read and type) or keeps one locked.
pub const SEED: Setting<u64> = Setting {
    default: 1,
    range: Range {
        min: 0,
        max: u64::MAX,
    },
};

/// The page draws seeds below this.
pub const DRAWN_SEEDS: u64 = 1_000_000;

/// Tempo of playback and of written files, in quarter notes per minute.
pub const TEMPO: Setting<f64> = Setting {
    default: 100.0,
    range: Range {
        min: 30.0,
        max: 240.0,
    },
};

/// The meters offered for a model that was not trained with meters (a conditioned model offers
/// the meters it learnt), the usual one first.
pub const METERS: [Meter; 5] = [
    Meter {
        numerator: 4,
        denominator: 4,
    },
    Meter {
        numerator: 3,
        denominator: 4,
    },
    Meter {
        numerator: 2,
        denominator: 4,
    },
    Meter {
        numerator: 6,
        denominator: 8,
    },
    Meter {
        numerator: 3,
        denominator: 8,
    },
];

/// The meter a tune is shown and written in when neither the model nor a person chose one.
pub const METER: Meter = METERS[0];

/// The key a tune is shown in, as semitones from C major / A minor (−5: G major, +6: F♯
/// major), so every key is reached the nearer way.
pub const KEY_SHIFT: Setting<i8> = Setting {
    default: 0,
    range: Range { min: -5, max: 6 },
};

/// Gives a setting chosen among names (a recipe's loss, a split, a grid step) its list of
/// choices `ALL` (in the order offered), each choice's `name` on the command line and in the
/// page, `Display` by that name, and `FromStr` from it (an error lists the names):
/// `choices!(LossMode, "loss", [Last => "last", All => "all"]);`.
macro_rules! choices {
    ($type:ty, $what:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $type {
            /// Every choice, in the order offered.
            pub const ALL: &'static [$type] = &[$(<$type>::$variant),+];

            /// The choice's name on the command line and in the page.
            pub fn name(self) -> &'static str {
                match self {
                    $(<$type>::$variant => $name),+
                }
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $type {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                $crate::settings::by_name(<$type>::ALL, s, $what, <$type>::name)
            }
        }
    };
}
pub(crate) use choices;

/// The one of `all` that `name_of` calls `name`, or why none is (`what` names the setting and
/// the message lists the names): how a choice among names is read from a flag or a form.
pub fn by_name<T: Copy>(
    all: &[T],
    name: &str,
    what: &str,
    name_of: impl Fn(T) -> &'static str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|&item| name_of(item) == name)
        .ok_or_else(|| {
            let names: Vec<_> = all.iter().map(|&item| name_of(item)).collect();
            format!("{what} '{name}' is not one of: {}", names.join(", "))
        })
}
