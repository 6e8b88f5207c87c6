// NLTK's PorterStemmer in its default NLTK_EXTENSIONS mode (nltk.stem.porter, NLTK 3.x), which is
// what rouge-score's DefaultTokenizer uses (porter.PorterStemmer() with no mode argument).
#pragma once

#include <string>
#include <string_view>

namespace tb::metrics {

// PorterStemmer().stem(word) with to_lowercase=True. Defined for ASCII words (the ROUGE tokenizer
// only produces [a-z0-9]+); bytes outside A-Z are not case-mapped and count as consonants, which
// matches NLTK only for ASCII input.
std::string porter_stem(std::string_view word);

}  // namespace tb::metrics
