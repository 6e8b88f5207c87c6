#!/usr/bin/env python3
"""Writes porter_nltk_reference.tsv: word <TAB> NLTK PorterStemmer().stem(word).

Run on a Debian machine with `apt-get install python3-nltk wamerican`:
    /usr/bin/python3 gen_porter_reference.py > porter_nltk_reference.tsv
The words are every 13th lowercase ASCII word of wamerican's /usr/share/dict/american-english
plus the examples of Porter's paper and words that exercise NLTK's extensions. The stemmer mode
is NLTK's default (NLTK_EXTENSIONS), the one rouge-score uses.
"""
import re
import sys

import nltk
from nltk.stem.porter import PorterStemmer

EXTRA = """caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated
troubled sized hopping tanned falling hissing fizzed failing filing happy sky relational
conditional rational valenci hesitanci digitizer conformabli radicalli differentli vileli
analogousli vietnamization predication operator feudalism decisiveness hopefulness callousness
formaliti sensitiviti sensibiliti triplicate formative formalize electriciti electrical hopeful
goodness revival allowance inference airliner gyroscopic adjustable defensible irritant
replacement adjustment dependent adoption homologou communism activate angulariti homologous
effective bowdlerize probate rate cease controll roll generalizations oscillators skies dying
lying tying news innings inning outings outing cannings canning howe proceed exceed succeed
flies dies spied died enjoy enjoyment spy fly try archaeology geology theology fully
hopefulli oed abc yyyy syzygy toy trees ivy troubles private oaten orrery tr ee tree by
running runner easily fairly national nationality sensational""".split()


def main():
    words = []
    with open("/usr/share/dict/american-english", encoding="utf-8") as f:
        for i, line in enumerate(f):
            w = line.strip()
            if i % 13 == 0 and re.fullmatch(r"[a-z]+", w):
                words.append(w)
    seen = set()
    stemmer = PorterStemmer()
    out = sys.stdout
    out.write(f"# NLTK {nltk.__version__} PorterStemmer (NLTK_EXTENSIONS); see gen_porter_reference.py\n")
    for w in EXTRA + words:
        if w in seen:
            continue
        seen.add(w)
        out.write(f"{w}\t{stemmer.stem(w)}\n")


if __name__ == "__main__":
    main()
