"""img2dataset, the usual tool for turning image URLs into a training set, as the peer of cnf's ingest + clean.

Usage: img2dataset_peer.py URL_LIST OUT_DIR IMAGE_SIZE [THREADS]
Runs img2dataset (pinned in requirements/img2dataset.txt) on the URL list: one process, THREADS download threads,
WebDataset shards, centre-crop resize to IMAGE_SIZE, PNG at zlib level 1, SHA-256 of each original (img2dataset's
default). It does less than cnf: no edge maps, no perceptual hashes, no dedupe, no object
storage, no robots.txt. bench/run.sh runs it on one core beside cnf's worker (IngestScalingBench).

img2dataset spawns a logger process and a process pool per call, importing its dependencies again in each: a fixed
cost per call. So it runs twice: once on the first 8 URLs (the fixed cost, about), then on all of them; both CPU
figures are printed and "net" subtracts the first from the second. Prints one JSON line.
"""
import glob
import json
import os
import resource
import shutil
import sys
import time


def cpu_seconds():
    """User + system CPU of this process and of every child it has waited for (the pool, the logger)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def crawl(download, urls_file, out, size, threads):
    shutil.rmtree(out, ignore_errors=True)
    before, start = cpu_seconds(), time.time()
    download(url_list=urls_file, output_folder=out, output_format="webdataset", input_format="txt", image_size=size,
             resize_mode="center_crop", encode_format="png", encode_quality=1, processes_count=1, thread_count=threads,
             number_sample_per_shard=1000, distributor="multiprocessing", enable_wandb=False, timeout=10, retries=0)
    cpu, seconds = cpu_seconds() - before, time.time() - start
    ok = 0
    for stats in glob.glob(os.path.join(out, "*_stats.json")):
        with open(stats) as fh:
            ok += json.load(fh)["successes"]
    return {"images": ok, "cpu_seconds": round(cpu, 3), "seconds": round(seconds, 3)}


def main():
    os.environ["NO_ALBUMENTATIONS_UPDATE"] = "1"  # albumentations would ask PyPI for a newer version at import
    urls_file, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    from img2dataset import download
    from importlib.metadata import version

    with open(urls_file) as fh:
        urls = [line.strip() for line in fh if line.strip()]
    small = os.path.join(out, "fixed-cost-urls.txt")
    os.makedirs(out, exist_ok=True)
    with open(small, "w") as fh:
        fh.write("\n".join(urls[:8]) + "\n")
    fixed = crawl(download, small, os.path.join(out, "fixed-cost"), size, threads)
    full = crawl(download, urls_file, os.path.join(out, "crawl"), size, threads)
    if full["images"] < len(urls):
        print(f"img2dataset kept {full['images']} of {len(urls)} images; see {out}/crawl", file=sys.stderr)
        sys.exit(1)
    net = full["cpu_seconds"] - fixed["cpu_seconds"]
    print(json.dumps({"version": version("img2dataset"), "threads": threads, "urls": len(urls), "fixed_cost_run": fixed,
                      "run": full, "images_per_cpu_second": round(full["images"] / full["cpu_seconds"], 1),
                      "images_per_cpu_second_net": round((full["images"] - fixed["images"]) / net, 1) if net > 0 else None,
                      "images_per_second": round(full["images"] / full["seconds"], 1)}))


if __name__ == "__main__":
    main()
