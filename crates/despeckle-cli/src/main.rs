//! The `despeckle` command-line tool.

mod demo;
mod files;
mod memory;
mod output;
mod polsar;
mod polsar_info;
mod polsar_io;
mod polsar_slc;
mod quality;
mod quicklook;
mod report;
mod sample;
mod temporal;
mod window;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Speckle filters for SAR images, with memory bounded by the image width.
///
/// Filter a GeoTIFF file to file: `despeckle enhanced-lee IN.tif OUT.tif --size 7 --looks 4`
/// (`despeckle filters` lists every filter and its parameters).
#[derive(Parser)]
#[command(name = "despeckle", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Filter the bundled Sentinel-1 sample (writes a before/after quick-look PNG) and a
    /// generated 10,000 × 10,000 scene (prints time, peak memory and ENL).
    Demo(demo::DemoArgs),
    /// Describe a GeoTIFF (size, bands, type, layout, compression, no-data, georeferencing), a
    /// PolSARpro folder or a BEAM-DIMAP product, with the polarimetric matrix they hold.
    Info(files::InfoArgs),
    /// List every filter with its parameters and their defaults.
    Filters,
    /// Quality measures of a filtered image against its input (ENL, SSI, mean ratio, EPI,
    /// ratio image, M index), as a table or JSON; the ENL of IN.tif alone.
    Assess(quality::AssessArgs),
    /// Run several filters (or several values of one parameter) over one image and write
    /// one self-contained HTML report: quick-looks, a full-resolution crop, ratio images and
    /// a sortable table of measures.
    Compare(quality::CompareArgs),
    /// Polarimetric speckle filters on C2, C3, T3, C4 and T4 matrices (PolSARpro folders or
    /// GeoTIFFs): `despeckle polsar refined-lee IN_T3 OUT_T3 --size 7 --looks 1`; matrices
    /// formed from SLC GeoTIFFs: `despeckle polsar c2 VV.tif VH.tif OUT.tif --multilook 4x1`.
    Polsar(polsar::PolsarArgs),
}

fn main() -> ExitCode {
    // One subcommand per filter of the registry, next to the fixed ones.
    let cmd = Cli::command()
        .subcommands(files::filter_subcommands())
        .subcommand(temporal::command());
    let matches = match cmd.try_get_matches() {
        Ok(m) => m,
        Err(e) => return usage_error(e),
    };
    let result = match matches.subcommand() {
        Some((name, m)) if despeckle_file::registry::find(name).is_some() => {
            files::run_filter(name, m)
        }
        Some(("temporal", m)) => temporal::run(m),
        _ => match Cli::from_arg_matches(&matches) {
            Ok(cli) => match cli.command {
                Command::Demo(args) => demo::run(&args),
                Command::Info(args) => files::info(&args),
                Command::Filters => files::list_filters(),
                Command::Assess(args) => quality::assess(&args),
                Command::Compare(args) => quality::compare(&args),
                Command::Polsar(args) => polsar::run(&args),
            },
            Err(e) => return usage_error(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("despeckle: error: {}", render(&e));
            ExitCode::FAILURE
        }
    }
}

/// Help and version go to stdout as clap prints them; usage errors become one line (exit 2).
fn usage_error(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
        _ => {
            let text = e.render().to_string();
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
                .collect();
            let msg = lines.join(" ");
            let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
            eprintln!(
                "despeckle: error: {} (see --help)",
                bounded(msg.to_string())
            );
            ExitCode::from(2)
        }
    }
}

/// Most characters of a printed error line (texts embedding data are clipped before; this
/// bounds whatever else).
const MAX_ERROR_CHARS: usize = 1000;

/// An error and its causes on one bounded line. A cause is added only if the text so far does
/// not already say it (most errors embed their cause in their own message).
fn render(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = one_line(&cause.to_string());
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    bounded(text)
}

/// `text` cut to [`MAX_ERROR_CHARS`] characters, ending with `…` if it was longer.
fn bounded(text: String) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        None => text,
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// Joins a message onto one line.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
