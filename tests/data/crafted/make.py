#!/usr/bin/env python3
"""Writes the crafted ISO 2709 files of tests/data/crafted/.

Each file holds one or a few small records, each breaking one rule (or,
for the ok- files, exercising one legal but unusual shape). The comment on
each case below says what it breaks; README.md (also written by this
script) repeats it next to the file name. The files are committed; run this
script again after changing a case:  python3 tests/data/crafted/make.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FT, RT, SF = b"\x1e", b"\x1d", b"\x1f"


def field_bytes(f):
    """A field given as (tag, data) for control fields or (tag, ind, [(code, value)...])."""
    if len(f) == 2:
        return f[0], f[1] + FT
    tag, ind, subs = f
    return tag, ind + b"".join(SF + c + v for c, v in subs) + FT


def record(fields, leader=b"     nam a22     4i 4500", raw_fields=None):
    """A valid record: computes lengths, base address and directory."""
    parts = raw_fields if raw_fields is not None else [field_bytes(f) for f in fields]
    directory, data = b"", b""
    for tag, body in parts:
        directory += tag + b"%04d%05d" % (len(body), len(data))
        data += body
    base = 24 + len(directory) + 1
    total = base + len(data) + 1
    ldr = b"%05d" % total + leader[5:12] + b"%05d" % base + leader[17:]
    return ldr + directory + FT + data + RT


BASE = [
    (b"001", b"ocm00000001"),
    (b"005", b"20260101120000.0"),
    (b"008", b"260101s2026    xxu           000 0 eng d"),
    (b"245", b"10", [(b"a", b"A crafted record /"), (b"c", b"marcpp tests.")]),
    (b"650", b" 0", [(b"a", b"Cataloging"), (b"v", b"Testing.")]),
]
GOOD = record(BASE)

CASES = []


def case(name, comment, data):
    CASES.append((name, comment, data))


def replace_at(rec, pos, new):
    return rec[:pos] + new + rec[pos + len(new):]


def directory_entry(rec, i):
    return 24 + 12 * i


# ---- sound records ---------------------------------------------------------
case("ok-basic.mrc", "sound: one ordinary MARC 21 record (the base of the damaged cases)", GOOD)
case("ok-three.mrc", "sound: three records in a row", GOOD + record(BASE[:2] + BASE[3:]) + GOOD)
case("ok-local-tags.mrc", "sound: alphanumeric local tags (CAT, LKR, ZZ1) and a repeated 007",
     record(BASE[:3] + [(b"007", b"ta"), (b"007", b"cr"), BASE[3],
                        (b"CAT", b"  ", [(b"a", b"BATCH"), (b"c", b"20260101")]),
                        (b"LKR", b"  ", [(b"a", b"ITM")]), (b"ZZ1", b"  ", [(b"a", b"x")])]))
case("ok-lower-case-tags.mrc", "sound: lower-case local tags: m01 (held by marcpp::tag), abc and a1b (kept by their bytes)",
     record(BASE + [(b"m01", b"  ", [(b"a", b"one letter")]), (b"abc", b"  ", [(b"a", b"three letters")]),
                    (b"a1b", b"10", [(b"a", b"two letters")])]))
# data stored in another order than the directory: legal, and kept on writing
def out_of_order():
    parts = [field_bytes(f) for f in BASE]
    order = [0, 1, 2, 4, 3]  # 650's data before 245's
    offsets, data = {}, b""
    for i in order:
        offsets[i] = len(data)
        data += parts[i][1]
    directory = b"".join(parts[i][0] + b"%04d%05d" % (len(parts[i][1]), offsets[i]) for i in range(len(parts)))
    base = 24 + len(directory) + 1
    ldr = b"%05d" % (base + len(data) + 1) + b"nam a22" + b"%05d" % base + b"4i 4500"
    return ldr + directory + FT + data + RT
case("ok-data-out-of-order.mrc", "sound: the data area is not in directory order (ISO 2709 allows it)", out_of_order())
case("ok-unimarc-one-indicator.mrc", "sound: leader/10 = 1, one indicator per data field",
     record([(b"001", b"u1"), (b"200", b"1", [(b"a", b"Titre")])], leader=b"     nam  12     i  450 "))
case("ok-empty-record.mrc", "sound: a record with no fields at all", record([]))
case("ok-danmarc-00x-subfields.mrc", "sound: a 001 holding indicators and subfields (danMARC style)",
     record([(b"001", b"00", [(b"a", b"12345"), (b"f", b"a")]), BASE[3]]))
# leader/05 is 0x1D and the bytes after it look like the start of a leader
# (five digits, and five more twelve bytes on): no record starts there
case("ok-terminator-in-leader.mrc", "sound: three records; the second's leader/05 is 0x1D, followed by what looks like a leader",
     GOOD + record(BASE, leader=b"     \x1d000022     0004500") + GOOD)

# ---- framing ----------------------------------------------------------------
case("truncated.mrc", "E101 truncated_record: the input ends in the middle of the second record (its 001 is complete, its 005 cut)",
     GOOD + GOOD[: len(GOOD) // 2])
case("truncated-in-directory.mrc", "E101 truncated_record (unreadable): the input ends inside the second record's directory",
     GOOD + GOOD[:50])
# Three records as a catalogue exports them; the second was cut short in
# the middle of its 260 (no terminator) and the third follows directly.
BOOK_A = [
    (b"001", b"ocm00012345"),
    (b"005", b"20190312101500.0"),
    (b"008", b"990312s1999    nyua     b    001 0 eng  "),
    (b"100", b"1 ", [(b"a", b"Smith, Jane,"), (b"d", b"1948-")]),
    (b"245", b"12", [(b"a", b"A history of jazz /"), (b"c", b"Jane Smith.")]),
    (b"260", b"  ", [(b"a", b"New York :"), (b"b", b"Example Press,"), (b"c", b"1999.")]),
    (b"300", b"  ", [(b"a", b"x, 320 p. :"), (b"b", b"ill. ;"), (b"c", b"24 cm.")]),
    (b"650", b" 0", [(b"a", b"Jazz"), (b"x", b"History and criticism.")]),
]
BOOK_B = [
    (b"001", b"ocm00023456"),
    (b"005", b"20040610083000.0"),
    (b"008", b"040610s2004    dcua     b    001 0 eng  "),
    (b"100", b"1 ", [(b"a", b"Doe, John,"), (b"d", b"1950-")]),
    (b"245", b"10", [(b"a", b"Songs of the river /"), (b"c", b"John Doe.")]),
    (b"260", b"  ", [(b"a", b"Washington :"), (b"b", b"Sample House,"), (b"c", b"2004.")]),
    (b"300", b"  ", [(b"a", b"212 p. ;"), (b"c", b"23 cm.")]),
    (b"650", b" 0", [(b"a", b"Folk songs"), (b"z", b"United States.")]),
]
SCORE_C = [
    (b"001", b"ocm00034567"),
    (b"005", b"20110101120000.0"),
    (b"008", b"110101s2011    gw zzz         n    zxx d"),
    (b"100", b"1 ", [(b"a", b"Lindqvist, Maria,"), (b"d", b"1961-")]),
    (b"245", b"10", [(b"a", b"Nocturnes :"), (b"b", b"for piano /"), (b"c", b"Maria Lindqvist.")]),
    (b"650", b" 0", [(b"a", b"Piano music.")]),
]
def cut_before_next():
    b = record(BOOK_B)
    cut = b.index(b"Washington") + len(b"Wash")
    return record(BOOK_A) + b[:cut] + record(SCORE_C, leader=b"     ncm a22     4i 4500")
case("truncated-before-next.mrc", "E101 truncated_record: the second of three records is cut short inside its 260, without a terminator, and the third follows directly",
     cut_before_next())
case("bad-record-length.mrc", "E102 bad_record_length: leader/00-04 is 'ABCDE', not a number",
     replace_at(GOOD, 0, b"ABCDE") + GOOD)
case("record-length-mismatch.mrc", "E103 record_length_mismatch: the leader claims 5 bytes more than the record has",
     replace_at(GOOD, 0, b"%05d" % (len(GOOD) + 5)) + GOOD)
case("missing-record-terminator.mrc", "E104 missing_record_terminator: the first record lacks its 0x1D; the second follows directly",
     GOOD[:-1] + GOOD)
case("bytes-between-records.mrc", "E105 bytes_between_records: a newline, NULs and a DOS end-of-file byte between records",
     GOOD + b"\n" + GOOD + b"\x00\x00\x1a" + GOOD)
case("record-too-short.mrc", "E107 record_too_short: a 'record' of 12 bytes ending in 0x1D, between two good ones",
     GOOD + b"00012xxxxxx" + RT + GOOD)

# ---- leader -----------------------------------------------------------------
case("bad-base-address.mrc", "E201 bad_base_address: leader/12-16 says 00010; the directory ends elsewhere",
     replace_at(GOOD, 12, b"00010"))
case("directory-terminator-wrong.mrc", "E201 bad_base_address: the directory ends in 0x1F, not 0x1E; leader/12-16 and the directory agree",
     replace_at(GOOD, int(GOOD[12:17]) - 1, SF))
case("bad-indicator-count.mrc", "E202 bad_indicator_count (warning): leader/10 is 'x'", replace_at(GOOD, 10, b"x"))
case("bad-subfield-code-length.mrc", "E203 bad_subfield_code_length (warning): leader/11 is 'x'", replace_at(GOOD, 11, b"x"))
case("bad-entry-map.mrc", "E204 bad_entry_map (warning): leader/20-22 are '4 x'", replace_at(GOOD, 20, b"4 x"))
def impl_defined():
    parts = [field_bytes(f) for f in BASE]
    directory, data = b"", b""
    for tag, body in parts:
        directory += tag + b"%04d%05d" % (len(body), len(data)) + b"ZZ"
        data += body
    base = 24 + len(directory) + 1
    ldr = b"%05d" % (base + len(data) + 1) + b"nam a22" + b"%05d" % base + b"4i 4520"
    return ldr + directory + FT + data + RT
case("unsupported-entry-map.mrc", "E205 unsupported_entry_map: leader/22 = 2, each directory entry carries 2 implementation-defined bytes",
     impl_defined())

# ---- directory --------------------------------------------------------------
def bad_directory_length():
    rec = GOOD
    end = rec.index(FT)  # directory terminator
    rec = rec[:end] + b"7" + rec[end:]
    base = int(rec[12:17]) + 1
    return replace_at(replace_at(rec, 12, b"%05d" % base), 0, b"%05d" % len(rec))
case("bad-directory.mrc", "E301 bad_directory: one stray byte makes the directory 61 bytes, not a multiple of 12",
     bad_directory_length())
case("no-directory-terminator.mrc", "E301 bad_directory (unreadable): the record holds no field terminator at all",
     b"00040nam a2200037   4500" + b"245000900000" + b"xxx" + RT)
case("bad-directory-entry.mrc", "E302 bad_directory_entry: the length of the 245 entry is '00x3'",
     replace_at(GOOD, directory_entry(GOOD, 3) + 3, b"00x3"))
case("field-out-of-bounds.mrc", "E303 field_out_of_bounds: the 650 entry starts at 99000, past the data",
     replace_at(GOOD, directory_entry(GOOD, 4) + 7, b"99000"))
def lengths_counted_in_characters():
    # The directory was made from a copy whose 245 held one byte less (a
    # multi-byte character counted as one): every later position is off by one.
    fields = list(BASE)
    fields[3] = (b"245", b"10", [(b"a", b"A crafted r\xc3\xa9cord /"), (b"c", b"marcpp tests.")])
    good = record(fields)
    short = list(BASE)
    short[3] = (b"245", b"10", [(b"a", b"A crafted r\xe9cord /"), (b"c", b"marcpp tests.")])
    stale = record(short)
    n = 5
    return good[:24] + stale[24:24 + 12 * n] + good[24 + 12 * n:]
case("field-length-mismatch.mrc", "E304 field_length_mismatch: directory lengths counted in characters, not bytes (a UTF-8 'é' counted once)",
     lengths_counted_in_characters())
def stray_field_terminator():
    # Every length and position counts UTF-8 characters, not bytes, and the
    # 999 holds a field terminator inside it (its length counts it): the data
    # holds one terminator more than the directory has entries.
    fields = [
        (b"001", b"ocm00000002"),
        (b"005", b"20150312090334.0"),
        (b"008", b"121103s2004    enkab    b    000 0 eng c"),
        (b"245", b"14", [(b"a", b"The presence of Teotihuacan in Michoaca\xcc\x81n, Mexico /"), (b"c", b"Agapi Filini.")]),
        (b"260", b"  ", [(b"a", b"Oxford, England :"), (b"b", b"Archaeopress,"), (b"c", b"2004.")]),
        (b"300", b"  ", [(b"a", b"viii, 152 p. :"), (b"b", b"ill., maps ;"), (b"c", b"30 cm.")]),
        (b"650", b" 0", [(b"a", b"Excavations (Archaeology)"), (b"z", b"Mexico"), (b"z", b"Michoaca\xcc\x81n de Ocampo.")]),
        (b"999", b"  ", [(b"a", b"E0"), (b"b", b"BOS" + FT + b"  "), (b"a", b"mugar"), (b"b", b"1")]),
    ]
    chars = lambda b: len(b.decode("utf-8"))
    directory, data, pos = b"", b"", 0
    for tag, body in [field_bytes(f) for f in fields]:
        directory += tag + b"%04d%05d" % (chars(body), pos)
        data += body
        pos += chars(body)
    base = 24 + len(directory) + 1
    ldr = b"%05d" % (base + pos + 1) + b"cam a22" + b"%05d" % base + b"4a 4500"
    return ldr + directory + FT + data + RT
case("stray-field-terminator.mrc", "E304 field_length_mismatch: lengths counted in UTF-8 characters, and a 999 whose length counts a field terminator inside it",
     stray_field_terminator())
def missing_field_terminator():
    parts = [field_bytes(f) for f in BASE]
    parts[3] = (parts[3][0], parts[3][1][:-1])  # 245 without its 0x1E, length adjusted
    return record(None, raw_fields=parts)
case("missing-field-terminator.mrc", "E305 missing_field_terminator: the 245 has no 0x1E; its length is right and the 650 follows",
     missing_field_terminator())
case("invalid-tag.mrc", "E306 invalid_tag (warning): the 650 is tagged 'a5X', mixed case (kept and written back as it is)",
     replace_at(GOOD, directory_entry(GOOD, 4), b"a5X"))
def unreferenced():
    parts = [field_bytes(f) for f in BASE]
    parts.insert(4, (None, b"JUNK!" + FT))
    directory, data = b"", b""
    for tag, body in parts:
        if tag is not None:
            directory += tag + b"%04d%05d" % (len(body), len(data))
        data += body
    base = 24 + len(directory) + 1
    ldr = b"%05d" % (base + len(data) + 1) + b"nam a22" + b"%05d" % base + b"4i 4500"
    return ldr + directory + FT + data + RT
case("unreferenced-data.mrc", "E307 unreferenced_data: 6 bytes in the data area belong to no directory entry",
     unreferenced())
def overlapping():
    rec = GOOD
    e245 = directory_entry(rec, 3)
    e650 = directory_entry(rec, 4)
    # the 650 entry points at the 245's data, with the 245's length
    return replace_at(rec, e650 + 3, rec[e245 + 3:e245 + 12])
case("overlapping-fields.mrc", "E308 overlapping_fields: the 650 entry points at the 245's bytes",
     overlapping())

def oversized_field():
    # A 520 of 10,500 bytes written anyway: its length takes five digits in
    # the directory's four-digit slot and shifts the entries after it.
    fields = BASE[:4] + [(b"520", b"  ", [(b"a", b"x" * 10495)])] + BASE[4:]
    parts = [field_bytes(f) for f in fields]
    directory, data = b"", b""
    for tag, body in parts:
        directory += tag + (b"%05d" % len(body) if len(body) > 9999 else b"%04d" % len(body)) + b"%05d" % len(data)
        data += body
    base = 24 + len(directory) + 1
    ldr = b"%05d" % (base + len(data) + 1) + b"nam a22" + b"%05d" % base + b"4i 4500"
    return ldr + directory + FT + data + RT
case("oversized-field.mrc", "E301 bad_directory: a 520 of 10,500 bytes whose length took five digits in a four-digit directory slot",
     oversized_field())
def wrapped_positions():
    # A record over 99,999 bytes written anyway: positions past 99,999 wrap
    # (only their last five digits are written), and so does the length.
    fields = BASE[:3] + [(b"500", b"  ", [(b"a", b"%04d " % i + b"n" * 4000)]) for i in range(26)] + BASE[3:]
    parts = [field_bytes(f) for f in fields]
    directory, data = b"", b""
    for tag, body in parts:
        directory += tag + b"%04d" % len(body) + b"%05d" % (len(data) % 100000)
        data += body
    base = 24 + len(directory) + 1
    ldr = b"%05d" % ((base + len(data) + 1) % 100000) + b"nam a22" + b"%05d" % base + b"4i 4500"
    return ldr + directory + FT + data + RT
case("wrapped-positions.mrc", "E304 field_length_mismatch: a record of 104,000 bytes whose positions and length wrapped past 99,999",
     wrapped_positions())

# ---- field content ------------------------------------------------------------
case("missing-indicators.mrc", "E401 missing_indicators: the 650 starts with its delimiter, no indicators",
     record(BASE[:4] + [(b"650", b"", [(b"a", b"Cataloging")])]))
case("data-before-first-subfield.mrc", "E402 data_before_first_subfield (warning): the 650 holds 'xy' between indicators and delimiter",
     record(BASE[:4] + [(b"650", b" 0xy", [(b"a", b"Cataloging")])]))
case("missing-subfield-code.mrc", "E403 missing_subfield_code (warning): the 650 ends with a delimiter and no code",
     record(None, raw_fields=[field_bytes(f) for f in BASE[:4]] + [(b"650", b" 0" + SF + b"aCataloging" + SF + FT)]))
case("unexpected-terminator.mrc", "E404 unexpected_terminator: a 0x1D inside the 245 (the leader's length is right)",
     record(BASE[:3] + [(b"245", b"10", [(b"a", b"A crafted\x1drecord")])] + BASE[4:]))
case("indicator-count-three.mrc", "E405 indicator_count_unsupported (warning): leader/10 = 3, fields carry three indicators",
     record([(b"001", b"d1"), (b"245", b"000", [(b"a", b"Tre indikatorer")])], leader=b"     nam  32     i  4500"))
case("subfield-code-length-three.mrc", "E406 subfield_code_length_unsupported (warning): leader/11 = 3, codes of two bytes",
     record([(b"001", b"c1"), (b"245", b"10", [(b"ab", b"Two-byte code")])], leader=b"     nam  23     i  4500"))
case("invalid-utf8.mrc", "E501 invalid_utf8: leader/09 = a, but the 245 holds the byte 0xFF",
     record(BASE[:3] + [(b"245", b"10", [(b"a", b"Caf\xff")])] + BASE[4:]))


def main():
    lines = ["# Crafted ISO 2709 files", "",
             "Written by `make.py` in this folder; each file breaks one rule (or, for `ok-`, shows one legal but",
             "unusual shape). Codes are marcpp error kinds (docs/errors.md).", "",
             "| file | what it holds |", "|---|---|"]
    for name, comment, data in CASES:
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        lines.append(f"| {name} | {comment} |")
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
