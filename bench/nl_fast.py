"""Vectorised numpy version of the non-local filter of docs/nonlocal.md, and its variants.

Loops over search offsets, vectorised over pixels: fast enough for parameter sweeps on crops.
No no-data handling (the benchmark has none) and the ``reflect`` border only. The definition,
with every rule, is ``python/tests/nonlocal_reference.py``; ``nl2`` agrees with it to 1e-12
(checked first by ``bench/nonlocal_prototype.py``). The options of ``nl_pass`` beyond the
definition are the variants measured in docs/nonlocal.md §6–8.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

#: weights of pairs with D/h above TAU are 0 (exp(−30) ≈ 9.4e−14: no float32 underflow)
TAU = 30.0
#: the logarithm's floor, as the reference's
EPS = 2.0 ** -126


def m_glr(looks: float) -> float:
    """``E[log cosh(δ/2)]``, ``δ = ln G₁ − ln G₂``, ``G₁, G₂ ~ Gamma(L)`` i.i.d.:
    ``ψ(2L) − ψ(L) − ln 2`` (it is ``ln(G₁ + G₂) − ln 2 − ½ ln G₁ − ½ ln G₂``,
    and ``G₁ + G₂ ~ Gamma(2L)``)."""
    return float(special.digamma(2 * looks) - special.digamma(looks) - math.log(2.0))


def box_valid(a: np.ndarray, r: int) -> np.ndarray:
    """Sum over every (2r+1)² window lying inside ``a`` (output smaller by 2r on each axis)."""
    if r == 0:
        return a
    c = np.zeros((a.shape[0] + 1, a.shape[1] + 1))
    np.cumsum(np.cumsum(a, 0), 1, out=c[1:, 1:])
    n = 2 * r + 1
    return c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]


def box_direct(a: np.ndarray, r: int) -> np.ndarray:
    """As ``box_valid`` by separable direct sums: exact to rounding relative to each window's
    own sum (cumulative sums lose the small weights next to large ones)."""
    if r == 0:
        return a
    n = 2 * r + 1
    rows = sum(a[i:a.shape[0] - n + 1 + i] for i in range(n))
    return sum(rows[:, j:rows.shape[1] - n + 1 + j] for j in range(n))


def glr(d):
    """``log cosh(δ/2)`` without overflow: ``|δ|/2 + log1p(e^{−|δ|}) − ln 2``."""
    a = np.abs(d)
    return 0.5 * a + np.log1p(np.exp(-a)) - math.log(2.0)


def nl_pass(img, pilot, *, looks, search=21, patch=7, agg=1, h=1.0, kind="glr", centre="max",
            blend=False, noisy_term=0.0, h_noisy=1.0, guide2=None, h_guide2=1.0,
            kernel="exp", flat=0.0, inner=0, beta=0.0):
    """One pass of docs/nonlocal.md §1: averages ``img`` with weights from the guide
    ``ln pilot`` (``pilot=None``: ``ln img``).

    kind: ``f`` per position — 'sq' ``δ²`` (the definition), 'glr' ``log cosh(δ/2)`` (PPB),
    'kl' ``4L·sinh²(δ/2)`` (the symmetric KL divergence of two L-look gamma laws).
    agg: aggregation box (odd). centre: 'max' (the definition), 'one' (the self-weight A²) or a
    factor of the maximum. Variants: ``blend`` (Kuan-type MMSE blend with the pixel),
    ``noisy_term`` (adds ``noisy_term·Σ glr(δ_img)/h_noisy``, PPB's refinement), ``guide2``
    (adds ``Σ δ²/h_guide2`` on ``ln guide2``), ``kernel`` 'tri' ``(1 − t)₊`` or 'bisq'
    ``(1 − t)₊²``, ``flat`` (``t → max(t − flat, 0)``), ``beta``/``inner`` (adds
    ``beta·D_inner``, a centre-weighted patch).
    """
    rs, rp, ra = search // 2, patch // 2, agg // 2
    m = rs + rp + ra
    x = np.pad(np.asarray(img, np.float64), m, mode="symmetric")
    lx = np.log(np.maximum(x, EPS))
    if pilot is None:
        lp = lx
    else:
        p = np.pad(np.asarray(pilot, np.float64), m, mode="symmetric")
        lp = np.log(np.maximum(p, EPS))
    if guide2 is not None:
        g2 = np.pad(np.asarray(guide2, np.float64), m, mode="symmetric")
        lg2 = np.log(np.maximum(g2, EPS))
    H, W = img.shape
    e = rp + ra  # extension of the region where per-pixel terms are needed
    he, we = H + 2 * e, W + 2 * e
    o = m - e
    num = np.zeros((H, W))
    num2 = np.zeros((H, W))
    den = np.zeros((H, W))
    wmax = np.zeros((H, W))
    base_p = lp[o:o + he, o:o + we]
    base_x = lx[o:o + he, o:o + we]
    for dy in range(-rs, rs + 1):
        for dx in range(-rs, rs + 1):
            if dy == 0 and dx == 0:
                continue
            sh_p = lp[o + dy:o + dy + he, o + dx:o + dx + we]
            d = base_p - sh_p
            if kind == "glr":
                f = glr(d)
            elif kind == "kl":
                f = 4.0 * looks * np.sinh(0.5 * d) ** 2
            elif kind == "sq":
                f = d * d
            else:
                raise ValueError(kind)
            D = box_valid(f, rp) / h
            if guide2 is not None:
                d2 = lg2[o:o + he, o:o + we] - lg2[o + dy:o + dy + he, o + dx:o + dx + we]
                D = D + box_valid(d2 * d2, rp) / h_guide2
            if beta:
                c = rp - inner // 2
                D = D + beta * box_valid(f[c:f.shape[0] - c, c:f.shape[1] - c], inner // 2) / h
            if flat:
                D = np.maximum(D - flat, 0.0)
            if noisy_term:
                dn = base_x - lx[o + dy:o + dy + he, o + dx:o + dx + we]
                D = D + noisy_term * box_valid(glr(dn), rp) / h_noisy
            if kernel == "exp":
                w = np.where(D <= TAU, np.exp(-np.minimum(D, TAU)), 0.0)
            elif kernel == "bisq":
                w = np.maximum(1.0 - D, 0.0) ** 2
            elif kernel == "tri":
                w = np.maximum(1.0 - D, 0.0)
            else:
                raise ValueError(kernel)
            if ra:
                w = box_direct(w, ra)
            v = x[m + dy:m + dy + H, m + dx:m + dx + W]
            num += w * v
            num2 += w * v * v
            den += w
            np.maximum(wmax, w, out=wmax)
    z = x[m:m + H, m:m + W]
    if centre == "max":
        wc = wmax
    elif centre == "one":
        wc = float(agg * agg)
    else:
        wc = float(centre) * wmax
    num += wc * z
    num2 += wc * z * z
    den += wc
    zero = den <= 0
    mu = np.where(zero, z, num / np.where(zero, 1.0, den))
    if not blend:
        return mu
    var = np.maximum(num2 / np.where(zero, 1.0, den) - mu * mu, 0.0)
    ci2 = var / np.maximum(mu * mu, 1e-300)
    cu2 = 1.0 / looks
    b = np.clip((ci2 - cu2) / (ci2 * (1.0 + cu2) + 1e-300), 0.0, 1.0)
    return mu + b * (z - mu)


def nl_pass_multi(img, pilot, *, looks, search=21, patches=(3, 5, 7), agg=3, hs=(1.0, 1.0, 1.0),
                  rule="enl"):
    """Pass 2 with several patch sizes, each with its own weights, and a per-pixel choice.

    rule 'enl': the candidate with the largest (Σw)²/Σw²; 'mix': candidates averaged with
    weights ENL_k; each candidate's centre weight is its largest other weight.
    """
    rs, ra = search // 2, agg // 2
    rpm = max(patches) // 2
    m = rs + rpm + ra
    x = np.pad(np.asarray(img, np.float64), m, mode="symmetric")
    lp = np.log(np.maximum(np.pad(np.asarray(pilot, np.float64), m, mode="symmetric"), EPS))
    H, W = img.shape
    e = rpm + ra
    he, we = H + 2 * e, W + 2 * e
    o = m - e
    K = len(patches)
    num = np.zeros((K, H, W)); den = np.zeros((K, H, W)); den2 = np.zeros((K, H, W))
    wmax = np.zeros((K, H, W))
    base = lp[o:o + he, o:o + we]
    for dy in range(-rs, rs + 1):
        for dx in range(-rs, rs + 1):
            if dy == 0 and dx == 0:
                continue
            d = base - lp[o + dy:o + dy + he, o + dx:o + dx + we]
            f = d * d
            v = x[m + dy:m + dy + H, m + dx:m + dx + W]
            for k, (P, h) in enumerate(zip(patches, hs)):
                cut = rpm - P // 2
                fk = f[cut:he - cut, cut:we - cut] if cut else f
                D = box_valid(fk, P // 2) / h
                w = np.where(D <= TAU, np.exp(-np.minimum(D, TAU)), 0.0)
                if ra:
                    w = box_direct(w, ra)
                num[k] += w * v; den[k] += w; den2[k] += w * w
                np.maximum(wmax[k], w, out=wmax[k])
    z = x[m:m + H, m:m + W]
    num += wmax * z; den += wmax; den2 += wmax * wmax
    zero = den <= 0
    mu = np.where(zero, z, num / np.where(zero, 1.0, den))
    enl = np.where(zero, 1.0, den * den / np.where(zero, 1.0, den2))
    if rule == "enl":
        k = np.argmax(enl, axis=0)
        return np.take_along_axis(mu, k[None], 0)[0]
    return (enl * mu).sum(0) / enl.sum(0)


def nl_pass_hsel(img, pilot, *, search=21, patch=5, agg=3, hs=(1.0,), enl_min=30.0):
    """Pass 2 with several ``h`` at once (one patch sum, one ``exp`` per ``h``) and a choice
    per pixel: the estimate of the smallest ``h`` whose weights reach an equivalent number of
    looks ``(Σw)²/Σw² ≥ enl_min`` (centre weight included), else that of the largest ``h``.
    """
    rs, rp, ra = search // 2, patch // 2, agg // 2
    m = rs + rp + ra
    x = np.pad(np.asarray(img, np.float64), m, mode="symmetric")
    lp = np.log(np.maximum(np.pad(np.asarray(pilot, np.float64), m, mode="symmetric"), EPS))
    H, W = img.shape
    e = rp + ra
    he, we = H + 2 * e, W + 2 * e
    o = m - e
    K = len(hs)
    num, den, den2, wmax = (np.zeros((K, H, W)) for _ in range(4))
    base = lp[o:o + he, o:o + we]
    for dy in range(-rs, rs + 1):
        for dx in range(-rs, rs + 1):
            if dy == 0 and dx == 0:
                continue
            d = base - lp[o + dy:o + dy + he, o + dx:o + dx + we]
            dsum = box_valid(d * d, rp)
            v = x[m + dy:m + dy + H, m + dx:m + dx + W]
            for k, h in enumerate(hs):
                t = dsum / h
                w = box_direct(np.where(t <= TAU, np.exp(-np.minimum(t, TAU)), 0.0), ra)
                num[k] += w * v
                den[k] += w
                den2[k] += w * w
                np.maximum(wmax[k], w, out=wmax[k])
    z = x[m:m + H, m:m + W]
    num += wmax * z
    den += wmax
    den2 += wmax * wmax
    zero = den <= 0
    mu = np.where(zero, z, num / np.where(zero, 1.0, den))
    enl = np.where(zero, 1.0, den * den / np.where(zero, 1.0, den2))
    out = mu[-1].copy()
    done = np.zeros((H, W), bool)
    for k in range(K):
        pick = (enl[k] >= enl_min) & ~done
        out[pick] = mu[k][pick]
        done |= pick
    return out


def nl2(img, looks, *, search=21, patch1=7, agg1=3, presmooth=3, patch2=5, agg2=3, h1, h2,
        multi=False, blend=False, hsel=None, var2=None):
    """The two-pass filter of docs/nonlocal.md (reflect border, no no-data).

    Pass 1 compares ln of the ``presmooth``² box means of ``img`` (squared differences), pass 2
    the pilot's logs; both average ``img``. ``multi``: pass 2 averaged over P ∈ {3, 5, 7}
    (weights ENL, ``h2`` scaled by P²/patch2²); ``blend``: Kuan-type MMSE blend in pass 2;
    ``hsel = (factors, enl_min)``: pass 2 by ``nl_pass_hsel`` with ``h = factor · h2``.
    ``var2 = (e0, form, flat, alone[, search2])``: pass 2 compares the pilot's logs relative to their variance
    (``nl_select.nl2_var``; ``h2`` is then the factor of ``patch2²``, 0.6–1).
    """
    if var2 is not None:
        import nl_select

        e0, form, flat, alone, *rest = var2
        return nl_select.nl2_var(img, looks, search=search, patch1=patch1, agg1=agg1,
                                 presmooth=presmooth, patch2=patch2, agg2=agg2, h1=h1,
                                 f2=h2, e0=e0, form=form, flat=flat, alone=alone,
                                 search2=rest[0] if rest else None)
    from scipy import ndimage

    x = np.asarray(img, np.float64)
    guide = ndimage.uniform_filter(x, presmooth, mode="reflect") if presmooth > 1 else x
    pilot = nl_pass(x, guide, looks=looks, search=search, patch=patch1, agg=agg1, h=h1,
                    kind="sq")
    if hsel is not None:
        factors, enl_min = hsel
        return nl_pass_hsel(x, pilot, search=search, patch=patch2, agg=agg2,
                            hs=tuple(f * h2 for f in factors), enl_min=enl_min)
    if multi:
        return nl_pass_multi(x, pilot, looks=looks, search=search, patches=(3, 5, 7), agg=agg2,
                             hs=tuple(h2 * p * p / (patch2 * patch2) for p in (3, 5, 7)),
                             rule="mix")
    return nl_pass(x, pilot, looks=looks, search=search, patch=patch2, agg=agg2, h=h2, kind="sq",
                   blend=blend)
