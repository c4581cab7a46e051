//! Bad inputs and outputs: clear one-line errors naming the file, no panics, no files left.

use crate::common;

use common::{RawTiff, at, list, tempdir};
use despeckle_geotiff::{Error, OutputCompression, OutputLayout, Reader, Writer, WriterOptions};

fn good_file(path: &std::path::Path) {
    let mut o = WriterOptions::new(40, 30, 2);
    o.compression = OutputCompression::Deflate { level: 6 };
    o.layout = OutputLayout::Tiles {
        width: 16,
        height: 16,
    };
    o.geo.gdal_metadata = Some("<GDALMetadata></GDALMetadata>".into());
    let mut w = Writer::create(path, o).unwrap();
    let rows: Vec<f32> = (0..40 * 30).map(|i| (i % 97) as f32).collect();
    w.write_rows(0, &rows).unwrap();
    w.write_rows(1, &rows).unwrap();
    w.finish().unwrap();
}

fn one_line(e: &Error, path: &std::path::Path) -> String {
    let s = e.to_string();
    assert!(!s.contains('\n'), "{s}");
    assert!(s.starts_with(&path.display().to_string()), "{s}");
    assert_eq!(e.path(), path);
    s
}

#[test]
fn missing_file() {
    let dir = tempdir();
    let path = at(&dir, "nope.tif");
    let e = Reader::open(&path).unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    assert!(one_line(&e, &path).ends_with("no such file"));
}

#[test]
fn not_a_tiff() {
    let dir = tempdir();
    for (name, bytes) in [
        ("text.tif", b"hello, this is not an image\n".to_vec()),
        ("empty.tif", Vec::new()),
        ("png.tif", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        ("badversion.tif", b"II\x2b\x00\x04\x00\x00\x00".to_vec()),
    ] {
        let path = at(&dir, name);
        std::fs::write(&path, bytes).unwrap();
        let e = Reader::open(&path).unwrap_err();
        assert!(
            matches!(e, Error::NotTiff { .. } | Error::Corrupt { .. }),
            "{name}: {e:?}"
        );
        one_line(&e, &path);
    }
    let path = at(&dir, "text.tif");
    assert!(matches!(Reader::open(&path), Err(Error::NotTiff { .. })));
}

#[test]
fn folder_instead_of_file() {
    let dir = tempdir();
    let e = Reader::open(dir.path()).unwrap_err();
    one_line(&e, dir.path());
}

#[test]
fn truncated_files() {
    let dir = tempdir();
    let path = at(&dir, "good.tif");
    good_file(&path);
    let bytes = std::fs::read(&path).unwrap();
    for keep in [
        4,
        9,
        100,
        bytes.len() / 2,
        bytes.len() - 20,
        bytes.len() - 1,
    ] {
        let cut = at(&dir, "cut.tif");
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        let e = match Reader::open(&cut) {
            Err(e) => e,
            Ok(mut r) => {
                let mut out = vec![0f32; 40 * 30];
                match r
                    .read_rows(0, 0, &mut out)
                    .and_then(|_| r.read_rows(1, 0, &mut out))
                {
                    Err(e) => e,
                    Ok(()) => panic!("a file cut to {keep} bytes read fine"),
                }
            }
        };
        assert!(matches!(e, Error::Corrupt { .. }), "cut at {keep}: {e:?}");
        assert!(one_line(&e, &cut).contains("truncated or corrupt TIFF"));
    }

    // Pixel data cut short while the directory (at the start here) is intact.
    let raw = at(&dir, "raw.tif");
    let mut t = RawTiff::new(30, 20, 1, 32, 3);
    t.compression = 8;
    t.write(&raw, &|_, x, y| vec![((x * y) as f32).to_bits() as u64]);
    // The builder writes data first; damage the first strip's bytes instead.
    let mut b = std::fs::read(&raw).unwrap();
    for v in &mut b[8..40] {
        *v ^= 0x5a;
    }
    std::fs::write(&raw, &b).unwrap();
    let mut r = Reader::open(&raw).unwrap();
    let mut out = vec![0f32; 30 * 20];
    let e = r.read_rows(0, 0, &mut out).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e:?}");
}

/// Flipping bytes anywhere must give errors or wrong values, never a panic.
#[test]
fn damaged_files_never_panic() {
    let dir = tempdir();
    let path = at(&dir, "good.tif");
    good_file(&path);
    let raw_path = at(&dir, "raw.tif");
    let mut t = RawTiff::new(23, 17, 2, 32, 5);
    t.big_endian = true;
    t.tile = Some((16, 16));
    t.write(&raw_path, &|_, x, y| vec![x as u64, y as u64]);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for source in [&path, &raw_path] {
        let bytes = std::fs::read(source).unwrap();
        // DESPECKLE_FUZZ_ROUNDS=100000 for a longer hunt.
        let rounds: usize = std::env::var("DESPECKLE_FUZZ_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300);
        for round in 0..rounds {
            let mut b = bytes.clone();
            let flips = 1 + (next() % 4) as usize;
            for _ in 0..flips {
                // Favour the header and the directory, where damage is most interesting.
                let at = if next() % 2 == 0 {
                    (next() % 16) as usize
                } else {
                    (next() as usize) % b.len()
                };
                b[at] = next() as u8;
            }
            let bad = at(&dir, "bad.tif");
            std::fs::write(&bad, &b).unwrap();
            let outcome = std::panic::catch_unwind(|| {
                if let Ok(mut r) = Reader::open(&bad) {
                    r.set_complex_mode(Some(despeckle_geotiff::ComplexMode::Intensity));
                    let _ = r.info().to_string();
                    let (w, h, nb) = (r.info().width, r.info().height, r.info().bands);
                    if w * h <= 1 << 22 {
                        let mut out = vec![0f32; w * h.min(64)];
                        for band in 0..nb.min(4) {
                            let _ = r.read_rows(band, 0, &mut out);
                        }
                    }
                }
            });
            assert!(
                outcome.is_ok(),
                "panic on round {round} of {}",
                source.display()
            );
        }
    }
}

#[test]
fn unsupported_features_are_named() {
    let dir = tempdir();
    let path = at(&dir, "u12.tif");
    RawTiff::new(4, 4, 1, 12, 1).write(&path, &|_, _, _| vec![0]);
    let e = Reader::open(&path).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    assert!(
        one_line(&e, &path).contains("12-bit unsigned integer"),
        "{e}"
    );

    let path = at(&dir, "jpeg.tif");
    let mut t = RawTiff::new(4, 4, 1, 8, 1);
    t.compression = 7;
    t.write(&path, &|_, _, _| vec![0]);
    let e = Reader::open(&path).unwrap_err();
    assert!(one_line(&e, &path).contains("compression JPEG (7)"), "{e}");

    let path = at(&dir, "c128.tif");
    RawTiff::new(4, 4, 1, 128, 6).write(&path, &|_, _, _| vec![0, 0]);
    let e = Reader::open(&path).unwrap_err();
    assert!(one_line(&e, &path).contains("128-bit complex float"), "{e}");
}

#[test]
fn missing_output_folder() {
    let dir = tempdir();
    let path = dir.path().join("no/such/folder/out.tif");
    let e = Writer::create(&path, WriterOptions::new(4, 4, 1)).unwrap_err();
    assert!(matches!(e, Error::OutputDirMissing { .. }), "{e:?}");
    assert!(one_line(&e, &path).contains("does not exist"));
    assert!(list(dir.path()).is_empty());
}

#[test]
fn existing_output_needs_overwrite() {
    let dir = tempdir();
    let path = at(&dir, "out.tif");
    std::fs::write(&path, b"precious").unwrap();
    let e = Writer::create(&path, WriterOptions::new(4, 4, 1)).unwrap_err();
    assert!(matches!(e, Error::OutputExists { .. }), "{e:?}");
    one_line(&e, &path);
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");

    let mut o = WriterOptions::new(4, 4, 1);
    o.overwrite = true;
    let mut w = Writer::create(&path, o).unwrap();
    w.write_rows(0, &[1f32; 16]).unwrap();
    w.finish().unwrap();
    assert_eq!(Reader::open(&path).unwrap().info().width, 4);
    assert_eq!(list(dir.path()), ["out.tif"]);
}

#[test]
fn output_created_meanwhile_is_not_clobbered() {
    let dir = tempdir();
    let path = at(&dir, "out.tif");
    let mut w = Writer::create(&path, WriterOptions::new(4, 4, 1)).unwrap();
    w.write_rows(0, &[1f32; 16]).unwrap();
    std::fs::write(&path, b"someone else's").unwrap();
    let e = w.finish().unwrap_err();
    assert!(matches!(e, Error::OutputExists { .. }), "{e:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"someone else's");
    assert_eq!(list(dir.path()), ["out.tif"]);
}

#[test]
fn no_temporary_file_after_drop_or_error() {
    let dir = tempdir();
    let path = at(&dir, "out.tif");

    // Dropped half-way.
    {
        let mut w = Writer::create(&path, WriterOptions::new(10, 10, 1)).unwrap();
        assert!(w.temp_path().exists());
        let name = w
            .temp_path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with(".out.tif.tmp-"), "{name}");
        assert_eq!(list(dir.path()), [name]);
        w.write_rows(0, &[0f32; 50]).unwrap();
    }
    assert!(list(dir.path()).is_empty());

    // Finished too early: an error, and nothing left.
    let mut w = Writer::create(&path, WriterOptions::new(10, 10, 2)).unwrap();
    w.write_rows(0, &[0f32; 100]).unwrap();
    let e = w.finish().unwrap_err();
    assert!(
        e.to_string().contains("band 1 is incomplete: 0 of 10 rows"),
        "{e}"
    );
    assert!(list(dir.path()).is_empty());

    // Misuse errors leave the writer usable, and abort cleans up.
    let mut w = Writer::create(&path, WriterOptions::new(10, 10, 1)).unwrap();
    assert!(matches!(
        w.write_rows(0, &[0f32; 15]),
        Err(Error::Usage { .. })
    ));
    assert!(matches!(
        w.write_rows(3, &[0f32; 10]),
        Err(Error::BandOutOfRange { .. })
    ));
    assert!(matches!(
        w.write_rows(0, &[0f32; 110]),
        Err(Error::Usage { .. })
    ));
    w.abort();
    assert!(list(dir.path()).is_empty());
}

#[test]
fn pixel_interleave_requires_bands_in_step() {
    let dir = tempdir();
    let path = at(&dir, "p.tif");
    let mut o = WriterOptions::new(10, 100, 2);
    o.interleave = despeckle_geotiff::Interleave::Pixel;
    o.layout = OutputLayout::Strips {
        rows_per_strip: Some(10),
    };
    let mut w = Writer::create(&path, o).unwrap();
    w.write_rows(0, &[0f32; 200]).unwrap();
    let e = w.write_rows(0, &[0f32; 10]).unwrap_err();
    assert!(e.to_string().contains("in step"), "{e}");
    drop(w);
    assert!(list(dir.path()).is_empty());
}

#[test]
fn invalid_options() {
    let dir = tempdir();
    let path = at(&dir, "x.tif");
    let mut cases = Vec::new();
    cases.push(WriterOptions::new(0, 5, 1));
    cases.push(WriterOptions::new(5, 5, 0));
    let mut o = WriterOptions::new(5, 5, 1);
    o.layout = OutputLayout::Tiles {
        width: 100,
        height: 256,
    };
    cases.push(o);
    let mut o = WriterOptions::new(5, 5, 1);
    o.layout = OutputLayout::Strips {
        rows_per_strip: Some(0),
    };
    cases.push(o);
    let mut o = WriterOptions::new(5, 5, 1);
    o.compression = OutputCompression::Deflate { level: 12 };
    cases.push(o);
    for o in cases {
        let e = Writer::create(&path, o.clone()).unwrap_err();
        assert!(matches!(e, Error::InvalidOptions { .. }), "{o:?}: {e:?}");
        one_line(&e, &path);
    }
    assert!(list(dir.path()).is_empty());
}

#[test]
fn read_only_output_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let path = ro.join("out.tif");
    let result = Writer::create(&path, WriterOptions::new(4, 4, 1));
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    match result {
        Err(e) => {
            assert!(matches!(e, Error::OutputNotWritable { .. }), "{e:?}");
            assert!(one_line(&e, &path).contains("read-only or not writable"));
        }
        // Running as root: permissions do not apply, nothing to test.
        Ok(w) => {
            eprintln!(
                "read_only_output_folder: running with root rights, permission check skipped"
            );
            w.abort();
        }
    }
}
