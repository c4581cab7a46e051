//! Small files made by the tests, encoded here independently of the crate.

use std::path::Path;

/// The test value of band `b`, row `y`, column `x` (exact in float32).
pub fn value(b: usize, y: usize, x: usize) -> f64 {
    (b as f64 + 1.0) * 1000.0 + y as f64 * 10.0 + x as f64 * 0.5 - 7.0
}

/// Bytes of one sample of an ENVI data type code, in the given byte order.
pub fn encode(code: u32, v: f64, big: bool) -> Vec<u8> {
    macro_rules! e {
        ($t:ty) => {{
            let x = v as $t;
            if big {
                x.to_be_bytes().to_vec()
            } else {
                x.to_le_bytes().to_vec()
            }
        }};
    }
    match code {
        1 => e!(u8),
        2 => e!(i16),
        3 => e!(i32),
        4 => e!(f32),
        5 => e!(f64),
        12 => e!(u16),
        13 => e!(u32),
        14 => e!(i64),
        15 => e!(u64),
        _ => panic!("code {code}"),
    }
}

/// Writes `NAME.img` + `NAME.hdr` with `bands` bands of [`value`] (through `f`) laid out
/// as `interleave`.
pub fn make_raster(
    dir: &Path,
    name: &str,
    (w, h, bands): (usize, usize, usize),
    code: u32,
    interleave: &str,
    big: bool,
    f: impl Fn(f64) -> f64,
) -> std::path::PathBuf {
    let mut bytes = Vec::new();
    let mut push =
        |b: usize, y: usize, x: usize| bytes.extend(encode(code, f(value(b, y, x)), big));
    match interleave {
        "bsq" => (0..bands).for_each(|b| (0..h).for_each(|y| (0..w).for_each(|x| push(b, y, x)))),
        "bil" => (0..h).for_each(|y| (0..bands).for_each(|b| (0..w).for_each(|x| push(b, y, x)))),
        "bip" => (0..h).for_each(|y| (0..w).for_each(|x| (0..bands).for_each(|b| push(b, y, x)))),
        _ => panic!("{interleave}"),
    }
    let data = dir.join(format!("{name}.img"));
    std::fs::write(&data, bytes).unwrap();
    let hdr = format!(
        "ENVI\ndescription = {{test}}\nsamples = {w}\nlines = {h}\nbands = {bands}\nheader offset = 0\n\
         file type = ENVI Standard\ndata type = {code}\ninterleave = {interleave}\nbyte order = {}\n",
        u8::from(big)
    );
    std::fs::write(dir.join(format!("{name}.hdr")), hdr).unwrap();
    data
}

/// The file names in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
