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

/// The result type of the core crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
