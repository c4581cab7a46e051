//! Options shared by every filter: window size, border mode, no-data value, threads, memory
//! budget.

use crate::border::Border;
use crate::error::{Error, Result};

/// The neighbourhood and execution options common to every filter.
///
/// ```
/// use despeckle::{Border, Options};
/// let opts = Options::new(7)?.with_border(Border::Nearest).with_nodata(Some(0.0)).with_threads(Some(2));
/// assert_eq!(opts.size(), 7);
/// # Ok::<(), despeckle::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    size: usize,
    border: Border,
    nodata: Option<f64>,
    threads: Option<usize>,
    max_memory: Option<usize>,
}

impl Options {
    /// Options for a `size × size` window (odd, ≥ 3), `reflect` borders, no no-data value
    /// (NaN and ±∞ are always no-data) and all cores.
    pub fn new(size: usize) -> Result<Self> {
        if size < 3 || size.is_multiple_of(2) {
            return Err(Error::param(
                "size",
                format!("the window size must be odd and at least 3, got {size}"),
            ));
        }
        if size > 1001 {
            return Err(Error::param(
                "size",
                format!("the window size must be at most 1001, got {size}"),
            ));
        }
        Ok(Options {
            size,
            border: Border::Reflect,
            nodata: None,
            threads: None,
            max_memory: None,
        })
    }

    /// Sets the border mode.
    pub fn with_border(mut self, border: Border) -> Self {
        self.border = border;
        self
    }

    /// Sets the no-data value: pixels equal to it are left out of every window statistic and
    /// copied unchanged to the output. NaN is always no-data; `Some(NaN)` is the same as `None`.
    pub fn with_nodata(mut self, nodata: Option<f64>) -> Self {
        self.nodata = nodata.filter(|v| !v.is_nan());
        self
    }

    /// Sets the number of worker threads (`None`: all cores; results do not depend on it).
    pub fn with_threads(mut self, threads: Option<usize>) -> Self {
        self.threads = threads;
        self
    }

    /// Sets the memory budget in bytes (`None`: half the available memory,
    /// [`budget::default_max_memory`](crate::budget::default_max_memory)).
    ///
    /// The drivers choose their number of workers and block heights so that what they
    /// allocate stays under it, and refuse with [`Error::MemoryBudget`] before allocating when
    /// even one worker does not fit; the model is in [`budget`](crate::budget).
    pub fn with_max_memory(mut self, bytes: Option<usize>) -> Self {
        self.max_memory = bytes;
        self
    }

    /// The memory budget in bytes, if one was set.
    pub fn max_memory(&self) -> Option<usize> {
        self.max_memory
    }

    /// The window side length.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The window radius `size / 2`.
    pub fn radius(&self) -> usize {
        self.size / 2
    }

    /// The border mode.
    pub fn border(&self) -> Border {
        self.border
    }

    /// The no-data value, if any (never NaN).
    pub fn nodata(&self) -> Option<f64> {
        self.nodata
    }

    /// The requested number of threads.
    pub fn threads(&self) -> Option<usize> {
        self.threads
    }

    /// Checks the values that the `with_*` setters cannot reject on their own.
    pub fn validate(&self) -> Result<()> {
        if self.threads == Some(0) {
            return Err(Error::param(
                "threads",
                "must be at least 1 (or unset for all cores)",
            ));
        }
        if self.max_memory == Some(0) {
            return Err(Error::param(
                "max_memory",
                "must be at least one byte (or unset for half the available memory)",
            ));
        }
        if let Border::Constant(v) = self.border
            && v.is_infinite()
        {
            return Err(Error::param(
                "border",
                "the constant value must be finite or NaN",
            ));
        }
        if let Some(v) = self.nodata
            && v.is_infinite()
        {
            return Err(Error::param(
                "nodata",
                "must be a finite number (±inf and NaN are always no-data)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_validated() {
        for bad in [0, 1, 2, 4, 8, 1003] {
            let e = Options::new(bad).unwrap_err().to_string();
            assert!(e.contains("size"), "{e}");
        }
        for good in [3, 5, 7, 15, 101] {
            assert_eq!(Options::new(good).unwrap().radius(), good / 2);
        }
        assert!(
            Options::new(3)
                .unwrap()
                .with_threads(Some(0))
                .validate()
                .is_err()
        );
        assert!(
            Options::new(3)
                .unwrap()
                .with_nodata(Some(f64::INFINITY))
                .validate()
                .is_err()
        );
        assert_eq!(
            Options::new(3)
                .unwrap()
                .with_nodata(Some(f64::NAN))
                .nodata(),
            None
        );
    }
}
