//! The instruction-set variants of the engine (baseline, AVX2, AVX-512) give bit-identical
//! results for every filter of the speckle family: no fused multiply-add or reassociation
//! sneaks in. (`DESPECKLE_SIMD=avx2 cargo test -p despeckle --test integration simd_variants`
//! compares baseline and AVX2.)
//!
//! These tests switch a process-wide setting (`force_portable_code`). Other tests of the
//! binary may run meanwhile with either variant, which changes none of their results (that is
//! what is tested here); the switching tests themselves hold [`SWITCH`] so that one cannot
//! restore the automatic choice in the middle of another's baseline run.

use std::sync::{Mutex, MutexGuard};

use crate::common;

use despeckle::{
    Distance, EnhancedFrost, EnhancedLee, Filter, Frost, GammaMap, Idan, ImageMut, ImageRef, Kuan,
    Lee, LeeSigma, LocalStats, Median, Options, Ppb, RefinedLee, Sample, Statistic, filter,
    filter_planes,
};

static SWITCH: Mutex<()> = Mutex::new(());

fn switch() -> MutexGuard<'static, ()> {
    SWITCH.lock().unwrap_or_else(|e| e.into_inner())
}

fn bits<T: Sample, F: Filter>(f: &F, input: &[T], w: usize, h: usize, portable: bool) -> Vec<u64> {
    despeckle::engine::dispatch::force_portable_code(portable);
    let mut out = vec![T::default(); input.len()];
    let opts = Options::new(7).unwrap().with_nodata(Some(-1.0));
    filter(
        f,
        ImageRef::new(input, w, h).unwrap(),
        &mut ImageMut::new(&mut out, w, h).unwrap(),
        &opts,
    )
    .unwrap();
    despeckle::engine::dispatch::force_portable_code(false);
    out.iter().map(|v| v.to_f64().to_bits()).collect()
}

fn agree<F: Filter>(f: &F, img: &common::Img) {
    let v32 = img.to_f32();
    assert_eq!(
        bits(f, &v32, img.w, img.h, true),
        bits(f, &v32, img.w, img.h, false),
        "{} f32",
        f.name()
    );
    assert_eq!(
        bits(f, &img.v, img.w, img.h, true),
        bits(f, &img.v, img.w, img.h, false),
        "{} f64",
        f.name()
    );
}

#[test]
fn engine_variants_agree() {
    let _switch = switch();
    let img = common::scene(301, 67, 1, 5, -1.0);
    agree(&EnhancedLee::new(1.0).unwrap(), &img);
    agree(&LocalStats::new(Statistic::Cv), &img);
    eprintln!(
        "AVX2 variant available: {}",
        despeckle::engine::dispatch::uses_avx2()
    );
}

#[test]
fn instruction_set_variants_agree_for_every_filter() {
    let _switch = switch();
    let img = common::scene(203, 61, 1, 8, -1.0);
    let z98 = common::quantile(&img, 0.98, Some(-1.0));
    agree(&Lee::new(1.0).unwrap(), &img);
    agree(&Kuan::new(1.0).unwrap(), &img);
    agree(&GammaMap::new(1.0).unwrap(), &img);
    agree(&Frost::new(), &img);
    agree(
        &Frost::new().with_distance(Distance::Chebyshev).unwrap(),
        &img,
    );
    agree(&EnhancedFrost::new(1.0).unwrap(), &img);
    agree(&Median, &img);
    agree(&RefinedLee::new(), &img);
    agree(&LeeSigma::new(1.0, z98).unwrap(), &img);
    agree(&Idan::new(1.0).unwrap(), &img);
    eprintln!(
        "compared baseline with {:?}",
        despeckle::engine::dispatch::level()
    );
}

/// The non-local filter picks its own variant per row (its maths is compiled once per
/// instruction set, not per sample type): the same bits with the baseline.
#[test]
fn ppb_variants_agree() {
    let _switch = switch();
    let img = common::scene(150, 61, 1, 9, -1.0);
    let ppb = |portable: bool, f: &Ppb, v: &[f64]| {
        despeckle::engine::dispatch::force_portable_code(portable);
        let opts = Options::new(3).unwrap().with_nodata(Some(-1.0));
        let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        let (mut o64, mut o32) = (vec![0.0f64; v.len()], vec![0.0f32; v.len()]);
        let (w, h) = (img.w, img.h);
        filter_planes(
            f,
            &[ImageRef::new(v, w, h).unwrap()],
            &mut [ImageMut::new(&mut o64, w, h).unwrap()],
            &opts,
        )
        .unwrap();
        filter_planes(
            f,
            &[ImageRef::new(&v32, w, h).unwrap()],
            &mut [ImageMut::new(&mut o32, w, h).unwrap()],
            &opts,
        )
        .unwrap();
        despeckle::engine::dispatch::force_portable_code(false);
        let bits: Vec<u64> = o64.iter().map(|x| x.to_bits()).collect();
        (bits, o32.iter().map(|x| x.to_bits()).collect::<Vec<u32>>())
    };
    // the defaults' unrolled kernels (P = 7, 5, A = 3), and the generic ones
    let f = Ppb::new(1.0).unwrap().with_search(9).unwrap();
    let g = f.with_patch(3).unwrap().with_aggregation(1).unwrap();
    for (name, f) in [("defaults", f), ("P = 3, A = 1", g)] {
        assert!(
            ppb(true, &f, &img.v) == ppb(false, &f, &img.v),
            "ppb {name}"
        );
    }
}
