// Transcription of nltk/stem/porter.py (NLTK 3.8) restricted to NLTK_EXTENSIONS mode. Each
// function mirrors the method of the same name; rule order and the "first matching suffix wins,
// even if its condition fails" behaviour of _apply_rule_list are essential to the results.
#include "core/metrics/porter_stemmer.h"

#include <functional>
#include <vector>

namespace tb::metrics {

namespace {

using Word = std::string;

bool ends_with(const Word& w, std::string_view suffix) {
    return w.size() >= suffix.size() &&
           w.compare(w.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

Word drop(const Word& w, size_t n) { return w.substr(0, w.size() - n); }

bool is_vowel_letter(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// _is_consonant: 'y' is a consonant at the start or after a vowel.
bool is_consonant(const Word& w, size_t i) {
    if (is_vowel_letter(w[i])) return false;
    if (w[i] != 'y') return true;
    if (i == 0) return true;
    return !is_consonant(w, i - 1);
}

// _measure: number of "vc" in the consonant/vowel pattern.
int measure(const Word& stem) {
    int m = 0;
    bool prev_vowel = false;
    for (size_t i = 0; i < stem.size(); ++i) {
        const bool cons = is_consonant(stem, i);
        if (cons && prev_vowel) ++m;
        prev_vowel = !cons;
    }
    return m;
}

bool has_positive_measure(const Word& stem) { return measure(stem) > 0; }

bool contains_vowel(const Word& stem) {
    for (size_t i = 0; i < stem.size(); ++i)
        if (!is_consonant(stem, i)) return true;
    return false;
}

bool ends_double_consonant(const Word& w) {
    return w.size() >= 2 && w[w.size() - 1] == w[w.size() - 2] && is_consonant(w, w.size() - 1);
}

// *o, with NLTK's extra case for two-letter stems (vowel + consonant).
bool ends_cvc(const Word& w) {
    const size_t n = w.size();
    if (n >= 3 && is_consonant(w, n - 3) && !is_consonant(w, n - 2) && is_consonant(w, n - 1) &&
        w[n - 1] != 'w' && w[n - 1] != 'x' && w[n - 1] != 'y')
        return true;
    return n == 2 && !is_consonant(w, 0) && is_consonant(w, 1);
}

struct Rule {
    std::string suffix;  // "*d" = ends in a double consonant
    std::string replacement;
    std::function<bool(const Word&)> condition;  // empty = unconditional
};

Word apply_rule_list(const Word& word, const std::vector<Rule>& rules) {
    for (const Rule& r : rules) {
        if (r.suffix == "*d" && ends_double_consonant(word)) {
            const Word stem = drop(word, 2);
            if (!r.condition || r.condition(stem)) return stem + r.replacement;
            return word;
        }
        if (ends_with(word, r.suffix)) {
            const Word stem = drop(word, r.suffix.size());
            if (!r.condition || r.condition(stem)) return stem + r.replacement;
            return word;
        }
    }
    return word;
}

Word step1a(const Word& word) {
    if (ends_with(word, "ies") && word.size() == 4) return drop(word, 3) + "ie";
    return apply_rule_list(word,
                           {{"sses", "ss", {}}, {"ies", "i", {}}, {"ss", "ss", {}}, {"s", "", {}}});
}

Word step1b(const Word& word) {
    if (ends_with(word, "ied")) {
        if (word.size() == 4) return drop(word, 3) + "ie";
        return drop(word, 3) + "i";
    }
    if (ends_with(word, "eed")) {
        const Word stem = drop(word, 3);
        if (measure(stem) > 0) return stem + "ee";
        return word;
    }
    bool succeeded = false;
    Word inter;
    for (std::string_view suffix : {std::string_view("ed"), std::string_view("ing")}) {
        if (ends_with(word, suffix)) {
            inter = drop(word, suffix.size());
            if (contains_vowel(inter)) {
                succeeded = true;
                break;
            }
        }
    }
    if (!succeeded) return word;
    // Python evaluates intermediate_stem[-1] when building the rule list; with an empty
    // intermediate stem that would raise, but contains_vowel("") is false so it cannot happen.
    const char last = inter.back();
    return apply_rule_list(
        inter, {{"at", "ate", {}},
                {"bl", "ble", {}},
                {"iz", "ize", {}},
                {"*d", std::string(1, last),
                 [last](const Word&) { return last != 'l' && last != 's' && last != 'z'; }},
                {"", "e", [](const Word& stem) { return measure(stem) == 1 && ends_cvc(stem); }}});
}

Word step1c(const Word& word) {
    return apply_rule_list(word, {{"y", "i", [](const Word& stem) {
                                       return stem.size() > 1 &&
                                              is_consonant(stem, stem.size() - 1);
                                   }}});
}

Word step2(const Word& word) {
    if (ends_with(word, "alli") && has_positive_measure(drop(word, 4)))
        return step2(drop(word, 4) + "al");
    const auto pos = [](const Word& s) { return has_positive_measure(s); };
    std::vector<Rule> rules = {
        {"ational", "ate", pos}, {"tional", "tion", pos}, {"enci", "ence", pos},
        {"anci", "ance", pos},   {"izer", "ize", pos},    {"bli", "ble", pos},
        {"alli", "al", pos},     {"entli", "ent", pos},   {"eli", "e", pos},
        {"ousli", "ous", pos},   {"ization", "ize", pos}, {"ation", "ate", pos},
        {"ator", "ate", pos},    {"alism", "al", pos},    {"iveness", "ive", pos},
        {"fulness", "ful", pos}, {"ousness", "ous", pos}, {"aliti", "al", pos},
        {"iviti", "ive", pos},   {"biliti", "ble", pos},  {"fulli", "ful", pos},
    };
    // 'logi' -> 'log' keeps the 'l' with the stem for the measure: word[:-3].
    const Word word_minus3 = word.size() >= 3 ? drop(word, 3) : Word();
    rules.push_back(
        {"logi", "log", [word_minus3](const Word&) { return has_positive_measure(word_minus3); }});
    return apply_rule_list(word, rules);
}

Word step3(const Word& word) {
    const auto pos = [](const Word& s) { return has_positive_measure(s); };
    return apply_rule_list(word, {{"icate", "ic", pos},
                                  {"ative", "", pos},
                                  {"alize", "al", pos},
                                  {"iciti", "ic", pos},
                                  {"ical", "ic", pos},
                                  {"ful", "", pos},
                                  {"ness", "", pos}});
}

Word step4(const Word& word) {
    const auto gt1 = [](const Word& s) { return measure(s) > 1; };
    return apply_rule_list(
        word,
        {{"al", "", gt1},
         {"ance", "", gt1},
         {"ence", "", gt1},
         {"er", "", gt1},
         {"ic", "", gt1},
         {"able", "", gt1},
         {"ible", "", gt1},
         {"ant", "", gt1},
         {"ement", "", gt1},
         {"ment", "", gt1},
         {"ent", "", gt1},
         {"ion", "",
          [](const Word& s) { return measure(s) > 1 && (s.back() == 's' || s.back() == 't'); }},
         {"ou", "", gt1},
         {"ism", "", gt1},
         {"ate", "", gt1},
         {"iti", "", gt1},
         {"ous", "", gt1},
         {"ive", "", gt1},
         {"ize", "", gt1}});
}

Word step5a(const Word& word) {
    if (ends_with(word, "e")) {
        const Word stem = drop(word, 1);
        if (measure(stem) > 1) return stem;
        if (measure(stem) == 1 && !ends_cvc(stem)) return stem;
    }
    return word;
}

Word step5b(const Word& word) {
    const Word word_minus1 = word.empty() ? Word() : drop(word, 1);
    return apply_rule_list(
        word, {{"ll", "l", [word_minus1](const Word&) { return measure(word_minus1) > 1; }}});
}

// NLTK_EXTENSIONS table of irregular forms (pool: form -> stem).
const char* irregular(const Word& w) {
    static const std::vector<std::pair<const char*, const char*>> kPool = {
        {"sky", "sky"},         {"skies", "sky"},        {"dying", "die"},
        {"lying", "lie"},       {"tying", "tie"},        {"news", "news"},
        {"innings", "inning"},  {"inning", "inning"},    {"outings", "outing"},
        {"outing", "outing"},   {"cannings", "canning"}, {"canning", "canning"},
        {"howe", "howe"},       {"proceed", "proceed"},  {"exceed", "exceed"},
        {"succeed", "succeed"},
    };
    for (const auto& [form, stem] : kPool)
        if (w == form) return stem;
    return nullptr;
}

}  // namespace

std::string porter_stem(std::string_view word_in) {
    const Word word(word_in);
    Word stem = word;
    for (char& c : stem)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    // NLTK looks up the *original* word in the pool but returns pool[lowercased]; for a word that
    // is in the pool, lowercasing is the identity (all entries are lowercase), so this is exact.
    if (const char* irr = irregular(word)) return irr;
    if (word.size() <= 2) return stem;
    stem = step1a(stem);
    stem = step1b(stem);
    stem = step1c(stem);
    stem = step2(stem);
    stem = step3(stem);
    stem = step4(stem);
    stem = step5a(stem);
    stem = step5b(stem);
    return stem;
}

}  // namespace tb::metrics
