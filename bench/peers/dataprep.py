#!/usr/bin/python3
"""Peer for cnf's data-preparation benchmark: the same pipeline in Python + OpenCV (Debian's python3-opencv).

decode JPEG -> resize shorter side to 512 (INTER_AREA when shrinking, INTER_CUBIC when growing) ->
centre crop 512x512 -> grey -> Canny(100, 200) -> PNG encode, over the same photos, one image per
task on a pool of worker processes (one per core; OpenCV's own threading off, as on the Java side).

Usage: dataprep.py PHOTO_DIR TOTAL_IMAGES PROCESSES  -> prints one JSON line
"""
import glob
import json
import multiprocessing as mp
import os
import sys
import time

import cv2

SIZE = 512


def prepare(data):
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    h, w = img.shape[:2]
    scale = SIZE / min(h, w)
    nw, nh = max(SIZE, round(w * scale)), max(SIZE, round(h * scale))
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    x, y = (nw - SIZE) // 2, (nh - SIZE) // 2
    img = img[y:y + SIZE, x:x + SIZE]
    edges = cv2.Canny(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), 100, 200)
    ok, png = cv2.imencode(".png", edges)
    return len(png)


def init():
    cv2.setNumThreads(1)


def main():
    import numpy as np
    photo_dir, total, procs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    blobs = [np.frombuffer(open(p, "rb").read(), dtype=np.uint8) for p in sorted(glob.glob(os.path.join(photo_dir, "*.jpg")))]
    work = [blobs[i % len(blobs)] for i in range(total)]
    with mp.Pool(procs, initializer=init) as pool:
        pool.map(prepare, work[: procs * 2])  # warm-up
        start = time.perf_counter()
        sizes = pool.map(prepare, work, chunksize=8)
        elapsed = time.perf_counter() - start
    print(json.dumps({"impl": "python3-opencv", "opencv": cv2.__version__, "images": total, "processes": procs,
                      "seconds": elapsed, "images_per_second": total / elapsed, "png_bytes": sum(sizes)}))


if __name__ == "__main__":
    main()
