//! The streaming quick-look: block means with no-data left out, the histogram percentile
//! stretch, and PNG transparency only where there is no-data.

use despeckle_file::quicklook::QuickLook;

/// The colour type of the quick-look's PNG, as a decoder reads it.
fn png_colour(q: &QuickLook) -> png::ColorType {
    let mut buf = Vec::new();
    q.encode_png(&mut buf).unwrap();
    let reader = png::Decoder::new(std::io::Cursor::new(buf))
        .read_info()
        .unwrap();
    reader.info().color_type
}

#[test]
fn block_means_and_size() {
    let (w, h) = (10, 7);
    // A factor of 3: 4 × 3 blocks, the last column and row of blocks partial.
    let mut q = QuickLook::new(w, h, 4, Some(-1.0));
    assert_eq!(q.size(), (4, 3));
    let img: Vec<f64> = (0..w * h)
        .map(|i| if i == 0 { -1.0 } else { (i % w + 1) as f64 })
        .collect();
    // In pieces that do not follow row boundaries.
    q.add_rows(img[..13].iter().copied());
    q.add_rows(img[13..].iter().copied());
    let m = q.means();
    assert_eq!(m.len(), 12);
    // Block (0,0): columns 0..3 of rows 0..3, pixel (0,0) is no-data: 8 values.
    assert_eq!(
        m[0],
        (2.0 + 3.0 + 3.0 * (1.0 + 2.0 + 3.0) - 1.0 - 2.0 - 3.0) / 8.0
    );
    // Last column block: column 9 only; last row of blocks: row 6 only.
    assert_eq!(m[3], 10.0);
    assert_eq!(m[8], 2.0);
    assert_eq!(m[11], 10.0);

    // Every pixel counted exactly once, whatever pieces the rows arrive in: with a value of
    // its own per pixel, each block mean is checked against a plain loop over its pixels.
    let img: Vec<f64> = (0..w * h)
        .map(|i| if i == 0 { -1.0 } else { (i + 1) as f64 })
        .collect();
    for cuts in [vec![13, 14, 50], vec![1, 69], vec![10, 20, 30, 40, 50, 60]] {
        let mut q = QuickLook::new(w, h, 4, Some(-1.0));
        let mut start = 0;
        for end in cuts.into_iter().chain([w * h]) {
            q.add_rows(img[start..end].iter().copied());
            start = end;
        }
        let m = q.means();
        for (b, &got) in m.iter().enumerate() {
            let (bx, by) = (b % 4, b / 4);
            let vals: Vec<f64> = (by * 3..(by * 3 + 3).min(h))
                .flat_map(|y| (bx * 3..(bx * 3 + 3).min(w)).map(move |x| y * w + x))
                .filter(|&i| i != 0)
                .map(|i| img[i])
                .collect();
            let want = vals.iter().sum::<f64>() / vals.len() as f64;
            assert_eq!(got, want, "block {b}");
        }
    }
}

#[test]
fn stretch_percentiles_match_sorted_ones() {
    // 100 × 100 pixels, one block each; dB values 0, 0.1, … 999.9 in scrambled order. The
    // 2 % and 98 % percentiles are the 200th and 9800th values: 19.9 and 979.9 dB, found to
    // within a histogram bin (999.9 / 16383 = 0.061 dB).
    let mut q = QuickLook::new(100, 100, 1024, None);
    q.add_rows((0..10_000).map(|i| 10f64.powf(((i * 7919) % 10_000) as f64 / 100.0)));
    let (lo, hi) = q.stretch().unwrap();
    assert!((lo - 19.9).abs() < 0.062, "{lo}");
    assert!((hi - 979.9).abs() < 0.062, "{hi}");
    // Nothing valid: no stretch; a constant image: a one-decibel range from its value.
    assert_eq!(QuickLook::new(3, 3, 8, None).stretch(), None);
    let mut flat = QuickLook::new(2, 1, 8, None);
    flat.add_rows([1000.0, 1000.0]);
    assert_eq!(flat.stretch(), Some((30.0, 31.0)));
}

#[test]
fn png_has_transparency_only_with_nodata() {
    let mut q = QuickLook::new(4, 4, 1024, None);
    q.add_rows((0..16).map(|i| if i < 4 { f64::NAN } else { i as f64 }));
    assert_eq!(png_colour(&q), png::ColorType::GrayscaleAlpha);
    let (g, a) = q.grey_alpha();
    assert_eq!(&a[..4], &[0; 4]);
    assert!(a[4..].iter().all(|&v| v == 255));
    assert_eq!(g[4..].iter().min(), Some(&0));
    assert_eq!(g[4..].iter().max(), Some(&255));

    let mut full = QuickLook::new(4, 4, 1024, None);
    full.add_rows((1..=16).map(f64::from));
    assert_eq!(png_colour(&full), png::ColorType::Grayscale);
}
