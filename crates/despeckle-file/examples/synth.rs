//! Writes a large speckled float32 GeoTIFF, streaming (memory: a few row blocks), for
//! benchmarks and memory tests:
//!
//! ```text
//! cargo run --release -p despeckle-file --example synth -- OUT.tif WIDTH HEIGHT \
//!     [--tiled] [--deflate] [--looks L]
//! ```
//!
//! The scene is a piecewise-constant reflectivity (256-pixel squares, levels 0.05–5) times
//! `L`-look intensity speckle (default 4), deterministic; uncompressed strips by default.

use std::process::ExitCode;

use despeckle_geotiff::{GeoTags, OutputCompression, OutputLayout, Writer, WriterOptions};

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(h: u64) -> f64 {
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

fn fill_row(row: &mut [f32], y: usize, looks: u32) {
    let mut state = mix(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(y as u64 + 1));
    for (x, v) in row.iter_mut().enumerate() {
        let tile = ((x / 256) as u64) << 32 | (y / 256) as u64;
        let level = (0.05f64.ln() + unit(mix(tile)) * 100f64.ln()).exp();
        let mut prod = 1.0f64;
        for _ in 0..looks {
            state = mix(state);
            prod *= unit(state);
        }
        *v = (level * -prod.ln() / looks as f64) as f32;
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let looks = args
        .iter()
        .position(|a| a == "--looks")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(4u32);
    let (Some(path), Some(Ok(width)), Some(Ok(height))) = (
        positional.first(),
        positional.get(1).map(|s| s.parse::<usize>()),
        positional.get(2).map(|s| s.parse::<usize>()),
    ) else {
        eprintln!("usage: synth OUT.tif WIDTH HEIGHT [--tiled] [--deflate] [--looks L]");
        return ExitCode::from(2);
    };
    let mut o = WriterOptions::new(width, height, 1);
    if flag("--tiled") {
        o.layout = OutputLayout::TILED;
    }
    if flag("--deflate") {
        o.compression = OutputCompression::Deflate { level: 6 };
    }
    o.overwrite = true;
    o.geo = GeoTags {
        model_pixel_scale: Some(vec![10.0, 10.0, 0.0]),
        model_tiepoint: Some(vec![0.0, 0.0, 0.0, 500_000.0, 4_600_000.0, 0.0]),
        geo_key_directory: Some(vec![
            1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32631,
        ]),
        ..Default::default()
    };
    let result = (|| -> despeckle_geotiff::Result<()> {
        let mut w = Writer::create(path.as_str(), o)?;
        let rows = 256;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut buf = vec![0f32; width * rows];
        for y0 in (0..height).step_by(rows) {
            let n = rows.min(height - y0);
            let per = n.div_ceil(threads).max(1);
            std::thread::scope(|s| {
                for (k, part) in buf[..n * width].chunks_mut(per * width).enumerate() {
                    s.spawn(move || {
                        for (i, row) in part.chunks_mut(width).enumerate() {
                            fill_row(row, y0 + k * per + i, looks);
                        }
                    });
                }
            });
            w.write_rows(0, &buf[..n * width])?;
        }
        w.finish()
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synth: {e}");
            ExitCode::FAILURE
        }
    }
}
