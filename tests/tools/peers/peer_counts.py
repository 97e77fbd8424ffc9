#!/usr/bin/env python3
"""How much of each malformed corpus file YAZ, MARC::Record and MARC4J return.

usage: peer_counts.py [--corpus DIR] [--marcpp DIR] [--table] > tests/data/peer_counts.tsv

Reads every file of DIR/malformed (default: ../shared/corpus beside the
checkout) with the three readers and prints, per file and reader, the
records and fields it returned and how many of those fields are complete
(below), as the TSV that tests/peers.cpp checks marcpp against. Run by hand
when the corpus or a reader changes, not in CI; it needs yaz-marcdump, perl
with MARC::Record, MARC::File::XML and MARC::File::MiJ, java, javac and
/usr/share/java/marc4j.jar.

The readers, each as its users run it over files they expect to be damaged:
  yaz         yaz-marcdump -i marc|marcxml|json -o marc FILE: the records yaz
              read, written back by yaz as ISO 2709 (its "<!-- ... -->"
              comments on faults are dropped)
  marc-record MARC::Batch (USMARC, XML, MiJ), strict_off and warnings_off,
              each next() in an eval (marc_record_fields.pl)
  marc4j      MarcPermissiveStreamReader(in, true, false), MarcXmlReader,
              MarcJsonReader (Marc4jFields.java, compiled here with javac)
A file is read as ISO 2709 when it starts with five digits or does not end
in .xml or .json, as MARCXML when it ends in .xml, as MARC-in-JSON when it
ends in .json.

A field is complete when its tag is three characters from 0x20-0x7E and its
content, written back as ISO 2709 (a control field's data; a data field's
indicators, then for each subfield 0x1F, the code and the value) in the
bytes the reader decoded it from, is one of the fields the file shows:
  ISO 2709  a run of bytes with a field terminator (0x1E, which also ends
            the directory) just before it and a field or record terminator
            (0x1E, 0x1D) just after it, and no terminator inside. Where the
            record's directory has as many 12-byte entries as the record
            has such runs after its directory, the tag must also be the
            n-th entry's for the n-th run; where they differ (a stray
            terminator, a lost entry, a directory the entries do not fill)
            the bytes cannot say which tag is whose, and any tag is taken.
  MARCXML   a <controlfield> or <datafield> element as the text writes it:
            its tag attribute, ind1 and ind2 (blank when absent), each
            <subfield>'s code (empty when absent) and text, entities and
            character references resolved, in UTF-8.
  JSON      none: no reader reads the one JSON file of the corpus.
Each field of the file is taken by at most one field of a reader's output
(a reader that returns a field twice gets it once), anywhere in the file.

With --marcpp DIR, the fields marcpp returned, as tests/peers.cpp writes
them when MARCPP_PEERS_DUMP=DIR is set, count as a fourth reader; with
--table the output is the Markdown table of docs/malformed.md instead.
"""
import argparse
import collections
import datetime
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MARC4J_JAR = "/usr/share/java/marc4j.jar"
READERS = ["yaz", "marc-record", "marc4j"]

FT, RT, SF = 0x1E, 0x1D, 0x1F


# ---- the files ---------------------------------------------------------------

def file_format(path):
    with open(path, "rb") as f:
        head = f.read(5)
    if len(head) == 5 and head.isdigit():
        return "iso2709"
    if path.endswith(".xml"):
        return "marcxml"
    if path.endswith(".json"):
        return "json"
    return "iso2709"


def is_tag(tag):
    return len(tag) == 3 and all(0x20 <= c <= 0x7E for c in tag)


# ---- the fields the file shows -------------------------------------------------

def iso_fields(data):
    """[(tag or None, body)] for every terminated run of an ISO 2709 file."""
    out = []
    start = 0
    n = len(data)
    while start < n:
        end = data.find(b"\x1d", start)
        terminated = end >= 0
        if not terminated:
            end = n
        chunk = data[start:end]
        first_ft = chunk.find(b"\x1e")
        if first_ft >= 0:
            runs = chunk[first_ft + 1:].split(b"\x1e")
            last = runs.pop()  # ended by the record terminator, or by the end of the file
            if terminated and last:
                runs.append(last)
            # The directory: from the 24th byte after the record's first digit
            # (bytes between records are skipped) to the first field terminator.
            m = re.search(rb"[0-9]", chunk)
            tags = None
            if m and first_ft >= m.start() + 24:
                directory = chunk[m.start() + 24:first_ft]
                if len(directory) % 12 == 0 and len(directory) // 12 == len(runs):
                    tags = [directory[i:i + 3] for i in range(0, len(directory), 12)]
            for i, body in enumerate(runs):
                out.append((tags[i] if tags else None, body))
        start = end + 1
    return out


def xml_unescape(s):
    def one(m):
        t = m.group(1)
        named = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}
        if t in named:
            return named[t].encode()
        try:
            cp = int(t[2:], 16) if t[:2] in (b"#x", b"#X") else int(t[1:]) if t[:1] == b"#" else None
        except ValueError:
            cp = None
        if cp is None or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            return m.group(0)
        return chr(cp).encode("utf-8")
    return re.sub(rb"&([#A-Za-z0-9]+);", one, s)


def xml_attrs(s):
    return {m.group(1): m.group(3) if m.group(3) is not None else m.group(4)
            for m in re.finditer(rb"([A-Za-z_][-\w:.]*)\s*=\s*(\"([^\"]*)\"|'([^']*)')", s)}


def local(name):
    return name.rsplit(b":", 1)[-1]


def elements(data, start, end, wanted):
    """(attrs, content or None when self-closing, position after) for each
    element whose local name is `wanted` in data[start:end]."""
    pat = re.compile(rb"<([A-Za-z_][-\w.]*:)?" + wanted + rb"(?=[\s/>])([^>]*)>")
    pos = start
    while True:
        m = pat.search(data, pos, end)
        if not m:
            return
        attrs = m.group(2)
        if attrs.endswith(b"/"):
            yield xml_attrs(attrs[:-1]), None, m.end()
            pos = m.end()
            continue
        close = re.compile(rb"</([A-Za-z_][-\w.]*:)?" + wanted + rb"\s*>").search(data, m.end(), end)
        if not close:
            return
        yield xml_attrs(attrs), data[m.end():close.start()], close.end()
        pos = close.end()


def xml_fields(data):
    out = []
    for attrs, content, _ in elements(data, 0, len(data), b"controlfield"):
        if content is not None and b"<" in content:
            continue
        out.append((attrs.get(b"tag", b""), xml_unescape(content or b"")))
    for attrs, content, _ in elements(data, 0, len(data), b"datafield"):
        body = attrs.get(b"ind1", b" ") + attrs.get(b"ind2", b" ")
        body = xml_unescape(body)
        if content is not None:
            for sattrs, text, _ in elements(content, 0, len(content), b"subfield"):
                if text is not None and b"<" in text:
                    continue
                body += b"\x1f" + xml_unescape(sattrs.get(b"code", b"")) + xml_unescape(text or b"")
        out.append((attrs.get(b"tag", b""), body))
    return out


def file_fields(path, fmt):
    with open(path, "rb") as f:
        data = f.read()
    if fmt == "iso2709":
        return iso_fields(data)
    if fmt == "marcxml":
        return xml_fields(data)
    return []


def fingerprint(fields):
    """Order-independent digest of a file's fields, so that tests/peers.cpp can
    check that it finds the same ones: the sum of each field's FNV-1a 64
    hash, over its tag (or "*" when any tag is taken), a 0 byte, its body."""
    total = 0
    for tag, body in fields:
        h = 0xCBF29CE484222325
        for c in (tag if tag is not None else b"*") + b"\x00" + body:
            h ^= c
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        total = (total + h) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % total


def count_complete(reference, records):
    known = collections.Counter((t, b) for t, b in reference if t is not None)
    anytag = collections.Counter(b for t, b in reference if t is None)
    complete = 0
    for rec in records:
        for tag, body in rec:
            if not is_tag(tag):
                continue
            if known[(tag, body)] > 0:
                known[(tag, body)] -= 1
                complete += 1
            elif anytag[body] > 0:
                anytag[body] -= 1
                complete += 1
    return complete


# ---- the readers ------------------------------------------------------------

def parse_lines(text):
    """Records from the "R" / "F tag body" / "X message" lines of an adapter."""
    records, errors = [], []
    for line in text.splitlines():
        if line == b"R":
            records.append([])
        elif line.startswith(b"F "):
            parts = line.split(b" ")
            records[-1].append((bytes.fromhex(parts[1].decode()), bytes.fromhex(parts[2].decode() if len(parts) > 2 else "")))
        elif line.startswith(b"X "):
            errors.append(line[2:].decode("utf-8", "replace"))
    return records, errors


def iso_records(data):
    """Records of well-formed ISO 2709 (yaz's output), by their directories."""
    records, pos = [], 0
    while pos < len(data):
        if data.startswith(b"<!--", pos):  # yaz's comment on a fault
            end = data.find(b"-->", pos)
            pos = len(data) if end < 0 else end + 3
            while pos < len(data) and data[pos] in b"\r\n":
                pos += 1
            continue
        length = int(data[pos:pos + 5])
        rec = data[pos:pos + length]
        if not rec.endswith(b"\x1d"):  # a length yaz could not write: up to the record terminator
            rec = data[pos:data.index(b"\x1d", pos) + 1]
        pos += len(rec)
        base = int(rec[12:17])
        # yaz writes the entry map it read (a leader from MARCXML may say 55).
        ll = int(rec[20:21]) if rec[20:21].isdigit() else 4
        sl = int(rec[21:22]) if rec[21:22].isdigit() else 5
        fields = []
        for i in range(24, base - 1, 3 + ll + sl):
            tag, flen, fstart = rec[i:i + 3], int(rec[i + 3:i + 3 + ll]), int(rec[i + 3 + ll:i + 3 + ll + sl])
            fields.append((tag, rec[base + fstart:base + fstart + flen - 1]))
        records.append(fields)
    return records


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)


def read_yaz(path, fmt):
    fmt_arg = {"iso2709": "marc", "marcxml": "marcxml", "json": "json"}[fmt]
    r = run(["yaz-marcdump", "-i", fmt_arg, "-o", "marc", path])
    return iso_records(r.stdout), [l for l in r.stderr.decode("utf-8", "replace").splitlines() if l]


def read_marc_record(path, fmt):
    r = run(["perl", os.path.join(HERE, "marc_record_fields.pl"), fmt, path])
    return parse_lines(r.stdout)


def read_marc4j(path, fmt, classes):
    r = run(["java", "-cp", MARC4J_JAR + ":" + classes, "Marc4jFields", fmt, path])
    return parse_lines(r.stdout)


def versions():
    yaz = run(["yaz-marcdump", "-V"]).stdout.decode().split("\n")[0].split()
    perl = run(["perl", "-MMARC::Record", "-MMARC::File::XML", "-MMARC::File::MiJ", "-e",
                "print qq{$MARC::Record::VERSION $MARC::File::XML::VERSION $MARC::File::MiJ::VERSION}"]).stdout.decode().split()
    jar = os.path.realpath(MARC4J_JAR)
    manifest = run(["unzip", "-p", jar, "META-INF/MANIFEST.MF"]).stdout.decode()
    m = re.search(r"Implementation-Version: (\S+)", manifest)
    java = run(["java", "-version"]).stderr.decode().split("\n")[0]
    return ("yaz-marcdump %s; MARC::Record %s, MARC::File::XML %s, MARC::File::MiJ %s; "
            "MARC4J %s (%s); %s" % (yaz[2] if len(yaz) > 2 else "?", perl[0], perl[1], perl[2],
                                     m.group(1) if m else "?", os.path.basename(jar), java))


# ---- output -----------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    default_corpus = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "corpus"))
    ap.add_argument("--corpus", default=default_corpus)
    ap.add_argument("--marcpp")
    ap.add_argument("--table", action="store_true")
    args = ap.parse_args()
    folder = os.path.join(args.corpus, "malformed")
    names = sorted(os.listdir(folder))

    classes = tempfile.mkdtemp(prefix="peer-counts-")
    try:
        subprocess.run(["javac", "-nowarn", "-cp", MARC4J_JAR, "-d", classes,
                        os.path.join(HERE, "Marc4jFields.java")], check=True)
        rows = []
        for name in names:
            path = os.path.join(folder, name)
            fmt = file_format(path)
            reference = file_fields(path, fmt)
            results = {
                "yaz": read_yaz(path, fmt),
                "marc-record": read_marc_record(path, fmt),
                "marc4j": read_marc4j(path, fmt, classes),
            }
            if args.marcpp:
                dump = os.path.join(args.marcpp, name + ".fields")
                if os.path.exists(dump):
                    with open(dump, "rb") as f:
                        results["marcpp"] = parse_lines(f.read())
            counts = {}
            for reader, (records, _) in results.items():
                counts[reader] = (len(records), sum(len(r) for r in records), count_complete(reference, records))
            rows.append((name, fmt, reference, counts))
    finally:
        shutil.rmtree(classes, ignore_errors=True)

    out = sys.stdout
    if args.table:
        order = (["marcpp"] if args.marcpp else []) + READERS
        out.write("| file | " + " | ".join(order) + " |\n")
        out.write("|---|" + "---|" * len(order) + "\n")
        for name, fmt, reference, counts in rows:
            cells = []
            for reader in order:
                r, f, c = counts.get(reader, (0, 0, 0))
                cells.append("%d / %d / %d" % (r, f, c))
            out.write("| %s | %s |\n" % (name, " | ".join(cells)))
        return
    out.write("# Records, fields and complete fields that YAZ, MARC::Record and MARC4J return\n")
    out.write("# for each file of the corpus's malformed/ folder; tests/peers.cpp fails when\n")
    out.write("# marcpp returns fewer complete fields than the best of them. Made by\n")
    out.write("#   tests/tools/peers/peer_counts.py > tests/data/peer_counts.tsv\n")
    out.write("# (its docstring defines a complete field) on %s, with\n" % datetime.date.today().isoformat())
    out.write("#   %s\n" % versions())
    out.write("# Rows: file, reader, records, fields, complete fields. The \"input\" row of each\n")
    out.write("# file holds the number of fields the file shows and their fingerprint.\n")
    out.write("file\treader\trecords\tfields\tcomplete\n")
    for name, fmt, reference, counts in rows:
        out.write("%s\tinput\t-\t%d\t%s\n" % (name, len(reference), fingerprint(reference)))
        for reader in READERS:
            r, f, c = counts[reader]
            out.write("%s\t%s\t%d\t%d\t%d\n" % (name, reader, r, f, c))


if __name__ == "__main__":
    main()
