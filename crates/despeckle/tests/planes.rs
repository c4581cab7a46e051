//! The engine on images of several planes: every driver, thread count and block size gives
//! the same bits; a single-plane filter over k planes equals k single-plane runs; joint
//! validity; filters with state carried from row to row (warm-up) equal a plain reference.

use crate::common;

use common::planes::all_drivers;
use common::{BORDERS, Img, Rng, bounce, scene};
use despeckle::{
    Border, EnhancedLee, Filter, ImageMut, ImageRef, Mean, MultiFilter, Options, Planes,
    PlanesContext, Result, Sample, Validity, filter, filter_planes, filter_stream_planes,
};

/// Three planes of one scene geometry, with no-data at different pixels in each.
fn planes(w: usize, h: usize, seed: u64) -> Vec<Img> {
    (0..3)
        .map(|k| {
            let mut img = scene(w, h, 1 + k as u32, seed + k, -1.0);
            // each plane has its own extra no-data pixels
            for (i, v) in img.v.iter_mut().enumerate() {
                if (i * (5 + k as usize)) % 61 == k as usize {
                    *v = f64::NAN;
                }
            }
            img
        })
        .collect()
}

#[test]
fn a_single_plane_filter_over_planes_is_each_plane_filtered_alone() {
    let (w, h) = (37, 71);
    let imgs = planes(w, h, 7);
    let data: Vec<Vec<f64>> = imgs.iter().map(|i| i.v.clone()).collect();
    for border in BORDERS {
        let opts = Options::new(5)
            .unwrap()
            .with_border(border)
            .with_nodata(Some(-1.0));
        let el = EnhancedLee::new(2.0).unwrap();
        let got = all_drivers(&el, &data, w, h, opts);
        for (p, img) in imgs.iter().enumerate() {
            let mut alone = vec![0.0; w * h];
            filter(
                &el,
                ImageRef::new(&img.v, w, h).unwrap(),
                &mut ImageMut::new(&mut alone, w, h).unwrap(),
                &opts,
            )
            .unwrap();
            let same = alone
                .iter()
                .zip(&got[p])
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(
                same,
                "{border:?}: plane {p} differs from the plane filtered alone"
            );
        }
    }
}

/// The boxcar mean of every plane, with the no-data of any plane excluded from all.
struct JointMean;

impl MultiFilter for JointMean {
    type State = ();
    fn name(&self) -> &'static str {
        "joint-mean"
    }
    fn output_planes(&self, planes: usize) -> Result<usize> {
        Ok(planes)
    }
    fn validity(&self) -> Validity {
        Validity::Joint
    }
    fn state(&self, _: usize, _: usize, _: &Options) {}
    fn filter_rows<T: Sample>(&self, _: &mut (), ctx: &PlanesContext<'_>, out: &mut [Vec<T>]) {
        for (c, o) in ctx.planes.iter().zip(out) {
            Filter::filter_row(&Mean, c, o);
        }
    }
    fn scratch_bytes(&self, _: usize, _: usize, _: usize) -> usize {
        0
    }
}

#[test]
fn joint_validity_leaves_a_pixel_out_of_every_plane() {
    let (w, h) = (29, 40);
    let imgs = planes(w, h, 11);
    let data: Vec<Vec<f64>> = imgs.iter().map(|i| i.v.clone()).collect();
    let valid = |i: usize| data.iter().all(|p| p[i].is_finite() && p[i] != -1.0);
    for border in [
        Border::Reflect,
        Border::Wrap,
        Border::Shrink,
        Border::Constant(2.0),
    ] {
        let opts = Options::new(3)
            .unwrap()
            .with_border(border)
            .with_nodata(Some(-1.0));
        let got = all_drivers(&JointMean, &data, w, h, opts);
        for (p, plane) in data.iter().enumerate() {
            for y in 0..h {
                for x in 0..w {
                    let i = y * w + x;
                    let g = got[p][i];
                    if !valid(i) {
                        assert!(
                            g.to_bits() == plane[i].to_bits(),
                            "{border:?}: no-data pixel ({x}, {y}) of plane {p} is kept as is"
                        );
                        continue;
                    }
                    let (mut n, mut s) = (0.0, 0.0);
                    for dy in -1isize..=1 {
                        for dx in -1isize..=1 {
                            let sy = bounce(border, y as isize + dy, h);
                            let sx = bounce(border, x as isize + dx, w);
                            match (sy, sx, border) {
                                (Some(sy), Some(sx), _) => {
                                    let j = sy as usize * w + sx as usize;
                                    if valid(j) {
                                        n += 1.0;
                                        s += plane[j];
                                    }
                                }
                                (_, _, Border::Constant(c)) => {
                                    n += 1.0;
                                    s += c;
                                }
                                _ => {}
                            }
                        }
                    }
                    let want = s / n;
                    assert!(
                        (g - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{border:?}: plane {p} ({x}, {y}): {g} vs {want}"
                    );
                }
            }
        }
    }
}

/// A filter with state: the mean of the centre values of the last `lag + 1` rows (this row and
/// the `lag` above), kept as running column sums refreshed at multiples of 16 rows — the
/// pattern of a chained pass. Rows above the image are the border mode's rows.
struct RunningColumns {
    lag: usize,
}

struct RunningState {
    /// The last `lag + 1` centre rows of every plane, oldest first.
    rows: Vec<std::collections::VecDeque<Vec<f64>>>,
    sums: Vec<Vec<f64>>,
    seen: usize,
}

impl MultiFilter for RunningColumns {
    type State = RunningState;
    fn name(&self) -> &'static str {
        "running-columns"
    }
    fn output_planes(&self, planes: usize) -> Result<usize> {
        Ok(planes + 1)
    }
    fn radius(&self, _: &Options) -> usize {
        0
    }
    fn warmup(&self, _: &Options) -> usize {
        self.lag
    }
    fn uses_sums(&self) -> bool {
        false
    }
    fn state(&self, width: usize, planes: usize, _: &Options) -> RunningState {
        RunningState {
            rows: vec![Default::default(); planes],
            sums: vec![vec![0.0; width]; planes],
            seen: 0,
        }
    }
    fn filter_rows<T: Sample>(
        &self,
        st: &mut RunningState,
        ctx: &PlanesContext<'_>,
        out: &mut [Vec<T>],
    ) {
        let refresh = ctx.y.rem_euclid(16) == 0;
        for (p, c) in ctx.planes.iter().enumerate() {
            let rows = &mut st.rows[p];
            rows.push_back(c.centre.to_vec());
            let left = if rows.len() > self.lag + 1 {
                rows.pop_front()
            } else {
                None
            };
            let sums = &mut st.sums[p];
            if refresh || left.is_none() {
                sums.fill(0.0);
                for r in rows.iter() {
                    for (s, v) in sums.iter_mut().zip(r) {
                        *s += v;
                    }
                }
            } else if let Some(left) = left {
                let new = rows.back().unwrap();
                for ((s, a), b) in sums.iter_mut().zip(new).zip(&left) {
                    *s += a - b;
                }
            }
            for (o, s) in out[p].iter_mut().zip(sums.iter()) {
                *o = T::from_f64(s / rows.len() as f64);
            }
        }
        // the extra plane: how many rows the state has seen (warm-up included), which
        // would differ between bands if a band started without its warm-up
        st.seen += 1;
        let n = st.rows[0].len() as f64;
        for o in out.last_mut().unwrap().iter_mut() {
            *o = T::from_f64(n);
        }
    }
    fn scratch_bytes(&self, width: usize, _: usize, planes: usize) -> usize {
        8 * width * planes * (self.lag + 3)
    }
}

#[test]
fn state_with_warm_up_rows_is_the_same_whatever_the_band() {
    let (w, h) = (13, 150);
    let mut rng = Rng::new(3);
    let data: Vec<Vec<f64>> = (0..2)
        .map(|_| (0..w * h).map(|_| rng.speckle(1)).collect())
        .collect();
    for lag in [1, 5, 16, 23] {
        for border in [Border::Reflect, Border::Nearest, Border::Wrap] {
            let opts = Options::new(3).unwrap().with_border(border);
            let f = RunningColumns { lag };
            let got = all_drivers(&f, &data, w, h, opts);
            for (p, plane) in data.iter().enumerate() {
                for y in 0..h {
                    for x in 0..w {
                        let vals: Vec<f64> = (y as isize - lag as isize..=y as isize)
                            .map(|r| {
                                let sy = bounce(border, r, h).unwrap() as usize;
                                plane[sy * w + x]
                            })
                            .collect();
                        let want = vals.iter().sum::<f64>() / vals.len() as f64;
                        let g = got[p][y * w + x];
                        assert!(
                            (g - want).abs() <= 1e-12 * want.max(1.0),
                            "lag {lag} {border:?} plane {p} ({x}, {y}): {g} vs {want}"
                        );
                    }
                }
            }
            assert!(got[2].iter().all(|&n| n == (lag + 1) as f64));
        }
    }
}

#[test]
fn mismatched_planes_are_refused() {
    let a = vec![1.0f32; 20];
    let b = vec![1.0f32; 24];
    let inputs = [
        ImageRef::new(&a, 5, 4).unwrap(),
        ImageRef::new(&b, 6, 4).unwrap(),
    ];
    let mut o1 = vec![0.0f32; 20];
    let mut o2 = vec![0.0f32; 20];
    let mut outs = [
        ImageMut::new(&mut o1, 5, 4).unwrap(),
        ImageMut::new(&mut o2, 5, 4).unwrap(),
    ];
    let e = filter_planes(&Mean, &inputs, &mut outs, &Options::new(3).unwrap()).unwrap_err();
    assert!(e.to_string().contains("plane 1 is 6 × 4"), "{e}");
    let inputs = [ImageRef::new(&a, 5, 4).unwrap()];
    let e = filter_planes(&Mean, &inputs, &mut outs, &Options::new(3).unwrap()).unwrap_err();
    assert!(e.to_string().contains("1 output planes"), "{e}");
    let e = filter_planes::<f32, _>(&Mean, &[], &mut [], &Options::new(3).unwrap()).unwrap_err();
    assert!(e.to_string().contains("plane"), "{e}");
    // planes of one source, read in lockstep
    let mut src = Planes(vec![ImageRef::new(&a, 5, 4).unwrap(); 2]);
    let mut sink = Planes(vec![ImageMut::new(&mut o1, 5, 4).unwrap()]);
    let e = filter_stream_planes(&Mean, &mut src, &mut sink, &Options::new(3).unwrap(), None)
        .unwrap_err();
    assert!(e.to_string().contains("the output takes 1"), "{e}");
}
