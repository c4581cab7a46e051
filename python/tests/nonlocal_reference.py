"""Plain float64 reference of the two-pass non-local filter of docs/nonlocal.md.

Written for clarity, not speed (small images only): every search offset is a Python loop,
every patch and aggregation sum an explicit ``sliding_window_view`` sum (no running sums), and
every rule of the definition is one visible line. Borders and no-data come from
``reference.padded`` (the same conventions as every other filter: docs/filters.md, "Border
modes"); an invalid position (NaN, ±∞, the no-data value, outside the image under ``shrink`` or
``constant:nan``) is NaN in the padded arrays.

The filter, for L-look intensities ``I`` (section numbers refer to docs/nonlocal.md):

* one pass (§1) averages ``I`` over a ``W × W`` search window; the weight of the pixel pair
  ``(s, s + d)`` is ``Σ_{j ∈ A×A} ω(s − j, d)``, ``ω(u, d) = exp(−D(u, d)/h)`` (0 when
  ``D/h > τ``), ``D(u, d) = Σ_{k ∈ P×P} (g(u+k) − g(u+k+d))²`` over the valid pairs,
  scaled to ``P²`` pairs; the centre pixel weighs as much as its most similar other pixel;
  a pixel with no positive weight keeps its value;
* pass 1 (§2, the pilot ``R₁``): guide ``g = ln max(B, ε)``, ``B`` the 3 × 3 mean of ``I``,
  ``P₁ = 7``, ``A₁ = 3``, ``h₁ = c₁ · P₁² · 2ψ₁(9L)``, ``c₁ = 0.4``; each pilot value also
  gets a log-variance ``v = (1/E + 1/E₀)/L`` from the ENL ``E = (M + S)²/(M² + Q)`` of its
  weights (``Q = Σ w²``, ``E₀ = 50``; ``v = 1/(E₀·L)`` when ``M + S = 0``), ``u² = 1/(2v)``;
* pass 2 (§3): guide ``g = ln max(R₁, ε)`` (the pilot and its ``u²`` extended by the border
  mode), per position ``(g(q) − g(q+d))² · max(u²(q), u²(q+d))``, ``P₂ = 5``, ``A₂ = 3``,
  weight ``exp(−max(D − φ·P₂², 0)/h₂)``, ``φ = 1.5``, ``h₂ = f·P₂²``, ``f = 0.7``.

``pass2="plain"`` gives the previous pass 2 (``(g(q) − g(q+d))²``, no flat top,
``h₂ = k₂·P₂²``, ``k₂ = 0.09/√L``), which ``bench/nonlocal_prototype.py``'s ``nl2`` row measures.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special

import reference as ref

#: Pair weights with D/h above TAU are exactly 0: exp(−30) ≈ 9.4e−14, so no weight underflows
#: in float32, and a patch unlike every other one (a point target) keeps its value.
TAU = 30.0
#: The logarithm's floor: ln max(x, EPS). The smallest normal float32, so that float32 and
#: float64 implementations clamp the same values (zeros and negative values).
EPS = 2.0 ** -126
#: The ENL the pilot's variance trusts at most (§2).
E0 = 50.0
#: Pass 2's flat top: the part φ·P₂² of D costs nothing (§3).
FLAT = 1.5
#: Pass 2's strength: h₂ = F2·P₂² (§3).
F2 = 0.7
#: Pass 1's strength with the variance-relative pass 2 (the defaults): h₁ = C1·P₁²·2ψ₁(b²L).
C1 = 0.35
#: The search window side of the defaults.
SEARCH = 23
#: The point-target rule's false-alarm probability of the defaults (§4).
TARGETS = 1e-5


def psi1(looks: float) -> float:
    """``ψ₁(L) = Var[ln G]``, the variance of L-look log-speckle (1.645 for L = 1)."""
    return float(special.polygamma(1, looks))


def default_constants(looks: float) -> tuple[float, float]:
    """``(c₁, k₂)`` for ``L`` looks (docs/nonlocal.md §6): pass 1's ``c₁ = 0.4``, and the
    ``k₂ = 0.09/√L`` of the plain pass 2 (``pass2="plain"``)."""
    return 0.4, 0.09 / math.sqrt(float(looks))


def f_sq(a, b):
    """The per-position dissimilarity of two guide values (logs), both passes: ``(a − b)²``."""
    return (a - b) ** 2


def pilot_u2(wmax, den, sq, looks):
    """``u² = 1/(2v)`` of pass-1 sums ``M``, ``S``, ``Q``: ``v = (1/E + 1/E₀)/L``,
    ``E = (M + S)²/(M² + Q)``; ``v = 1/(E₀·L)`` where ``M + S = 0`` (no positive weight)."""
    ms = wmax + den
    pos = ms > 0                                            # tested as such, never E == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(pos, ((wmax * wmax + sq) / (ms * ms) + 1.0 / E0) / looks,
                     1.0 / (E0 * looks))
    return 0.5 / v


def nl_pass(x_pad, g_pad, margin, shape, *, search, patch, agg, h, dissim, u2_pad=None,
            flat=0.0, looks=None, targets=None, alone=None):
    """One pass over an image of ``shape`` (rows, cols); returns the float64 estimate, and
    with ``looks`` also the ``u²`` of its weights (``pilot_u2``) and which pixels the pass
    returned unchanged (no positive weight, or a point target).

    Point targets (§4), returned unchanged (with ``u²`` as if no weight were positive):
    ``targets = κ``, the pixels whose value exceeds ``κ`` times the weighted mean of the pixels
    outside their 3 × 3 neighbourhood, or with no positive weight outside it (pass 1); ``alone``, a mask of the pixels to return unchanged (pass 2: those pass 1
    returned unchanged).

    ``x_pad``: the values averaged, ``g_pad``: the log-domain guide compared, both extended
    by ``margin`` ≥ search//2 + patch//2 + agg//2 on each side, NaN where not valid.
    ``u2_pad`` (pass 2): each position's dissimilarity is multiplied by
    ``max(u²(q), u²(q+d))``; ``flat``: the weight is ``exp(−max(D − flat, 0)/h)``.
    """
    rs, rp, ra = search // 2, patch // 2, agg // 2
    assert margin >= rs + rp + ra
    ny, nx = shape
    valid = ~np.isnan(x_pad) & ~np.isnan(g_pad)          # v(u): both values valid
    g0 = np.where(valid, g_pad, 0.0)
    x0 = np.where(valid, x_pad, 0.0)
    # positions u whose pair weight ω(u, d) is needed: the image grown by ra (aggregation)
    e = ra
    uy = np.arange(-e, ny + e) + margin                   # padded row index of u
    ux = np.arange(-e, nx + e) + margin
    num = np.zeros(shape)
    den = np.zeros(shape)
    sq = np.zeros(shape)
    wmax = np.zeros(shape)
    far_num = np.zeros(shape)                             # outside the 3 × 3 neighbourhood
    far_den = np.zeros(shape)
    for dy in range(-rs, rs + 1):
        for dx in range(-rs, rs + 1):
            if dy == 0 and dx == 0:
                continue
            # per position q (the image grown by ra + rp): f(g(q), g(q + d)), and whether both
            # q and q + d are valid
            qy = np.arange(-e - rp, ny + e + rp) + margin
            qx = np.arange(-e - rp, nx + e + rp) + margin
            a = g0[np.ix_(qy, qx)]
            b = g0[np.ix_(qy + dy, qx + dx)]
            both = valid[np.ix_(qy, qx)] & valid[np.ix_(qy + dy, qx + dx)]
            fq = dissim(a, b)
            if u2_pad is not None:                        # relative to the pilot's variance
                fq = fq * np.maximum(u2_pad[np.ix_(qy, qx)], u2_pad[np.ix_(qy + dy, qx + dx)])
            fq = np.where(both, fq, 0.0)
            # D(u, d) = Σ_k f over the P × P patch pair, over the valid pairs k only, scaled
            # to a full patch: D · P² / n(u, d); ω = 0 when n = 0
            s = sliding_window_view(fq, (patch, patch)).sum(axis=(-2, -1))
            n = sliding_window_view(both.astype(np.float64), (patch, patch)).sum(axis=(-2, -1))
            with np.errstate(divide="ignore", invalid="ignore"):
                dh = np.maximum(np.where(n > 0, s * (patch * patch) / n, np.inf) - flat,
                                0.0) / h
            omega = np.where(dh <= TAU, np.exp(-np.minimum(dh, TAU)), 0.0)
            assert omega.shape == (len(uy), len(ux))
            # w(s, d) = Σ_{j ∈ A × A} ω(s − j, d): every patch pair that holds s and s + d at
            # the same place
            w = sliding_window_view(omega, (agg, agg)).sum(axis=(-2, -1))
            # the pair needs a valid neighbour value x(s + d)
            tgt = valid[margin + dy:margin + dy + ny, margin + dx:margin + dx + nx]
            w = np.where(tgt, w, 0.0)
            num += w * x0[margin + dy:margin + dy + ny, margin + dx:margin + dx + nx]
            den += w
            sq += w * w
            wmax = np.maximum(wmax, w)
            if max(abs(dy), abs(dx)) >= 2:
                far_num += w * x0[margin + dy:margin + dy + ny, margin + dx:margin + dx + nx]
                far_den += w
    z = x0[margin:margin + ny, margin:margin + nx]
    # point targets: brighter than κ times the weighted mean of the pixels outside the 3 × 3
    # neighbourhood, or no positive weight outside it
    kept = np.zeros(shape, bool)
    if targets is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            kept = (far_den == 0) | ((far_num > 0) & (z > targets * (far_num / far_den)))
    if alone is not None:
        kept = alone.copy()
    none = wmax + den == 0                                  # no positive weight
    u2 = None if looks is None else np.where(kept, E0 * looks / 2.0,
                                             pilot_u2(wmax, den, sq, looks))
    # centre weight = the largest weight of another pixel; no positive weight -> keep z
    num += wmax * z
    den += wmax
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where((den > 0) & ~kept, num / den, z)
    return est if looks is None else (est, u2, kept | none)


def box_mean(x_pad, size):
    """Mean of the valid (non-NaN) values of each ``size × size`` window: the result is smaller
    by ``size − 1`` on each axis; NaN where the window holds no valid value."""
    ok = ~np.isnan(x_pad)
    s = sliding_window_view(np.where(ok, x_pad, 0.0), (size, size)).sum(axis=(-2, -1))
    n = sliding_window_view(ok.astype(np.float64), (size, size)).sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1.0), np.nan)


def target_ratio(looks: float, p: float) -> float | None:
    """The point-target ratio ``κ``: ``P(X > κ) = p`` for ``X ~ Gamma(L, 1/L)`` (scipy);
    ``None`` when ``p = 0`` (no rule)."""
    return float(special.gammainccinv(looks, p) / looks) if p > 0 else None


def nonlocal_filter(img, looks, *, search=SEARCH, patch1=7, agg1=3, presmooth=3, patch2=5, agg2=3,
                    c1=None, k2=None, f2=F2, h1=None, h2=None, passes=2, border="reflect",
                    cval=None, nodata=None, pass2="var", targets=TARGETS):
    """The filter of docs/nonlocal.md on a 2-D intensity image; float64 result.

    ``h1``/``h2`` given override ``c1``/``f2``: ``h₁ = c₁ · P₁² · 2ψ₁(b²L)`` (``b`` =
    ``presmooth``, ``c₁`` default ``C1`` = 0.35, or 0.4 with the plain pass 2), ``h₂ = f2 · P₂²``
    (default 0.7). ``pass2="plain"``:
    the previous pass 2, ``h₂ = k₂ · P₂²`` (``k₂`` default ``0.09/√L``), no variance.
    ``passes=1`` returns the pilot. Invalid pixels (non-finite, the no-data value) are copied
    unchanged. ``targets``: the point-target rule's false-alarm probability ``p`` (§4; 0: off):
    pass 1 returns a pixel unchanged where its value exceeds ``κ`` times the weighted mean of
    the others (``target_ratio``), pass 2 the pixels pass 1 returned unchanged.
    """
    img = np.asarray(img)
    if img.ndim != 2:
        raise ValueError("nonlocal_filter: a 2-D image")
    for name, v in (("search", search), ("patch1", patch1), ("agg1", agg1),
                    ("presmooth", presmooth), ("patch2", patch2), ("agg2", agg2)):
        if v < 1 or v % 2 == 0:
            raise ValueError(f"nonlocal_filter: {name} must be odd and ≥ 1")
    if not looks > 0:
        raise ValueError("nonlocal_filter: looks must be > 0")
    dc1, dk2 = default_constants(looks)
    if h1 is None:
        h1 = ((C1 if pass2 == "var" else dc1) if c1 is None else c1) * patch1 * patch1 * 2.0 * psi1(presmooth ** 2 * looks)
    if pass2 not in ("var", "plain"):
        raise ValueError("nonlocal_filter: pass2 is 'var' or 'plain'")
    if h2 is None:
        h2 = ((dk2 if k2 is None else k2) if pass2 == "plain" else f2) * patch2 * patch2
    shape = img.shape
    x_in, bad = ref.valid_values(img, nodata)

    def log_guide(v):  # ln max(v, EPS); NaN stays NaN
        with np.errstate(invalid="ignore"):
            return np.log(np.maximum(v, EPS))

    # pass 1 (pilot): x = I; guide = ln B, B = the b × b mean of the valid values of the
    # padded input (computed from the padded input, also at positions outside the image);
    # a position is valid where I is
    rb = presmooth // 2
    m1 = search // 2 + patch1 // 2 + agg1 // 2
    xb = ref.padded(img, m1 + rb, border, cval, nodata)
    x1 = xb[rb:xb.shape[0] - rb, rb:xb.shape[1] - rb]
    g1 = np.where(np.isnan(x1), np.nan, log_guide(box_mean(xb, presmooth)))
    r1, u2, alone = nl_pass(x1, g1, m1, shape, search=search, patch=patch1, agg=agg1, h=h1,
                            dissim=f_sq, looks=looks, targets=target_ratio(looks, targets))
    r1 = np.where(bad, np.nan, r1)                          # invalid pixels stay invalid
    if passes == 1:
        return ref.keep_nodata(np.where(bad, 0.0, r1), img, nodata)
    # pass 2: x = I; guide = ln R₁, the pilot (float64, not rounded) extended by the same
    # border mode (outside positions of shrink / constant:nan stay invalid); valid where I is
    m2 = search // 2 + patch2 // 2 + agg2 // 2
    x2 = ref.padded(img, m2, border, cval, nodata)
    p2 = ref.padded(r1, m2, border, cval, None)
    g2 = np.where(np.isnan(x2), np.nan, log_guide(p2))
    if pass2 == "plain":
        r2 = nl_pass(x2, g2, m2, shape, search=search, patch=patch2, agg=agg2, h=h2,
                     dissim=f_sq)
        return ref.keep_nodata(np.where(bad, 0.0, r2), img, nodata)
    # the pilot's u², extended like the pilot; a constant border has no noise left: E₀·L/2
    # (u² = 1/(2v), v = 1/(E₀·L)); where not valid it is never read
    name, const = ref.parse_border(border, cval)
    if name == "constant":
        u2p = np.pad(u2, m2, mode="constant", constant_values=E0 * looks / 2.0)
    else:
        u2p = ref.padded(u2, m2, border, cval, None)
    u2p = np.where(np.isnan(u2p), 1.0, u2p)
    r2 = nl_pass(x2, g2, m2, shape, search=search, patch=patch2, agg=agg2, h=h2, dissim=f_sq,
                 u2_pad=u2p, flat=FLAT * patch2 * patch2, alone=alone if targets > 0 else None)
    return ref.keep_nodata(np.where(bad, 0.0, r2), img, nodata)
