//! Property tests: out-of-place, in-place and streaming drivers, with 1, 2 and 7 threads and
//! any streaming block size, give bit-identical results, for f32 and f64, every border mode,
//! no-data or not, row strides larger than the width, and every filter of the crate.

use crate::common;

use common::{BORDERS, Img, scene};
use despeckle::{
    Distance, EnhancedFrost, EnhancedLee, Filter, Frost, GammaMap, Idan, ImageMut, ImageRef, Kuan,
    Lee, LeeSigma, LocalStats, Median, Options, RefinedLee, Sample, Statistic, filter,
    filter_in_place, filter_stream_blocks,
};

/// Runs [`all_drivers_agree`] for filter number `k` (0..FILTERS) of every kind in the crate.
fn agree_on(k: usize, img: &Img, use_f32: bool, base: Options, pad: usize) {
    fn go<F: Filter>(f: &F, img: &Img, use_f32: bool, base: Options, pad: usize) {
        if use_f32 {
            all_drivers_agree(f, &img.to_f32(), img.w, img.h, base, pad)
        } else {
            all_drivers_agree(f, &img.v, img.w, img.h, base, pad)
        }
    }
    let z98 = common::quantile(img, 0.98, base.nodata());
    // Refined Lee and Lee Sigma need a window of at least 5 (the drivers reject 3)
    let at_least_5 = Options::new(base.size().max(5))
        .unwrap()
        .with_border(base.border())
        .with_nodata(base.nodata());
    match k {
        0 => go(&EnhancedLee::new(2.0).unwrap(), img, use_f32, base, pad),
        1 => go(
            &LocalStats::new(Statistic::Variance),
            img,
            use_f32,
            base,
            pad,
        ),
        2 => go(
            &Lee::new(2.0).unwrap().with_ddof(1).unwrap(),
            img,
            use_f32,
            base,
            pad,
        ),
        3 => go(&Kuan::new(3.0).unwrap(), img, use_f32, base, pad),
        4 => go(&GammaMap::new(2.0).unwrap(), img, use_f32, base, pad),
        5 => go(&Frost::new(), img, use_f32, base, pad),
        6 => go(
            &Frost::new().with_distance(Distance::Chebyshev).unwrap(),
            img,
            use_f32,
            base,
            pad,
        ),
        7 => go(&EnhancedFrost::new(2.0).unwrap(), img, use_f32, base, pad),
        8 => go(&Median, img, use_f32, base, pad),
        9 => go(&RefinedLee::new(), img, use_f32, at_least_5, pad),
        10 => go(
            &LeeSigma::new(2.0, z98).unwrap(),
            img,
            use_f32,
            at_least_5,
            pad,
        ),
        _ => go(
            &Idan::new(2.0).unwrap().with_region(20).unwrap(),
            img,
            use_f32,
            base,
            pad,
        ),
    }
}

/// Number of filter kinds [`agree_on`] covers.
const FILTERS: usize = 12;
use proptest::prelude::*;

fn bits<T: Sample>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn all_drivers_agree<T: Sample, F: Filter>(
    f: &F,
    input: &[T],
    w: usize,
    h: usize,
    base: Options,
    pad: usize,
) {
    let opts = |t: usize| base.with_threads(Some(t));
    // out-of-place, 1 thread: the result the others must equal bit for bit
    let mut want = vec![T::default(); w * h];
    filter(
        f,
        ImageRef::new(input, w, h).unwrap(),
        &mut ImageMut::new(&mut want, w, h).unwrap(),
        &opts(1),
    )
    .unwrap();
    let want = bits(&want);

    for t in [2, 7] {
        let mut out = vec![T::default(); w * h];
        filter(
            f,
            ImageRef::new(input, w, h).unwrap(),
            &mut ImageMut::new(&mut out, w, h).unwrap(),
            &opts(t),
        )
        .unwrap();
        assert_eq!(bits(&out), want, "out-of-place, {t} threads");
    }
    // strided input and output (rows padded with junk that must neither be read nor written)
    let stride = w + pad;
    let mut strided_in = vec![T::from_f64(123.0); stride * h];
    for y in 0..h {
        strided_in[y * stride..y * stride + w].copy_from_slice(&input[y * w..(y + 1) * w]);
    }
    let mut strided_out = vec![T::from_f64(-5.0); stride * h];
    filter(
        f,
        ImageRef::with_stride(&strided_in, w, h, stride).unwrap(),
        &mut ImageMut::with_stride(&mut strided_out, w, h, stride).unwrap(),
        &opts(2),
    )
    .unwrap();
    let got: Vec<T> = (0..h)
        .flat_map(|y| strided_out[y * stride..y * stride + w].to_vec())
        .collect();
    assert_eq!(bits(&got), want, "strided");
    assert!((0..h).all(|y| {
        strided_out[y * stride + w..(y + 1) * stride]
            .iter()
            .all(|v| v.to_f64() == -5.0)
    }));

    for t in [1, 2, 7] {
        let mut buf = input.to_vec();
        filter_in_place(f, &mut ImageMut::new(&mut buf, w, h).unwrap(), &opts(t)).unwrap();
        assert_eq!(bits(&buf), want, "in place, {t} threads");
        let mut sbuf = strided_in.clone();
        filter_in_place(
            f,
            &mut ImageMut::with_stride(&mut sbuf, w, h, stride).unwrap(),
            &opts(t),
        )
        .unwrap();
        let got: Vec<T> = (0..h)
            .flat_map(|y| sbuf[y * stride..y * stride + w].to_vec())
            .collect();
        assert_eq!(bits(&got), want, "in place strided, {t} threads");
    }
    for (t, block) in [
        (1, Some(16)),
        (2, Some(16)),
        (2, Some(48)),
        (7, Some(32)),
        (2, None),
    ] {
        let mut out = vec![T::default(); w * h];
        let mut src = ImageRef::new(input, w, h).unwrap();
        let mut sink = ImageMut::new(&mut out, w, h).unwrap();
        filter_stream_blocks(f, &mut src, &mut sink, &opts(t), block).unwrap();
        assert_eq!(bits(&out), want, "stream, {t} threads, block {block:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn drivers_and_thread_counts_agree(
        w in 1usize..45,
        h in 1usize..90,
        size in prop::sample::select(vec![3usize, 5, 7, 11]),
        border in 0usize..BORDERS.len(),
        nodata in prop::option::of(Just(-1.0f64)),
        seed in any::<u64>(),
        pad in 0usize..3,
        use_f32 in any::<bool>(),
        kind in 0usize..FILTERS,
    ) {
        let img = scene(w, h, 2, seed, -1.0);
        let base = Options::new(size).unwrap().with_border(BORDERS[border]).with_nodata(nodata);
        agree_on(kind, &img, use_f32, base, pad);
    }
}

#[test]
fn every_filter_every_border_tall_image() {
    // every filter kind, every border, enough rows for several bands and streaming blocks
    let img = scene(23, 150, 1, 7, -1.0);
    for kind in 0..FILTERS {
        for (i, &border) in BORDERS.iter().enumerate() {
            let size = [5, 7, 9][(kind + i) % 3];
            let base = Options::new(size)
                .unwrap()
                .with_border(border)
                .with_nodata(Some(-1.0));
            agree_on(kind, &img, (kind + i) % 2 == 0, base, 1);
        }
    }
}

#[test]
fn tall_image_many_bands_and_blocks() {
    // enough rows for several bands per thread and several streaming blocks
    let img = scene(31, 700, 1, 99, -1.0);
    for &border in &BORDERS {
        let base = Options::new(9)
            .unwrap()
            .with_border(border)
            .with_nodata(Some(-1.0));
        all_drivers_agree(
            &EnhancedLee::new(1.0).unwrap(),
            &img.to_f32(),
            31,
            700,
            base,
            1,
        );
    }
}

#[test]
fn mismatched_output_is_an_error() {
    let v = vec![1.0f32; 12];
    let mut o = vec![0.0f32; 12];
    let e = filter(
        &despeckle::Mean,
        ImageRef::new(&v, 4, 3).unwrap(),
        &mut ImageMut::new(&mut o, 3, 4).unwrap(),
        &Options::new(3).unwrap(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("same size"), "{e}");
    assert!(o.iter().all(|&x| x == 0.0), "nothing written");
}
