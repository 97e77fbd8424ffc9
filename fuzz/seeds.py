#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets (fuzz/README.md).

    fuzz/seeds.py OUT [--corpus DIR] [--data DIR]

Writes OUT/TARGET/ for every target: small inputs of its format from the
shared corpus (its large/ folder left out) and tests/data, files over
16 KiB cut into pieces of whole records, and the regression inputs of
tests/data/fuzz/TARGET/. Deterministic: the same files give the same seeds.
"""
import argparse
import gzip
import hashlib
import os
import random
import shutil
import struct
import subprocess

PIECE = 16 << 10      # bytes per seed, at most (a file is cut into whole records)
PIECES_PER_FILE = 6   # pieces kept from one file
TARGETS = ["iso2709", "parallel", "byte_range", "marcxml", "json", "mrk", "marc8", "detect", "index"]


def pieces(data, cut):
    """Consecutive records of `data` (as `cut` splits it) in pieces of at most PIECE bytes."""
    if len(data) <= PIECE:
        return [data]
    out, cur = [], b""
    for rec in cut(data):
        if cur and len(cur) + len(rec) > PIECE:
            out.append(cur)
            cur = b""
            if len(out) == PIECES_PER_FILE:
                return out
        cur += rec[:PIECE]
    if cur:
        out.append(cur)
    return out[:PIECES_PER_FILE]


def iso_records(data):
    recs, start = [], 0
    while start < len(data):
        end = data.find(b"\x1d", start)
        end = len(data) if end < 0 else end + 1
        recs.append(data[start:end])
        start = end
    return recs


def xml_pieces(data):
    first = data.find(b"<record")
    if first < 0 or len(data) <= PIECE:
        return [data[:PIECE]]
    for prefix in (b"<marc:record", b"<mx:record"):
        k = data.find(prefix)
        if 0 <= k < first:
            first = k
    head = data[:first]
    close = data.rfind(b"</collection>")
    tail = data[close:] if close > 0 else b""
    body = data[first:close if close > 0 else len(data)]
    recs = [r + b"</record>" for r in body.split(b"</record>") if r.strip()]
    return [head + p + tail for p in pieces(b"".join(recs), lambda d: recs)]


def line_pieces(data):
    return pieces(data, lambda d: d.splitlines(keepends=True))


def mrk_pieces(data):
    sep = b"\r\n\r\n" if b"\r\n" in data else b"\n\n"
    return pieces(data, lambda d: [r + sep for r in d.split(sep)])


def files_under(root, exts=None, skip=("large",)):
    out = []
    if not os.path.isdir(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        for f in sorted(filenames):
            if exts is None or os.path.splitext(f)[1].lower() in exts:
                out.append(os.path.join(dirpath, f))
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def iso_files(corpus, data):
    """ISO 2709 files: those the corpus's manifest counts records of, and tests/data."""
    found = []
    manifest = os.path.join(corpus, "MANIFEST.tsv")
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as f:
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if len(cols) >= 4 and cols[3].isdigit() and not cols[0].startswith("large/") and not cols[0].endswith(".gz"):
                    found.append(os.path.join(corpus, cols[0]))
    found += files_under(os.path.join(data, "crafted"), {".mrc"})
    found += files_under(os.path.join(data, "real"), {".mrc", ".marc"})
    return [p for p in found if os.path.isfile(p)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "shared", "corpus"))
    ap.add_argument("--data", default=os.path.join(here, "..", "tests", "data"))
    args = ap.parse_args()
    rng = random.Random(20260101)
    seeds = {t: [] for t in TARGETS}

    iso = [p for path in iso_files(args.corpus, args.data) for p in pieces(read(path), iso_records)]
    seeds["iso2709"] = seeds["parallel"] = iso
    for p in iso:
        k = rng.randint(1, 4)
        seeds["byte_range"].append(bytes([k]) + b"".join(struct.pack("<H", rng.randint(0, len(p)) % 65536) for _ in range(k)) + p)
    for path in files_under(os.path.join(args.corpus, "marcxml"), {".xml"}):
        seeds["marcxml"] += xml_pieces(read(path))
    for path in files_under(os.path.join(args.corpus, "marc-in-json")):
        seeds["json"] += line_pieces(read(path))
    for path in files_under(os.path.join(args.corpus, "mrk"), {".mrk"}):
        seeds["mrk"] += mrk_pieces(read(path))
    for path in files_under(os.path.join(args.corpus, "marc8-vectors")):
        lines = read(path).splitlines(keepends=True)
        seeds["marc8"] += [b"".join(lines[i:i + 20]) for i in range(0, len(lines), 20)]
    # Detection: a few inputs of every format, plain, gzip and Zstandard.
    mixed = [p for t in ("iso2709", "marcxml", "json", "mrk") for p in rng.sample(seeds[t], min(12, len(seeds[t])))]
    have_zstd = shutil.which("zstd") is not None
    for i, p in enumerate(mixed):
        seeds["detect"].append(p)
        if i % 3 == 0:
            seeds["detect"].append(gzip.compress(p, mtime=0))
        elif i % 3 == 1 and have_zstd:
            seeds["detect"].append(subprocess.run(["zstd", "-q", "-c"], input=p, capture_output=True, check=True).stdout)

    for t in TARGETS:
        d = os.path.join(args.out, t)
        os.makedirs(d, exist_ok=True)
        kept = files_under(os.path.join(args.data, "fuzz", t))
        for path in kept:
            shutil.copy(path, os.path.join(d, "kept-" + os.path.basename(path)))
        for s in seeds[t]:
            with open(os.path.join(d, hashlib.sha1(s).hexdigest()), "wb") as f:
                f.write(s)
        print(f"{t}: {len(seeds[t]) + len(kept)} seeds")


if __name__ == "__main__":
    main()
