#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every directive a parser's table accepts is in its documentation's table, and
the reverse: check_directives.py PARSER.c DOC.md.

The directives are the rows of the parser's `struct conf_directive` table
(lib/confparse.h): {"name", "kind" or NULL, ...}, a directive of two words
when the kind is given ("listen xdp"). In the page, the directives are the
first column of the table under its "## Directives" heading: each backticked
form names a directive by its leading lower-case words ("listen xdp IFACE
address ADDR" is "listen xdp", "xdpmode native|generic" is "xdpmode").
"""
import re
import sys


def parser_directives(path):
    src = open(path, encoding='utf-8').read()
    m = re.search(r'struct conf_directive \w+\[\] = \{(.*?)\n\};', src, re.S)
    if m is None:
        sys.exit(f'{path}: no struct conf_directive table')
    rows = re.findall(r'\{\s*"([a-z]+)",\s*(?:NULL|"([a-z]+)")', m.group(1))
    return {f'{n} {k}' if k else n for n, k in rows}


def doc_directives(path):
    names, in_section, in_table = set(), False, False
    for line in open(path, encoding='utf-8'):
        if line.startswith('## '):
            in_section = line.strip() == '## Directives'
            continue
        if not in_section:
            continue
        if not line.startswith('|'):
            if in_table:
                break
            continue
        in_table = True
        cells = re.split(r'(?<!\\)\|', line.strip())
        if len(cells) < 3 or set(cells[1].strip()) <= set('-: ') or cells[1].strip() == 'directive':
            continue
        for form in re.findall(r'`([^`]+)`', cells[1]):
            words = []
            for w in form.split():
                if not re.fullmatch(r'[a-z]+', w):
                    break
                words.append(w)
            names.add(' '.join(words))
    if not names:
        sys.exit(f'{path}: no table of directives under "## Directives"')
    return names


def main():
    code, doc = sys.argv[1], sys.argv[2]
    accepted, documented = parser_directives(code), doc_directives(doc)
    ok = True
    for d in sorted(accepted - documented):
        print(f'{doc}: directive "{d}" of {code} is missing from the table')
        ok = False
    for d in sorted(documented - accepted):
        print(f'{doc}: directive "{d}" is in the table but {code} does not accept it')
        ok = False
    print(f'{len(accepted)} directives in {code}, {len(documented)} in {doc}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
