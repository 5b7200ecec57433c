"""The Hugging Face `datasets` and `webdataset` side of PairedImportTest (run with .venv/interop's python).

  write DIR N           N Fill50K-style pairs (a filled circle; its outline as the condition; 80x64, 8-pixel marker
                        bands at the sides) written by `datasets`: DIR/imagefolder (images, conditions, metadata.jsonl
                        from Dataset.to_json, checked by load_dataset("imagefolder")) and DIR/pairs.parquet
                        (Dataset.to_parquet with Image features); prints the pairs' pixel digests as JSON
  webdataset DIR        reads DIR/*.tar with webdataset.WebDataset; prints every sample's key, caption and the
                        SHA-256 of its image and condition members
  imagefolder DIR       load_dataset("imagefolder", data_dir=DIR); prints every row's caption and the SHA-256 of the
                        RGB pixels of its image and condition
"""
import glob
import hashlib
import json
import os
import sys
import tempfile

# nothing from the network: the hub is never asked, and the datasets cache stays out of the user's home
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", os.path.join(tempfile.gettempdir(), "cnf-interop-hf"))

from PIL import Image, ImageDraw


def pixels_sha(img):
    return hashlib.sha256(img.convert("RGB").tobytes()).hexdigest()


def pair(i):
    bg = (90 + 10 * i, 200 - 20 * i, 40 + 30 * i)  # RGB
    image = Image.new("RGB", (80, 64), bg)
    draw = ImageDraw.Draw(image)
    r = 10 + 2 * i
    draw.ellipse((40 - r, 32 - r, 40 + r, 32 + r), fill=(120, 60 + 25 * i, 250 - 25 * i))
    draw.rectangle((0, 0, 7, 63), fill=(255, 0, 0))
    draw.rectangle((72, 0, 79, 63), fill=(255, 0, 0))
    cond = Image.new("L", (80, 64), 0)
    cdraw = ImageDraw.Draw(cond)
    cdraw.ellipse((40 - r, 32 - r, 40 + r, 32 + r), outline=255, width=1)
    cdraw.rectangle((0, 0, 7, 63), fill=255)
    cdraw.rectangle((72, 0, 79, 63), fill=255)
    return image, cond, "circle %d, with a comma, from datasets" % i


def write(out, n):
    import datasets
    folder = os.path.join(out, "imagefolder")
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    os.makedirs(os.path.join(folder, "conditioning_images"), exist_ok=True)
    rows = {"file_name": [], "conditioning_image_file_name": [], "text": []}
    images, conds, texts, digests = [], [], [], []
    for i in range(n):
        image, cond, text = pair(i)
        image.save(os.path.join(folder, "images", "%d.png" % i))
        cond.save(os.path.join(folder, "conditioning_images", "%d.png" % i))
        rows["file_name"].append("images/%d.png" % i)
        rows["conditioning_image_file_name"].append("conditioning_images/%d.png" % i)
        rows["text"].append(text)
        images.append(image)
        conds.append(cond)
        texts.append(text)
        crop = (8, 0, 72, 64)
        digests.append({"index": i, "text": text, "image": pixels_sha(image.crop(crop)), "condition": pixels_sha(cond.crop(crop))})
    datasets.Dataset.from_dict(rows).to_json(os.path.join(folder, "metadata.jsonl"), lines=True)
    # datasets itself reads the layout it is meant to be: both image columns, and the captions
    loaded = datasets.load_dataset("imagefolder", data_dir=folder, split="train")
    assert set(loaded.column_names) == {"image", "conditioning_image", "text"}, loaded.column_names
    assert sorted(loaded["text"]) == sorted(texts)
    features = datasets.Features({"image": datasets.Image(), "conditioning_image": datasets.Image(), "text": datasets.Value("string")})
    table = datasets.Dataset.from_dict({"image": images, "conditioning_image": conds, "text": texts}, features=features)
    table.to_parquet(os.path.join(out, "pairs.parquet"))
    print(json.dumps(digests))


def webdataset(folder):
    import webdataset as wds
    urls = sorted(glob.glob(os.path.join(folder, "*.tar")))
    out = []
    for sample in wds.WebDataset(urls, shardshuffle=False, empty_check=False):
        members = {k: v for k, v in sample.items() if not k.startswith("__")}
        image = members.get("jpg", members.get("png"))
        conditions = [k for k in members if k.endswith(".png") and k != "png"]
        out.append({"key": sample["__key__"], "caption": members["txt"].decode("utf-8"),
                    "image": hashlib.sha256(image).hexdigest(),
                    "conditions": {k: hashlib.sha256(members[k]).hexdigest() for k in conditions},
                    "json": json.loads(members["json"].decode("utf-8"))})
    print(json.dumps(out))


def imagefolder(folder):
    import datasets
    loaded = datasets.load_dataset("imagefolder", data_dir=folder, split="train")
    print(json.dumps([{"caption": row["text"], "image": pixels_sha(row["image"]), "condition": pixels_sha(row["conditioning_image"])}
                      for row in loaded]))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "write":
        write(sys.argv[2], int(sys.argv[3]))
    elif command == "webdataset":
        webdataset(sys.argv[2])
    elif command == "imagefolder":
        imagefolder(sys.argv[2])
    else:
        raise SystemExit(__doc__)
