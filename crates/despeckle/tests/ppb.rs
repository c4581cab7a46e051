//! The non-local filter (`Ppb`) against a plain float64 reference of its definition (loops over
//! every pixel, offset, aggregation shift and patch position; no running sums, no symmetry),
//! bit-identical across drivers, threads and blocks, and its behaviour on flat areas, edges
//! and point targets.

use crate::common;

use common::{BORDERS, Img, Rng, bounce, scene};
use despeckle::{
    Border, EnhancedLee, ImageMut, ImageRef, Options, Planes, Ppb, filter, filter_planes,
    filter_planes_in_place, filter_stream_planes,
};

/// The parameters of one reference run.
#[derive(Clone, Copy)]
struct Def {
    looks: f64,
    passes: usize,
    search: usize,
    patch: usize,
    agg: usize,
    pre: usize,
    strength: f64,
    patch2: usize,
    strength2: f64,
    /// The point-target rule's false-alarm probability (0: off).
    targets: f64,
}

impl Def {
    fn filter(&self) -> Ppb {
        Ppb::new(self.looks)
            .unwrap()
            .with_passes(self.passes)
            .unwrap()
            .with_search(self.search)
            .unwrap()
            .with_patch(self.patch)
            .unwrap()
            .with_aggregation(self.agg)
            .unwrap()
            .with_presmooth(self.pre)
            .unwrap()
            .with_strength(self.strength)
            .unwrap()
            .with_patch2(self.patch2)
            .unwrap()
            .with_strength2(self.strength2)
            .unwrap()
            .with_targets(self.targets)
            .unwrap()
    }

    fn passes(self, passes: usize) -> Def {
        Def { passes, ..self }
    }
}

/// ψ₁(x) by the series Σ_{k≥0} 1/(x + k)², summed to 10⁶ terms plus the tail 1/(x + 10⁶).
fn trigamma(x: f64) -> f64 {
    let n = 1_000_000;
    (0..n).map(|k| 1.0 / (x + k as f64).powi(2)).sum::<f64>() + 1.0 / (x + n as f64)
}

/// A value at a position of the extended image: `None` where not valid.
type Field<'a> = &'a dyn Fn(isize, isize) -> Option<f64>;

/// The ENL pass 2 trusts at most, `E₀`, and its flat top `φ` (docs/nonlocal.md §2–3).
const E0: f64 = 50.0;
const FLAT: f64 = 1.5;

/// Pass 2's comparison: the pilot's `u²` at any position, and the flat top `φ·P²`.
type Scaled<'a> = Option<Field<'a>>;

/// One pass of docs/nonlocal.md §1 at every pixel of a `w × h` image, in float64: `value` the
/// values averaged, `guide` the logs compared (both at any position, `None` where not valid);
/// search radius `rw`, patch radius `rp`, aggregation radius `ra`, parameter `hh`; `scale`:
/// pass 2's `u²` (each `e` times `max(u²(q), u²(q + d))`, and the flat top `φ·P²`); `keep`:
/// which pixels are point targets (§4), returned unchanged with `u²` as if no other weight were
/// positive. Per valid pixel: the estimate, the `u² = 1/(2v)` of its weights for `looks` (§2),
/// and whether the pass returned the pixel unchanged (a point target or no positive weight).
#[allow(clippy::too_many_arguments)]
fn one_pass(
    (w, h): (isize, isize),
    value: Field<'_>,
    guide: Field<'_>,
    scale: Scaled<'_>,
    rw: isize,
    rp: isize,
    ra: isize,
    hh: f64,
    looks: f64,
    keep: Keep<'_>,
) -> Vec<Option<Pixel>> {
    let p2 = ((2 * rp + 1) * (2 * rp + 1)) as f64;
    let m = rw + rp + ra;
    let (gw, gh) = (w + 2 * m, h + 2 * m);
    let mut g = vec![None; (gw * gh) as usize];
    let mut u = vec![1.0; (gw * gh) as usize];
    for y in -m..h + m {
        for x in -m..w + m {
            let i = ((y + m) * gw + x + m) as usize;
            g[i] = guide(y, x);
            if let (Some(_), Some(sc)) = (g[i], scale) {
                u[i] = sc(y, x).expect("a scale where the guide is valid");
            }
        }
    }
    let gat = |y: isize, x: isize| g[((y + m) * gw + x + m) as usize];
    let uat = |y: isize, x: isize| u[((y + m) * gw + x + m) as usize];
    let flat = if scale.is_some() { FLAT * p2 } else { 0.0 };
    // ω(u, d): the patch-pair weight
    let omega = |uy: isize, ux: isize, dy: isize, dx: isize| -> f64 {
        let (mut s, mut n) = (0.0, 0.0);
        for ky in -rp..=rp {
            for kx in -rp..=rp {
                let (qy, qx) = (uy + ky, ux + kx);
                if let (Some(a), Some(b)) = (gat(qy, qx), gat(qy + dy, qx + dx)) {
                    s += (a - b) * (a - b) * uat(qy, qx).max(uat(qy + dy, qx + dx));
                    n += 1.0;
                }
            }
        }
        if n == 0.0 {
            return 0.0;
        }
        let t = (p2 * s / n - flat).max(0.0) / hh;
        if t <= 30.0 { (-t).exp() } else { 0.0 }
    };
    // ω(u, d) for every offset d and every u of the image grown by ra, each computed once
    let (ow, oh) = (w + 2 * ra, h + 2 * ra);
    let side = 2 * rw + 1;
    let mut om = vec![0.0; (side * side * ow * oh) as usize];
    for dy in -rw..=rw {
        for dx in -rw..=rw {
            let o = ((dy + rw) * side + dx + rw) * ow * oh;
            for uy in -ra..h + ra {
                for ux in -ra..w + ra {
                    om[(o + (uy + ra) * ow + ux + ra) as usize] = omega(uy, ux, dy, dx);
                }
            }
        }
    }
    let omega_at = |uy: isize, ux: isize, dy: isize, dx: isize| -> f64 {
        let o = ((dy + rw) * side + dx + rw) * ow * oh;
        om[(o + (uy + ra) * ow + ux + ra) as usize]
    };
    let mut out = vec![None; (w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            let Some(c) = value(y, x) else {
                continue;
            };
            let (mut num, mut den, mut max, mut sq) = (0.0, 0.0, 0.0f64, 0.0);
            // the sums over the pixels outside the 3 × 3 neighbourhood (the point-target rule)
            let (mut far_num, mut far_den) = (0.0, 0.0);
            for dy in -rw..=rw {
                for dx in -rw..=rw {
                    if dy == 0 && dx == 0 {
                        continue;
                    }
                    let Some(t) = value(y + dy, x + dx) else {
                        continue;
                    };
                    let mut wt = 0.0;
                    for jy in -ra..=ra {
                        for jx in -ra..=ra {
                            wt += omega_at(y - jy, x - jx, dy, dx);
                        }
                    }
                    num += wt * t;
                    den += wt;
                    sq += wt * wt;
                    max = max.max(wt);
                    if dy.abs().max(dx.abs()) >= 2 {
                        far_num += wt * t;
                        far_den += wt;
                    }
                }
            }
            // a point target (pass 1): brighter than κ times the weighted mean of the pixels
            // outside the 3 × 3 neighbourhood, or no positive weight outside it; pass 2: the
            // pixels pass 1 returned unchanged
            let target = match keep {
                Keep::Off => false,
                Keep::Ratio(q) => far_den == 0.0 || (far_num > 0.0 && c > q * far_num / far_den),
                Keep::Alone(pilot) => pilot[(y * w + x) as usize].is_some_and(|p| p.2),
            };
            if target {
                out[(y * w + x) as usize] = Some((c, E0 * looks / 2.0, true));
                continue;
            }
            // the pilot's log-variance from the ENL of the weights; no positive weight: 1/(E₀·L)
            let v = if max + den > 0.0 {
                let enl = (max + den).powi(2) / (max * max + sq);
                (1.0 / enl + 1.0 / E0) / looks
            } else {
                1.0 / (E0 * looks)
            };
            let est = if max + den > 0.0 {
                (max * c + num) / (max + den)
            } else {
                c
            };
            out[(y * w + x) as usize] = Some((est, 0.5 / v, max + den == 0.0));
        }
    }
    out
}

/// One pass's result at a pixel: the estimate, the `u²` of its weights, and whether the pass
/// returned the pixel unchanged (a point target, or no other positive weight).
type Pixel = (f64, f64, bool);

/// A pass's point-target rule (docs/nonlocal.md §4).
#[derive(Clone, Copy)]
enum Keep<'a> {
    Off,
    /// Pass 1 (or the only pass): the pixels brighter than `κ` times the weighted mean of the
    /// pixels outside their 3 × 3 neighbourhood, or with no positive weight outside it.
    Ratio(f64),
    /// Pass 2: the pixels pass 1 returned unchanged.
    Alone(&'a [Option<Pixel>]),
}

/// The point-target ratio `κ` of `d`: `P(X > κ) = p` for `X ~ Gamma(L, rate L)`, by bisection
/// on the tail `Q(L, L·q)` summed as a series (`Q(a, x) = e^{−x} Σ_k x^k/k!` for whole `L`;
/// the tests use whole numbers of looks); `∞` when the rule is off.
fn target_ratio(d: &Def) -> f64 {
    if d.targets == 0.0 {
        return f64::INFINITY;
    }
    assert_eq!(d.looks.fract(), 0.0, "whole looks for the reference's tail");
    let tail = |q: f64| {
        let x = d.looks * q;
        let (mut term, mut sum) = (1.0, 1.0);
        for k in 1..d.looks as usize {
            term *= x / k as f64;
            sum += term;
        }
        (-x).exp() * sum
    };
    let (mut lo, mut hi) = (0.0, 1000.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > d.targets {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

/// The definition of docs/nonlocal.md (§2 pass 1, §3 pass 2), pixel by pixel, in float64.
fn reference(img: &Img, d: &Def, border: Border, nodata: Option<f64>) -> Vec<f64> {
    let (w, h) = (img.w as isize, img.h as isize);
    let (rw, ra, rb) = (
        (d.search / 2) as isize,
        (d.agg / 2) as isize,
        (d.pre / 2) as isize,
    );
    let eps = 2f64.powi(-126);
    // the value at (y, x) of the image extended by the border mode, None if not valid
    let value = |y: isize, x: isize| -> Option<f64> {
        let v = match (bounce(border, y, img.h), bounce(border, x, img.w), border) {
            (Some(sy), Some(sx), _) => img.at(sx as usize, sy as usize),
            (_, _, Border::Constant(c)) => c,
            _ => return None,
        };
        (v.is_finite() && Some(v) != nodata).then_some(v)
    };
    // pass 1's guide: ln max(mean of the valid values of the b × b window, 2^-126)
    let guide1 = |y: isize, x: isize| -> Option<f64> {
        value(y, x)?;
        let (mut s, mut n) = (0.0, 0.0);
        for i in -rb..=rb {
            for j in -rb..=rb {
                if let Some(v) = value(y + i, x + j) {
                    s += v;
                    n += 1.0;
                }
            }
        }
        Some((s / n).max(eps).ln())
    };
    let h1 =
        d.strength * (d.patch * d.patch) as f64 * 2.0 * trigamma((d.pre * d.pre) as f64 * d.looks);
    let pilot = one_pass(
        (w, h),
        &value,
        &guide1,
        None,
        rw,
        (d.patch / 2) as isize,
        ra,
        h1,
        d.looks,
        match target_ratio(d) {
            q if q.is_finite() => Keep::Ratio(q),
            _ => Keep::Off,
        },
    );
    let done = |est: Vec<Option<Pixel>>| -> Vec<f64> {
        est.iter()
            .zip(&img.v)
            .map(|(e, &v)| e.map_or(v, |e| e.0))
            .collect()
    };
    if d.passes == 1 {
        return done(pilot);
    }
    // pass 2's guide: ln max(the pilot extended by the border mode, 2^-126), valid where the
    // input is
    let guide2 = |y: isize, x: isize| -> Option<f64> {
        value(y, x)?;
        let p = match (bounce(border, y, img.h), bounce(border, x, img.w), border) {
            (Some(sy), Some(sx), _) => pilot[(sy * w + sx) as usize]?.0,
            (_, _, Border::Constant(c)) => c,
            _ => return None,
        };
        Some(p.max(eps).ln())
    };
    // the pilot's u², extended likewise; a constant border has no noise left: E₀·L/2
    let scale2 = |y: isize, x: isize| -> Option<f64> {
        match (bounce(border, y, img.h), bounce(border, x, img.w), border) {
            (Some(sy), Some(sx), _) => Some(pilot[(sy * w + sx) as usize]?.1),
            (_, _, Border::Constant(_)) => Some(E0 * d.looks / 2.0),
            _ => None,
        }
    };
    let h2 = d.strength2 * (d.patch2 * d.patch2) as f64;
    done(one_pass(
        (w, h),
        &value,
        &guide2,
        Some(&scale2),
        rw,
        (d.patch2 / 2) as isize,
        ra,
        h2,
        d.looks,
        if d.targets > 0.0 {
            Keep::Alone(&pilot)
        } else {
            Keep::Off
        },
    ))
}

fn run_f64(f: &Ppb, img: &Img, opts: &Options) -> Vec<f64> {
    let mut out = vec![0.0; img.v.len()];
    filter_planes(
        f,
        &[ImageRef::new(&img.v, img.w, img.h).unwrap()],
        &mut [ImageMut::new(&mut out, img.w, img.h).unwrap()],
        opts,
    )
    .unwrap();
    out
}

/// Compares to the reference: 1e-4 relative (the filter computes in f32: guides rounded to
/// 2⁻²⁴ relative, f32 running sums of at most P rows, sums of ≤ W² weights in f32), plus
/// 1e-6 of the mean absolute input value absolute. The absolute part is for the pixels of zero areas
/// (and areas much darker than their neighbours): their pass-2 output is a zero averaged with
/// vanishing weights of brighter pixels, weights `exp(−D/h)` with `D` near the cut-off made
/// of `(ln ε − ln x)² ≈ 7600` terms, whose f32 sums carry an absolute error ≈ 1e-3 — a
/// relative error of that order in output values 1e-4 … 1e-11 of the image's level.
fn check(img: &Img, d: &Def, border: Border, nodata: Option<f64>, what: &str) {
    let opts = Options::new(3)
        .unwrap()
        .with_border(border)
        .with_nodata(nodata);
    let got = run_f64(&d.filter(), img, &opts);
    let want = reference(img, d, border, nodata);
    let finite: Vec<f64> = img
        .v
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| v.abs())
        .collect();
    let scale = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
    let mut bad = vec![];
    for (i, (&g, &r)) in got.iter().zip(&want).enumerate() {
        let same_bits = g.to_bits() == r.to_bits();
        if !(same_bits || (g - r).abs() <= 1e-4 * r.abs() + 1e-6 * scale) {
            bad.push(format!(
                "({}, {}): got {g}, want {r}, in {}",
                i % img.w,
                i / img.w,
                img.v[i]
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{what} {border:?}: {} pixels: {}",
        bad.len(),
        bad[..bad.len().min(8)].join("; ")
    );
}

/// Two passes, small windows (fast references).
const SMALL: Def = Def {
    looks: 1.0,
    passes: 2,
    search: 7,
    patch: 3,
    agg: 3,
    pre: 3,
    strength: 0.4,
    patch2: 3,
    strength2: 0.7,
    targets: 1e-5,
};

/// The defaults.
const DEFAULTS: Def = Def {
    looks: 1.0,
    passes: 2,
    search: 23,
    patch: 7,
    agg: 3,
    pre: 3,
    strength: 0.35,
    patch2: 5,
    strength2: 0.7,
    targets: 1e-5,
};

#[test]
fn matches_the_reference_with_every_border_no_data_and_zeros() {
    let img = scene(23, 19, 1, 5, -1.0);
    for border in BORDERS.into_iter().chain([Border::Constant(f64::NAN)]) {
        for passes in [1, 2] {
            let what = format!("scene, {passes} passes");
            check(&img, &SMALL.passes(passes), border, Some(-1.0), &what);
        }
    }
}

#[test]
fn two_passes_with_the_defaults_match_the_reference() {
    // taller than the warm-up and the lag, so that pass 2 runs on rows far from both edges
    let img = scene(30, 70, 1, 8, -1.0);
    for border in [Border::Reflect, Border::Nearest, Border::Constant(2.0)] {
        check(&img, &DEFAULTS, border, Some(-1.0), "defaults");
    }
    let img4 = scene(26, 40, 4, 9, -1.0);
    let d4 = Def {
        looks: 4.0,
        ..DEFAULTS
    };
    check(&img4, &d4, Border::Wrap, None, "defaults, L = 4");
}

#[test]
fn matches_the_reference_for_other_parameters() {
    let img = scene(20, 22, 2, 9, -1.0);
    let base = Def {
        looks: 4.0,
        passes: 2,
        search: 5,
        patch: 5,
        agg: 1,
        pre: 1,
        strength: 0.3,
        patch2: 1,
        strength2: 1.0,
        targets: 1e-3,
    };
    for (i, d) in [
        base,
        Def {
            looks: 2.5,
            search: 9,
            patch: 1,
            agg: 5,
            pre: 3,
            strength: 1.0,
            patch2: 5,
            strength2: 0.4,
            targets: 0.0,
            ..base
        },
        Def {
            looks: 1.0,
            search: 3,
            patch: 7,
            agg: 3,
            pre: 5,
            strength: 0.2,
            patch2: 7,
            strength2: 0.7,
            targets: 0.2,
            ..base
        },
    ]
    .iter()
    .enumerate()
    {
        for passes in [1, 2] {
            let what = format!("params {i}, {passes} passes");
            check(&img, &d.passes(passes), Border::Reflect, Some(-1.0), &what);
            check(&img, &d.passes(passes), Border::Shrink, None, &what);
        }
    }
}

#[test]
fn images_smaller_than_the_search_window() {
    let mut rng = Rng::new(4);
    for (w, h) in [(1, 1), (3, 2), (6, 5), (12, 9)] {
        let img = Img {
            w,
            h,
            v: (0..w * h).map(|_| 1.0 + 3.0 * rng.speckle(1)).collect(),
        };
        for border in BORDERS {
            for passes in [1, 2] {
                let what = format!("{w} × {h}, {passes} passes");
                check(&img, &DEFAULTS.passes(passes), border, None, &what);
            }
        }
    }
}

#[test]
fn a_constant_image_is_returned_unchanged() {
    for c in [0.0, 1.0, 7.25, 1e30] {
        let img = Img {
            w: 30,
            h: 40,
            v: vec![c; 1200],
        };
        let got = run_f64(&Ppb::new(1.0).unwrap(), &img, &Options::new(3).unwrap());
        for &g in &got {
            // every difference to the centre is 0: exactly c
            assert!(g == c, "constant {c}: got {g}");
        }
    }
}

/// Runs with every driver, 1–3 threads and several block heights; asserts equal bits.
fn all_drivers(f: &Ppb, img: &[f32], w: usize, h: usize, opts: Options) -> Vec<f32> {
    let mut reference: Option<Vec<f32>> = None;
    let mut check = |got: Vec<f32>, what: &str| match &reference {
        None => reference = Some(got),
        Some(r) => {
            let diff = r
                .iter()
                .zip(&got)
                .position(|(a, b)| a.to_bits() != b.to_bits());
            assert!(diff.is_none(), "{what}: pixel {diff:?} differs");
        }
    };
    for threads in [1, 2, 3] {
        let o = opts.with_threads(Some(threads));
        let mut out = vec![0.0f32; w * h];
        filter_planes(
            f,
            &[ImageRef::new(img, w, h).unwrap()],
            &mut [ImageMut::new(&mut out, w, h).unwrap()],
            &o,
        )
        .unwrap();
        check(out, &format!("out of place, {threads} threads"));
        let mut inplace = img.to_vec();
        filter_planes_in_place(f, &mut [ImageMut::new(&mut inplace, w, h).unwrap()], &o).unwrap();
        check(inplace, &format!("in place, {threads} threads"));
        for block in [16, 48, 1000] {
            let mut out = vec![0.0f32; w * h];
            filter_stream_planes(
                f,
                &mut Planes(vec![ImageRef::new(img, w, h).unwrap()]),
                &mut Planes(vec![ImageMut::new(&mut out, w, h).unwrap()]),
                &o,
                Some(block),
            )
            .unwrap();
            check(
                out,
                &format!("stream, blocks of {block}, {threads} threads"),
            );
        }
    }
    reference.unwrap()
}

#[test]
fn drivers_threads_and_blocks_agree_bit_for_bit() {
    let img = scene(41, 120, 1, 3, -1.0);
    let data = img.to_f32();
    for border in [
        Border::Reflect,
        Border::Shrink,
        Border::Nearest,
        Border::Wrap,
    ] {
        let opts = Options::new(3)
            .unwrap()
            .with_border(border)
            .with_nodata(Some(-1.0));
        for passes in [1, 2] {
            all_drivers(&SMALL.passes(passes).filter(), &data, img.w, img.h, opts);
        }
        // and with the defaults (W = 23, P₁ = 7, P₂ = 5): warm-up and lag longer than a block
        all_drivers(&DEFAULTS.filter(), &data, img.w, img.h, opts);
    }
}

/// An image wide enough for at least two column tasks per worker at one and two threads: the
/// streaming driver carries one band from block to block (no warm-up per block, rows read
/// `delay` rows ahead). Blocks of 16 and 48 rows cut it in many places, against the in-memory
/// drivers and three threads (bands per block), with no-data, NaN and every border that maps
/// rows from elsewhere.
#[test]
fn a_band_carried_across_streamed_blocks_gives_the_same_bits() {
    let img = scene(800, 90, 1, 21, -1.0);
    let data = img.to_f32();
    let f = DEFAULTS.filter();
    assert!(
        despeckle::MultiFilter::column_tasks(
            &f,
            img.w,
            &Options::new(3).unwrap().with_threads(Some(2))
        ) >= 4,
        "the test needs two column tasks per worker at two threads"
    );
    for border in [Border::Reflect, Border::Wrap, Border::Constant(2.0)] {
        let opts = Options::new(3)
            .unwrap()
            .with_border(border)
            .with_nodata(Some(-1.0));
        all_drivers(&f, &data, img.w, img.h, opts);
    }
    let opts = Options::new(3).unwrap().with_nodata(Some(-1.0));
    all_drivers(&SMALL.passes(1).filter(), &data, img.w, img.h, opts);
    // images shorter than a block, than the warm-up and than the lag
    for h in [1, 5, 17, 40] {
        let img = scene(800, h, 1, 22, -1.0);
        all_drivers(&f, &img.to_f32(), img.w, img.h, opts);
    }
}

/// Two planes streamed with the carried band (each plane its own chain): the in-memory result,
/// bit for bit, whatever the blocks.
#[test]
fn a_carried_band_streams_every_plane() {
    let (w, h) = (800, 50);
    let planes: Vec<Vec<f32>> = [23, 24]
        .iter()
        .map(|&seed| scene(w, h, 1, seed, -1.0).to_f32())
        .collect();
    let f = SMALL.filter();
    let opts = Options::new(3)
        .unwrap()
        .with_nodata(Some(-1.0))
        .with_threads(Some(1));
    let inputs: Vec<ImageRef<'_, f32>> = planes
        .iter()
        .map(|p| ImageRef::new(p, w, h).unwrap())
        .collect();
    let mut want = vec![vec![0.0f32; w * h]; 2];
    {
        let mut outs: Vec<ImageMut<'_, f32>> = want
            .iter_mut()
            .map(|o| ImageMut::new(o, w, h).unwrap())
            .collect();
        filter_planes(&f, &inputs, &mut outs, &opts).unwrap();
    }
    for block in [16, 32] {
        let mut got = vec![vec![0.0f32; w * h]; 2];
        {
            let mut outs: Vec<ImageMut<'_, f32>> = got
                .iter_mut()
                .map(|o| ImageMut::new(o, w, h).unwrap())
                .collect();
            filter_stream_planes(
                &f,
                &mut Planes(inputs.clone()),
                &mut Planes(outs.iter_mut().collect()),
                &opts,
                Some(block),
            )
            .unwrap();
        }
        for (plane, (g, e)) in got.iter().zip(&want).enumerate() {
            let diff = g
                .iter()
                .zip(e)
                .position(|(a, b)| a.to_bits() != b.to_bits());
            assert!(
                diff.is_none(),
                "plane {plane}, blocks of {block}: pixel {diff:?} differs"
            );
        }
    }
}

/// A reach shorter than the rows between two tiles: with a 3 × 3 search and patch, no
/// aggregation and a 9 × 9 local mean, a row must be loaded before the call that loads a
/// tile's rows in one batch (its local mean would have left the engine's window by then).
/// The reference, and every driver, thread count and block, still agree.
#[test]
fn rows_that_leave_the_window_between_tiles_load_early() {
    let def = Def {
        search: 3,
        patch: 3,
        agg: 1,
        pre: 9,
        patch2: 3,
        ..SMALL
    };
    let img = scene(37, 70, 1, 15, -1.0);
    for passes in [1, 2] {
        check(
            &img,
            &def.passes(passes),
            Border::Reflect,
            Some(-1.0),
            "9 × 9 mean",
        );
        let opts = Options::new(3).unwrap().with_nodata(Some(-1.0));
        all_drivers(
            &def.passes(passes).filter(),
            &img.to_f32(),
            img.w,
            img.h,
            opts,
        );
    }
}

/// Invalid pixels (NaN, no-data, zeros) only in the leftmost columns, as along a swath's edge:
/// the blocks of columns that read none of them take the loops without masks, the others the
/// masked ones, and the reference, every driver, thread count and block agree.
#[test]
fn blocks_clear_of_invalid_pixels_agree_with_the_masked_ones() {
    let mut img = scene(1100, 20, 1, 16, -1.0);
    for y in 0..img.h {
        for x in 30..img.w {
            let v = &mut img.v[y * img.w + x];
            if v.is_nan() || *v == -1.0 {
                *v = 1.5;
            }
        }
    }
    let opts = Options::new(3).unwrap().with_nodata(Some(-1.0));
    for def in [SMALL.passes(1), SMALL] {
        check(
            &img,
            &def,
            Border::Reflect,
            Some(-1.0),
            "invalid on the left",
        );
        all_drivers(&def.filter(), &img.to_f32(), img.w, img.h, opts);
    }
}

/// Five blocks of columns: with one and two workers the drivers run one band whose blocks
/// the workers share, with three a band per worker (`MultiFilter::column_tasks`); every way
/// gives the same bits.
#[test]
fn blocks_shared_by_the_workers_agree_with_bands_bit_for_bit() {
    let img = scene(2200, 40, 1, 14, -1.0);
    let data = img.to_f32();
    let opts = Options::new(3).unwrap().with_nodata(Some(-1.0));
    all_drivers(&SMALL.filter(), &data, img.w, img.h, opts);
    all_drivers(&DEFAULTS.passes(1).filter(), &data, img.w, img.h, opts);
    let opts = opts.with_border(Border::Wrap);
    all_drivers(&SMALL.filter(), &data, img.w, img.h, opts);
}

/// Wider than several of the blocks of columns the filter's loop runs over (512), so that
/// pairs reach across block edges, and crops of it whose columns do not line up with those
/// blocks.
#[test]
fn wide_images_match_the_reference_and_their_column_crops_bit_for_bit() {
    let img = scene(1100, 9, 1, 12, -1.0);
    check(
        &img,
        &DEFAULTS.passes(1),
        Border::Reflect,
        Some(-1.0),
        "1100 wide",
    );
    let img = scene(1100, 24, 1, 13, -1.0);
    let data = img.to_f32();
    let opts = Options::new(3).unwrap().with_nodata(Some(-1.0));
    for passes in [1, 2] {
        let f = DEFAULTS.passes(passes).filter();
        let run = |img: &[f32], w: usize| {
            let mut out = vec![0.0f32; img.len()];
            filter_planes(
                &f,
                &[ImageRef::new(img, w, img.len() / w).unwrap()],
                &mut [ImageMut::new(&mut out, w, img.len() / w).unwrap()],
                &opts,
            )
            .unwrap();
            out
        };
        let whole = run(&data, img.w);
        let r = f.reach();
        for (x0, x1) in [(0usize, 531usize), (477, 1050), (1000, 1100)] {
            let (c0, c1) = (x0.saturating_sub(r), (x1 + r).min(img.w));
            let cw = c1 - c0;
            let crop: Vec<f32> = (0..img.h)
                .flat_map(|y| data[y * img.w + c0..y * img.w + c1].to_vec())
                .collect();
            let got = run(&crop, cw);
            for y in 0..img.h {
                for x in x0..x1 {
                    let (a, b) = (whole[y * img.w + x], got[y * cw + x - c0]);
                    assert_eq!(
                        a.to_bits(),
                        b.to_bits(),
                        "{passes} passes, crop {x0}..{x1}: ({x}, {y}) {a} vs {b}"
                    );
                }
            }
        }
    }
}

/// Equivalent number of looks `mean² / variance` of a set of values.
fn enl(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    m * m / var
}

#[test]
fn flat_areas_edges_and_point_targets() {
    let (w, h) = (96, 96);
    let mut rng = Rng::new(17);
    let truth = |x: usize, y: usize| {
        if x == 70 && y == 30 {
            400.0
        } else if x < 48 {
            1.0
        } else {
            8.0
        }
    };
    let v: Vec<f64> = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            let t = truth(x, y);
            if t > 100.0 { t } else { t * rng.speckle(1) }
        })
        .collect();
    let img = Img { w, h, v };
    let opts = Options::new(7).unwrap();
    let got = run_f64(&Ppb::new(1.0).unwrap(), &img, &opts);
    let mut lee = vec![0.0; w * h];
    filter(
        &EnhancedLee::new(1.0).unwrap(),
        ImageRef::new(&img.v, w, h).unwrap(),
        &mut ImageMut::new(&mut lee, w, h).unwrap(),
        &opts,
    )
    .unwrap();
    let flat = |out: &[f64]| -> Vec<f64> {
        (20..76)
            .flat_map(|y| (8..40).map(move |x| (x, y)))
            .map(|(x, y)| out[y * w + x])
            .collect()
    };
    let (e_nl, e_lee) = (enl(&flat(&got)), enl(&flat(&lee)));
    assert!(
        e_nl > 3.0 * e_lee && e_nl > 60.0,
        "ENL {e_nl} vs Enhanced Lee {e_lee}"
    );
    // the edge: columns two away on each side keep their levels (mean over the rows)
    let col = |x: usize| (10..86).map(|y| got[y * w + x]).sum::<f64>() / 76.0;
    assert!((col(45) - 1.0).abs() < 0.25, "dark side {}", col(45));
    assert!((col(50) - 8.0).abs() < 2.0, "bright side {}", col(50));
    // point targets on the background 8 (1 look), without the point-target rule
    // (`targets = 0`). 50 × (17 dB): one pass keeps it the brightest pixel at several times the
    // background (its patch differs from the others in one position of P², within the 1-look
    // noise of the patch sums); the pilot has spread it over its 3 × 3 neighbours, and pass 2,
    // comparing pilot patches, averages it down to between 1.25 × and 6 × the background
    // (docs/filters.md, "Point targets"). 1000 × (30 dB): two passes keep it the brightest
    // pixel at more than 10 × the background. 10⁴ × (40 dB): every patch pair holding it is
    // beyond the cut-off, so both passes return it unchanged.
    let target = |amp: f64, passes: usize, targets: f64| -> (f64, f64) {
        let mut img = Img {
            w,
            h,
            v: img.v.clone(),
        };
        img.v[30 * w + 70] = amp;
        let f = Ppb::new(1.0)
            .unwrap()
            .with_passes(passes)
            .unwrap()
            .with_targets(targets)
            .unwrap();
        let g = run_f64(&f, &img, &opts);
        (g[30 * w + 70], g.iter().cloned().fold(0.0, f64::max))
    };
    let (t, brightest) = target(400.0, 1, 0.0);
    assert!(
        t == brightest && t > 2.5 * 8.0,
        "1 pass, 50 ×: {t}, {brightest}"
    );
    let (t, _) = target(400.0, 2, 0.0);
    assert!(t > 1.25 * 8.0 && t < 400.0 / 8.0, "2 passes, 50 ×: {t}");
    let (t, brightest) = target(8000.0, 2, 0.0);
    assert!(
        t == brightest && t > 10.0 * 8.0,
        "2 passes, 1000 ×: {t}, {brightest}"
    );
    for passes in [1, 2] {
        let (t, _) = target(80000.0, passes, 0.0);
        assert_eq!(t, 80000.0, "{passes} passes, 10⁴ ×");
    }
    // with the rule (default p = 1e−5, κ = 11.5 at one look), every target from 20 × (13 dB)
    // up is returned unchanged by both passes; 10 × is below κ and is averaged
    for amp in [160.0, 400.0, 8000.0, 80000.0] {
        for passes in [1, 2] {
            let (t, _) = target(amp, passes, 1e-5);
            assert_eq!(t, amp, "{passes} passes, {} ×, with the rule", amp / 8.0);
        }
    }
    let (t, _) = target(80.0, 2, 1e-5);
    assert!(t < 40.0, "2 passes, 10 ×, with the rule: {t}");
}

/// The point-target rule (`targets`, docs/nonlocal.md §4): single bright pixels and 2 × 2
/// clusters are returned unchanged (which the filter without the rule averages away), and a
/// very bright cluster leaves no halo on its neighbours; on pure speckle the rule keeps as few
/// pixels as its false-alarm probability says.
#[test]
fn the_point_target_rule_keeps_targets_and_little_speckle() {
    let (w, h) = (96, 96);
    let mut rng = Rng::new(23);
    let speckle: Vec<f64> = (0..w * h).map(|_| 8.0 * rng.speckle(1)).collect();
    let opts = Options::new(7).unwrap();
    let run = |v: &[f64], targets: f64| {
        let img = Img {
            w,
            h,
            v: v.to_vec(),
        };
        let f = Ppb::new(1.0).unwrap().with_targets(targets).unwrap();
        run_f64(&f, &img, &opts)
    };
    // pure speckle: pixels returned unchanged (the rule, or no other positive weight)
    let same = |out: &[f64], v: &[f64]| out.iter().zip(v).filter(|(o, v)| o == v).count();
    assert!(same(&run(&speckle, 1e-5), &speckle) <= 1);
    let many = same(&run(&speckle, 0.05), &speckle);
    assert!(many > 20, "p = 0.05 keeps {many} pixels");
    // single pixels at 20 × and 30 × the background (13 and 15 dB), 2 × 2 clusters at 30 ×
    // (which the rule against the mean of every other pixel left at about half its power: the
    // cluster's pixels weigh each other) and 100 ×
    let square = |x: usize, y: usize, amp: f64| {
        [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)].map(|(x, y)| (x, y, amp))
    };
    let mut cluster = vec![(20, 70, 160.0), (75, 60, 240.0)];
    cluster.extend(square(40, 40, 800.0));
    cluster.extend(square(15, 20, 240.0));
    // and at 1000 × (30 dB): its pixels resemble no pixel outside their neighbourhood
    let bright = square(70, 20, 8000.0);
    let mut v = speckle.clone();
    for &(x, y, amp) in cluster.iter().chain(&bright) {
        v[y * w + x] = amp;
    }
    let (with, without) = (run(&v, 1e-5), run(&v, 0.0));
    for &(x, y, _) in cluster.iter().chain(&bright) {
        let i = y * w + x;
        assert_eq!(with[i], v[i], "({x}, {y}) with the rule");
    }
    for &(x, y, _) in &cluster {
        let i = y * w + x;
        assert!(
            without[i] < 0.9 * v[i],
            "({x}, {y}) without: {}",
            without[i]
        );
    }
    // the 1000 × cluster's twelve neighbours keep their speckle (without the rule they take
    // in some of its power)
    let ring = (69..=72).flat_map(|x| (19..=22).map(move |y| (x, y)));
    for (x, y) in ring.filter(|&(x, y)| !(70..=71).contains(&x) || !(20..=21).contains(&y)) {
        let i = y * w + x;
        assert!(
            with[i] < 10.0 * 8.0,
            "({x}, {y}): {} with the rule",
            with[i]
        );
    }
    // the rule changes nothing beyond the targets' pixels and their search windows: against a
    // probability so small that no target is kept (the same sums, in the same order)
    let none = run(&v, 1e-300);
    for (i, (a, b)) in with.iter().zip(&none).enumerate() {
        let (x, y) = (i % w, i / w);
        let near = cluster
            .iter()
            .chain(&bright)
            .any(|&(cx, cy, _)| cx.abs_diff(x) <= 30 && cy.abs_diff(y) <= 30);
        assert!(near || a == b, "({x}, {y}): {a} against {b}");
    }
}

/// Pass 2 compares the pilot relative to its variance (docs/nonlocal.md §2–3): a point target
/// pass 1 leaves alone (`M + S = 0`) gets the pilot's smallest variance, `1/(E₀·L)`, so pass 2
/// leaves it alone too. Comparing plain pilot logs (the previous pass 2, `h₂ = 0.09·P₂²/√L`)
/// averaged such targets: on a numpy 1-look background of 8, 12,000 and 20,000 came out at
/// ≈ 1,500 and ≈ 7,900. And pass 2 still smooths flat areas far more than pass 1.
#[test]
fn pass_two_keeps_isolated_targets_and_smooths_flat_areas() {
    let (w, h) = (96, 96);
    let mut rng = Rng::new(17);
    let mut v: Vec<f64> = (0..w * h).map(|_| 8.0 * rng.speckle(1)).collect();
    let opts = Options::new(7).unwrap();
    let run = |v: &[f64], passes: usize| {
        let img = Img {
            w,
            h,
            v: v.to_vec(),
        };
        run_f64(
            &Ppb::new(1.0).unwrap().with_passes(passes).unwrap(),
            &img,
            &opts,
        )
    };
    let (one, two) = (run(&v, 1), run(&v, 2));
    let flat = |out: &[f64]| -> Vec<f64> {
        (20..76)
            .flat_map(|y| (20..76).map(move |x| (x, y)))
            .map(|(x, y)| out[y * w + x])
            .collect()
    };
    let (e0, e1, e2) = (enl(&flat(&v)), enl(&flat(&one)), enl(&flat(&two)));
    assert!(e1 > 10.0 * e0 && e2 > 1.5 * e1, "ENL {e0} → {e1} → {e2}");
    let i = 30 * w + 70;
    for amp in [12_000.0, 20_000.0] {
        v[i] = amp;
        let one = run(&v, 1);
        assert_eq!(one[i], amp, "pass 1 leaves the {amp} target alone");
        let two = run(&v, 2);
        assert_eq!(two[i], amp, "pass 2 leaves the {amp} target alone");
    }
}

#[test]
fn bad_parameters_are_refused() {
    assert!(Ppb::new(0.0).is_err());
    assert!(Ppb::new(f64::NAN).is_err());
    let f = Ppb::new(1.0).unwrap();
    assert!(f.with_search(4).is_err());
    assert!(f.with_search(1).is_err());
    assert!(f.with_patch(0).is_err());
    assert!(f.with_aggregation(2).is_err());
    assert!(f.with_strength(0.0).is_err());
    assert!(f.with_h(Some(-1.0)).is_err());
    let e = f.with_patch(8).unwrap_err().to_string();
    assert!(e.contains("patch must be odd"), "{e}");
    assert!(f.with_passes(0).is_err());
    assert!(f.with_passes(3).is_err());
    assert!(f.with_patch2(2).is_err());
    assert!(f.with_strength2(f64::INFINITY).is_err());
    assert!(f.with_h2(Some(0.0)).is_err());
    for p in [-0.1, 1.0, f64::NAN] {
        assert!(f.with_targets(p).is_err(), "{p}");
    }
    // q = −ln p at one look; off at p = 0
    assert!((f.target_ratio() - 1e5f64.ln()).abs() < 1e-12);
    assert_eq!(f.with_targets(0.0).unwrap().target_ratio(), f64::INFINITY);
    let e = f.with_passes(3).unwrap_err().to_string();
    assert!(e.contains("passes must be 1 or 2"), "{e}");
    // pass 1's reach, and pass 2's (W/2 + P₂/2 + A/2) further down with two passes
    assert_eq!(f.with_passes(1).unwrap().reach(), 11 + 3 + 1 + 1);
    assert_eq!(f.reach(), 11 + 3 + 1 + 1 + (11 + 2 + 1));
    assert_eq!(f.with_passes(1).unwrap().warmup(), 11 + 2);
    assert_eq!(f.warmup(), 14 + 13 + 3 + 15 + 13);
}
