#!/usr/bin/env python3
"""Canonical form of MARCXML or MARC-in-JSON, for comparing two writers.

usage: canonical.py xml|json FILE
       canonical.py compare xml|json YAZ_FILE MARCPP_FILE

Prints one line per record: a JSON array [leader, fields], where a control
field is [tag, data] and a data field [tag, ind1, ind2, [[code, value]...]].
XML is read with the standard library's parser (namespaces, entities,
character references and layout resolved); JSON with the standard library's
decoder, one value after another (JSON Lines, a JSON array of records, or
objects written back to back as yaz-marcdump writes them). Independent of
marcpp by design: it is the other side of the differential test.
"""
import json
import sys
import xml.etree.ElementTree as ET


def local(tag):
    return tag.rsplit("}", 1)[-1]


def xml_records(path):
    for _, el in ET.iterparse(path, events=("end",)):
        if local(el.tag) != "record":
            continue
        leader, fields = None, []
        for child in el:
            name = local(child.tag)
            if name == "leader":
                leader = child.text or ""
            elif name == "controlfield":
                fields.append([child.get("tag"), child.text or ""])
            elif name == "datafield":
                subs = [[s.get("code"), s.text or ""] for s in child if local(s.tag) == "subfield"]
                fields.append([child.get("tag"), child.get("ind1"), child.get("ind2"), subs])
        el.clear()
        yield [leader, fields]


def json_values(text):
    dec = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            return
        value, pos = dec.raw_decode(text, pos)
        if isinstance(value, list):
            yield from value
        else:
            yield value


def json_records(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for rec in json_values(text):
        fields = []
        for f in rec.get("fields", []):
            for tag, v in f.items():
                if isinstance(v, str):
                    fields.append([tag, v])
                else:
                    subs = [[code, val] for s in v.get("subfields", []) for code, val in s.items()]
                    fields.append([tag, v.get("ind1"), v.get("ind2"), subs])
        yield [rec.get("leader"), fields]


# The differences between yaz-marcdump's output and marcpp's that are
# documented (docs/formats.md, "Compared with yaz-marcdump"): each turns
# marcpp's canonical record into what yaz writes, where yaz changes or drops
# data that marcpp keeps.
def entry_map(y, o):
    # yaz writes the entry map it used (leader/20-22 "450"); marcpp the leader's bytes.
    if y[0][20:23] == "450" and o[0][20:23] != "450" and o[0][:20] == y[0][:20]:
        o[0] = o[0][:20] + "450" + o[0][23:]
        return True
    return False


def leader09(y, o):
    # In MARCXML yaz sets leader/09 to 'a'; marcpp writes it as it is.
    if y[0][9] == "a" and o[0][9] not in " a":
        o[0] = o[0][:9] + "a" + o[0][10:]
        return True
    return False


def leader_controls(y, o):
    # In JSON yaz writes '#' for a control character in the leader.
    lead = "".join("#" if ord(c) < 0x20 else c for c in o[0])
    if lead != o[0] and lead == y[0]:
        o[0] = lead
        return True
    return False


def drop(s, chars):
    return "".join(c for c in s if c not in chars)


PICTURES = {chr(0x2400 + i) for i in range(32)}


def control_pictures(y, o):
    # yaz drops the control characters XML cannot hold; marcpp writes their
    # Control Pictures (U+2400 + code), which its reader turns back.
    changed = False
    def clean(s):
        nonlocal changed
        t = drop(s, PICTURES)
        changed |= t != s
        return t
    o[0] = clean(o[0])
    for f in o[1]:
        if len(f) == 2:
            f[1] = clean(f[1])
        else:
            f[1], f[2] = clean(f[1]), clean(f[2])
            for sf in f[3]:
                sf[0], sf[1] = clean(sf[0]), clean(sf[1])
    return changed


def empty_no_code(y, o):
    # yaz drops a subfield delimiter with neither code nor value; marcpp keeps it.
    changed = False
    for f in o[1]:
        if len(f) == 4:
            kept = [sf for sf in f[3] if sf != ["", ""]]
            changed |= len(kept) != len(f[3])
            f[3] = kept
    return changed


def compare(kind, yaz_path, ours_path):
    reader = xml_records if kind == "xml" else json_records
    rules = [entry_map, leader09, control_pictures, empty_no_code] if kind == "xml" else \
            [entry_map, leader_controls, empty_no_code]
    counts = {r.__name__: 0 for r in rules}
    same = documented = undocumented = 0
    ys, os_ = list(reader(yaz_path)), list(reader(ours_path))
    if len(ys) != len(os_):
        print("record counts differ: yaz %d, marcpp %d" % (len(ys), len(os_)))
        return 1
    for i, (y, o) in enumerate(zip(ys, os_)):
        if y == o:
            same += 1
            continue
        used = [r.__name__ for r in rules if r(y, o)]
        if y == o:
            documented += 1
            for u in used:
                counts[u] += 1
        else:
            undocumented += 1
            print("record %d differs:\n  yaz:    %s\n  marcpp: %s" % (i, json.dumps(y)[:400], json.dumps(o)[:400]))
    print("same %d documented %d undocumented %d %s" % (same, documented, undocumented,
          " ".join("%s=%d" % kv for kv in counts.items())))
    return 1 if undocumented else 0


def main():
    if sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4]))
    kind, path = sys.argv[1], sys.argv[2]
    records = xml_records(path) if kind == "xml" else json_records(path)
    out = sys.stdout
    for r in records:
        out.write(json.dumps(r, ensure_ascii=True))
        out.write("\n")


if __name__ == "__main__":
    main()
