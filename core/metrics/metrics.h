// Public entry point of the metrics module (torch-free):
//  - bleu.h          sacrebleu-exact corpus/sentence BLEU and its sufficient statistics
//  - chrf.h, ter.h   sacrebleu-exact chrF / chrF++ and TER with their sufficient statistics
//  - rouge.h         rouge-score-exact ROUGE-1/2/L/Lsum (optional NLTK Porter stemming)
//  - resampling.h    seeded bootstrap CI, paired bootstrap / permutation tests, per category
//  - text_metrics.h  one-call scoring of prediction/reference lists for the CLI commands
// Lower-level pieces (tokenizer_13a.h, porter_stemmer.h, py_text.h, py_lower.h) are public for
// tests.
#pragma once

#include "core/metrics/bleu.h"
#include "core/metrics/chrf.h"
#include "core/metrics/resampling.h"
#include "core/metrics/rouge.h"
#include "core/metrics/ter.h"
#include "core/metrics/text_metrics.h"
