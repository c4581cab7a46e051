//! The error type of the core crate.

/// Everything that can go wrong when configuring or running a filter.
///
/// Every variant carries a message that says what to change.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filter or engine parameter is out of its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name, as used in the CLI and the Python package.
        name: &'static str,
        /// What is wrong and what is accepted.
        reason: String,
    },
    /// An image view does not fit the buffer it was made from, or two images do not match.
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// The work does not fit the memory budget even with one worker
    /// ([`Options::with_max_memory`](crate::Options::with_max_memory)); nothing was allocated.
    #[error("not enough memory: {0}")]
    MemoryBudget(String),
    /// A streaming row source or sink reported an error (passed through unchanged).
    #[error(transparent)]
    Stream(crate::driver::BoxError),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

/// A number written compactly for messages: as Rust writes it between 10⁻⁴ and 10¹⁵
/// (`0.25`, `4`, `-3.5`), in exponent form outside (`1e300`, `-2.5e-7`), so that a huge value
/// never prints hundreds of digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Compact(pub f64);

impl std::fmt::Display for Compact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        let a = v.abs();
        if !v.is_finite() || a == 0.0 || (1e-4..1e15).contains(&a) {
            write!(f, "{v}")
        } else {
            write!(f, "{v:e}")
        }
    }
}

/// The result type of the core crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::Compact;

    #[test]
    fn numbers_are_compact() {
        for (v, text) in [
            (0.25, "0.25"),
            (4.0, "4"),
            (-3.5, "-3.5"),
            (0.0, "0"),
            (1e300, "1e300"),
            (-2.5e-7, "-2.5e-7"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "NaN"),
            (123456789012345.0, "123456789012345"),
        ] {
            assert_eq!(Compact(v).to_string(), text);
        }
    }
}
