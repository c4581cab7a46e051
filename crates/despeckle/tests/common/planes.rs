//! Every driver of the engine on an image of several planes, for tests of multi-plane
//! filters: [`all_drivers`] runs one filter with each and checks they agree bit for bit.

use despeckle::{
    ImageMut, ImageRef, MultiFilter, Options, PlaneSink, PlaneSource, Sample, filter_planes,
    filter_planes_in_place, filter_stream_planes,
};

/// Rows of every plane from buffers, as a file reader would give them.
pub struct Source<'a, T> {
    planes: Vec<&'a [T]>,
    w: usize,
    h: usize,
}

impl<T: Sample> PlaneSource<T> for Source<'_, T> {
    fn width(&self) -> usize {
        self.w
    }
    fn height(&self) -> usize {
        self.h
    }
    fn planes(&self) -> usize {
        self.planes.len()
    }
    fn read_planes(
        &mut self,
        y0: usize,
        rows: usize,
        bufs: &mut [&mut [T]],
    ) -> std::result::Result<(), despeckle::BoxError> {
        for (p, buf) in self.planes.iter().zip(bufs.iter_mut()) {
            buf[..rows * self.w].copy_from_slice(&p[y0 * self.w..(y0 + rows) * self.w]);
        }
        Ok(())
    }
}

pub struct Sink<T> {
    planes: Vec<Vec<T>>,
    w: usize,
    next: usize,
}

impl<T: Sample> PlaneSink<T> for Sink<T> {
    fn planes(&self) -> usize {
        self.planes.len()
    }
    fn write_planes(
        &mut self,
        y0: usize,
        rows: &[&[T]],
    ) -> std::result::Result<(), despeckle::BoxError> {
        assert_eq!(y0, self.next, "rows arrive in order");
        for (p, r) in self.planes.iter_mut().zip(rows) {
            p[y0 * self.w..y0 * self.w + r.len()].copy_from_slice(r);
        }
        self.next = y0 + rows[0].len() / self.w;
        Ok(())
    }
}

/// Runs `f` on the planes with every driver, 1, 2 and 3 threads and several block sizes;
/// asserts they agree bit for bit and returns the result.
pub fn all_drivers<F: MultiFilter>(
    f: &F,
    planes: &[Vec<f64>],
    w: usize,
    h: usize,
    opts: Options,
) -> Vec<Vec<f64>> {
    let k_out = f.output_planes(planes.len()).unwrap();
    let mut reference: Option<Vec<Vec<f64>>> = None;
    let mut check = |got: Vec<Vec<f64>>, what: &str| match &reference {
        None => reference = Some(got),
        Some(r) => {
            for (p, (a, b)) in r.iter().zip(&got).enumerate() {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    assert!(
                        x.to_bits() == y.to_bits(),
                        "{what}: plane {p} pixel {i}: {x} vs {y}"
                    );
                }
            }
        }
    };
    for threads in [1, 2, 3] {
        let o = opts.with_threads(Some(threads));
        let inputs: Vec<ImageRef<f64>> = planes
            .iter()
            .map(|p| ImageRef::new(p, w, h).unwrap())
            .collect();
        let mut outs = vec![vec![0.0; w * h]; k_out];
        {
            let mut views: Vec<ImageMut<f64>> = outs
                .iter_mut()
                .map(|p| ImageMut::new(p, w, h).unwrap())
                .collect();
            filter_planes(f, &inputs, &mut views, &o).unwrap();
        }
        check(outs, &format!("out of place, {threads} threads"));
        if k_out == planes.len() {
            let mut inplace = planes.to_vec();
            {
                let mut views: Vec<ImageMut<f64>> = inplace
                    .iter_mut()
                    .map(|p| ImageMut::new(p, w, h).unwrap())
                    .collect();
                filter_planes_in_place(f, &mut views, &o).unwrap();
            }
            check(inplace, &format!("in place, {threads} threads"));
        }
        for block in [16, 32, 1000] {
            let mut src = Source {
                planes: planes.iter().map(|p| p.as_slice()).collect(),
                w,
                h,
            };
            let mut sink = Sink {
                planes: vec![vec![0.0; w * h]; k_out],
                w,
                next: 0,
            };
            filter_stream_planes(f, &mut src, &mut sink, &o, Some(block)).unwrap();
            assert_eq!(sink.next, h);
            check(
                sink.planes,
                &format!("stream, blocks of {block}, {threads} threads"),
            );
        }
    }
    reference.unwrap()
}
