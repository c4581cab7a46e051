//! Every filter of the speckle family gives bit-identical results with the baseline
//! instruction set and with the widest variant this CPU runs (AVX2 or AVX-512): no fused
//! multiply-add or reassociation sneaks in. Its own test binary: it switches a process-wide
//! setting. (`DESPECKLE_SIMD=avx2 cargo test -p despeckle --test integration filters_simd` compares baseline and AVX2.)

mod common;

use despeckle::{
    Distance, EnhancedFrost, Filter, Frost, GammaMap, Idan, ImageMut, ImageRef, Kuan, Lee,
    LeeSigma, Median, Options, RefinedLee, Sample, filter,
};

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
fn instruction_set_variants_agree_for_every_filter() {
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
