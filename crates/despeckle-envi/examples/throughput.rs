//! Read and write speed of the streaming readers and writers (a measurement, not a test).
//!
//! ```sh
//! cargo run --release -p despeckle-envi --example throughput -- 4000
//! ```
//!
//! Writes an N × N T3 PolSARpro folder (9 float32 planes) row by row, reads it back in blocks
//! of 64 rows, then reads one band of a 9-band big-endian band-interleaved-by-pixel float32
//! ENVI file (the worst layout: every value is 36 bytes from the next), and prints MB/s of
//! samples delivered. The files go to a temporary folder, removed at the end.

use std::io::Write;
use std::time::Instant;

use despeckle::polsar::Matrix;
use despeckle_envi::{PolsarproFolder, PolsarproOptions, PolsarproWriter, Raster};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(4000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let planes = Matrix::T3.planes();
    let mb = (n * n * planes * 4) as f64 / 1e6;
    let rows = 64;

    let t = Instant::now();
    let folder = dir.path().join("T3");
    let mut out = PolsarproWriter::create(&folder, Matrix::T3, n, n, &PolsarproOptions::default())?;
    let mut block = vec![0f32; rows * n];
    for y0 in (0..n).step_by(rows) {
        let h = rows.min(n - y0);
        for p in 0..planes {
            for (i, v) in block[..h * n].iter_mut().enumerate() {
                *v = (p * 7 + y0 + i) as f32;
            }
            out.write(p, y0, &block[..h * n])?;
        }
    }
    out.finish()?;
    let write_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let input = PolsarproFolder::open(&folder)?;
    let mut readers = input.readers()?;
    let mut sum = 0f64;
    for y0 in (0..n).step_by(rows) {
        let h = rows.min(n - y0);
        for r in &mut readers {
            r.read(y0, &mut block[..h * n])?;
            sum += block[0] as f64;
        }
    }
    let read_s = t.elapsed().as_secs_f64();

    // one band of a 9-band BIP big-endian file of the same size
    let bip = dir.path().join("bip.img");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&bip)?);
        let row: Vec<u8> = (0..n * planes)
            .flat_map(|i| (i as f32).to_be_bytes())
            .collect();
        for _ in 0..n {
            f.write_all(&row)?;
        }
    }
    std::fs::write(
        dir.path().join("bip.hdr"),
        format!(
            "ENVI\nsamples = {n}\nlines = {n}\nbands = {planes}\ndata type = 4\ninterleave = bip\nbyte order = 1\n"
        ),
    )?;
    let t = Instant::now();
    let mut r = Raster::open(&bip)?.band(4)?;
    for y0 in (0..n).step_by(rows) {
        let h = rows.min(n - y0);
        r.read(y0, &mut block[..h * n])?;
        sum += block[0] as f64;
    }
    let bip_s = t.elapsed().as_secs_f64();
    let band_mb = mb / planes as f64;

    println!(
        "{n} x {n}, T3 (9 float32 planes, {mb:.0} MB), blocks of {rows} rows (checksum {sum})"
    );
    println!(
        "  PolSARpro write: {write_s:.2} s, {:.0} MB/s",
        mb / write_s
    );
    println!("  PolSARpro read:  {read_s:.2} s, {:.0} MB/s", mb / read_s);
    println!(
        "  one band of a 9-band BIP big-endian file: {bip_s:.2} s, {:.0} MB/s of samples",
        band_mb / bip_s
    );
    Ok(())
}
