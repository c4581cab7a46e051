//! The window and run options shared by the file commands (`despeckle FILTER`,
//! `despeckle temporal quegan`): window size, border, no-data, threads, memory budget.

use anyhow::{Result, anyhow, bail};
use clap::Args;
use despeckle_file::registry;
use despeckle_file::{FileOptions, Nodata, OutputType};

/// The window and run options of a file command.
#[derive(Args, Debug)]
pub struct WindowArgs {
    /// Window side in pixels (odd, 3 … 1001).
    // Numbers are parsed as signed (and `-inf` accepted as a value) so that a negative value
    // gets the parameter's own message instead of "unexpected argument".
    #[arg(
        long,
        value_name = "N",
        default_value_t = 7,
        allow_negative_numbers = true,
        help_heading = "Window"
    )]
    size: i64,
    /// Border mode: reflect, mirror, nearest, wrap, constant:V or shrink.
    #[arg(
        long,
        value_name = "MODE",
        default_value = "reflect",
        help_heading = "Window"
    )]
    border: String,
    /// The constant of `--border constant` (default 0; same as constant:V).
    #[arg(
        long,
        value_name = "V",
        allow_hyphen_values = true,
        help_heading = "Window"
    )]
    cval: Option<f64>,
    /// No-data value (default: the input's GDAL_NODATA, which several inputs must agree on;
    /// `none` ignores it). NaN and ±inf are always no-data.
    #[arg(
        long,
        value_name = "V|none",
        allow_hyphen_values = true,
        help_heading = "Window"
    )]
    nodata: Option<String>,
    /// Worker threads (default: all cores; never more than the cores, nor than bands of 16
    /// rows).
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        help_heading = "Window"
    )]
    threads: Option<i64>,
    /// Memory budget: bytes with a unit (512M, 4G) or a share of the RAM (25%). Threads and
    /// block sizes are chosen to stay under it; a run that cannot is refused before it starts.
    /// Default: half the available memory.
    #[arg(long, value_name = "SIZE", help_heading = "Window")]
    max_memory: Option<String>,
}

impl WindowArgs {
    /// File options with these window and run settings (the rest at their defaults).
    pub fn file_options(&self) -> Result<FileOptions> {
        let size = usize::try_from(self.size).map_err(|_| {
            despeckle::Error::param(
                "size",
                format!(
                    "the window size must be odd and at least 3, got {}",
                    self.size
                ),
            )
        })?;
        let mut o = FileOptions::new(size);
        o.border = registry::border_with_cval(&self.border, self.cval)?;
        o.nodata = match self.nodata.as_deref().map(str::trim) {
            None => Nodata::FromFile,
            Some(t) if t.eq_ignore_ascii_case("none") => Nodata::None,
            Some(t) => Nodata::Value(t.parse::<f64>().map_err(|_| {
                anyhow!("invalid parameter `nodata`: `{t}` is not a number (or `none`)")
            })?),
        };
        o.threads = match self.threads {
            None => None,
            Some(n) if n >= 1 => Some(usize::try_from(n)?),
            Some(n) => bail!(
                "invalid parameter `threads`: must be at least 1 (leave it out for all cores), \
                 got {n}"
            ),
        };
        o.max_memory = self
            .max_memory
            .as_deref()
            .map(despeckle::budget::parse_size)
            .transpose()?;
        Ok(o)
    }
}

/// The output sample type of `--dtype` (`None`: the command's default).
pub fn output_type(dtype: Option<&str>) -> Option<OutputType> {
    match dtype {
        Some("float64") => Some(OutputType::F64),
        Some(_) => Some(OutputType::F32),
        None => None,
    }
}
