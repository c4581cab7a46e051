//! PolSARpro folders: written and read back, made by hand as the format says, and refused
//! when incomplete or inconsistent; writes are all-or-nothing.

use std::fs;
use std::path::Path;

use crate::common::listing;
use despeckle::RowSink;
use despeckle::polsar::Matrix;
use despeckle_envi::{
    Config, Error, OutputOptions, PolsarproFolder, PolsarproOptions, PolsarproWriter,
};

fn v(p: usize, y: usize, x: usize) -> f32 {
    p as f32 * 100.0 + y as f32 * 10.0 + x as f32 - 0.5
}

/// Writes `matrix` with the values `v`, row by row, planes interleaved as a filter would.
fn write(
    dir: &Path,
    matrix: Matrix,
    w: usize,
    h: usize,
    opts: &PolsarproOptions,
) -> Result<(), Error> {
    let mut out = PolsarproWriter::create(dir, matrix, w, h, opts)?;
    for y in 0..h {
        for p in 0..matrix.planes() {
            let row: Vec<f32> = (0..w).map(|x| v(p, y, x)).collect();
            if p % 2 == 0 {
                out.write(p, y, &row)?;
            } else {
                out.plane(p)
                    .write_rows(y, &row)
                    .map_err(|e| *e.downcast::<Error>().unwrap())?;
            }
        }
    }
    out.finish()
}

#[test]
fn written_folders_read_back() {
    let root = tempfile::tempdir().unwrap();
    for matrix in Matrix::ALL {
        let dir = root.path().join(matrix.name());
        let opts = PolsarproOptions {
            map_info: Some("Geographic Lat/Lon, 1, 1, 3.5, 45.25, 0.001, 0.001, WGS-84".into()),
            ..Default::default()
        };
        write(&dir, matrix, 5, 3, &opts).unwrap();
        let mut want: Vec<String> = matrix
            .elements()
            .iter()
            .flat_map(|e| [format!("{e}.bin"), format!("{e}.bin.hdr")])
            .chain(["config.txt".to_string()])
            .collect();
        want.sort();
        assert_eq!(listing(&dir), want, "{matrix}");
        let polar_type = if matrix == Matrix::C2 { "pp2" } else { "full" };
        assert_eq!(
            fs::read_to_string(dir.join("config.txt")).unwrap(),
            format!(
                "Nrow\n3\n---------\nNcol\n5\n---------\nPolarCase\nmonostatic\n---------\nPolarType\n{polar_type}\n"
            )
        );
        let folder = PolsarproFolder::open(&dir).unwrap();
        assert_eq!(folder.matrix(), matrix);
        assert_eq!((folder.width(), folder.height()), (5, 3));
        assert_eq!(folder.georeferencing().0, opts.map_info.as_deref());
        for (p, mut r) in folder.readers().unwrap().into_iter().enumerate() {
            assert_eq!(
                r.header().band_names,
                [format!("{}.bin", matrix.elements()[p])]
            );
            let mut all = vec![0f32; 15];
            r.read(0, &mut all).unwrap();
            let expect: Vec<f32> = (0..3)
                .flat_map(|y| (0..5).map(move |x| v(p, y, x)))
                .collect();
            assert_eq!(all, expect, "{matrix} plane {p}");
        }
    }
}

/// A folder made as the format says, without the crate: headerless little-endian float32
/// element files (no `.hdr`), `config.txt` as polsartools writes it (no final newline), and
/// files that are no element.
#[test]
fn hand_made_folder_without_headers() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (4, 2);
    fs::write(
        dir.path().join("config.txt"),
        "Nrow\n2\n---------\nNcol\n4\n---------\nPolarCase\nmonostatic\n---------\nPolarType\npp2",
    )
    .unwrap();
    // created in a shuffled order
    for (name, p) in [("C22", 3), ("C12_imag", 2), ("C11", 0), ("C12_real", 1)] {
        let bytes: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).map(move |x| v(p, y, x)))
            .flat_map(f32::to_le_bytes)
            .collect();
        fs::write(dir.path().join(format!("{name}.bin")), bytes).unwrap();
    }
    fs::write(dir.path().join("mask_valid_pixels.bin"), [0u8; 8]).unwrap();
    fs::write(dir.path().join("PolSARpro_notes.txt"), "x").unwrap();
    let folder = PolsarproFolder::open(dir.path()).unwrap();
    assert_eq!(folder.matrix(), Matrix::C2);
    assert_eq!(folder.config().polar_type, "pp2");
    for p in 0..4 {
        let mut row = vec![0f64; w];
        folder.reader(p).unwrap().read(1, &mut row).unwrap();
        let want: Vec<f64> = (0..w).map(|x| v(p, 1, x) as f64).collect();
        assert_eq!(row, want, "plane {p}");
    }
}

#[test]
fn incomplete_or_inconsistent_folders_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("C3");
    write(&dir, Matrix::C3, 3, 2, &PolsarproOptions::default()).unwrap();
    let msg = |e: Error| e.to_string();

    fs::rename(dir.join("C33.bin"), root.path().join("C33.bin")).unwrap();
    let e = msg(PolsarproFolder::open(&dir).unwrap_err());
    assert!(e.ends_with("C3: C3 matrix incomplete: missing C33"), "{e}");
    fs::rename(root.path().join("C33.bin"), dir.join("C33.bin")).unwrap();

    fs::write(dir.join("T11.bin"), []).unwrap();
    let e = msg(PolsarproFolder::open(&dir).unwrap_err());
    assert!(
        e.contains("mix covariance (C..) and coherency (T..)"),
        "{e}"
    );
    fs::remove_file(dir.join("T11.bin")).unwrap();

    // a truncated element file
    let c22 = dir.join("C22.bin");
    let bytes = fs::read(&c22).unwrap();
    fs::write(&c22, &bytes[..20]).unwrap();
    let e = msg(PolsarproFolder::open(&dir).unwrap_err());
    assert!(
        e.contains("C22.bin: truncated: the header declares 24 bytes"),
        "{e}"
    );
    fs::write(&c22, &bytes).unwrap();

    // a header that disagrees with config.txt
    let hdr = dir.join("C22.bin.hdr");
    let text = fs::read_to_string(&hdr).unwrap();
    fs::write(&hdr, text.replace("samples = 3", "samples = 2")).unwrap();
    let e = msg(PolsarproFolder::open(&dir).unwrap_err());
    assert!(
        e.contains("C22.bin is 2 x 2 with 1 band(s), but config.txt says 3 x 2"),
        "{e}"
    );
    fs::write(&hdr, text).unwrap();

    // config.txt broken or missing
    fs::write(dir.join("config.txt"), "Nrow\n2\n---------\nNcol\nmany\n").unwrap();
    let e = msg(PolsarproFolder::open(&dir).unwrap_err());
    assert!(
        e.contains("`Ncol` is `many`, not a positive whole number"),
        "{e}"
    );
    fs::remove_file(dir.join("config.txt")).unwrap();
    let e = msg(PolsarproFolder::open(&dir).unwrap_err());
    assert!(e.ends_with("C3: PolSARpro folder: no config.txt"), "{e}");
    let e = msg(PolsarproFolder::open(&root.path().join("nothing")).unwrap_err());
    assert!(e.contains("not a folder"), "{e}");
}

#[test]
fn config_text_round_trips() {
    let c = Config::parse("nrow\n 12 \n---------\nNCOL\n7\n", Path::new("config.txt")).unwrap();
    assert_eq!(
        (c.rows, c.cols, c.polar_case.as_str(), c.polar_type.as_str()),
        (12, 7, "monostatic", "full")
    );
    assert_eq!(Config::parse(&c.to_text(), Path::new("c")).unwrap(), c);
    let e = Config::parse("Ncol\n3\n", Path::new("config.txt"))
        .unwrap_err()
        .to_string();
    assert_eq!(e, "config.txt: PolSARpro folder: no `Nrow` in config.txt");
}

#[test]
fn writes_are_all_or_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("out");
    // dropped unfinished: no file, and the folder the writer made is gone
    let mut w =
        PolsarproWriter::create(&dir, Matrix::T3, 2, 2, &PolsarproOptions::default()).unwrap();
    w.write(0, 0, &[1.0, 2.0]).unwrap();
    assert!(dir.is_dir());
    drop(w);
    assert!(!dir.exists());
    // finish with a plane short of rows: an error, nothing left
    let mut w =
        PolsarproWriter::create(&dir, Matrix::C2, 2, 1, &PolsarproOptions::default()).unwrap();
    for p in 0..3 {
        w.write(p, 0, &[1.0, 2.0]).unwrap();
    }
    let e = w.finish().unwrap_err().to_string();
    assert!(
        e.contains("C22.bin: unfinished: 0 of 1 rows written"),
        "{e}"
    );
    assert!(!dir.exists());
    // into an existing folder holding an element: refused without overwrite, nothing touched
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("C12_imag.bin"), b"old").unwrap();
    let e = write(&dir, Matrix::C2, 2, 1, &PolsarproOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("C12_imag.bin") && e.contains("exists"), "{e}");
    assert_eq!(listing(&dir), ["C12_imag.bin"]);
    // with overwrite it is replaced, the folder completed
    let opts = PolsarproOptions {
        output: OutputOptions {
            overwrite: true,
            ..Default::default()
        },
        ..Default::default()
    };
    write(&dir, Matrix::C2, 2, 1, &opts).unwrap();
    assert_eq!(listing(&dir).len(), 9);
    assert_eq!(PolsarproFolder::open(&dir).unwrap().matrix(), Matrix::C2);
    // a plane out of range
    let mut w = PolsarproWriter::create(
        &root.path().join("o2"),
        Matrix::C2,
        2,
        1,
        &PolsarproOptions::default(),
    )
    .unwrap();
    let e = w.write(4, 0, &[1.0, 2.0]).unwrap_err().to_string();
    assert!(e.contains("plane 4 of a C2 matrix (4 planes)"), "{e}");
}
