#!/usr/bin/env python3
"""Canonical form of MARCXML or MARC-in-JSON, for comparing two writers.

usage: canonical.py xml|json FILE
       canonical.py compare xml|json YAZ_FILE MARCPP_FILE [--marc8]

Prints one line per record: a JSON array [leader, fields], where a control
field is [tag, data] and a data field [tag, ind1, ind2, [[code, value]...]].
XML is read with the standard library's parser (namespaces, entities,
character references and layout resolved); JSON with the standard library's
decoder, one value after another (JSON Lines, a JSON array of records, or
objects written back to back as yaz-marcdump writes them). Independent of
marcpp by design: it is the other side of the differential test.

With --marc8 the records are MARC-8 records that yaz converted with
`-f MARC-8 -t UTF-8` and marcpp with its MARC-8 decoder, and the rules for
where the two decoders differ (docs/charsets.md) apply too.
"""
import json
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET


def local(tag):
    return tag.rsplit("}", 1)[-1]


def xml_record(el):
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
    return [leader, fields]


def xml_records(path):
    for _, el in ET.iterparse(path, events=("end",)):
        if local(el.tag) != "record":
            continue
        rec = xml_record(el)
        el.clear()
        yield rec


def xml_records_one_by_one(path):
    # Each <record> element parsed on its own, so that one that is not
    # well-formed (yaz writes some so) is None and the others still count.
    # For the writers compared here, whose records are <record> elements
    # without prefix, one per line, in a <collection>.
    with open(path, "rb") as f:
        data = f.read()
    for m in re.finditer(rb"<record>.*?</record>", data, re.S):
        try:
            yield xml_record(ET.fromstring(b'<record xmlns="http://www.loc.gov/MARC21/slim"' + m.group(0)[7:]))
        except ET.ParseError:
            yield None


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


# ---- MARC-8 records (--marc8) ------------------------------------------------
# Where yaz's MARC-8 decoder, or its writers, differ from marcpp's
# (docs/charsets.md, "Where other converters differ"; docs/formats.md).

def leader_counts(y, o):
    # yaz writes the indicator count and subfield code length it used
    # (leader/10-11 "22"); marcpp writes the leader's bytes.
    if y[0][10:12] == "22" and o[0][10:12] != "22" and o[0][:10] == y[0][:10]:
        o[0] = o[0][:10] + "22" + o[0][12:]
        return True
    return False


def json_leader09(y, o):
    # In MARC-in-JSON yaz leaves leader/09 as it was (blank, or another byte
    # that is not 'a') after converting to UTF-8; marcpp sets it to 'a'.
    if y[0][9] != "a" and o[0][9] == "a":
        o[0] = o[0][:9] + y[0][9] + o[0][10:]
        return True
    return False


def control_delimiter(y, o):
    # A 00X field whose data holds subfield delimiters: yaz writes it as a
    # data field, marcpp as the control field it is (as in the line format,
    # docs/marc-dump.md).
    changed = False
    if len(y[1]) != len(o[1]):
        return False
    for i, (fy, fo) in enumerate(zip(y[1], o[1])):
        if len(fo) == 2 and len(fy) == 4 and fy[0] == fo[0] and ("\x1f" in fo[1] or "\u241f" in fo[1]):
            o[1][i] = fy
            changed = True
    return changed


def references(s):
    # yaz leaves MARC-8 numeric character references as text; marcpp decodes
    # them. Marks before a reference go, with yaz, onto its "&".
    def one(m):
        return chr(int(m.group(2), 16)) + m.group(1)
    return re.sub(r"&([\u0300-\u036f\ufe20-\ufe2f]*)#x([0-9A-Fa-f]{1,6});", one, s)


def is_mark(c):
    return unicodedata.combining(c) != 0 or c in "\ufe20\ufe21\ufe22\ufe23"


CONTROLS = {chr(i) for i in range(32)} | {"\x7f"}


# Each value rule: (name, test) where test(yaz_value, marcpp_value) is true
# when the two differ only that way.
VALUE_RULES = [
    # yaz leaves numeric character references as text.
    ("marc8_references", lambda y, o: "&#x" in y and references(y) == o),
    # yaz drops control characters (and DEL) while decoding; marcpp keeps them
    # (in MARCXML as Control Pictures).
    ("marc8_controls", lambda y, o: drop(o, CONTROLS | PICTURES) == y),
    # A second half of a double diacritic with no first half: yaz drops it;
    # marcpp gives LoC's alternate, U+FE21 or U+FE23.
    ("lone_second_half", lambda y, o: drop(o, {"\ufe21", "\ufe23"}) == drop(y, {"\ufe21", "\ufe23"})
        and drop(o, CONTROLS | PICTURES | {"\ufe21", "\ufe23"}) == drop(y, CONTROLS)),
    # Combining marks with no base at the end of a value: yaz loses the value
    # or reorders the marks; marcpp keeps them at the end (with a repair).
    ("dangling_marks", lambda y, o: len(o) > 0 and is_mark(o[-1]) and (y == "" or sorted(y) == sorted(o))),
    # A MARC-8 fault (a byte no set maps, a bad escape sequence: mostly text in
    # another encoding): marcpp writes U+FFFD and reports it; yaz drops bytes,
    # cuts the value short or misreads what follows.
    ("marc8_faults", lambda y, o: "\ufffd" in o and "\ufffd" not in y),
]


def marc8_values(y, o, counts):
    # Applies the value rules to the values of records of the same shape.
    if len(y[1]) != len(o[1]):
        return False
    pairs = [(y, 0, o)]
    for fy, fo in zip(y[1], o[1]):
        if len(fy) != len(fo) or fy[0] != fo[0]:
            return False
        if len(fy) == 2:
            pairs.append((fy, 1, fo))
            continue
        if len(fy[3]) != len(fo[3]):
            return False
        for sy, so in zip(fy[3], fo[3]):
            pairs.append((sy, 1, so))
    changed = False
    for py, k, po in pairs:
        if py[k] == po[k] or py[k] is None or po[k] is None:
            continue
        for name, test in VALUE_RULES:
            if test(py[k], po[k]):
                po[k] = py[k]
                counts[name] = counts.get(name, 0) + 1
                changed = True
                break
    return changed


def has_fault(r):
    return "\ufffd" in json.dumps(r, ensure_ascii=False)


def other_encoding(y, o):
    # A record whose text is in another encoding (CP1251, damaged EACC...),
    # where marcpp reports MARC-8 faults (U+FFFD; the caller checks): the
    # two decoders read the rest of such text differently too (marks attach
    # to other characters, values are cut short, yaz's JSON writer garbles
    # the indicators and codes of such a field), so only its shape, the tags
    # and the number of subfields of each field, is compared.
    def shape(r):
        return [f[0] if len(f) == 2 else [f[0], len(f[3])] for f in r[1]]
    if shape(y) == shape(o):
        o[1] = y[1]
        o[0] = y[0]
        return True
    return False


def control_code(c):
    return len(c) == 1 and (ord(c) < 0x20 or 0x2400 <= ord(c) < 0x2420)


def escape_code(y, o):
    # A subfield whose code is ESC (the escape sequence split by the
    # delimiter) or another control character: yaz reads the sequence across
    # code and value, or its decoder drops the control; marcpp keeps the code
    # byte (and reports the escape in the value).
    changed = False
    if len(y[1]) != len(o[1]):
        return False
    for fy, fo in zip(y[1], o[1]):
        if len(fy) == 4 and len(fo) == 4 and len(fy[3]) == len(fo[3]):
            for i, (sy, so) in enumerate(zip(fy[3], fo[3])):
                if so[0] is not None and control_code(so[0]) and sy != so:
                    fo[3][i] = sy
                    changed = True
    return changed


def compare(kind, yaz_path, ours_path, marc8=False):
    if kind == "xml":
        reader = xml_records_one_by_one if marc8 else xml_records
    else:
        reader = json_records
    rules = [entry_map, control_pictures, empty_no_code] if kind == "xml" else [entry_map, empty_no_code]
    pre = []
    if marc8:
        pre = [json_leader09] if kind == "json" else []
        rules = [leader_counts, control_delimiter, escape_code] + rules
    counts = {r.__name__: 0 for r in pre + rules}
    if marc8:
        counts["yaz_not_well_formed"] = 0
        for name, _ in VALUE_RULES:
            counts[name] = 0
        counts["other_encoding"] = 0
    same = documented = undocumented = 0
    ys, os_ = list(reader(yaz_path)), list(reader(ours_path))
    if len(ys) != len(os_):
        print("record counts differ: yaz %d, marcpp %d" % (len(ys), len(os_)))
        return 1
    for i, (y, o) in enumerate(zip(ys, os_)):
        if y is None and o is not None:
            # yaz wrote the record as XML that is not well-formed (a subfield
            # code attribute left open, after an escape sequence split by a
            # delimiter); marcpp's is well-formed.
            documented += 1
            counts["yaz_not_well_formed"] += 1
            continue
        for r in pre:
            if y is not None and r(y, o):
                counts[r.__name__] += 1
        if y == o:
            same += 1
            continue
        faulty = marc8 and has_fault(o)
        used = [r.__name__ for r in rules if r(y, o)]
        if marc8 and y != o:
            value_counts = {}
            if marc8_values(y, o, value_counts):
                for name, n in value_counts.items():
                    counts[name] += 1
            if y != o and faulty and other_encoding(y, o):
                used.append("other_encoding")
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
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4], "--marc8" in sys.argv[5:]))
    kind, path = sys.argv[1], sys.argv[2]
    records = xml_records(path) if kind == "xml" else json_records(path)
    out = sys.stdout
    for r in records:
        out.write(json.dumps(r, ensure_ascii=True))
        out.write("\n")


if __name__ == "__main__":
    main()
