"""An independent float64 numpy reference of the filters, written from docs/filters.md.

Nothing here calls despeckle: borders are built with ``numpy.pad`` (scipy's ``reflect`` is
numpy's ``symmetric``, scipy's ``mirror`` numpy's ``reflect``, ``nearest`` is ``edge``),
``shrink`` and no-data are NaN padding / NaN pixels, and window sums are plain float64 sums
over ``sliding_window_view``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

NUMPY_PAD_MODE = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap"}


def parse_border(border, cval=None):
    """(name, constant) from the forms the package accepts."""
    name, _, value = border.partition(":")
    if name == "constant":
        if cval is not None:
            return name, float(cval)
        return name, float(value) if value else 0.0
    return name, None


def valid_values(img, nodata=None):
    """float64 copy of img with every no-data pixel (non-finite, == nodata in img's dtype) NaN."""
    x = np.asarray(img, dtype=np.float64).copy()
    bad = ~np.isfinite(x)
    if nodata is not None and not math.isnan(nodata):
        nd = float(np.asarray(nodata, dtype=img.dtype))  # compared in the image's dtype
        bad |= x == nd
    x[bad] = np.nan
    return x, bad


def padded(img, h, border="reflect", cval=None, nodata=None):
    """The image extended by h on each side of both axes (last two), no-data as NaN."""
    x, _ = valid_values(img, nodata)
    name, const = parse_border(border, cval)
    pad = [(0, 0)] * (x.ndim - 2) + [(h, h), (h, h)]
    if name in NUMPY_PAD_MODE:
        return np.pad(x, pad, mode=NUMPY_PAD_MODE[name])
    if name == "shrink":
        return np.pad(x, pad, mode="constant", constant_values=np.nan)
    assert name == "constant", border
    if nodata is not None and not math.isnan(nodata) and const == float(
            np.asarray(nodata, dtype=img.dtype)):
        const = np.nan  # the constant is the no-data value: not valid
    return np.pad(x, pad, mode="constant", constant_values=const)


def window_sums(img, size, border="reflect", cval=None, nodata=None):
    """(n, Σx, Σx²) of each pixel's window, float64."""
    h = size // 2
    p = padded(img, h, border, cval, nodata)
    ok = ~np.isnan(p)
    v = np.where(ok, p, 0.0)
    win = (size, size)
    axes = (-2, -1)
    n = sliding_window_view(ok.astype(np.float64), win, axis=axes).sum(axis=(-2, -1))
    s1 = sliding_window_view(v, win, axis=axes).sum(axis=(-2, -1))
    s2 = sliding_window_view(v * v, win, axis=axes).sum(axis=(-2, -1))
    return n, s1, s2


def mean_var(n, s1, s2, ddof=0):
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = s1 / n
        var = np.maximum(0.0, s2 - mu * s1) / np.maximum(n - ddof, 1.0)
    var = np.where(n > ddof, var, 0.0)
    return mu, var


def keep_nodata(out, img, nodata):
    """No-data pixels are copied from the input."""
    _, bad = valid_values(img, nodata)
    out = out.copy()
    out[bad] = np.asarray(img, dtype=np.float64)[bad]
    return out


def cu_of(looks, domain="intensity"):
    if domain in ("intensity", "power"):
        return math.sqrt(1.0 / looks)
    return math.sqrt((4.0 / math.pi - 1.0) / looks)


def enhanced_lee(img, size=7, looks=4.0, damping=1.0, domain="intensity", border="reflect",
                 nodata=None, cmax=None, ddof=0, cval=None):
    n, s1, s2 = window_sums(img, size, border, cval, nodata)
    mu, var = mean_var(n, s1, s2, ddof)
    z = np.asarray(img, dtype=np.float64)
    cu = cu_of(looks, domain)
    cmax = math.sqrt(1.0 + 2.0 / looks) if cmax is None else cmax
    out = np.empty_like(mu)
    with np.errstate(all="ignore"):
        ci = np.sqrt(var) / mu
        w = np.exp(-damping * (ci - cu) / (cmax - ci))
        blended = mu * w + z * (1.0 - w)
    smooth = ~((mu > 0) & (ci > cu))
    keep = ~smooth & (ci >= cmax)
    mid = ~smooth & ~keep
    out[smooth] = mu[smooth]
    out[keep] = z[keep]
    out[mid] = blended[mid]
    return keep_nodata(out, img, nodata), mu


def mean(img, size=7, border="reflect", nodata=None, cval=None):
    n, s1, s2 = window_sums(img, size, border, cval, nodata)
    mu, _ = mean_var(n, s1, s2)
    return keep_nodata(mu, img, nodata), mu


def local_stats(img, stat, size=7, border="reflect", nodata=None, ddof=0, cval=None):
    n, s1, s2 = window_sums(img, size, border, cval, nodata)
    mu, var = mean_var(n, s1, s2, ddof)
    if stat == "mean":
        out = mu
    elif stat in ("variance", "var"):
        out = var
    elif stat == "std":
        out = np.sqrt(var)
    elif stat == "cv":
        with np.errstate(all="ignore"):
            out = np.where(mu > 0, np.sqrt(var) / mu, 0.0)
    else:
        raise ValueError(stat)
    return keep_nodata(out, img, nodata), mu, var


# ---------------------------------------------------------------------------------------------
# The filter family (docs/filters.md): window statistics, weighted windows, and the
# neighbourhood filters, each from its written definition.
# ---------------------------------------------------------------------------------------------


def windows(img, size, border="reflect", cval=None, nodata=None):
    """(H, W, size, size) view of every pixel's window, no-data and outside as NaN."""
    p = padded(img, size // 2, border, cval, nodata)
    return sliding_window_view(p, (size, size))


def _z(img):
    return np.asarray(img, dtype=np.float64)


def _mmse_b(mu, var, eta2):
    """max(0, (σ² − μ²η²) / (1 + η²)) / σ², 0 where σ² = 0."""
    with np.errstate(all="ignore"):
        b = np.maximum(0.0, (var - mu * mu * eta2) / (1.0 + eta2)) / var
    return np.where(var > 0, b, 0.0)


def lee(img, size=7, looks=4.0, domain="intensity", border="reflect", nodata=None, ddof=0,
        cval=None, kuan=False):
    n, s1, s2 = window_sums(img, size, border, cval, nodata)
    mu, var = mean_var(n, s1, s2, ddof)
    z = _z(img)
    cu2 = cu_of(looks, domain) ** 2
    with np.errstate(all="ignore"):
        ci2 = var / (mu * mu)
        r = np.minimum(1.0, cu2 / ci2)  # ci2 = 0: r = inf → 1
        keep_mean = (cu2 + r) / (1.0 + cu2) if kuan else r  # 1 − W
        out = mu * keep_mean + z * (1.0 - keep_mean)
    out = np.where(mu > 0, out, mu)
    return keep_nodata(out, img, nodata), mu


def kuan(img, **kw):
    return lee(img, kuan=True, **kw)


def gamma_map(img, size=7, looks=4.0, border="reflect", nodata=None, ddof=0, cval=None):
    n, s1, s2 = window_sums(img, size, border, cval, nodata)
    mu, var = mean_var(n, s1, s2, ddof)
    z = _z(img)
    L = float(looks)
    cu2 = 1.0 / L
    with np.errstate(all="ignore"):
        ci2 = var / (mu * mu)
        alpha = (1.0 + cu2) / (ci2 - cu2)
        b = alpha - L - 1.0
        d = mu * mu * b * b + 4.0 * alpha * L * mu * z
        sd = np.sqrt(d)
        root = np.where(b >= 0, (b * mu + sd) / (2.0 * alpha), 2.0 * L * mu * z / (sd - b * mu))
    out = np.where(d < 0, z, root)
    out = np.where(ci2 >= 2.0 * cu2, z, out)
    out = np.where((mu > 0) & (ci2 > cu2), out, mu)
    return keep_nodata(out, img, nodata), mu


def _distances(size, distance):
    h = size // 2
    dy, dx = np.mgrid[-h:h + 1, -h:h + 1].astype(np.float64)
    if distance == "chebyshev":
        return np.maximum(np.abs(dy), np.abs(dx))
    return np.sqrt(dy * dy + dx * dx)


def _weighted(win, a, dist):
    """Σ m_j x_j / Σ m_j with m_j = exp(−a·d_j) over the valid pixels of each window."""
    ok = ~np.isnan(win)
    x = np.where(ok, win, 0.0)
    with np.errstate(all="ignore"):
        m = np.exp(-a[..., None, None] * dist) * ok
        return (m * x).sum(axis=(-2, -1)) / m.sum(axis=(-2, -1))


def frost(img, size=7, damping=2.0, distance="euclidean", border="reflect", nodata=None,
          ddof=0, cval=None):
    n, s1, s2 = window_sums(img, size, border, cval, nodata)
    mu, var = mean_var(n, s1, s2, ddof)
    with np.errstate(all="ignore"):
        a = np.where(mu > 0, damping * var / (mu * mu), 0.0)
    out = _weighted(windows(img, size, border, cval, nodata), a, _distances(size, distance))
    out = np.where(mu > 0, out, mu)
    return keep_nodata(out, img, nodata), mu


def enhanced_frost(img, size=7, looks=4.0, damping=1.0, domain="intensity", cmax=None,
                   distance="euclidean", border="reflect", nodata=None, ddof=0, cval=None):
    n, s1, s2 = window_sums(img, size, border, cval, nodata)
    mu, var = mean_var(n, s1, s2, ddof)
    z = _z(img)
    cu = cu_of(looks, domain)
    cmax = math.sqrt(1.0 + 2.0 / looks) if cmax is None else cmax
    with np.errstate(all="ignore"):
        ci = np.sqrt(var) / mu
        mid = (mu > 0) & (ci > cu) & (ci < cmax)
        a = np.where(mid, damping * (ci - cu) / (cmax - ci), 0.0)
    out = _weighted(windows(img, size, border, cval, nodata), a, _distances(size, distance))
    out = np.where(mid, out, np.where((mu > 0) & (ci >= cmax), z, mu))
    return keep_nodata(out, img, nodata), mu


def median(img, size=7, border="reflect", nodata=None, cval=None):
    import warnings

    win = windows(img, size, border, cval, nodata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
        out = np.nanmedian(win, axis=(-2, -1))
    return keep_nodata(out, img, nodata)


REFINED_LEE_BLOCKS = {5: (3, 1), 7: (3, 2), 9: (5, 2), 11: (5, 3), 13: (5, 4), 15: (7, 4),
                      17: (7, 5)}


def _refined_lee_masks(n):
    """The eight half windows: (direction, first side?) → boolean n × n mask."""
    h = n // 2
    y, x = np.mgrid[0:n, 0:n]
    return {
        (0, True): x <= h, (0, False): x >= h,
        (1, True): x >= y, (1, False): x <= y,
        (2, True): y <= h, (2, False): y >= h,
        (3, True): x + y <= n - 1, (3, False): x + y >= n - 1,
    }


def _mean_var_of(v, ddof):
    v = v[~np.isnan(v)]
    k = v.size
    if k == 0:
        return np.nan, 0.0
    mu = v.mean()
    var = ((v - mu) ** 2).sum() / (k - ddof) if k > ddof else 0.0
    return mu, var


def refined_lee(img, size=7, looks=None, domain="intensity", border="reflect", nodata=None,
                ddof=0, cval=None):
    """Per pixel, from the definition (slow: small images)."""
    n = size
    b, s = REFINED_LEE_BLOCKS[n]
    masks = _refined_lee_masks(n)
    eta2_given = None if looks is None else cu_of(looks, domain) ** 2
    win = windows(img, size, border, cval, nodata)
    z = _z(img)
    out = np.empty(z.shape)
    for yy, xx in np.ndindex(*z.shape):
        w = win[yy, xx]
        subs = [w[j * s:j * s + b, i * s:i * s + b] for j in range(3) for i in range(3)]
        complete = not np.isnan(w).any()

        def noise(blocks):
            cv = []
            for blk in blocks:
                m, v = _mean_var_of(blk, ddof)
                cv.append(v / (m * m) if m > 0 else 0.0)
            cv.sort()
            return float(np.mean(cv[:5])) if cv else 0.0

        if complete:
            M = np.array([blk.sum() for blk in subs]).reshape(3, 3)
            g = [abs(M[1, 0] - M[1, 2]), abs(M[0, 2] - M[2, 0]), abs(M[0, 1] - M[2, 1]),
                 abs(M[0, 0] - M[2, 2])]
            best = 0
            for k in range(1, 4):
                if g[k] > g[best]:
                    best = k
            a_, b_ = [((1, 0), (1, 2)), ((0, 2), (2, 0)), ((0, 1), (2, 1)), ((0, 0), (2, 2))][best]
            first = abs(M[a_] - M[1, 1]) < abs(M[1, 1] - M[b_])
            mu, var = _mean_var_of(w[masks[(best, first)]], ddof)
            eta2 = eta2_given if eta2_given is not None else noise(subs)
        else:
            mu, var = _mean_var_of(w, ddof)
            eta2 = eta2_given if eta2_given is not None else noise(
                [blk for blk in subs if not np.isnan(blk).any()])
        k = _mmse_b(np.float64(mu), np.float64(var), eta2)
        out[yy, xx] = mu + k * (z[yy, xx] - mu) if mu > 0 else mu
    return keep_nodata(out, img, nodata)


def sigma_range(looks, sigma, domain="intensity"):
    """(I1, I2, η′): the interval of probability `sigma` of mean-1 speckle whose truncated mean
    is 1, and the truncated standard deviation (scipy's incomplete gamma + root finding)."""
    from scipy.optimize import brentq
    from scipy.special import gammainc, gammaln

    L = float(looks)
    if domain == "intensity":
        def mass(a, lo, hi, k=0.0):  # ∫ x^k p over [lo, hi] for Gamma(L, rate L)
            return gammainc(L + k, L * hi) - gammainc(L + k, L * lo)
        first = lambda lo, hi: mass(L, lo, hi, 1.0)  # noqa: E731  (∫ x p: E[x] = 1)
        second = lambda lo, hi: (L + 1.0) / L * mass(L, lo, hi, 2.0)  # noqa: E731
        prob = lambda lo, hi: mass(L, lo, hi)  # noqa: E731
    else:
        c = math.exp(0.5 * math.log(L) + gammaln(L) - gammaln(L + 0.5))  # a = c·√v, E[a] = 1
        v = lambda t: L * (t / c) ** 2  # noqa: E731  (gammainc argument of the intensity)
        prob = lambda lo, hi: gammainc(L, v(hi)) - gammainc(L, v(lo))  # noqa: E731
        first = lambda lo, hi: gammainc(L + 0.5, v(hi)) - gammainc(L + 0.5, v(lo))  # noqa: E731
        second = lambda lo, hi: c * c * (gammainc(L + 1, v(hi)) - gammainc(L + 1, v(lo)))  # noqa

    def upper(lo):  # the hi with probability sigma above lo
        return brentq(lambda hi: prob(lo, hi) - sigma, lo, 1e3, xtol=1e-15, rtol=1e-15)

    # the truncated mean falls as lo rises; find lo where it is 1
    lo_max = brentq(lambda lo: prob(lo, 1e3) - sigma, 0.0, 1e3, xtol=1e-15, rtol=1e-15)
    lo = brentq(lambda lo: first(lo, upper(lo)) / sigma - 1.0, 0.0, lo_max * (1 - 1e-12),
                xtol=1e-15, rtol=1e-15)
    hi = upper(lo)
    return lo, hi, math.sqrt(second(lo, hi) / sigma - 1.0)


def lee_sigma(img, size=7, looks=4.0, sigma=0.9, target_window=3, min_cluster=6, z98=None,
              domain="intensity", border="reflect", nodata=None, ddof=0, cval=None):
    """Per pixel, from the definition (slow: small images)."""
    i1, i2, etap = sigma_range(looks, sigma, domain)
    eta2 = cu_of(looks, domain) ** 2
    h, t = size // 2, target_window // 2
    p = padded(img, h, border, cval, nodata)
    if z98 is None:
        valid = p[h:-h, h:-h] if h else p
        valid = valid[~np.isnan(valid)]
        z98 = np.sort(valid)[max(0, math.ceil(0.98 * valid.size) - 1)] if valid.size else np.inf
    above = np.where(np.isnan(p), False, p > z98)
    # cluster centres on the padded grid (wherever their target window fits)
    count = np.zeros(p.shape, dtype=int)
    cnt = sliding_window_view(above, (2 * t + 1, 2 * t + 1)).sum(axis=(-2, -1))
    count[t:p.shape[0] - t, t:p.shape[1] - t] = cnt
    centre = above & (count >= min_cluster)
    z = _z(img)
    out = np.empty(z.shape)
    for yy, xx in np.ndindex(*z.shape):
        py, px = yy + h, xx + h
        if above[py, px] and centre[py - t:py + t + 1, px - t:px + t + 1].any():
            out[yy, xx] = z[yy, xx]
            continue
        mu_t, var_t = _mean_var_of(p[py - t:py + t + 1, px - t:px + t + 1], ddof)
        xh = mu_t + _mmse_b(mu_t, var_t, eta2) * (z[yy, xx] - mu_t)
        w = p[py - h:py + h + 1, px - h:px + h + 1]
        sel = w[(~np.isnan(w)) & (w >= i1 * xh) & (w <= i2 * xh)]
        if sel.size == 0:
            out[yy, xx] = z[yy, xx]
            continue
        mu_s, var_s = _mean_var_of(sel, ddof)
        out[yy, xx] = mu_s + _mmse_b(mu_s, var_s, etap * etap) * (z[yy, xx] - mu_s)
    return keep_nodata(out, img, nodata)


IDAN_ORDER = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def idan(img, size=7, looks=4.0, region=50, domain="intensity", border="reflect", nodata=None,
         ddof=0, cval=None):
    """Per pixel, from the definition (slow: small images)."""
    from collections import deque

    h = size // 2
    p = padded(img, h, border, cval, nodata)
    inten = p * p if domain == "amplitude" else p
    sv = 1.0 / math.sqrt(looks)
    z = _z(img)
    out = np.empty(z.shape)
    for yy, xx in np.ndindex(*z.shape):
        cy, cx = yy + h, xx + h
        nb = inten[cy - 1:cy + 2, cx - 1:cx + 2].ravel()
        nb = np.sort(nb[~np.isnan(nb)])
        if nb.size == 0:
            out[yy, xx] = z[yy, xx]
            continue
        seed = nb[nb.size // 2]
        members, background = [], []
        seen = {(0, 0)}
        queue = deque([(0, 0)])
        while queue and len(members) < region:
            dy, dx = queue.popleft()
            v = inten[cy + dy, cx + dx]
            joined = False
            if not np.isnan(v):
                if abs(v - seed) < (2.0 / 3.0) * sv * seed:
                    members.append((dy, dx))
                    joined = True
                else:
                    background.append((dy, dx))
            if joined or (dy, dx) == (0, 0):
                for ey, ex in IDAN_ORDER:
                    q = (dy + ey, dx + ex)
                    if abs(q[0]) <= h and abs(q[1]) <= h and q not in seen:
                        seen.add(q)
                        queue.append(q)
        seed2 = np.mean([inten[cy + a, cx + b] for a, b in members]) if members else seed
        for a, b in background:
            if abs(inten[cy + a, cx + b] - seed2) < 2.0 * sv * seed2:
                members.append((a, b))
        if not members:
            out[yy, xx] = z[yy, xx]
            continue
        vi = np.array([inten[cy + a, cx + b] for a, b in members])
        vd = np.array([p[cy + a, cx + b] for a, b in members])
        k = vi.size
        mu_i = vi.mean()
        var_i = ((vi - mu_i) ** 2).sum() / (k - ddof) if k > ddof else 0.0
        mu = vd.mean()
        out[yy, xx] = mu + _mmse_b(mu_i, var_i, sv * sv) * (z[yy, xx] - mu)
    return keep_nodata(out, img, nodata)
