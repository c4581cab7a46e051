//! The `despeckle` command-line tool.

mod demo;
mod memory;
mod output;
mod quicklook;
mod sample;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Speckle filters for SAR images, with memory bounded by the image width.
#[derive(Parser)]
#[command(name = "despeckle", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Filter the bundled Sentinel-1 sample (writes a before/after quick-look PNG) and a
    /// generated 10,000 × 10,000 scene (prints time, peak memory and ENL).
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("despeckle: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
