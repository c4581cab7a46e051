//! Border modes: how the window is completed outside the image.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// How pixels outside the image are obtained when a window overhangs an edge.
///
/// The first five modes have the meaning of `scipy.ndimage` (shown for a row `a b c d`);
/// they apply to rows and columns independently and for any overhang, even one larger
/// than the image (the extension repeats).
///
/// | mode | extension | |
/// |---|---|---|
/// | [`Reflect`](Border::Reflect) (default) | `d c b a \| a b c d \| d c b a` | edge pixel repeated |
/// | [`Mirror`](Border::Mirror) | `d c b \| a b c d \| c b a` | edge pixel not repeated |
/// | [`Nearest`](Border::Nearest) | `a a a \| a b c d \| d d d` | edge pixel replicated (Orfeo ToolBox) |
/// | [`Wrap`](Border::Wrap) | `a b c d \| a b c d \| a b c d` | periodic |
/// | [`Constant`](Border::Constant) | `k k k \| a b c d \| k k k` | a fixed value (a NaN value counts as no-data) |
/// | [`Shrink`](Border::Shrink) | `. . . \| a b c d \| . . .` | the window is cut at the edge (ESA SNAP) |
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Border {
    /// Reflection about the edge, the edge pixel repeated (`scipy` `reflect`, numpy `symmetric`).
    #[default]
    Reflect,
    /// Reflection about the edge pixel's centre (`scipy` `mirror`, numpy `reflect`).
    Mirror,
    /// The edge pixel repeated outwards (`scipy` `nearest`, numpy `edge`).
    Nearest,
    /// Periodic continuation (`scipy` `wrap`).
    Wrap,
    /// A constant value outside the image (`scipy` `constant` with `cval`).
    Constant(f64),
    /// No extension: pixels outside the image are not part of the window.
    Shrink,
}

/// Where a coordinate outside `0..len` comes from under a border mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The pixel at this index inside the image.
    Inside(usize),
    /// The border's constant value.
    Constant,
    /// Nothing: the position is not part of the window.
    Outside,
}

impl Border {
    /// Maps a (possibly negative or too large) coordinate on an axis of length `len` to its source.
    ///
    /// `len` must be at least 1.
    pub fn map(self, i: isize, len: usize) -> Source {
        let n = len as isize;
        if (0..n).contains(&i) {
            return Source::Inside(i as usize);
        }
        let idx = match self {
            Border::Reflect => {
                let m = i.rem_euclid(2 * n);
                if m < n { m } else { 2 * n - 1 - m }
            }
            Border::Mirror => {
                if n == 1 {
                    0
                } else {
                    let m = i.rem_euclid(2 * n - 2);
                    if m < n { m } else { 2 * n - 2 - m }
                }
            }
            Border::Nearest => i.clamp(0, n - 1),
            Border::Wrap => i.rem_euclid(n),
            Border::Constant(_) => return Source::Constant,
            Border::Shrink => return Source::Outside,
        };
        Source::Inside(idx as usize)
    }

    /// The names accepted by [`FromStr`], for help texts.
    pub const NAMES: &'static [&'static str] = &[
        "reflect",
        "mirror",
        "nearest",
        "wrap",
        "constant:VALUE",
        "shrink",
    ];
}

impl fmt::Display for Border {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Border::Reflect => f.write_str("reflect"),
            Border::Mirror => f.write_str("mirror"),
            Border::Nearest => f.write_str("nearest"),
            Border::Wrap => f.write_str("wrap"),
            Border::Constant(v) => write!(f, "constant:{}", crate::Compact(*v)),
            Border::Shrink => f.write_str("shrink"),
        }
    }
}

impl FromStr for Border {
    type Err = Error;

    /// Parses `reflect`, `mirror`, `nearest`, `wrap`, `shrink`, `constant` (value 0) or
    /// `constant:VALUE` (VALUE may be `nan`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let lower = s.trim().to_ascii_lowercase();
        let (name, value) = match lower.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (lower.as_str(), None),
        };
        let border = match (name, value) {
            ("reflect", None) => Border::Reflect,
            ("mirror", None) => Border::Mirror,
            ("nearest", None) => Border::Nearest,
            ("wrap", None) => Border::Wrap,
            ("shrink", None) => Border::Shrink,
            ("constant", None) => Border::Constant(0.0),
            ("constant", Some(v)) => Border::Constant(v.trim().parse::<f64>().map_err(|_| {
                Error::param(
                    "border",
                    format!("`{s}`: the constant must be a number, e.g. constant:0"),
                )
            })?),
            _ => {
                return Err(Error::param(
                    "border",
                    format!(
                        "`{s}` is not a border mode; use one of {}",
                        Self::NAMES.join(", ")
                    ),
                ));
            }
        };
        Ok(border)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(b: Border, len: usize, lo: isize, hi: isize) -> Vec<Option<usize>> {
        (lo..hi)
            .map(|i| match b.map(i, len) {
                Source::Inside(j) => Some(j),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn scipy_patterns_for_a_row_of_four() {
        let s = |v: &[usize]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        assert_eq!(
            ext(Border::Reflect, 4, -4, 8),
            s(&[3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0])
        );
        assert_eq!(
            ext(Border::Mirror, 4, -3, 7),
            s(&[3, 2, 1, 0, 1, 2, 3, 2, 1, 0])
        );
        assert_eq!(ext(Border::Nearest, 4, -2, 6), s(&[0, 0, 0, 1, 2, 3, 3, 3]));
        assert_eq!(
            ext(Border::Wrap, 4, -5, 9),
            s(&[3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0])
        );
        assert_eq!(Border::Shrink.map(-1, 4), Source::Outside);
        assert_eq!(Border::Constant(2.0).map(4, 4), Source::Constant);
    }

    #[test]
    fn long_overhangs_repeat() {
        // reflect of `a`: always a; of `a b`: a b b a a b b a ...
        assert_eq!(ext(Border::Reflect, 1, -3, 3), vec![Some(0); 6]);
        assert_eq!(ext(Border::Mirror, 1, -3, 3), vec![Some(0); 6]);
        let s = |v: &[usize]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        assert_eq!(
            ext(Border::Reflect, 2, -4, 6),
            s(&[0, 1, 1, 0, 0, 1, 1, 0, 0, 1])
        );
        assert_eq!(
            ext(Border::Mirror, 3, -4, 7),
            s(&[0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2])
        );
    }

    #[test]
    fn parse_and_display_round_trip() {
        for b in [
            Border::Reflect,
            Border::Mirror,
            Border::Nearest,
            Border::Wrap,
            Border::Shrink,
            Border::Constant(1.5),
        ] {
            assert_eq!(b.to_string().parse::<Border>().unwrap(), b);
        }
        assert_eq!("constant".parse::<Border>().unwrap(), Border::Constant(0.0));
        assert!(matches!(
            "constant:nan".parse::<Border>().unwrap(),
            Border::Constant(v) if v.is_nan()
        ));
        let err = "edge".parse::<Border>().unwrap_err().to_string();
        assert!(err.contains("reflect") && err.contains("edge"), "{err}");
        assert!("constant:x".parse::<Border>().is_err());
    }
}
