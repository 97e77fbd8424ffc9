#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerates the MARC-8 tables header into a scratch file and checks that
it is byte for byte the committed include/marcpp/detail/marc8_tables.hpp.

    check_marc8_tables.py CODETABLES_XML COMMITTED_HEADER SCRATCH_FILE

Exits 0 if they are the same, 1 if not (printing the first differing
lines), and 77 (the test is skipped) if the code tables are not there.
"""
import difflib
import os
import subprocess
import sys


def main():
    codetables, committed, scratch = sys.argv[1:4]
    if not os.path.isfile(codetables):
        print(f'{codetables} is absent (the shared corpus is missing): skipping the check')
        return 77
    generator = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'gen_marc8_tables.py')
    subprocess.run([sys.executable, generator, '--codetables', codetables, '--output', scratch], check=True)
    with open(committed, 'rb') as f:
        a = f.read()
    with open(scratch, 'rb') as f:
        b = f.read()
    if a == b:
        print(f'{scratch} is byte for byte {committed}')
        return 0
    print(f'the regenerated tables differ from {committed}:')
    diff = difflib.unified_diff(a.decode('ascii', 'replace').splitlines(), b.decode('ascii', 'replace').splitlines(),
                                'committed', 'regenerated', lineterm='', n=1)
    for i, line in enumerate(diff):
        if i >= 40:
            print('...')
            break
        print(line)
    return 1


if __name__ == '__main__':
    sys.exit(main())
