//! The multi-temporal filter of Quegan & Yu against a plain float64 reference written from
//! docs/filters.md (boxcar and Lee as the local mean, no-data in some dates, zero-mean areas,
//! every border mode), the same bits from every driver, thread count and block size, the
//! equivalent number of looks of a stationary stack, and how a change in one date spreads to
//! the others.

use crate::common;

use common::planes::all_drivers;
use common::{BORDERS, Img, Rng, cu_intensity, is_valid, lee, moments, scene, window};
use despeckle::temporal::{Quegan, SuperImage};
use despeckle::{
    Border, Filter, ImageMut, ImageRef, Lee, Mean, MultiFilter, Options, filter_planes,
};

/// `N` dates of one scene geometry, each with its own no-data pixels, a zero-filled patch in
/// date 1 only (its local mean is 0 there: left out of the other dates' sums) and negative
/// values in date 2.
fn stack(w: usize, h: usize, n: usize, seed: u64) -> Vec<Img> {
    (0..n)
        .map(|k| {
            let mut img = scene(w, h, 1 + k as u32 % 3, seed + k as u64, -1.0);
            for y in 0..h {
                for x in 0..w {
                    let i = y * w + x;
                    if (i * (5 + k)) % 61 == k {
                        img.v[i] = f64::NAN;
                    }
                    if k == 1 && (w / 2..w / 2 + 6).contains(&x) && (2..9).contains(&y) {
                        img.v[i] = 0.0;
                    }
                    if k == 2 && (x + y) % 23 == 0 {
                        img.v[i] = -0.5;
                    }
                }
            }
            img
        })
        .collect()
}

/// The filter as docs/filters.md defines it, pixel by pixel: `inner(window values, z)` is
/// the local mean `E[I]` of one date.
fn reference(
    dates: &[Img],
    size: usize,
    border: Border,
    nodata: Option<f64>,
    inner: &dyn Fn(&[f64], f64) -> f64,
    super_image: Option<SuperImage>,
) -> Vec<Vec<f64>> {
    let (w, h, n) = (dates[0].w, dates[0].h, dates.len());
    let mut out = vec![vec![0.0; w * h]; n + usize::from(super_image.is_some())];
    let missing = nodata.unwrap_or(f64::NAN);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut e = vec![f64::NAN; n];
            let (mut ratios, mut used, mut values, mut valid) = (0.0, 0.0, 0.0, 0.0);
            for (d, img) in dates.iter().enumerate() {
                let z = img.v[i];
                if !is_valid(z, nodata) {
                    continue;
                }
                e[d] = inner(&window(img, x, y, size, border, nodata), z);
                values += z;
                valid += 1.0;
                if e[d] > 0.0 && e[d].is_finite() {
                    ratios += z / e[d];
                    used += 1.0;
                }
            }
            for (d, img) in dates.iter().enumerate() {
                let z = img.v[i];
                out[d][i] = if !is_valid(z, nodata) {
                    // the input value is kept; with a super image, the no-data value
                    if super_image.is_some() { missing } else { z }
                } else if e[d] > 0.0 && e[d].is_finite() {
                    e[d] * ratios / used
                } else {
                    e[d]
                };
            }
            if let Some(s) = super_image {
                out[n][i] = match s {
                    SuperImage::Ratio if used > 0.0 => ratios / used,
                    SuperImage::Mean if valid > 0.0 => values / valid,
                    _ => missing,
                };
            }
        }
    }
    out
}

fn same(got: &[f64], want: &[f64], what: &str) {
    for (i, (&g, &r)) in got.iter().zip(want).enumerate() {
        if r.is_nan() {
            assert!(g.is_nan(), "{what}: pixel {i}: got {g}, want NaN");
            continue;
        }
        // sums over at most 49 values and one ratio per date in f64: 1e-12 of the scale
        let tol = 1e-12 * r.abs().max(1.0);
        assert!((g - r).abs() <= tol, "{what}: pixel {i}: got {g}, want {r}");
    }
}

#[test]
fn boxcar_and_lee_local_means_match_the_reference_with_every_border() {
    let (w, h, n) = (23, 37, 4);
    let dates = stack(w, h, n, 5);
    let data: Vec<Vec<f64>> = dates.iter().map(|d| d.v.clone()).collect();
    let mean = |vals: &[f64], _z: f64| moments(vals, 0).0;
    let looks = 2.0;
    let lee_ref = |vals: &[f64], z: f64| lee(vals, z, cu_intensity(looks), 0);
    let lee_filter = Lee::new(looks).unwrap();
    for border in BORDERS {
        for (size, nodata) in [(3, Some(-1.0)), (5, None)] {
            let opts = Options::new(size)
                .unwrap()
                .with_border(border)
                .with_nodata(nodata);
            let what = format!("{border:?} size {size} nodata {nodata:?}");
            let got = all_drivers(&Quegan::new(Mean), &data, w, h, opts);
            let want = reference(&dates, size, border, nodata, &mean, None);
            for d in 0..n {
                same(&got[d], &want[d], &format!("boxcar {what} date {d}"));
            }
            let got = all_drivers(&Quegan::new(lee_filter), &data, w, h, opts);
            let want = reference(&dates, size, border, nodata, &lee_ref, None);
            for d in 0..n {
                same(&got[d], &want[d], &format!("lee {what} date {d}"));
            }
        }
    }
}

#[test]
fn the_super_image_is_one_more_plane() {
    let (w, h, n) = (19, 40, 3);
    let dates = stack(w, h, n, 9);
    let data: Vec<Vec<f64>> = dates.iter().map(|d| d.v.clone()).collect();
    let mean = |vals: &[f64], _z: f64| moments(vals, 0).0;
    for kind in [SuperImage::Ratio, SuperImage::Mean] {
        for (border, nodata) in [(Border::Reflect, Some(-1.0)), (Border::Shrink, None)] {
            let opts = Options::new(5)
                .unwrap()
                .with_border(border)
                .with_nodata(nodata);
            let q = Quegan::new(Mean).with_super_image(Some(kind));
            assert_eq!(q.output_planes(n).unwrap(), n + 1);
            let got = all_drivers(&q, &data, w, h, opts);
            let want = reference(&dates, 5, border, nodata, &mean, Some(kind));
            for d in 0..=n {
                same(&got[d], &want[d], &format!("{kind} {border:?} plane {d}"));
            }
        }
    }
}

#[test]
fn float32_stacks_round_the_float64_result_once() {
    let (w, h, n) = (31, 29, 3);
    let dates: Vec<Img> = stack(w, h, n, 2)
        .into_iter()
        .map(|d| Img {
            v: d.v.iter().map(|&x| x as f32 as f64).collect(),
            ..d
        })
        .collect();
    let f32s: Vec<Vec<f32>> = dates.iter().map(|d| d.to_f32()).collect();
    let opts = Options::new(5).unwrap().with_nodata(Some(-1.0));
    let inputs: Vec<ImageRef<f32>> = f32s
        .iter()
        .map(|d| ImageRef::new(d, w, h).unwrap())
        .collect();
    let mut outs = vec![vec![0.0f32; w * h]; n];
    let mut views: Vec<ImageMut<f32>> = outs
        .iter_mut()
        .map(|o| ImageMut::new(o, w, h).unwrap())
        .collect();
    filter_planes(&Quegan::new(Mean), &inputs, &mut views, &opts).unwrap();
    let mean = |vals: &[f64], _z: f64| moments(vals, 0).0;
    let want = reference(&dates, 5, Border::Reflect, Some(-1.0), &mean, None);
    for d in 0..n {
        let got: Vec<f64> = outs[d].iter().map(|&v| v as f64).collect();
        // one rounding to float32 (half an ulp, 6e-8) over the float64 result
        let rounded: Vec<f64> = want[d].iter().map(|&v| v as f32 as f64).collect();
        common::assert_close(&got, &rounded, 2e-7, 0.0, &format!("f32 date {d}"));
    }
}

/// `n` independent `looks`-look dates of a constant scene (reflectivity 3).
fn stationary(w: usize, h: usize, n: usize, looks: u32, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| (0..w * h).map(|_| 3.0 * rng.speckle(looks)).collect())
        .collect()
}

fn enl(v: &[f64]) -> f64 {
    let (m, var) = moments(v, 0);
    m * m / var
}

fn run(q: &impl MultiFilter, data: &[Vec<f64>], w: usize, h: usize, size: usize) -> Vec<Vec<f64>> {
    let inputs: Vec<ImageRef<f64>> = data
        .iter()
        .map(|d| ImageRef::new(d, w, h).unwrap())
        .collect();
    let mut outs = vec![vec![0.0; w * h]; q.output_planes(data.len()).unwrap()];
    let mut views: Vec<ImageMut<f64>> = outs
        .iter_mut()
        .map(|o| ImageMut::new(o, w, h).unwrap())
        .collect();
    filter_planes(q, &inputs, &mut views, &Options::new(size).unwrap()).unwrap();
    outs
}

/// On `N` independent `L`-look dates of a stationary scene, with a boxcar local mean over `M`
/// pixels, a first-order expansion (`E[I_i] = σ(1 + ε_i)`, `I_i = σ(1 + n_i)`, `var n = 1/L`,
/// `var ε = 1/(ML)`, `cov(n_i, ε_i) = 1/(ML)`) gives `var J/σ = 1/(NL) + (N − 1)/(NML)`:
/// ENL `N·L / (1 + (N − 1)/M)`; the mean-of-ratios super image `N·L / (1 − 1/M)`; the
/// arithmetic temporal mean exactly `N·L`. Tolerance 8%: the sampling error of a variance over
/// 96² pixels per date (≈ 1.5%, one standard error, for these near-Gamma values), averaged
/// over the dates, plus the second-order terms the expansion leaves out (`O(1/(ML))`, ≈ 1%).
#[test]
fn a_stationary_stack_gains_the_looks_of_its_dates() {
    let (w, h, looks, size) = (96, 96, 4u32, 7);
    let m = (size * size) as f64;
    for n in [2usize, 8] {
        let data = stationary(w, h, n, looks, 40 + n as u64);
        let input_enl = data.iter().map(|d| enl(d)).sum::<f64>() / n as f64;
        assert!(
            (input_enl / looks as f64 - 1.0).abs() < 0.05,
            "input ENL {input_enl}"
        );
        let nl = (n as u32 * looks) as f64;
        for (kind, want) in [
            (SuperImage::Ratio, nl / (1.0 - 1.0 / m)),
            (SuperImage::Mean, nl),
        ] {
            let out = run(
                &Quegan::new(Mean).with_super_image(Some(kind)),
                &data,
                w,
                h,
                size,
            );
            let dates_enl = out[..n].iter().map(|d| enl(d)).sum::<f64>() / n as f64;
            let model = nl / (1.0 + (n as f64 - 1.0) / m);
            assert!(
                (dates_enl / model - 1.0).abs() < 0.08,
                "N {n}: ENL of the dates {dates_enl:.2}, model {model:.2}"
            );
            let super_enl = enl(&out[n]);
            eprintln!(
                "N {n}: ENL dates {dates_enl:.2} (model {model:.2}), {kind} super image \
                 {super_enl:.2} (model {want:.2})"
            );
            assert!(
                (super_enl / want - 1.0).abs() < 0.08,
                "N {n}: ENL of the {kind} super image {super_enl:.2}, model {want:.2}"
            );
            // the filter keeps the mean level
            let level = out[..n].iter().map(|d| moments(d, 0).0).sum::<f64>() / n as f64;
            assert!(
                (level / 3.0 - 1.0).abs() < 0.02,
                "N {n}: mean level {level}"
            );
        }
    }
}

/// A bright field (×8) appears in date `c` over the right half of the scene. The model: every
/// date is normalised by its own local mean, so away from the field's edge the other dates do
/// not see it at all (bit for bit the result without the change: scaling by 8 is exact), and
/// date `c` is 8 times its unchanged result. Within the window radius of the edge, date `k ≠
/// c` is multiplied by `(S + r')/(S + r)`, `S` the other dates' ratios, `r` and `r'` date
/// `c`'s ratio `I_c/E[I_c]` before and after: to first order `1 + (r' − r)/N` with
/// `r' ≈ I'/E[I']` = 8/(1 + 7f) inside the field and 1/(1 + 7f) outside (`f`: the fraction of
/// the window in the field — in the field for `r'` inside, outside for `r'` outside), `r ≈ 1`.
/// Tolerance 0.015 on the column averages (≈ 4 standard errors of a mean over 128 rows × 7
/// dates).
#[test]
fn a_change_in_one_date_stays_there_beyond_the_window_radius() {
    let (w, h, n, c, size) = (48, 128, 8, 3, 7);
    let radius = size / 2;
    let edge = w / 2;
    let before = stationary(w, h, n, 4, 77);
    let mut after = before.clone();
    for y in 0..h {
        for x in edge..w {
            after[c][y * w + x] *= 8.0;
        }
    }
    let q = Quegan::new(Mean);
    let jb = run(&q, &before, w, h, size);
    let ja = run(&q, &after, w, h, size);
    for x in 0..w {
        let near = (edge - radius..edge + radius).contains(&x);
        let dx = x as f64 - edge as f64;
        // window fraction in the field (columns ≥ edge) for a pixel in column x
        let f = ((x + radius + 1).saturating_sub(edge)).min(size) as f64 / size as f64;
        let (mut leak, mut count) = (0.0, 0.0);
        for y in 0..h {
            let i = y * w + x;
            for k in 0..n {
                let (a, b) = (ja[k][i], jb[k][i]);
                if !near {
                    let want = if k == c && x >= edge { 8.0 * b } else { b };
                    assert!(
                        (a - want).abs() <= 1e-13 * want.abs(),
                        "date {k} ({x}, {y}) beyond the radius: {a} vs {want}"
                    );
                } else if k != c {
                    leak += a / b;
                    count += 1.0;
                }
            }
        }
        if near {
            let leak = leak / count - 1.0;
            let r_after = if x >= edge {
                8.0 / (1.0 + 7.0 * f)
            } else {
                1.0 / (1.0 + 7.0 * f)
            };
            let model = (r_after - 1.0) / n as f64;
            eprintln!("column {dx:+}: other dates {leak:+.4}, model {model:+.4}");
            assert!(
                (leak - model).abs() < 0.015,
                "column {dx:+}: the other dates change by {leak:+.4}, model {model:+.4}"
            );
        }
    }
}

#[test]
fn parameters_and_names() {
    let q = Quegan::new(Mean);
    assert_eq!(MultiFilter::name(&q), "quegan");
    assert_eq!(q.output_planes(5).unwrap(), 5);
    assert_eq!(Filter::name(q.inner()), "mean");
    assert_eq!("Ratio".parse::<SuperImage>().unwrap(), SuperImage::Ratio);
    let e = "median".parse::<SuperImage>().unwrap_err();
    assert!(e.to_string().contains("ratio or mean"), "{e}");
    // the inner filter's option checks apply
    let rl = despeckle::RefinedLee::new();
    let e = Quegan::new(rl)
        .check_options(&Options::new(3).unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("size"), "{e}");
}

/// Groups are filtered as separate stacks: the dates of groups `[0, 1, 0, 1, 1]` give the same
/// bits as two runs on the sub-stacks, and the super image has one plane per group, in group
/// order after the dates — through every driver.
#[test]
fn groups_are_filtered_apart_in_one_pass() {
    let (w, h, n) = (23, 37, 5);
    let dates = stack(w, h, n, 31);
    let data: Vec<Vec<f64>> = dates.iter().map(|d| d.v.clone()).collect();
    let groups = vec![0, 1, 0, 1, 1];
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for kind in [SuperImage::Ratio, SuperImage::Mean] {
        let opts = Options::new(5).unwrap().with_nodata(Some(-1.0));
        let q = Quegan::new(Lee::new(2.0).unwrap())
            .with_super_image(Some(kind))
            .with_groups(groups.clone());
        assert_eq!(q.group_count(), 2);
        assert_eq!(q.output_planes(n).unwrap(), n + 2);
        let got = all_drivers(&q, &data, w, h, opts);
        for g in 0..2 {
            let members: Vec<usize> = (0..n).filter(|&k| groups[k] == g).collect();
            let sub: Vec<Vec<f64>> = members.iter().map(|&k| data[k].clone()).collect();
            let alone = Quegan::new(Lee::new(2.0).unwrap()).with_super_image(Some(kind));
            let want = all_drivers(&alone, &sub, w, h, opts);
            for (i, &k) in members.iter().enumerate() {
                assert_eq!(bits(&got[k]), bits(&want[i]), "{kind} date {k} (group {g})");
            }
            assert_eq!(
                bits(&got[n + g]),
                bits(&want[members.len()]),
                "{kind} super image of group {g}"
            );
        }
    }
}

#[test]
fn group_numbers_are_checked() {
    let q = Quegan::new(Mean).with_groups(vec![0, 1, 1]);
    let e = q.output_planes(4).unwrap_err().to_string();
    assert!(e.contains("3 group numbers for 4 dates"), "{e}");
    let e = Quegan::new(Mean)
        .with_groups(vec![0, 2, 2])
        .output_planes(3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("group 1 has no date"), "{e}");
    let q = Quegan::new(Mean).with_groups(vec![1, 0, 1]);
    assert_eq!(q.output_planes(3).unwrap(), 3);
    assert_eq!(
        q.with_super_image(Some(SuperImage::Mean))
            .output_planes(3)
            .unwrap(),
        5
    );
}
