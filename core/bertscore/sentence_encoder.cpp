#include "core/bertscore/sentence_encoder.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/bertscore/text_tokenizers.h"
#include "core/common/file_io.h"
#include "core/metrics/py_text.h"

namespace tb::bertscore {
namespace {

namespace fs = std::filesystem;

Result<nlohmann::json> read_json_if_exists(const std::string& path) {
    if (!fs::exists(path)) return nlohmann::json::object();
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(path, "not a JSON object");
    return j;
}

// A special token named in tokenizer_config.json (string or {"content": ...}), else `def`.
std::string special(const nlohmann::json& tc, const char* key, const std::string& def) {
    if (!tc.contains(key)) return def;
    const auto& v = tc[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string())
        return v["content"].get<std::string>();
    return def;
}

class BpeEncoder : public SentenceEncoder {
  public:
    explicit BpeEncoder(ByteLevelBpe bpe) : bpe_(std::move(bpe)) {}
    std::vector<int64_t> encode_plain(const std::string& text) const override {
        return bpe_.encode(text, /*add_prefix_space=*/true);
    }
    ByteLevelBpe bpe_;
};

class WordPieceEncoder : public SentenceEncoder {
  public:
    explicit WordPieceEncoder(WordPiece wp) : wp_(std::move(wp)) {}
    std::vector<int64_t> encode_plain(const std::string& text) const override {
        return wp_.encode(text);
    }
    WordPiece wp_;
};

}  // namespace

Result<std::shared_ptr<SentenceEncoder>> SentenceEncoder::load(const std::string& dir) {
    TB_ASSIGN_OR_RETURN(nlohmann::json tc, read_json_if_exists(dir + "/tokenizer_config.json"));
    TB_ASSIGN_OR_RETURN(nlohmann::json cfg, read_json_if_exists(dir + "/config.json"));
    std::shared_ptr<SentenceEncoder> enc;
    bool roberta = false;
    auto id_of = [&](auto& tok, const std::string& name, const char* file, int64_t* out) -> Status {
        const int64_t id = tok.token_id(name);
        if (id < 0) return make_error(dir + "/" + file, "special token '" + name + "' missing");
        *out = id;
        return Status::Ok();
    };
    if (fs::exists(dir + "/vocab.json") && fs::exists(dir + "/merges.txt")) {
        TB_ASSIGN_OR_RETURN(ByteLevelBpe bpe,
                            ByteLevelBpe::load(dir + "/vocab.json", dir + "/merges.txt"));
        auto e = std::make_shared<BpeEncoder>(std::move(bpe));
        TB_TRY_STATUS(id_of(e->bpe_, special(tc, "cls_token", "<s>"), "vocab.json", &e->cls_));
        TB_TRY_STATUS(id_of(e->bpe_, special(tc, "sep_token", "</s>"), "vocab.json", &e->sep_));
        TB_TRY_STATUS(id_of(e->bpe_, special(tc, "pad_token", "<pad>"), "vocab.json", &e->pad_));
        enc = e;
        roberta = true;
    } else if (fs::exists(dir + "/vocab.txt")) {
        const bool lower = tc.value("do_lower_case", true);
        TB_ASSIGN_OR_RETURN(WordPiece wp, WordPiece::load(dir + "/vocab.txt", lower));
        auto e = std::make_shared<WordPieceEncoder>(std::move(wp));
        TB_TRY_STATUS(id_of(e->wp_, special(tc, "cls_token", "[CLS]"), "vocab.txt", &e->cls_));
        TB_TRY_STATUS(id_of(e->wp_, special(tc, "sep_token", "[SEP]"), "vocab.txt", &e->sep_));
        TB_TRY_STATUS(id_of(e->wp_, special(tc, "pad_token", "[PAD]"), "vocab.txt", &e->pad_));
        enc = e;
    } else {
        return make_error(dir, "no tokenizer files (vocab.json + merges.txt, or vocab.txt)");
    }
    // transformers treats model_max_length >= 1e30 (VERY_LARGE_INTEGER) as "unset".
    if (tc.contains("model_max_length") && tc["model_max_length"].is_number() &&
        tc["model_max_length"].get<double>() < 1e12 && tc["model_max_length"].get<double>() >= 2) {
        enc->max_len_ = static_cast<int64_t>(tc["model_max_length"].get<double>());
    } else if (cfg.contains("max_position_embeddings") &&
               cfg["max_position_embeddings"].is_number_integer()) {
        const int64_t pad = cfg.value("pad_token_id", roberta ? 1 : 0);
        enc->max_len_ = cfg["max_position_embeddings"].get<int64_t>() - (roberta ? pad + 1 : 0);
    }
    return enc;
}

std::vector<int64_t> SentenceEncoder::sent_encode(const std::string& sentence) const {
    const std::string s(tb::metrics::py_strip(sentence));
    std::vector<int64_t> ids = {cls_};
    if (!s.empty()) {
        const std::vector<int64_t> body = encode_plain(s);
        const size_t keep = std::min<size_t>(body.size(), static_cast<size_t>(max_len_ - 2));
        ids.insert(ids.end(), body.begin(), body.begin() + static_cast<std::ptrdiff_t>(keep));
    }
    ids.push_back(sep_);
    return ids;
}

}  // namespace tb::bertscore
