#!/usr/bin/env python3
"""Open an HTML report in headless Chromium, screenshot it, and check it from the page itself.

    python3 scripts/render_check.py REPORT.html --screenshot OUT.png [--expect-rows N]

Chromium (Debian's ``chromium``, installed by ``scripts/setup-browser.sh``) is driven over the
DevTools protocol on a pipe (``--remote-debugging-pipe``: no port, no driver, no Python
package beyond the standard library), with a new empty profile and everything that would
reach the network turned off. After the page's ``load`` event (images lazily loaded are made
eager and awaited), JavaScript run in the page reports:

* every ``<img>``: decoded when ``complete`` and ``naturalWidth > 0`` — a missing or corrupt
  image fails the check;
* the number of ``tr[data-filter]`` rows of the table ``#metrics`` — with ``--expect-rows
  N`` it must be exactly N (a missing table fails);
* uncaught JavaScript exceptions — any fails the check.

A full-page PNG screenshot is written to ``--screenshot`` (the page's whole height at the
``--width`` viewport, up to 16384 px). A JSON summary goes to stdout (``ok``, ``images``,
``metrics_rows``, ``errors``, ``console``, timings); the exit status is 0 when every check
passes, 1 when one fails, 2 when the page cannot be checked at all (no Chromium, no file,
time-out).
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-default-browser-check", "--disable-extensions", "--disable-default-apps",
    "--mute-audio", "--hide-scrollbars", "--disable-crash-reporter", "--disable-breakpad",
    "--remote-debugging-pipe",
)
MAX_HEIGHT = 16384

# Run in the page: make lazy images eager, wait (bounded) for every image to settle, then
# report what the page holds. Resolves to a plain JSON-able object.
PAGE_CHECK = r"""
(async (timeoutMs) => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { if (img.loading === "lazy") img.loading = "eager"; }
  const settle = (img) => img.complete ? Promise.resolve() : new Promise((res) => {
    img.addEventListener("load", res, {once: true});
    img.addEventListener("error", res, {once: true});
  });
  await Promise.race([Promise.all(imgs.map(settle)),
                      new Promise((res) => setTimeout(res, timeoutMs))]);
  const table = document.querySelector("#metrics");
  return {
    title: document.title,
    images: imgs.map((img) => ({src: (img.currentSrc || img.src || "").slice(0, 200),
                                complete: img.complete, naturalWidth: img.naturalWidth,
                                naturalHeight: img.naturalHeight})),
    metricsTable: table !== null,
    metricsRows: table === null ? null : table.querySelectorAll("tr[data-filter]").length,
  };
})
"""


class CheckError(Exception):
    """The page could not be checked (exit status 2)."""


class DevTools:
    """A DevTools-protocol session over Chromium's --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, chromium: str, profile: str, width: int, height: int):
        cmd_r, self._cmd_w = os.pipe()  # we write commands; Chromium reads fd 3
        self._res_r, res_w = os.pipe()  # Chromium writes fd 4; we read
        keep = (cmd_r, res_w)

        def child_fds():  # in the child, before exec: the two ends become fds 3 and 4
            hi = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in keep]
            os.dup2(hi[0], 3)
            os.dup2(hi[1], 4)

        args = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                f"--window-size={width},{height}", "about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, close_fds=False,
                                     preexec_fn=child_fds, start_new_session=True)
        os.close(cmd_r)
        os.close(res_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CheckError(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == method and ev.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            ev = self._read(deadline)
            if ev.get("method") == method and ev.get("sessionId") == session:
                return ev
            self.events.append(ev)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._res_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._res_r, 1 << 20)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace").strip() if self.proc.stderr else ""
                raise CheckError("Chromium closed the DevTools pipe"
                                 + (f": {err.splitlines()[-1]}" if err else ""))
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def close(self):
        if self.proc.poll() is None:
            try:  # a clean exit is faster than a signal
                self.send("Browser.close", timeout=5)
            except (CheckError, OSError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for fd in (self._cmd_w, self._res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:  # helper processes Chromium started in its own session (ours alone)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.stderr:
            self.proc.stderr.close()


def find_chromium(given: str | None) -> str:
    for name in ([given] if given else []) + [os.environ.get("CHROMIUM", "")] + list(CHROMIUM_NAMES):
        if name and (path := shutil.which(name)):
            return path
    raise CheckError("Chromium not found: install it with `bash scripts/setup-browser.sh` "
                     "(or pass --chromium PATH)")


def check(report: Path, screenshot: Path, expect_rows: int | None, chromium: str,
          width: int, timeout: float) -> dict:
    t0 = time.perf_counter()
    summary: dict = {"report": str(report), "screenshot": str(screenshot), "ok": False,
                     "errors": [], "console": []}
    with tempfile.TemporaryDirectory(prefix="render-check-profile-") as profile:
        dt = DevTools(chromium, profile, width, 800)
        try:
            target = dt.send("Target.createTarget", {"url": "about:blank"}, timeout=timeout)
            session = dt.send("Target.attachToTarget",
                              {"targetId": target["targetId"], "flatten": True})["sessionId"]
            t_started = time.perf_counter()
            for domain in ("Page", "Runtime", "Log"):
                dt.send(f"{domain}.enable", session=session)
            nav = dt.send("Page.navigate", {"url": report.resolve().as_uri()}, session=session,
                          timeout=timeout)
            if nav.get("errorText"):
                raise CheckError(f"cannot open {report}: {nav['errorText']}")
            dt.wait_event("Page.loadEventFired", session, timeout)
            res = dt.send("Runtime.evaluate",
                          {"expression": f"{PAGE_CHECK}({int(timeout * 1000 / 2)})",
                           "awaitPromise": True, "returnByValue": True},
                          session=session, timeout=timeout)
            if "exceptionDetails" in res:
                raise CheckError("the page check script failed: "
                                 + res["exceptionDetails"].get("text", "?"))
            page = res["result"]["value"]
            t_loaded = time.perf_counter()

            metrics = dt.send("Page.getLayoutMetrics", session=session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            page_w = max(width, int(size["width"] + 0.999))
            page_h = min(MAX_HEIGHT, max(1, int(size["height"] + 0.999)))
            dt.send("Emulation.setDeviceMetricsOverride",
                    {"width": page_w, "height": page_h, "deviceScaleFactor": 1, "mobile": False},
                    session=session)
            shot = dt.send("Page.captureScreenshot",
                           {"format": "png", "captureBeyondViewport": True,
                            "clip": {"x": 0, "y": 0, "width": page_w, "height": page_h,
                                     "scale": 1}},
                           session=session, timeout=timeout)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            tmp = screenshot.with_name(screenshot.name + ".part")
            tmp.write_bytes(base64.b64decode(shot["data"]))
            tmp.replace(screenshot)
            t_shot = time.perf_counter()
        finally:
            dt.close()

    for ev in dt.events:
        p = ev.get("params", {})
        if ev.get("method") == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = (d.get("exception") or {}).get("description") or d.get("text", "exception")
            summary["errors"].append(f"uncaught JavaScript exception: {text.splitlines()[0]}")
        elif ev.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            summary["console"].append(f"{e.get('text', '')} {e.get('url', '')}".strip())

    images = page["images"]
    broken = [i["src"] for i in images if not (i["complete"] and i["naturalWidth"] > 0)]
    summary["title"] = page["title"]
    summary["images"] = {"total": len(images), "decoded": len(images) - len(broken),
                         "broken": broken}
    for src in broken:
        summary["errors"].append(f"image not decoded: {src}")
    summary["metrics_table"] = page["metricsTable"]
    summary["metrics_rows"] = page["metricsRows"]
    if expect_rows is not None:
        summary["expect_rows"] = expect_rows
        if page["metricsRows"] is None:
            summary["errors"].append("no table #metrics in the page")
        elif page["metricsRows"] != expect_rows:
            summary["errors"].append(f"table #metrics has {page['metricsRows']} tr[data-filter] "
                                     f"rows, expected {expect_rows}")
    summary["page_size"] = [page_w, page_h]
    summary["seconds"] = {"browser_start": round(t_started - t0, 3),
                          "load_and_check": round(t_loaded - t_started, 3),
                          "screenshot": round(t_shot - t_loaded, 3),
                          "total": round(time.perf_counter() - t0, 3)}
    summary["ok"] = not summary["errors"]
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report", type=Path, help="the HTML file")
    ap.add_argument("--screenshot", type=Path, required=True, help="full-page PNG to write")
    ap.add_argument("--expect-rows", type=int, default=None,
                    help="exact number of tr[data-filter] rows in table #metrics")
    ap.add_argument("--width", type=int, default=1280, help="viewport width in CSS px (1280)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per step (60)")
    ap.add_argument("--chromium", default=None, help="browser binary (default: chromium)")
    args = ap.parse_args(argv)
    try:
        if not args.report.is_file():
            raise CheckError(f"{args.report}: no such file")
        if args.screenshot.resolve() == args.report.resolve():
            raise CheckError("--screenshot must not be the report itself")
        if args.expect_rows is not None and args.expect_rows < 0:
            raise CheckError("--expect-rows must be ≥ 0")
        summary = check(args.report, args.screenshot, args.expect_rows,
                        find_chromium(args.chromium), args.width, args.timeout)
    except CheckError as exc:
        print(json.dumps({"report": str(args.report), "ok": False, "errors": [str(exc)]}))
        print(f"render_check: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=1))
    if not summary["ok"]:
        print("render_check: " + "; ".join(summary["errors"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
