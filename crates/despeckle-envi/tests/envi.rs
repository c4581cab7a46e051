//! ENVI headers, band readers of every interleave, byte order and data type, the writer,
//! and what hostile or broken files give.

use std::path::Path;

use crate::common::{listing, make_raster, value};
use despeckle::{Mean, Options, RowSink, RowSource, filter, filter_stream};
use despeckle_envi::{
    BandWriter, ByteOrder, ComplexPart, DataType, Error, Header, Interleave, OutputOptions, Raster,
};
use despeckle_geotiff::FileId;

fn header(text: &str) -> Result<Header, Error> {
    Header::parse(text, Path::new("x.hdr"))
}

#[test]
fn header_fields_are_read() {
    let h = header(
        "ENVI\n\
         description = {\n  a test\n  file}\n\
         samples = 7\nLines   = 3\n  bands = 2\n\
         header offset = 16\n; a comment = 3\n\
         file type = ENVI Standard\ndata type = 5\ninterleave = BIP\nbyte order = 1\n\
         map info = {UTM, 1, 1, 500000, 4000000, 10, 10, 31, North,WGS-84}\n\
         coordinate system string = {PROJCS[\"x\",GEOGCS[\"y\"]]}\n\
         band names = {\n C11,\n C22}\n\
         data ignore value = -9999\n\
         wavelength units = Unknown\n",
    )
    .unwrap();
    assert_eq!((h.samples, h.lines, h.bands), (7, 3, 2));
    assert_eq!(h.header_offset, 16);
    assert_eq!(h.data_type, DataType::F64);
    assert_eq!(h.interleave, Interleave::Bip);
    assert_eq!(h.byte_order, ByteOrder::Big);
    assert_eq!(h.band_names, ["C11", "C22"]);
    assert_eq!(h.description.as_deref(), Some("a test\n  file"));
    assert_eq!(
        h.map_info.as_deref(),
        Some("UTM, 1, 1, 500000, 4000000, 10, 10, 31, North,WGS-84")
    );
    assert_eq!(
        h.coordinate_system.as_deref(),
        Some("PROJCS[\"x\",GEOGCS[\"y\"]]")
    );
    assert_eq!(h.no_data, Some(-9999.0));
    assert_eq!(h.data_bytes(), Some(7 * 3 * 2 * 8));

    // written and read back: the same header (the description on one line)
    let again = header(&h.to_text()).unwrap();
    assert_eq!(again.description.as_deref(), Some("a test   file"));
    assert_eq!(
        Header {
            description: h.description.clone(),
            ..again
        },
        h
    );

    // defaults: bsq, little-endian, no offset
    let d = header("ENVI\nsamples = 1\nlines = 1\nbands = 1\ndata type = 4\n").unwrap();
    assert_eq!(
        (d.interleave, d.byte_order, d.header_offset),
        (Interleave::Bsq, ByteOrder::Little, 0)
    );
    let nan = header("ENVI\nsamples=1\nlines=1\nbands=1\ndata type=4\ndata ignore value = nan\n")
        .unwrap();
    assert!(nan.no_data.unwrap().is_nan());
    assert!(nan.to_text().contains("data ignore value = nan\n"));
}

#[test]
fn every_data_type_code() {
    let codes = [
        (1, 1),
        (2, 2),
        (3, 4),
        (4, 4),
        (5, 8),
        (6, 8),
        (9, 16),
        (12, 2),
        (13, 4),
        (14, 8),
        (15, 8),
    ];
    for (code, bytes) in codes {
        let t = DataType::from_code(code).unwrap();
        assert_eq!((t.code(), t.bytes()), (code, bytes));
        assert_eq!(t.is_complex(), code == 6 || code == 9);
    }
    for code in [0, 7, 8, 10, 11, 16] {
        assert_eq!(DataType::from_code(code), None);
    }
}

#[test]
fn bad_headers_are_refused_with_the_reason() {
    let base = "samples = 2\nlines = 2\nbands = 1\ndata type = 4\n";
    let cases = [
        (format!("ENVY\n{base}"), "the first line is not `ENVI`"),
        (
            "ENVI\nlines = 2\nbands = 1\ndata type = 4\n".to_string(),
            "no `samples` field",
        ),
        (
            "ENVI\nsamples = 2\nlines = 2\nbands = 1\n".to_string(),
            "no `data type` field",
        ),
        (
            format!("ENVI\n{base}samples = 0\n"),
            "`samples = 0`: the raster is empty",
        ),
        (
            format!("ENVI\n{base}samples = -3\n"),
            "`samples = -3` is not a whole number",
        ),
        (
            format!("ENVI\n{base}data type = 7\n"),
            "`data type = 7` is not one of",
        ),
        (
            format!("ENVI\n{base}byte order = 2\n"),
            "`byte order = 2` is not 0 or 1",
        ),
        (
            format!("ENVI\n{base}interleave = bxq\n"),
            "`interleave = bxq` is not bsq, bil or bip",
        ),
        (
            format!("ENVI\n{base}band names = {{a, b}}\n"),
            "2 band names for 1 band(s)",
        ),
        (
            format!("ENVI\n{base}band names = {{a\n"),
            "`band names`: no closing brace",
        ),
        (
            format!("ENVI\n{base}data ignore value = none\n"),
            "`data ignore value = none` is not a number",
        ),
        (
            format!("ENVI\n{base}samples = 99999999999999999999999\n"),
            "is not a whole number",
        ),
    ];
    for (text, reason) in cases {
        let e = header(&text).unwrap_err().to_string();
        assert!(e.starts_with("x.hdr: invalid ENVI header: "), "{e}");
        assert!(e.contains(reason), "{e} / {reason}");
    }
}

#[test]
fn every_interleave_byte_order_and_type_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h, bands) = (5, 4, 3);
    // (code, how the test value is stored, as f64)
    type Stored = fn(f64) -> f64;
    let types: [(u32, Stored); 9] = [
        (1, |v| (v * 2.0) % 251.0),
        (2, |v| -(v * 2.0)),
        (3, |v| -(v * 2.0) * 1000.0),
        (4, |v| v),
        (5, |v| v / 3.0),
        (12, |v| v * 2.0),
        (13, |v| v * 2.0 * 1000.0),
        (14, |v| -(v * 2.0) * 1e6),
        (15, |v| v * 2.0 * 1e6),
    ];
    for (code, f) in types {
        for interleave in ["bsq", "bil", "bip"] {
            for big in [false, true] {
                let name = format!("r{code}{interleave}{big}");
                let data = make_raster(dir.path(), &name, (w, h, bands), code, interleave, big, f);
                let raster = Raster::open(&data).unwrap();
                assert_eq!(
                    (raster.width(), raster.height(), raster.bands()),
                    (w, h, bands)
                );
                for b in 0..bands {
                    let expect = |y: usize, x: usize| {
                        let v = f(value(b, y, x));
                        if code == 4 { v as f32 as f64 } else { v }
                    };
                    // all rows at once as f64
                    let mut r = raster.band(b).unwrap();
                    let mut all = vec![0f64; w * h];
                    r.read(0, &mut all).unwrap();
                    for y in 0..h {
                        for x in 0..w {
                            assert_eq!(all[y * w + x], expect(y, x), "{name} band {b} ({y}, {x})");
                        }
                    }
                    // two rows from row 1, out of order after, as f32 through RowSource
                    let mut two = vec![0f32; 2 * w];
                    RowSource::<f32>::read_rows(&mut r, 1, &mut two).unwrap();
                    RowSource::<f32>::read_rows(&mut r, 3, &mut two[..w]).unwrap();
                    for x in 0..w {
                        assert_eq!(two[x], expect(3, x) as f32, "{name} band {b}");
                        assert_eq!(two[w + x], expect(2, x) as f32, "{name} band {b}");
                    }
                }
            }
        }
    }
}

#[test]
fn bip_rows_wider_than_one_read_chunk() {
    // 3 float64 bands interleaved by pixel: 24 bytes per pixel, 50 000 pixels = 1.2 MB a row,
    // read in two chunks of at most READ_CHUNK_BYTES
    let dir = tempfile::tempdir().unwrap();
    let (w, h, bands) = (50_000, 2, 3);
    let data = make_raster(dir.path(), "wide", (w, h, bands), 5, "bip", true, |v| v);
    assert!(w * bands * 8 > despeckle_envi::READ_CHUNK_BYTES);
    let raster = Raster::open(&data).unwrap();
    let mut r = raster.band(2).unwrap();
    let mut row = vec![0f64; w];
    r.read(1, &mut row).unwrap();
    for (x, v) in row.iter().enumerate() {
        assert_eq!(*v, value(2, 1, x), "column {x}");
    }
}

#[test]
fn complex_samples_are_read_one_part_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (3, 2);
    let mut bytes = Vec::new();
    for y in 0..h {
        for x in 0..w {
            bytes.extend((y as f32 + 0.5).to_be_bytes());
            bytes.extend((-(x as f32) - 0.25).to_be_bytes());
        }
    }
    let data = dir.path().join("c.img");
    std::fs::write(&data, bytes).unwrap();
    std::fs::write(
        dir.path().join("c.hdr"),
        "ENVI\nsamples = 3\nlines = 2\nbands = 1\ndata type = 6\nbyte order = 1\n",
    )
    .unwrap();
    let raster = Raster::open(&data).unwrap();
    let e = raster.band(0).unwrap_err().to_string();
    assert!(
        e.contains("complex samples (complex64) as one real band"),
        "{e}"
    );
    let mut re = vec![0f32; 6];
    let mut im = vec![0f32; 6];
    raster
        .band_part(0, ComplexPart::Re)
        .unwrap()
        .read(0, &mut re)
        .unwrap();
    raster
        .band_part(0, ComplexPart::Im)
        .unwrap()
        .read(0, &mut im)
        .unwrap();
    assert_eq!(re, [0.5, 0.5, 0.5, 1.5, 1.5, 1.5]);
    assert_eq!(im, [-0.25, -1.25, -2.25, -0.25, -1.25, -2.25]);
}

#[test]
fn short_files_and_lying_headers_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let data = make_raster(dir.path(), "t", (4, 3, 2), 4, "bsq", false, |v| v);
    let hdr = dir.path().join("t.hdr");
    // one byte short
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..bytes.len() - 1]).unwrap();
    let e = Raster::open(&data).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Truncated {
                expected: 96,
                actual: 95,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("truncated: the header declares 96 bytes (4 x 3 x 2 float32"),
        "{e}"
    );
    // a header declaring an enormous raster (the product overflows u64): no allocation, an error
    std::fs::write(&data, &bytes).unwrap();
    for lie in [
        "samples = 4000000000\nlines = 4000000000\nbands = 4000000000",
        "samples = 4\nlines = 3\nbands = 2\nheader offset = 18446744073709551615",
        "samples = 100000\nlines = 100000\nbands = 1",
    ] {
        std::fs::write(&hdr, format!("ENVI\n{lie}\ndata type = 4\n")).unwrap();
        let e = Raster::open(&data).unwrap_err();
        assert!(matches!(e, Error::Truncated { .. }), "{lie}: {e:?}");
    }
    // a header larger than the limit is not read
    let big = format!(
        "ENVI\n{}",
        ";\n".repeat(despeckle_envi::MAX_HEADER_BYTES as usize)
    );
    std::fs::write(&hdr, big).unwrap();
    let e = Raster::open(&data).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
    // no header at all
    std::fs::remove_file(&hdr).unwrap();
    let e = Raster::open(&data).unwrap_err().to_string();
    assert!(e.contains("no header beside the data file"), "{e}");
    // a folder as the data file
    let e = Raster::with_header(dir.path(), Header::new(1, 1, DataType::F32), &hdr).unwrap_err();
    assert!(e.to_string().contains("folder"), "{e}");
}

#[test]
fn bands_and_rows_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let data = make_raster(dir.path(), "o", (4, 3, 2), 4, "bil", false, |v| v);
    let raster = Raster::open(&data).unwrap();
    let e = raster.band(2).unwrap_err().to_string();
    assert!(
        e.contains("band 2 out of range: the raster has 2 band(s)"),
        "{e}"
    );
    let mut r = raster.band(0).unwrap();
    let mut buf = vec![0f32; 8];
    let e = r.read(2, &mut buf).unwrap_err().to_string();
    assert!(e.contains("rows 2..4"), "{e}");
    let e = r.read(0, &mut buf[..5]).unwrap_err().to_string();
    assert!(e.contains("a buffer of 5 values"), "{e}");
}

#[test]
fn float64_values_beyond_float32_are_an_error_as_f32() {
    let dir = tempfile::tempdir().unwrap();
    let data = make_raster(dir.path(), "h", (3, 2, 1), 5, "bsq", false, |v| {
        if v == value(0, 1, 2) { 1e300 } else { v }
    });
    let raster = Raster::open(&data).unwrap();
    let mut f32s = vec![0f32; 6];
    let e = raster.band(0).unwrap().read(0, &mut f32s).unwrap_err();
    assert!(
        matches!(e, Error::ValueRange { row: 1, col: 2, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("does not fit float32: read it as float64")
    );
    let mut f64s = vec![0f64; 6];
    raster.band(0).unwrap().read(0, &mut f64s).unwrap();
    assert_eq!(f64s[5], 1e300);
}

#[test]
fn the_writer_round_trips_and_keeps_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let (data, hdr) = (dir.path().join("out.img"), dir.path().join("out.hdr"));
    let mut header = Header::new(4, 3, DataType::U8);
    header.band_names = vec!["C11".into()];
    header.map_info = Some("UTM, 1, 1, 500000, 4000000, 10, 10, 31, North,WGS-84".into());
    header.coordinate_system = Some("PROJCS[\"WGS 84 / UTM zone 31N\"]".into());
    header.no_data = Some(-1.5);
    let mut w =
        BandWriter::<f32>::create(&data, &hdr, header.clone(), &OutputOptions::default()).unwrap();
    let rows: Vec<f32> = (0..12).map(|i| i as f32 * 0.25 - 1.0).collect();
    w.write_rows(0, &rows[..8]).unwrap();
    // nothing visible before finish
    assert!(!data.exists() && !hdr.exists());
    w.write(2, &rows[8..]).unwrap();
    w.finish().unwrap();
    assert_eq!(listing(dir.path()), ["out.hdr", "out.img"]);
    let raster = Raster::open(&data).unwrap();
    let h = raster.header();
    assert_eq!(h.data_type, DataType::F32);
    assert_eq!(
        (h.map_info.clone(), h.coordinate_system.clone(), h.no_data),
        (header.map_info, header.coordinate_system, header.no_data)
    );
    assert_eq!(h.band_names, ["C11"]);
    let mut back = vec![0f32; 12];
    raster.band(0).unwrap().read(0, &mut back).unwrap();
    assert_eq!(back, rows);
    // float64
    let d64 = dir.path().join("o64.img");
    let mut w = BandWriter::<f64>::create(
        &d64,
        &dir.path().join("o64.hdr"),
        Header::new(2, 1, DataType::F32),
        &OutputOptions::default(),
    )
    .unwrap();
    w.write(0, &[1e300, -0.1]).unwrap();
    w.finish().unwrap();
    let r = Raster::open(&d64).unwrap();
    assert_eq!(r.header().data_type, DataType::F64);
    let mut v = [0f64; 2];
    r.band(0).unwrap().read(0, &mut v).unwrap();
    assert_eq!(v, [1e300, -0.1]);
}

#[test]
fn the_writer_leaves_nothing_on_error_and_never_replaces_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let (data, hdr) = (dir.path().join("a.img"), dir.path().join("a.hdr"));
    let opts = OutputOptions::default();
    // dropped unfinished
    let mut w =
        BandWriter::<f32>::create(&data, &hdr, Header::new(2, 2, DataType::F32), &opts).unwrap();
    w.write(0, &[1.0, 2.0]).unwrap();
    drop(w);
    assert!(listing(dir.path()).is_empty());
    // rows out of order, then finish before the last row
    let mut w =
        BandWriter::<f32>::create(&data, &hdr, Header::new(2, 2, DataType::F32), &opts).unwrap();
    let e = w.write(1, &[1.0, 2.0]).unwrap_err().to_string();
    assert!(e.contains("rows go in order"), "{e}");
    w.write(0, &[1.0, 2.0]).unwrap();
    let e = w.finish().unwrap_err().to_string();
    assert!(e.contains("unfinished: 1 of 2 rows written"), "{e}");
    assert!(listing(dir.path()).is_empty());
    // an existing output without overwrite; with overwrite but being an input
    std::fs::write(&data, b"keep").unwrap();
    let e = BandWriter::<f32>::create(&data, &hdr, Header::new(2, 2, DataType::F32), &opts)
        .unwrap_err();
    assert!(e.to_string().contains("exists"), "{e}");
    let inputs = vec![(data.clone(), FileId::of(&data).unwrap().unwrap())];
    let opts = OutputOptions {
        overwrite: true,
        inputs,
        sync: false,
    };
    let e = BandWriter::<f32>::create(&data, &hdr, Header::new(2, 2, DataType::F32), &opts)
        .unwrap_err();
    assert!(e.to_string().contains("input"), "{e}");
    assert_eq!(std::fs::read(&data).unwrap(), b"keep");
    assert_eq!(listing(dir.path()), ["a.img"]);
}

/// A file streamed through the engine from a big-endian BIL band into the writer equals the
/// in-memory filter of the same values.
#[test]
fn streams_through_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (37, 23);
    let data = make_raster(dir.path(), "s", (w, h, 2), 4, "bil", true, |v| {
        v.sin() + 2.0
    });
    let raster = Raster::open(&data).unwrap();
    let mut src = raster.band(1).unwrap();
    let (out, out_hdr) = (dir.path().join("f.img"), dir.path().join("f.hdr"));
    let mut sink = BandWriter::<f32>::create(
        &out,
        &out_hdr,
        Header::new(w, h, DataType::F32),
        &OutputOptions::default(),
    )
    .unwrap();
    let opts = Options::new(5).unwrap();
    filter_stream(&Mean, &mut src, &mut sink, &opts).unwrap();
    sink.finish().unwrap();

    let input: Vec<f32> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (value(1, y, x).sin() + 2.0) as f32))
        .collect();
    let mut expect = vec![0f32; w * h];
    let image = despeckle::ImageRef::new(&input, w, h).unwrap();
    filter(
        &Mean,
        image,
        &mut despeckle::ImageMut::new(&mut expect, w, h).unwrap(),
        &opts,
    )
    .unwrap();
    let mut got = vec![0f32; w * h];
    Raster::open(&out)
        .unwrap()
        .band(0)
        .unwrap()
        .read(0, &mut got)
        .unwrap();
    assert_eq!(got, expect);
}

/// `header offset` bytes before the first sample, in every interleave.
#[test]
fn a_header_offset_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for interleave in ["bsq", "bil", "bip"] {
        let name = format!("off{interleave}");
        let data = make_raster(dir.path(), &name, (3, 2, 2), 2, interleave, true, |v| v);
        let mut bytes = vec![0xAB; 16];
        bytes.extend(std::fs::read(&data).unwrap());
        std::fs::write(&data, bytes).unwrap();
        let hdr = dir.path().join(format!("{name}.hdr"));
        let text = std::fs::read_to_string(&hdr).unwrap();
        std::fs::write(
            &hdr,
            text.replace("header offset = 0", "header offset = 16"),
        )
        .unwrap();
        let raster = Raster::open(&data).unwrap();
        for b in 0..2 {
            let mut v = vec![0f64; 6];
            raster.band(b).unwrap().read(0, &mut v).unwrap();
            let want: Vec<f64> = (0..2)
                .flat_map(|y| (0..3).map(move |x| (value(b, y, x) as i16) as f64))
                .collect();
            assert_eq!(v, want, "{interleave} band {b}");
        }
        // one byte short of offset + data
        let bytes = std::fs::read(&data).unwrap();
        std::fs::write(&data, &bytes[..bytes.len() - 1]).unwrap();
        assert!(matches!(
            Raster::open(&data),
            Err(Error::Truncated { expected: 40, .. })
        ));
    }
}
