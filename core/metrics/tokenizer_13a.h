// sacrebleu's default BLEU tokenizer "13a" (Tokenizer13a + TokenizerRegexp, sacrebleu 2.x),
// equivalent to mteval-v13a.pl as used by WMT.
#pragma once

#include <string>
#include <string_view>

namespace tb::metrics {

// Tokenizes one segment exactly as sacrebleu's Tokenizer13a.__call__(line):
//  1. remove "<skipped>", remove "-\n", "\n" -> " ", unescape &quot; &amp; &lt; &gt; (in this
//     order, each a full left-to-right replace pass, so "&amp;lt;" ends up as "<");
//  2. pad with one space on each side;
//  3. TokenizerRegexp: split off the ASCII punctuation {|}~ [\]^_` space!"#$%& ()*+ :;<=>?@ /;
//     split '.' and ',' unless preceded by a digit; unless followed by a digit; split '-' after a
//     digit (four sequential regex passes with Python re.sub's non-overlapping semantics);
//  4. ' '.join(line.strip().split()) with Python's Unicode whitespace.
// Input is UTF-8. Note: BLEU first applies Python's rstrip() to the segment (see bleu.h); this
// function does not.
std::string tokenize_13a(std::string_view line);

}  // namespace tb::metrics
