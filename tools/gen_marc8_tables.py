#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generates include/marcpp/detail/marc8_tables.hpp from the Library of
Congress MARC-8 code tables (codetables.xml).

    tools/gen_marc8_tables.py --codetables ../shared/corpus/spec/marc-perl-codetables.xml \\
        --output include/marcpp/detail/marc8_tables.hpp

    tools/gen_marc8_tables.py --codetables A.xml --compare B.xml   # what differs

Python 3 standard library only. The output depends on nothing but the
code tables and the canonical decompositions of Python's `unicodedata`
(see `decompositions` below for why its Unicode version does not matter),
so regenerating it gives the same bytes; a test checks that.

What is generated:
- one 128-entry array per single-byte set, indexed by the 7-bit code
  (the G0 form; a G1 byte is looked up with its high bit cleared): the
  code point, with bit 31 set for a combining mark, 0 where nothing is mapped;
- the East Asian (EACC) set: 3-byte codes grouped by their first two bytes
  (an offset table of 94 x 94 + 1 entries), then the third byte and the code
  point of each code, sorted;
- the C1 controls MARC-8 uses in any set (0x88, 0x89, 0x8D, 0x8E);
- the double diacritics (first half, second half, code point);
- the encoding table: every code point MARC-8 can hold, sorted, with the set
  and code that write it, preferred set first where several can;
- precomposed characters MARC-8 holds as a base and combining marks (their
  canonical decomposition, which must be all MARC-8 characters).
"""

import argparse
import hashlib
import sys
import unicodedata
import xml.etree.ElementTree as ET

# The sets in the order of the generated arrays, and the order in which the
# encoder prefers them when a character is in several (ASCII first, then
# ANSEL, the standard script sets, and last the three MARC-specific
# "technique 1" sets, whose use LoC discourages for Greek).
SINGLE_SETS = ['42', '45', '32', '4E', '51', '33', '34', '53', '62', '70', '67']
EACC = '31'
# The register a set is designated into when the encoder needs it.
G1_SETS = {'45', '51', '34'}
TECHNIQUE1 = {'67': 'g', '62': 'b', '70': 'p'}
IDENT = {
    '42': 'basic_latin', '45': 'ansel', '32': 'basic_hebrew', '4E': 'basic_cyrillic',
    '51': 'extended_cyrillic', '33': 'basic_arabic', '34': 'extended_arabic', '53': 'basic_greek',
    '62': 'subscripts', '70': 'superscripts', '67': 'greek_symbols', '31': 'eacc',
}


def final_byte(iso):
    """The final byte of the set's escape sequence (its ISO code, or the
    letter of the technique 1 escape)."""
    return ord(TECHNIQUE1[iso]) if iso in TECHNIQUE1 else int(iso, 16)


def text(el, tag):
    v = el.findtext(tag)
    return (v or '').strip()


def load(path):
    """Returns {iso: {'name': str, 'codes': [(marc:int, ucs:int|None, alt:int|None, combining, left, right)]}}."""
    root = ET.parse(path).getroot()
    sets = {}
    for cs in root.iter('characterSet'):
        iso = cs.get('ISOcode')
        codes = []
        for c in cs.iter('code'):
            marc = int(text(c, 'marc'), 16)
            ucs = text(c, 'ucs')
            alt = text(c, 'alt')
            codes.append((marc, int(ucs, 16) if ucs else None, int(alt, 16) if alt else None,
                          text(c, 'isCombining') == 'true',
                          int(text(c, 'marc_left_half'), 16) if text(c, 'marc_left_half') else None,
                          int(text(c, 'marc_right_half'), 16) if text(c, 'marc_right_half') else None))
        sets[iso] = {'name': cs.get('name'), 'codes': codes}
    return root, sets


def compare(a_path, b_path):
    """Prints every code whose mapping differs between two code tables."""
    _, a = load(a_path)
    _, b = load(b_path)

    def flat(sets):
        d = {}
        for iso, s in sets.items():
            for marc, ucs, alt, comb, _, _ in s['codes']:
                key = marc if iso == EACC else marc & 0x7F if marc >= 0xA1 else marc
                d[(iso, key)] = (ucs, alt, comb)
        return d

    fa, fb = flat(a), flat(b)
    n = 0
    for k in sorted(set(fa) | set(fb)):
        if fa.get(k) != fb.get(k):
            n += 1
            print(f'set {k[0]} code {k[1]:X}: {a_path}: {fa.get(k)}  {b_path}: {fb.get(k)}')
    print(f'{n} differences (codes compared in their G0 form)')


def generate(path):
    root, sets = load(path)
    missing = [iso for iso in SINGLE_SETS + [EACC] if iso not in sets]
    if missing:
        sys.exit(f'{path}: character sets missing: {missing}')
    with open(path, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    latin = root.find('codeTable')
    revision = latin.get('date') if latin is not None else '?'

    single = {iso: [0] * 128 for iso in SINGLE_SETS}
    c1 = {}        # byte -> code point (set-independent C1 controls)
    doubles = []   # (first half, second half, code point)
    lone_halves = []  # (second half, code point it decodes to on its own)
    encode = {}    # code point -> list of (rank, set index or 0xFF for C1, code, combining)

    def add_encode(cp, rank, set_id, code, comb):
        encode.setdefault(cp, []).append((rank, set_id, code, comb))

    for rank, iso in enumerate(SINGLE_SETS):
        for marc, ucs, alt, comb, left, right in sets[iso]['codes']:
            if 0x80 <= marc <= 0xA0:
                # C1 controls: the same in every set.
                if ucs is not None:
                    if marc in c1 and c1[marc] != ucs:
                        sys.exit(f'C1 code {marc:X} mapped twice')
                    if marc not in c1:
                        c1[marc] = ucs
                        add_encode(ucs, 0, 0xFF, marc, False)
                continue
            if marc < 0x21 or marc == 0x20:
                continue  # controls and space: the same in every set, handled by the codec
            code = marc & 0x7F
            if not 0x21 <= code <= 0x7E:
                sys.exit(f'set {iso}: code {marc:X} outside the 94-character range')
            if ucs is None:
                # The second half of a double diacritic: no code point of its
                # own when it follows its first half; alone, its alternate.
                if left is None or alt is None:
                    sys.exit(f'set {iso}: code {marc:X} maps to nothing')
                single[iso][code] = alt | (1 << 31)
                lone_halves.append((marc, alt))
                add_encode(alt, rank, SINGLE_SETS.index(iso), code, True)
                continue
            if single[iso][code]:
                sys.exit(f'set {iso}: code {marc:X} mapped twice')
            single[iso][code] = ucs | ((1 << 31) if comb else 0)
            add_encode(ucs, rank, SINGLE_SETS.index(iso), code, comb)
            if right is not None:
                doubles.append((marc, right, ucs))

    eacc = {}
    for marc, ucs, alt, comb, _, _ in sets[EACC]['codes']:
        b1, b2, b3 = marc >> 16, (marc >> 8) & 0xFF, marc & 0xFF
        if not (0x21 <= b1 <= 0x7E and 0x21 <= b2 <= 0x7E and 0x20 <= b3 <= 0x7E):
            sys.exit(f'EACC code {marc:06X} outside the expected range')
        if marc in eacc:
            sys.exit(f'EACC code {marc:06X} mapped twice')
        eacc[marc] = ucs
        # Several codes for one code point: the first in code order is written.
        add_encode(ucs, len(SINGLE_SETS), 0xEA, marc, False)

    # Encoding entries: per code point, preferred first (rank, then code order).
    enc = []
    for cp in sorted(encode):
        cands = sorted(encode[cp], key=lambda e: (e[0], e[2]))
        seen = set()
        for rank, set_id, code, comb in cands:
            if set_id in seen and set_id == 0xEA:
                continue  # EACC variants: only the first is written
            seen.add(set_id)
            enc.append((cp, set_id, code, comb))

    direct = set(encode)

    # Precomposed characters: canonical decomposition, one level at a time,
    # stopping at characters MARC-8 holds. Only characters that NFC keeps as
    # they are: the others (singletons such as U+212B ANGSTROM SIGN, CJK
    # compatibility ideographs, composition exclusions) would not come back
    # from a round trip, and are written as numeric character references
    # instead. Unicode's stability policy freezes canonical decompositions and
    # excludes every precomposed character added since 3.1 from composition,
    # so the table is the same whatever the Unicode version of `unicodedata`.
    def decompose(ch):
        cp = ord(ch)
        if cp in direct:
            return [cp]
        d = unicodedata.decomposition(ch)
        if not d or d.startswith('<'):
            return None
        out = []
        for part in d.split():
            sub = decompose(chr(int(part, 16)))
            if sub is None:
                return None
            out += sub
        return out

    decomps = []
    for cp in range(0x80, 0x110000):
        if 0xD800 <= cp <= 0xDFFF or cp in direct:
            continue
        ch = chr(cp)
        if unicodedata.normalize('NFC', ch) != ch:
            continue
        parts = decompose(ch)
        if parts and len(parts) > 1:
            decomps.append((cp, parts))
    max_parts = max(len(p) for _, p in decomps)

    return {
        'digest': digest, 'revision': revision, 'sets': sets, 'single': single, 'c1': c1,
        'doubles': doubles, 'lone_halves': lone_halves, 'eacc': eacc, 'enc': enc,
        'decomps': decomps, 'max_parts': max_parts,
    }


def hexlist(values, fmt, per_line, indent='    '):
    lines = []
    for i in range(0, len(values), per_line):
        lines.append(indent + ', '.join(fmt.format(v) for v in values[i:i + per_line]) + ',')
    return '\n'.join(lines)


def dec(values, per_line, indent='    '):
    return '\n'.join(indent + ','.join(str(v) for v in values[i:i + per_line]) + ','
                     for i in range(0, len(values), per_line))


def emit(t, source_name):
    out = []
    w = out.append
    w('// GENERATED by tools/gen_marc8_tables.py: do not edit. Regenerate with')
    w('//   tools/gen_marc8_tables.py --codetables <codetables.xml> --output include/marcpp/detail/marc8_tables.hpp')
    w(f'// Source: {source_name}, the Library of Congress MARC-8 code tables')
    w(f'// (Basic and Extended Latin table revised {t["revision"]}), sha256 {t["digest"]}.')
    w('// SPDX-License-Identifier: MIT')
    w('#pragma once')
    w('')
    w('#include <marcpp/config.hpp>')
    w('')
    w('#include <cstdint>')
    w('')
    w('MARCPP_NAMESPACE_BEGIN')
    w('namespace detail::marc8_tables {')
    w('')
    w('/// Flag of a combining mark in the single-byte tables.')
    w('inline constexpr std::uint32_t combining = 0x80000000u;')
    w('')
    w('/// The single-byte sets, in the order of `single`: final byte of the escape')
    w('/// sequence, whether the encoder designates the set as G1, and the LoC name.')
    w('struct set_info {')
    w('  char final_byte;')
    w('  bool g1;')
    w('  const char* name;')
    w('};')
    w(f'inline constexpr int single_count = {len(SINGLE_SETS)};')
    w('inline constexpr set_info single_sets[single_count] = {')
    for iso in SINGLE_SETS:
        fb = final_byte(iso)
        w(f'    {{\'{chr(fb)}\', {"true" if iso in G1_SETS else "false"}, "{t["sets"][iso]["name"]}"}},')
    w('};')
    w(f'inline constexpr const char* eacc_name = "{t["sets"][EACC]["name"]}";')
    w('')
    for i, iso in enumerate(SINGLE_SETS):
        w(f'inline constexpr int {IDENT[iso]} = {i};')
    w('')
    w('/// Code point of each 7-bit code of each single-byte set (`combining` set')
    w('/// for a combining mark; 0 for no character).')
    w('inline constexpr std::uint32_t single[single_count][128] = {')
    for iso in SINGLE_SETS:
        w(f'  {{  // {t["sets"][iso]["name"]}')
        w(dec(t['single'][iso], 16))
        w('  },')
    w('};')
    w('')
    c1 = sorted(t['c1'].items())
    w('/// C1 controls MARC-8 uses whatever the designated sets: byte, code point.')
    w(f'inline constexpr std::uint32_t c1[{len(c1)}][2] = {{')
    w(hexlist([f'{{0x{b:02X}, 0x{u:04X}}}' for b, u in c1], '{}', 4))
    w('};')
    w('')
    w('/// Double diacritics: first half (G1 byte), second half (G1 byte), and the')
    w('/// code point the pair maps to, written after the first character spanned.')
    w(f'inline constexpr std::uint32_t doubles[{len(t["doubles"])}][3] = {{')
    w(hexlist([f'{{0x{a:02X}, 0x{b:02X}, 0x{u:04X}}}' for a, b, u in t['doubles']], '{}', 4))
    w('};')
    w('')

    # EACC
    keys = sorted(t['eacc'])
    offsets = [0] * (94 * 94 + 1)
    for k in keys:
        offsets[((k >> 16) - 0x21) * 94 + ((k >> 8) & 0xFF) - 0x21 + 1] += 1
    for i in range(1, len(offsets)):
        offsets[i] += offsets[i - 1]
    w(f'/// East Asian Character Code: {len(keys)} codes of three bytes. The codes whose')
    w('/// first two bytes are b1 b2 (0x21-0x7E each) are')
    w('/// [eacc_offsets[(b1 - 0x21) * 94 + b2 - 0x21], eacc_offsets[... + 1]) in')
    w('/// `eacc_third` (third byte, ascending) and `eacc_ucs` (code point).')
    w(f'inline constexpr int eacc_count = {len(keys)};')
    w(f'inline constexpr std::uint16_t eacc_offsets[{len(offsets)}] = {{')
    w(dec(offsets, 20))
    w('};')
    w('inline constexpr std::uint8_t eacc_third[eacc_count] = {')
    w(dec([k & 0xFF for k in keys], 32))
    w('};')
    w('inline constexpr std::uint32_t eacc_ucs[eacc_count] = {')
    w(dec([t['eacc'][k] for k in keys], 20))
    w('};')
    # Several codes for one code point: the encoder writes the lowest code
    # made of graphic bytes only (212320, "ideographic space in some
    # implementations", ends with a space byte; 212321 is the usual one).
    first = {}
    for i, k in sorted(enumerate(keys), key=lambda e: ((e[1] & 0xFF) == 0x20, e[1])):
        first.setdefault(t['eacc'][k], i)
    by_ucs = [first[u] for u in sorted(first)]
    w(f'/// The EACC codes the encoder writes, as indexes into `eacc_third` and')
    w(f'/// `eacc_ucs`, sorted by code point ({len(by_ucs)} code points; where several codes')
    w('/// map to one code point, the lowest made of graphic bytes only).')
    w(f'inline constexpr int eacc_encoding_count = {len(by_ucs)};')
    w('inline constexpr std::uint16_t eacc_by_ucs[eacc_encoding_count] = {')
    w(dec(by_ucs, 20))
    w('};')
    w('')

    # Encoding of the single-byte sets and C1 controls
    w('/// How a code point is written with a single-byte set: `set` is an index')
    w('/// into `single` (or `c1_set` for a C1 control), `code` the 7-bit code (the')
    w('/// byte for a C1 control).')
    w('struct encoding {')
    w('  std::uint32_t cp;')
    w('  std::uint8_t set;')
    w('  std::uint8_t code;')
    w('  bool is_combining;')
    w('};')
    w('inline constexpr std::uint8_t c1_set = 0xFF;')
    enc = [e for e in t['enc'] if e[1] != 0xEA]
    w(f'/// Every code point the single-byte sets hold ({len(enc)} ways to write {len(set(e[0] for e in enc))} code points),')
    w('/// sorted by code point, the preferred way first.')
    w(f'inline constexpr int encoding_count = {len(enc)};')
    w('inline constexpr encoding encodings[encoding_count] = {')

    def set_code(s):
        return 'c1_set' if s == 0xFF else str(s)
    w(hexlist([f'{{0x{cp:04X}, {set_code(s)}, 0x{code:02X}, {"true" if comb else "false"}}}' for cp, s, code, comb in enc], '{}', 4))
    w('};')
    w('')
    d = t['decomps']
    parts = []
    index = []
    for cp, p in d:
        index.append((cp, len(parts), len(p)))
        parts += p
    w('/// Precomposed characters written as a MARC-8 base character and combining')
    w('/// marks: code point, first part in `decomposition_parts`, number of parts.')
    w('struct decomposition {')
    w('  std::uint32_t cp;')
    w('  std::uint16_t first;')
    w('  std::uint16_t count;')
    w('};')
    w(f'inline constexpr int decomposition_count = {len(index)};')
    w(f'inline constexpr int decomposition_max_parts = {t["max_parts"]};')
    w('inline constexpr decomposition decompositions[decomposition_count] = {')
    w(hexlist([f'{{0x{cp:04X}, {f}, {n}}}' for cp, f, n in index], '{}', 6))
    w('};')
    w(f'inline constexpr std::uint32_t decomposition_parts[{len(parts)}] = {{')
    w(dec(parts, 20))
    w('};')
    w('')
    w('}  // namespace detail::marc8_tables')
    w('MARCPP_NAMESPACE_END')
    return '\n'.join(out) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--codetables', required=True, help="LoC codetables.xml")
    ap.add_argument('--output', help='where to write the header (default: standard output)')
    ap.add_argument('--compare', metavar='OTHER', help='print how OTHER differs from --codetables, write nothing')
    args = ap.parse_args()
    if args.compare:
        compare(args.codetables, args.compare)
        return
    t = generate(args.codetables)
    source_name = args.codetables.replace('\\', '/').split('/')[-1]
    text_out = emit(t, source_name)
    if args.output:
        with open(args.output, 'w', encoding='ascii', newline='\n') as f:
            f.write(text_out)
    else:
        sys.stdout.write(text_out)


if __name__ == '__main__':
    main()
