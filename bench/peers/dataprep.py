#!/usr/bin/python3
"""Peer for cnf's data-preparation benchmark: the same pipeline in Python + OpenCV (Debian's python3-opencv).

decode JPEG -> square 512x512 -> grey -> Canny(100, 200) -> PNG encode, over the same photos, one image per
task on a pool of worker processes (one per core; OpenCV's own threading off, as on the Java side).

Two recipes:
  usual  the common Python recipe: resize the shorter side to 512 (INTER_AREA when shrinking, INTER_CUBIC
         when growing), crop the centre, write the edge map as an 8-bit grey PNG;
  cnf    the same choices cnf makes: cut the centre square first and resize only it, write the edge map
         as a 1-bit PNG (lossless for Canny's 0/255 output).

Usage: dataprep.py PHOTO_DIR TOTAL_IMAGES PROCESSES [usual|cnf]  -> prints one JSON line, with the
throughput and the per-stage milliseconds of one process over the same photos.
"""
import glob
import json
import multiprocessing as mp
import os
import sys
import time

import cv2

SIZE = 512
RECIPE = "usual"


def square_usual(img):
    h, w = img.shape[:2]
    scale = SIZE / min(h, w)
    nw, nh = max(SIZE, round(w * scale)), max(SIZE, round(h * scale))
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    x, y = (nw - SIZE) // 2, (nh - SIZE) // 2
    return img[y:y + SIZE, x:x + SIZE]


def square_cnf(img):
    h, w = img.shape[:2]
    side = min(h, w)
    x, y = (w - side) // 2, (h - side) // 2
    return cv2.resize(img[y:y + side, x:x + side], (SIZE, SIZE), interpolation=cv2.INTER_AREA if side > SIZE else cv2.INTER_CUBIC)


def png(edges):
    params = [cv2.IMWRITE_PNG_BILEVEL, 1] if RECIPE == "cnf" else []
    ok, data = cv2.imencode(".png", edges, params)
    return data


def stages(data):
    """The pipeline, returning (png bytes, seconds per stage)."""
    t0 = time.perf_counter()
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    t1 = time.perf_counter()
    img = square_cnf(img) if RECIPE == "cnf" else square_usual(img)
    t2 = time.perf_counter()
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    t3 = time.perf_counter()
    edges = cv2.Canny(grey, 100, 200)
    t4 = time.perf_counter()
    out = png(edges)
    t5 = time.perf_counter()
    return len(out), (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)


def prepare(data):
    return stages(data)[0]


def init(recipe):
    global RECIPE
    RECIPE = recipe
    cv2.setNumThreads(1)


def main():
    import numpy as np
    photo_dir, total, procs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    recipe = sys.argv[4] if len(sys.argv) > 4 else "usual"
    if recipe not in ("usual", "cnf"):
        sys.exit(f"dataprep.py: unknown recipe {recipe!r}; use usual or cnf")
    blobs = [np.frombuffer(open(p, "rb").read(), dtype=np.uint8) for p in sorted(glob.glob(os.path.join(photo_dir, "*.jpg")))]
    work = [blobs[i % len(blobs)] for i in range(total)]
    with mp.Pool(procs, initializer=init, initargs=(recipe,)) as pool:
        pool.map(prepare, work[: procs * 2])  # warm-up
        start = time.perf_counter()
        sizes = pool.map(prepare, work, chunksize=8)
        elapsed = time.perf_counter() - start
    init(recipe)
    n = min(total, 200)
    sums = [0.0] * 5
    for data in work[:n]:
        for i, s in enumerate(stages(data)[1]):
            sums[i] += s
    names = ("decode", "square", "grey", "canny", "png")
    def build_line(label):
        for line in cv2.getBuildInformation().splitlines():
            if line.strip().startswith(label):
                return line.strip()[len(label):].strip()
        return "unknown"
    opencv_cpu = {"baseline": build_line("Baseline:"), "dispatched": build_line("Dispatched code generation:"),
                  "on_this_cpu": cv2.getCPUFeaturesLine() if hasattr(cv2, "getCPUFeaturesLine") else "unknown",
                  "intel_ipp": build_line("Intel IPP:").replace("unknown", "none")}
    print(json.dumps({"impl": "python3-opencv", "recipe": recipe, "opencv": cv2.__version__, "opencv_cpu": opencv_cpu,
                      "images": total, "processes": procs,
                      "seconds": elapsed, "images_per_second": total / elapsed, "png_bytes": sum(sizes),
                      "stages_ms": {k: 1000 * v / n for k, v in zip(names, sums)}}))


if __name__ == "__main__":
    main()
