#!/usr/bin/env python3
"""Canonical form of MARCXML or MARC-in-JSON, for comparing two writers.

usage: canonical.py xml|json FILE

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


def main():
    kind, path = sys.argv[1], sys.argv[2]
    records = xml_records(path) if kind == "xml" else json_records(path)
    out = sys.stdout
    for r in records:
        out.write(json.dumps(r, ensure_ascii=True))
        out.write("\n")


if __name__ == "__main__":
    main()
