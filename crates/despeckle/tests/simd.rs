//! The AVX2 and the baseline instruction-set variants of the engine give bit-identical
//! results (kept in its own test binary: it switches a process-wide setting).

mod common;

use despeckle::{EnhancedLee, ImageMut, ImageRef, LocalStats, Options, Statistic, filter};

#[test]
fn instruction_set_variants_agree() {
    let img = common::scene(301, 67, 1, 5, -1.0);
    let input = img.to_f32();
    let run = |portable: bool, stat: bool| {
        despeckle::engine::dispatch::force_portable_code(portable);
        let mut out = vec![0f32; input.len()];
        let opts = Options::new(7).unwrap().with_nodata(Some(-1.0));
        let src = ImageRef::new(&input, img.w, img.h).unwrap();
        let mut dst = ImageMut::new(&mut out, img.w, img.h).unwrap();
        if stat {
            filter(&LocalStats::new(Statistic::Cv), src, &mut dst, &opts).unwrap();
        } else {
            filter(&EnhancedLee::new(1.0).unwrap(), src, &mut dst, &opts).unwrap();
        }
        despeckle::engine::dispatch::force_portable_code(false);
        out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    };
    for stat in [false, true] {
        assert_eq!(run(true, stat), run(false, stat));
    }
    eprintln!(
        "AVX2 variant available: {}",
        despeckle::engine::dispatch::uses_avx2()
    );
}
