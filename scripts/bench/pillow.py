#!/usr/bin/env python3
"""Pillow's side of `npm run bench`: what the Pillow-based Lambda setups do (Image.thumbnail, then
save), timing decode + resize + encode only. Reads a JSON list of cases on stdin, prints JSON."""
import io
import json
import statistics
import sys
import time

from PIL import Image

try:  # HEIC and AVIF input, as the Pillow-based setups that read them do
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:
    pass

WARMUP, RUNS = 2, 15


def once(data, width, fmt, quality):
    start = time.perf_counter()
    with Image.open(io.BytesIO(data)) as im:
        im.thumbnail((width, 100_000), Image.Resampling.LANCZOS)
        if fmt == "jpeg" and im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        out = io.BytesIO()
        im.save(out, {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}[fmt], quality=quality)
    return (time.perf_counter() - start) * 1000, out.tell()


def main():
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        with open(case["file"], "rb") as f:
            data = f.read()
        try:
            for _ in range(WARMUP):
                once(data, case["width"], case["format"], case["quality"])
        except (KeyError, OSError, ValueError):
            results.append(None)  # this Pillow build cannot write that format
            continue
        times, size = [], 0
        for _ in range(RUNS):
            ms, size = once(data, case["width"], case["format"], case["quality"])
            times.append(ms)
        times.sort()
        results.append({"median": statistics.median(times), "p90": times[int(len(times) * 0.9) - 1], "bytes": size})
    json.dump({"version": Image.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
