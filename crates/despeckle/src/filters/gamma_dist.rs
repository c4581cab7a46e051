//! The gamma distribution of `L`-look speckle, for Lee Sigma's sigma ranges and the non-local
//! filter's point-target threshold.
//!
//! Intensity speckle with `L` looks (mean 1) is Gamma(shape `L`, rate `L`); amplitude speckle is
//! its square root scaled to mean 1. Everything reduces to the regularised lower incomplete
//! gamma function `P(a, x)`.

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; relative error ≈ 1e-15).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // reflection: Γ(x) Γ(1 − x) = π / sin(πx)
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, &c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised lower incomplete gamma function `P(a, x) = γ(a, x) / Γ(a)` (`a > 0`).
pub(crate) fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x.is_infinite() {
        return 1.0;
    }
    if x < a + 1.0 {
        // series
        let front = (-x + a * x.ln() - ln_gamma(a)).exp();
        let (mut ap, mut del) = (a, 1.0 / a);
        let mut sum = del;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        (sum * front).min(1.0)
    } else {
        (1.0 - upper_fraction(a, x)).max(0.0)
    }
}

/// `Q(a, x)` by its continued fraction (modified Lentz), for `x ≥ a + 1`.
fn upper_fraction(a: f64, x: f64) -> f64 {
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..10_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-17 {
            break;
        }
    }
    front * h
}

/// A speckle distribution with mean 1: its CDF and truncated first and second moments.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Speckle {
    /// Intensity: Gamma(L, rate L).
    Intensity(f64),
    /// Amplitude: `c·√v`, `v` intensity speckle, `c = √L Γ(L) / Γ(L + ½)` (mean 1).
    Amplitude(f64),
}

impl Speckle {
    /// `(L, scale)`: the intensity variable is `(x / scale)^k` (k = 1 intensity, 2 amplitude).
    fn amp_scale(l: f64) -> f64 {
        (ln_gamma(l) - ln_gamma(l + 0.5)).exp() * l.sqrt()
    }

    /// `P(X ≤ x)`.
    pub(crate) fn cdf(self, x: f64) -> f64 {
        match self {
            Speckle::Intensity(l) => gamma_p(l, l * x.max(0.0)),
            Speckle::Amplitude(l) => {
                let c = Self::amp_scale(l);
                gamma_p(l, l * (x.max(0.0) / c).powi(2))
            }
        }
    }

    /// `(E[X·1{a ≤ X ≤ b}], E[X²·1{a ≤ X ≤ b}])`.
    pub(crate) fn moments(self, a: f64, b: f64) -> (f64, f64) {
        match self {
            Speckle::Intensity(l) => {
                let m1 = gamma_p(l + 1.0, l * b) - gamma_p(l + 1.0, l * a);
                let m2 = (l + 1.0) / l * (gamma_p(l + 2.0, l * b) - gamma_p(l + 2.0, l * a));
                (m1, m2)
            }
            Speckle::Amplitude(l) => {
                let c = Self::amp_scale(l);
                let (va, vb) = (l * (a / c).powi(2), l * (b / c).powi(2));
                let m1 = gamma_p(l + 0.5, vb) - gamma_p(l + 0.5, va);
                let m2 = c * c * (gamma_p(l + 1.0, vb) - gamma_p(l + 1.0, va));
                (m1, m2)
            }
        }
    }
}

/// The upper quantile of `L`-look intensity speckle (Gamma(`L`, rate `L`), mean 1): the `x`
/// with `P(X > x) = p` (`0 < p < 1`), to ≈ 1e−15 relative.
pub(crate) fn intensity_upper_quantile(looks: f64, p: f64) -> f64 {
    let tail = |x: f64| gamma_q(looks, looks * x);
    let mut top = 1.0;
    while tail(top) > p && top < 1e300 {
        top *= 2.0;
    }
    bisect(0.0, top, |x| p - tail(x))
}

/// The regularised upper incomplete gamma function `Q(a, x) = 1 − P(a, x)`, without the
/// cancellation of `1 − P` where `Q` is small (`x ≥ a + 1`: Lentz's continued fraction).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x < a + 1.0 {
        1.0 - gamma_p(a, x)
    } else {
        upper_fraction(a, x)
    }
}

/// Bisection for an increasing function: the `x` in `[lo, hi]` where `f` changes sign.
fn bisect(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The Lee et al. (2009) sigma range of a mean-1 speckle distribution for probability `xi`:
/// the interval `[a, b]` holding probability `xi` whose truncated mean is 1, and the truncated
/// distribution's standard deviation `η′`. Returns `(a, b, η′)`.
pub(crate) fn sigma_range(dist: Speckle, xi: f64) -> (f64, f64, f64) {
    // Upper end for a given lower end: P(a ≤ X ≤ b) = xi.
    let mut top = 1.0;
    while dist.cdf(top) < 1.0 - 1e-15 && top < 1e6 {
        top *= 2.0;
    }
    let upper = |a: f64| {
        let t = dist.cdf(a) + xi;
        bisect(a, top, |b| dist.cdf(b) - t)
    };
    // The largest lower end: P(X ≥ a) = xi.
    let a_max = bisect(0.0, 1.0, |a| dist.cdf(a) - (1.0 - xi));
    // Truncated mean − 1 grows with the lower end.
    let a = bisect(0.0, a_max, |a| dist.moments(a, upper(a)).0 / xi - 1.0);
    let b = upper(a);
    let (_, m2) = dist.moments(a, b);
    (a, b, (m2 / xi - 1.0).max(0.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_functions() {
        // Γ(5) = 24, Γ(½) = √π
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
        assert!((ln_gamma(0.1) - 2.252_712_651_734_206).abs() < 1e-12);
        // P(1, x) = 1 − e^{−x}
        for x in [0.01f64, 0.5, 1.0, 3.0, 20.0] {
            assert!((gamma_p(1.0, x) - (1.0 - (-x).exp())).abs() < 1e-14, "{x}");
        }
        // P(3, x) = 1 − e^{−x}(1 + x + x²/2)
        for x in [0.2f64, 2.0, 4.0, 10.0] {
            let want = 1.0 - (-x).exp() * (1.0 + x + x * x / 2.0);
            assert!((gamma_p(3.0, x) - want).abs() < 1e-14, "{x}");
        }
        // P(½, x) = erf(√x): erf(1) = 0.8427007929497149
        assert!((gamma_p(0.5, 1.0) - 0.842_700_792_949_714_9).abs() < 1e-14);
    }

    #[test]
    fn upper_quantiles_of_intensity_speckle() {
        // L = 1: P(X > x) = e^{−x}
        for p in [0.1f64, 1e-5, 1e-12] {
            let q = intensity_upper_quantile(1.0, p);
            assert!((q - (-p.ln())).abs() < 1e-12 * q, "{p}: {q}");
        }
        // L = 3: P(X > x) = e^{−3x}(1 + 3x + 9x²/2), far in the tail without cancellation
        for p in [0.5f64, 1e-6, 1e-14] {
            let q = intensity_upper_quantile(3.0, p);
            let t = 3.0 * q;
            let tail = (-t).exp() * (1.0 + t + t * t / 2.0);
            assert!((tail - p).abs() < 1e-10 * p, "{p}: {q} gives {tail}");
        }
    }

    #[test]
    fn one_look_sigma_range_is_exact() {
        // L = 1: e^{−a} − e^{−b} = ξ and (1 + a)e^{−a} − (1 + b)e^{−b} = ξ.
        let (a, b, _) = sigma_range(Speckle::Intensity(1.0), 0.9);
        assert!(((-a).exp() - (-b).exp() - 0.9).abs() < 1e-12);
        assert!(((1.0 + a) * (-a).exp() - (1.0 + b) * (-b).exp() - 0.9).abs() < 1e-12);
    }
}
