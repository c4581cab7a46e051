"""Variants of pass 2 of the non-local filter (docs/nonlocal.md) within the same per-offset
box-sum engine: a per-pixel choice among several ``h`` (§7), and comparing the pilot relative
to its variance (``nl2_var``: the ``nl2+var*`` rows of ``bench/nonlocal_prototype.py``).

``pass_stats`` computes, for every ``h_k`` of a list, the per-pixel sums of one pass of
docs/nonlocal.md §1 (reflect border, no no-data): ``N = Σ w·x``, ``S = Σ w``, ``Q = Σ w²``,
``M = max w`` and ``V = Σ w·x²`` over the other pixels of the search window. One patch sum
per offset is shared by the K values; each ``h`` has its own ``exp``, aggregation and
accumulators (the cost of K values: K ``exp`` per offset pair). Offsets run over one
half-plane and each pair is added to both pixels, as the Rust filter does; with one ``h``
and the defaults, the estimate is the definition's (checked against the plain reference by
``nonlocal_prototype.check_reference``).

``select`` turns the statistics of K values of ``h`` into one estimate per pixel by a rule:

* ``("enl", t)``: the smallest ``h`` whose weights reach ``(M + S)²/(M² + Q) ≥ t``
  (centre weight included), else the largest (§7's rule);
* ``("var", γ)``: the largest ``h`` whose weighted coefficient of variation of the averaged
  intensities, ``C² = (V + M·x²)/(S + M)/R̂² − 1``, stays ``≤ γ/L`` (the averaged pixels look
  like one reflectivity under L-look speckle: a Kuan-type homogeneity test), else the
  smallest;
* ``("enlvar", (t, γ))``: the ENL rule, an ``h`` being accepted only if it also passes the
  variance test; ``("soft", t)``: the K estimates averaged with weights
  ``min(ENL_k/t, 1)⁴``; ``("oracle", truth)``: the per-pixel best (an upper bound only);
  ``("fixed", k)``: the k-th.
"""

from __future__ import annotations

import numpy as np

from nl_fast import EPS, TAU, box_direct, box_valid


def pass_stats(img, guide, *, search=21, patch=5, agg=3, hs=(1.0,), guide_is_log=False,
               gvar=None, gmode="sum", aggmode="sum", moments=False, flat=0.0):
    """Per-``h`` sums of one pass: a dict of arrays of shape (K, H, W), ``N, S, Q, M, V``
    (and ``G = Σ w·p``, ``G2 = Σ w·p²``, ``C = Σ w·p·x`` of the guide's values ``p`` with
    ``moments``), and ``x``, ``g`` the image and guide. ``guide``: compared as
    ``ln max(guide, ε)`` (or as is with ``guide_is_log``).

    ``gvar``: a per-pixel variance ``v`` of the guide's logs; the per-position dissimilarity
    is then ``δ²/(v(q) + v(q+d))`` (``gmode="sum"``), ``δ²·u(q)·u(q+d)`` with
    ``u = 1/√(2v)`` (``"geo"``) or ``δ²·max(u(q)², u(q+d)²)`` (``"max"``) instead of ``δ²``.
    ``flat``: the patch sum ``D`` becomes ``max(D − flat, 0)`` before ``/h``.
    ``aggmode="max"``: the aggregation takes the largest patch-pair weight instead of the
    sum."""
    rs, rp, ra = search // 2, patch // 2, agg // 2
    e = rp + ra
    m = rs + e
    x = np.pad(np.asarray(img, np.float64), m, mode="symmetric")
    g = np.pad(np.asarray(guide, np.float64), m, mode="symmetric")
    lp = g if guide_is_log else np.log(np.maximum(g, EPS))
    if gvar is not None:
        gv = np.pad(np.asarray(gvar, np.float64), m, mode="symmetric")
        if gmode == "geo":  # δ²·u(q)·u(q+d), u = 1/√(2v): no division per offset
            gv = 1.0 / np.sqrt(2.0 * gv)
        elif gmode == "max":  # δ²·max(u(q)², u(q+d)²): the smaller variance of the two
            gv = 1.0 / (2.0 * gv)
    H, W = img.shape
    K = len(hs)
    N, S, Q, M, V, G, G2, C = (np.zeros((K, H, W)) for _ in range(8))
    inv = [1.0 / h for h in hs]
    offsets = [(dy, dx) for dy in range(0, rs + 1) for dx in range(-rs, rs + 1)
               if dy > 0 or dx > 0]
    for dy, dx in offsets:
        # pairs (s, s+d) with s or s+d in the image: s over rows y0 .. y0+hh, cols x0 .. x0+ww
        y0, x0 = min(0, -dy), min(0, -dx)
        hh, ww = H + abs(dy), W + abs(dx)
        a = lp[m + y0 - e:m + y0 + hh + e, m + x0 - e:m + x0 + ww + e]
        b = lp[m + y0 + dy - e:m + y0 + dy + hh + e, m + x0 + dx - e:m + x0 + dx + ww + e]
        d = a - b
        if gvar is None:
            dsum = box_valid(d * d, rp)
        else:  # squared differences relative to the guide's variances
            va = gv[m + y0 - e:m + y0 + hh + e, m + x0 - e:m + x0 + ww + e]
            vb = gv[m + y0 + dy - e:m + y0 + dy + hh + e, m + x0 + dx - e:m + x0 + dx + ww + e]
            if gmode == "sum":
                e2 = d * d / (va + vb)
            elif gmode == "max":
                e2 = d * d * np.maximum(va, vb)
            else:
                e2 = d * d * va * vb
            dsum = box_valid(e2, rp)
        if flat:  # flat top: D below ``flat`` counts as 0
            dsum = np.maximum(dsum - flat, 0.0)
        # s in the image gains x(s+d); t = s+d in the image gains x(t−d)
        ia, ja = -y0, -x0
        ib, jb = -y0 - dy, -x0 - dx
        xa = x[m + dy:m + dy + H, m + dx:m + dx + W]
        xb = x[m - dy:m - dy + H, m - dx:m - dx + W]
        if moments:
            pa = g[m + dy:m + dy + H, m + dx:m + dx + W]
            pb = g[m - dy:m - dy + H, m - dx:m - dx + W]
        for k in range(K):
            t = dsum * inv[k]
            om = np.where(t <= TAU, np.exp(-np.minimum(t, TAU)), 0.0)
            w = box_direct(om, ra) if aggmode == "sum" else box_max(om, ra)
            wa = w[ia:ia + H, ja:ja + W]
            wb = w[ib:ib + H, jb:jb + W]
            N[k] += wa * xa + wb * xb
            V[k] += wa * xa * xa + wb * xb * xb
            S[k] += wa + wb
            Q[k] += wa * wa + wb * wb
            np.maximum(M[k], wa, out=M[k])
            np.maximum(M[k], wb, out=M[k])
            if moments:
                G[k] += wa * pa + wb * pb
                G2[k] += wa * pa * pa + wb * pb * pb
                C[k] += wa * pa * xa + wb * pb * xb
    return {"N": N, "S": S, "Q": Q, "M": M, "V": V, "G": G, "G2": G2, "C": C,
            "x": x[m:m + H, m:m + W], "g": g[m:m + H, m:m + W]}


def box_max(a, r):
    """Maximum over every (2r+1)² window inside ``a`` (separable)."""
    if r == 0:
        return a
    n = 2 * r + 1
    rows = np.maximum.reduce([a[i:a.shape[0] - n + 1 + i] for i in range(n)])
    return np.maximum.reduce([rows[:, j:rows.shape[1] - n + 1 + j] for j in range(n)])


def estimates(st, centre=1.0):
    """Per-``h`` estimates, ENL and coefficient of variation² (centre weight = centre·M)."""
    z = st["x"][None]
    wc = centre * st["M"]
    den = st["S"] + wc
    zero = den <= 0
    safe = np.where(zero, 1.0, den)
    mu = np.where(zero, z, (st["N"] + wc * z) / safe)
    enl = np.where(zero, 1.0, den * den / np.where(zero, 1.0, st["Q"] + wc * wc))
    m2 = np.where(zero, z * z, (st["V"] + wc * z * z) / safe)
    c2 = np.maximum(m2 / np.maximum(mu * mu, 1e-300) - 1.0, 0.0)
    return mu, enl, c2


def _first(ok, order):
    """Index (into the K axis) of the first k of ``order`` with ``ok[k]``; -1 where none."""
    pick = np.full(ok.shape[1:], -1)
    for k in order:
        pick = np.where((pick < 0) & ok[k], k, pick)
    return pick


def select(st, rule, looks, centre=1.0):
    """One estimate per pixel from the K estimates of ``pass_stats`` (``hs`` increasing)."""
    mu, enl, c2 = estimates(st, centre)
    K = mu.shape[0]
    kind, par = rule
    if kind == "fixed":
        return mu[par]
    if kind == "enl":
        pick = _first(enl >= par, range(K))
        pick = np.where(pick < 0, K - 1, pick)
    elif kind == "var":  # largest h whose averaged values pass the homogeneity test
        pick = _first(c2 <= par / looks, range(K - 1, -1, -1))
        pick = np.where(pick < 0, 0, pick)
    elif kind == "enlvar":  # smallest h reaching ENL t, unless it fails the variance test
        t, gamma = par
        pick = _first((enl >= t) & (c2 <= gamma / looks), range(K))
        alt = _first(c2 <= gamma / looks, range(K - 1, -1, -1))
        pick = np.where(pick < 0, np.where(alt < 0, 0, alt), pick)
    elif kind == "soft":  # ENL-weighted mean of the candidates reaching t, else the last
        wts = np.minimum(enl / par, 1.0) ** 4
        return (wts * mu).sum(0) / wts.sum(0)
    elif kind == "oracle":  # per-pixel best (needs the truth: an upper bound only)
        truth = par
        err = (np.sqrt(np.maximum(mu, 0)) - truth[None]) ** 2
        pick = np.argmin(err, axis=0)
    else:
        raise ValueError(kind)
    return np.take_along_axis(mu, pick[None], 0)[0]


def pilot_variance(enl, looks, e0, alone="strict"):
    """The variance assumed for the log of a pilot value whose weights had an equivalent number
    of looks ``enl``: ``(1/enl + 1/e0)/L`` (the log of a mean of ``n`` L-look intensities has
    variance ``ψ₁(nL) ≈ 1/(nL)``; ``e0`` caps the ENL trusted: neighbouring pilot values share
    most of their pixels, and the pilot's bias is not in ``1/(nL)``).

    A pilot value with no positive weight in pass 1 (``enl == 1`` exactly: with any positive
    weight the centre weight makes it ≥ 2) is unlike every patch of its window, a point
    target or what surrounds one: ``alone="strict"`` gives it the smallest variance,
    ``1/(e0·L)``, so that pass 2 keeps it apart as the definition's cut-off does;
    ``"loose"`` gives it ``(1 + 1/e0)/L`` (and pass 2 then averages a strong point target
    with its surroundings)."""
    enl = np.asarray(enl)
    v = (1.0 / enl + 1.0 / e0) / looks
    if alone == "strict":
        v = np.where(enl == 1.0, 1.0 / (e0 * looks), v)
    return v


def pilot_and_enl(img, *, search=21, patch1=7, agg1=3, presmooth=3, h1):
    """Pass 1 of docs/nonlocal.md (the pilot) and the ENL ``(M + S)²/(M² + Q)`` of each pilot
    value's weights (centre weight included; 1 where no weight is positive)."""
    from scipy import ndimage

    x = np.asarray(img, np.float64)
    guide = ndimage.uniform_filter(x, presmooth, mode="reflect") if presmooth > 1 else x
    st = pass_stats(x, guide, search=search, patch=patch1, agg=agg1, hs=(h1,))
    mu, enl, _ = estimates(st)
    return mu[0], enl[0]


def nl2_var(img, looks, *, search=21, patch1=7, agg1=3, presmooth=3, patch2=5, agg2=3, h1,
            f2=1.0, e0=35.0, form="geo", flat=0.0, alone="strict", search2=None):
    """The two-pass filter of docs/nonlocal.md with pass 2 comparing the pilot's logs relative
    to their variance: pass 1 as defined, also giving each pilot value the ENL of its weights
    ``(M + S)²/(M² + Q)`` (one more accumulator, ``Q = Σ w²``); pass 2 with
    ``f(q, q+d) = δ²/(v(q) + v(q+d))`` (``form="sum"``: one division per position and offset)
    or ``δ²·u(q)·u(q+d)``, ``u = 1/√(2v)`` (``form="geo"``: two multiplications; equal where
    ``v(q) = v(q+d)``) or ``δ²·max(u(q)², u(q+d)²)`` (``form="max"``: the smaller of the two
    variances), ``v = pilot_variance(ENL, L, e0, alone)``, and ``h₂ = f2·P₂²`` (the mean of
    ``D`` is about ``P₂²`` where the pilots agree: ``f2`` does not depend on ``L``).
    ``flat``: the weight is ``exp(−max(D − flat·P₂², 0)/h₂)`` (a flat top: the part of ``D``
    that noise alone gives costs nothing, as in Buades et al.'s ``max(d² − 2σ², 0)``).
    ``search2``: pass 2's search window (default ``search``)."""
    x = np.asarray(img, np.float64)
    pilot, enl = pilot_and_enl(x, search=search, patch1=patch1, agg1=agg1,
                               presmooth=presmooth, h1=h1)
    var = pilot_variance(enl, looks, e0, alone)
    st = pass_stats(x, pilot, search=search2 or search, patch=patch2, agg=agg2,
                    hs=(f2 * patch2 * patch2,),
                    gvar=var, gmode=form, flat=flat * patch2 * patch2)
    return estimates(st)[0][0]
