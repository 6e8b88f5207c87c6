#include "core/tokenizer/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/common/file_io.h"
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/jinja_template.h"
#include "core/tokenizer/sentencepiece_bridge.h"

namespace tb {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const char* const kMetaspace = "\xE2\x96\x81";  // U+2581 '▁'

// ---- UTF-8 ------------------------------------------------------------------------------

// Strict UTF-8 validation (what Rust's String::from_utf8 accepts).
bool valid_utf8(const std::string& s) {
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        uint8_t c = static_cast<uint8_t>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (size_t k = 1; k < len; ++k) {
            uint8_t cc = static_cast<uint8_t>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Approximation of Rust's char::is_alphanumeric for single_word added tokens: ASCII letters,
// digits and '_' plus any non-ASCII byte (non-ASCII punctuation counts as a word character).
bool is_word_byte(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || u >= 0x80;
}

int byte_token_value(const std::string& piece) {
    if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>') return -1;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    int hi = hex(piece[3]), lo = hex(piece[4]);
    if (hi < 0 || lo < 0) return -1;
    return hi * 16 + lo;
}

// `s` with every occurrence of `from` (non-empty) replaced by `to`, built in one pass into a
// new string. An in-place std::string::replace shifts the whole tail on every hit, which made
// encoding quadratic in the row length (issue 10: 1 MB took 5.8 s, 4 MB 68 s).
std::string replaced_all(const std::string& s, const std::string& from, const std::string& to) {
    std::string out;
    size_t hits = 0;
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + from.size())) ++hits;
    if (hits == 0) return s;
    out.reserve(s.size() - hits * from.size() + hits * to.size());
    size_t start = 0;
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, start)) {
        out.append(s, start, p - start);
        out += to;
        start = p + from.size();
    }
    out.append(s, start, std::string::npos);
    return out;
}

}  // namespace

// ---- configuration -----------------------------------------------------------------------

// A bos/eos/unk/pad field: absent (HF default), null (no such token) or a token.
struct TokenField {
    bool present = false;
    bool is_null = false;
    AddedToken token;
};

struct Tokenizer::Config {
    std::string origin;  // file the values came from, for messages
    TokenField bos, eos, unk, pad;
    std::vector<AddedToken> added;               // added_tokens_decoder
    std::vector<AddedToken> additional_special;  // additional_special_tokens (ids resolved later)
    bool add_bos = true, add_eos = false, legacy = false, add_prefix_space = true;
    std::string chat_template;
    std::string chat_template_origin;
};

namespace {

Result<AddedToken> parse_token_object(const json& j, const std::string& where) {
    AddedToken t;
    if (j.is_string()) {
        t.content = j.get<std::string>();
        return t;
    }
    if (!j.is_object() || !j.contains("content") || !j["content"].is_string())
        return make_error(where, "expected a string or an object with a string \"content\"");
    t.content = j["content"].get<std::string>();
    auto flag = [&](const char* key, bool* out) -> Status {
        if (!j.contains(key) || j[key].is_null()) return Status::Ok();
        if (!j[key].is_boolean()) return make_error(where + "." + key, "expected true or false");
        *out = j[key].get<bool>();
        return Status::Ok();
    };
    TB_TRY_STATUS(flag("lstrip", &t.lstrip));
    TB_TRY_STATUS(flag("rstrip", &t.rstrip));
    TB_TRY_STATUS(flag("single_word", &t.single_word));
    TB_TRY_STATUS(flag("special", &t.special));
    return t;
}

Status parse_token_field(const json& doc, const char* key, const std::string& file,
                         TokenField* field) {
    if (!doc.contains(key)) return Status::Ok();
    field->present = true;
    const json& j = doc[key];
    if (j.is_null()) {
        field->is_null = true;
        return Status::Ok();
    }
    TB_ASSIGN_OR_RETURN(field->token, parse_token_object(j, file + ": " + key));
    field->is_null = false;
    field->token.special = true;
    return Status::Ok();
}

Status parse_bool(const json& doc, const char* key, const std::string& file, bool* out) {
    if (!doc.contains(key) || doc[key].is_null()) return Status::Ok();
    if (!doc[key].is_boolean()) return make_error(file + ": " + key, "expected true or false");
    *out = doc[key].get<bool>();
    return Status::Ok();
}

Result<json> read_json(const std::string& path) {
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    try {
        json j = json::parse(text);
        if (!j.is_object()) return make_error(path, "expected a JSON object at the top level");
        return j;
    } catch (const json::exception& e) {  // parse_error, or out_of_range 406 ("1e400")
        return make_error(path, std::string("invalid JSON: ") + e.what());
    }
}

Status parse_additional(const json& doc, const std::string& file, std::vector<AddedToken>* out) {
    if (!doc.contains("additional_special_tokens") || doc["additional_special_tokens"].is_null())
        return Status::Ok();
    const json& list = doc["additional_special_tokens"];
    if (!list.is_array())
        return make_error(file + ": additional_special_tokens", "expected a list");
    out->clear();
    for (size_t i = 0; i < list.size(); ++i) {
        TB_ASSIGN_OR_RETURN(AddedToken t,
                            parse_token_object(list[i], file + ": additional_special_tokens[" +
                                                            std::to_string(i) + "]"));
        t.special = true;
        out->push_back(t);
    }
    return Status::Ok();
}

// Fields of tokenizer_config.json (HF), each validated with a message naming file and key.
Status parse_tokenizer_config(const json& doc, const std::string& file, Tokenizer::Config* cfg) {
    cfg->origin = file;
    TB_TRY_STATUS(parse_token_field(doc, "bos_token", file, &cfg->bos));
    TB_TRY_STATUS(parse_token_field(doc, "eos_token", file, &cfg->eos));
    TB_TRY_STATUS(parse_token_field(doc, "unk_token", file, &cfg->unk));
    TB_TRY_STATUS(parse_token_field(doc, "pad_token", file, &cfg->pad));
    TB_TRY_STATUS(parse_bool(doc, "add_bos_token", file, &cfg->add_bos));
    TB_TRY_STATUS(parse_bool(doc, "add_eos_token", file, &cfg->add_eos));
    TB_TRY_STATUS(parse_bool(doc, "legacy", file, &cfg->legacy));
    TB_TRY_STATUS(parse_bool(doc, "add_prefix_space", file, &cfg->add_prefix_space));
    // HF's post-decode clean-up (" ." -> "." ...) is not implemented: it would also break the
    // chunk-by-chunk equality of StreamDecoder. Llama-family configs set it to false.
    bool clean_up = false;
    TB_TRY_STATUS(parse_bool(doc, "clean_up_tokenization_spaces", file, &clean_up));
    if (clean_up)
        return make_error(file + ": clean_up_tokenization_spaces",
                          "true is not supported (only false, as Llama tokenizers use)");
    TB_TRY_STATUS(parse_additional(doc, file, &cfg->additional_special));

    if (doc.contains("added_tokens_decoder") && !doc["added_tokens_decoder"].is_null()) {
        const json& dec = doc["added_tokens_decoder"];
        if (!dec.is_object())
            return make_error(file + ": added_tokens_decoder", "expected an object");
        for (auto it = dec.begin(); it != dec.end(); ++it) {
            const std::string where = file + ": added_tokens_decoder." + it.key();
            size_t used = 0;
            long long id = -1;
            try {
                id = std::stoll(it.key(), &used);
            } catch (...) {
                used = 0;
            }
            if (used != it.key().size() || id < 0)
                return make_error(where, "key is not a non-negative integer id");
            TB_ASSIGN_OR_RETURN(AddedToken t, parse_token_object(it.value(), where));
            if (t.content.empty()) return make_error(where + ".content", "empty token");
            t.id = id;
            if (!it.value().contains("special")) t.special = false;  // HF default: not special
            cfg->added.push_back(t);
        }
    }

    if (doc.contains("chat_template") && !doc["chat_template"].is_null()) {
        const json& ct = doc["chat_template"];
        cfg->chat_template_origin = file + ": chat_template";
        if (ct.is_string()) {
            cfg->chat_template = ct.get<std::string>();
        } else if (ct.is_array()) {
            // Named templates: [{"name": "default", "template": "..."}, ...] -> "default".
            bool found = false;
            for (size_t i = 0; i < ct.size(); ++i) {
                const json& e = ct[i];
                const std::string where = file + ": chat_template[" + std::to_string(i) + "]";
                if (!e.is_object() || !e.contains("name") || !e["name"].is_string() ||
                    !e.contains("template") || !e["template"].is_string())
                    return make_error(where, "expected {\"name\": string, \"template\": string}");
                if (e["name"].get<std::string>() == "default") {
                    cfg->chat_template = e["template"].get<std::string>();
                    cfg->chat_template_origin = where;
                    found = true;
                }
            }
            if (!found && !ct.empty())
                return make_error(file + ": chat_template", "no template named \"default\"");
        } else {
            return make_error(file + ": chat_template",
                              "expected a string or a list of named templates");
        }
    }
    return Status::Ok();
}

// special_tokens_map.json overrides the token fields (HF from_pretrained behaviour).
Status parse_special_tokens(const json& doc, const std::string& file, Tokenizer::Config* cfg) {
    for (auto [key, target] : {std::pair<const char*, TokenField*>{"bos_token", &cfg->bos},
                               {"eos_token", &cfg->eos},
                               {"unk_token", &cfg->unk},
                               {"pad_token", &cfg->pad}}) {
        TokenField tmp;
        TB_TRY_STATUS(parse_token_field(doc, key, file, &tmp));
        if (tmp.present) *target = tmp;
    }
    return parse_additional(doc, file, &cfg->additional_special);
}

}  // namespace

// ---- construction -----------------------------------------------------------------------

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

Result<std::shared_ptr<Tokenizer>> Tokenizer::load(const std::string& model_dir) {
    const fs::path dir(model_dir);
    const std::string sp_path = (dir / "tokenizer.model").string();
    const std::string cfg_path = (dir / "tokenizer_config.json").string();
    std::error_code ec;
    if (!fs::is_regular_file(sp_path, ec))
        return make_error(sp_path, "missing (a SentencePiece tokenizer.model is required)");
    if (!fs::is_regular_file(cfg_path, ec)) return make_error(cfg_path, "missing");
    Config cfg;
    TB_ASSIGN_OR_RETURN(json doc, read_json(cfg_path));
    TB_TRY_STATUS(parse_tokenizer_config(doc, cfg_path, &cfg));

    const std::string stm_path = (dir / "special_tokens_map.json").string();
    if (fs::is_regular_file(stm_path, ec)) {
        TB_ASSIGN_OR_RETURN(json stm, read_json(stm_path));
        TB_TRY_STATUS(parse_special_tokens(stm, stm_path, &cfg));
    }
    const std::string jinja_path = (dir / "chat_template.jinja").string();
    if (fs::is_regular_file(jinja_path, ec)) {
        TB_ASSIGN_OR_RETURN(cfg.chat_template, read_file(jinja_path));
        cfg.chat_template_origin = jinja_path;
    }
    return build(sp_path, cfg);
}

Result<std::shared_ptr<Tokenizer>> Tokenizer::load_files(const std::string& sp_model_path,
                                                         const std::string& tokenizer_config_path) {
    Config cfg;
    if (!tokenizer_config_path.empty()) {
        TB_ASSIGN_OR_RETURN(json doc, read_json(tokenizer_config_path));
        TB_TRY_STATUS(parse_tokenizer_config(doc, tokenizer_config_path, &cfg));
    }
    return build(sp_model_path, cfg);
}

Result<std::shared_ptr<Tokenizer>> Tokenizer::build(const std::string& sp_model_path,
                                                    const Config& cfg) {
    std::shared_ptr<Tokenizer> tok(new Tokenizer());
    std::error_code ec;
    if (!fs::is_regular_file(sp_model_path, ec)) return make_error(sp_model_path, "missing");
    // Through the dlopen'ed bridge: sentencepiece must not share a symbol scope with libtorch
    // (see sentencepiece_bridge.h).
    TB_ASSIGN_OR_RETURN(SpmVocab sp, spm_load_vocab(sp_model_path));
    tok->sp_size_ = static_cast<int64_t>(sp.pieces.size());
    if (tok->sp_size_ <= 0) return make_error(sp_model_path, "SentencePiece model has no pieces");
    tok->pieces_.reserve(static_cast<size_t>(tok->sp_size_));
    for (const auto& piece : sp.pieces) tok->pieces_.push_back(piece);
    const int64_t sp_unk = sp.unk_id;

    tok->add_bos_ = cfg.add_bos;
    tok->add_eos_ = cfg.add_eos;
    tok->legacy_ = cfg.legacy;
    tok->add_prefix_space_ = cfg.add_prefix_space;
    tok->chat_template_ = cfg.chat_template;
    tok->chat_template_origin_ = cfg.chat_template_origin;
    const std::string origin = cfg.origin.empty() ? sp_model_path : cfg.origin;

    // Added tokens: ids inside the SentencePiece vocabulary are kept; the others are appended
    // in order of their requested id, contiguously after the vocabulary. That is what HF's
    // tokenizers backend does (a gap in added_tokens_decoder is closed, not kept).
    std::map<int64_t, AddedToken> requested, by_id;
    for (const auto& t : cfg.added) requested[t.id] = t;
    int64_t next_id = tok->sp_size_;
    for (auto& kv : requested) {
        AddedToken t = kv.second;
        if (t.id >= tok->sp_size_) t.id = next_id++;
        by_id[t.id] = t;
    }
    auto find_content = [&](const std::string& content) -> int64_t {
        for (const auto& kv : by_id)
            if (kv.second.content == content) return kv.first;
        return -1;
    };
    // A special token string: its added-token id, else its SentencePiece piece, else a new id
    // (HF appends unknown special tokens to the vocabulary).
    auto resolve = [&](const AddedToken& t) -> int64_t {
        int64_t id = find_content(t.content);
        if (id >= 0) {
            by_id[id].special = true;
            return id;
        }
        for (int64_t i = 0; i < tok->sp_size_ && id < 0; ++i)
            if (tok->pieces_[static_cast<size_t>(i)] == t.content) id = i;
        if (id < 0) id = next_id++;
        AddedToken a = t;
        a.id = id;
        a.special = true;
        by_id[id] = a;
        return id;
    };
    auto setup = [&](const TokenField& f, const char* dflt, std::string* text, int64_t* id) {
        if (f.present && f.is_null) return;
        AddedToken t = f.present ? f.token : AddedToken{-1, dflt, true, false, false, false};
        *text = t.content;
        *id = resolve(t);
    };
    setup(cfg.unk, "<unk>", &tok->unk_token_, &tok->unk_id_);
    setup(cfg.bos, "<s>", &tok->bos_token_, &tok->bos_id_);
    setup(cfg.eos, "</s>", &tok->eos_token_, &tok->eos_id_);
    if (cfg.pad.present && !cfg.pad.is_null) setup(cfg.pad, "", &tok->pad_token_, &tok->pad_id_);
    for (const auto& t : cfg.additional_special) resolve(t);
    if (tok->add_bos_ && tok->bos_id_ < 0)
        return make_error(origin + ": add_bos_token", "true but bos_token is null");
    if (tok->add_eos_ && tok->eos_id_ < 0)
        return make_error(origin + ": add_eos_token", "true but eos_token is null");

    tok->vocab_size_ = next_id;
    tok->special_.assign(static_cast<size_t>(tok->vocab_size_), false);
    tok->added_content_.assign(static_cast<size_t>(tok->vocab_size_), std::string());
    for (const auto& kv : by_id) {
        tok->added_.push_back(kv.second);
        tok->added_content_[static_cast<size_t>(kv.first)] = kv.second.content;
        if (kv.second.special) tok->special_[static_cast<size_t>(kv.first)] = true;
    }
    tok->bpe_ = std::make_unique<BpeModel>(tok->pieces_, tok->unk_id_ >= 0 ? tok->unk_id_ : sp_unk);
    std::stable_sort(tok->added_.begin(), tok->added_.end(),
                     [](const AddedToken& a, const AddedToken& b) {
                         return a.content.size() > b.content.size();
                     });
    return tok;
}

// ---- encode -----------------------------------------------------------------------------

void Tokenizer::encode_segment(const std::string& segment, bool at_text_start,
                               std::vector<int64_t>* out) const {
    if (segment.empty()) return;
    std::string s = replaced_all(segment, " ", kMetaspace);
    const bool starts_with_metaspace = s.compare(0, 3, kMetaspace) == 0;
    if (add_prefix_space_ && (legacy_ || at_text_start) && !starts_with_metaspace)
        s.insert(0, kMetaspace);
    bpe_->encode(s, out);
}

std::vector<int64_t> Tokenizer::encode(const std::string& text, bool add_special_tokens) const {
    std::vector<int64_t> ids;
    if (add_special_tokens && add_bos_) ids.push_back(bos_id_);
    const size_t n = text.size();
    size_t seg_start = 0;
    size_t i = 0;
    while (i < n) {
        // Leftmost-longest match of an added token at i (added_ is sorted longest first).
        const AddedToken* hit = nullptr;
        for (const auto& t : added_) {
            if (t.content.size() > n - i || text.compare(i, t.content.size(), t.content) != 0)
                continue;
            size_t end = i + t.content.size();
            if (t.single_word &&
                ((i > 0 && is_word_byte(text[i - 1])) || (end < n && is_word_byte(text[end]))))
                continue;
            hit = &t;
            break;
        }
        if (!hit) {
            ++i;
            continue;
        }
        size_t ms = i, me = i + hit->content.size();
        if (hit->lstrip)
            while (ms > seg_start && is_ascii_space(text[ms - 1])) --ms;
        if (hit->rstrip)
            while (me < n && is_ascii_space(text[me])) ++me;
        encode_segment(text.substr(seg_start, ms - seg_start), seg_start == 0, &ids);
        ids.push_back(hit->id);
        seg_start = me;
        i = me;
    }
    encode_segment(text.substr(seg_start), seg_start == 0, &ids);
    if (add_special_tokens && add_eos_) ids.push_back(eos_id_);
    return ids;
}

// ---- decode -----------------------------------------------------------------------------

bool Tokenizer::is_special(int64_t id) const {
    return id >= 0 && id < vocab_size_ && special_[static_cast<size_t>(id)];
}

std::string Tokenizer::id_to_piece(int64_t id) const {
    if (id < 0 || id >= vocab_size_) return "";
    const std::string& added = added_content_[static_cast<size_t>(id)];
    if (!added.empty()) return added;
    return pieces_[static_cast<size_t>(id)];
}

int64_t Tokenizer::piece_to_id(const std::string& piece) const {
    for (const auto& t : added_)
        if (t.content == piece) return t.id;
    int32_t id = bpe_->find(piece);
    return id < 0 ? unk_id_ : id;
}

bool Tokenizer::is_byte_token(int64_t id) const {
    if (id < 0 || id >= vocab_size_) return false;
    if (!added_content_[static_cast<size_t>(id)].empty())
        return byte_token_value(added_content_[static_cast<size_t>(id)]) >= 0;
    return byte_token_value(pieces_[static_cast<size_t>(id)]) >= 0;
}

std::string Tokenizer::decode_fragment(const std::vector<int64_t>& ids,
                                       bool skip_special_tokens) const {
    std::string out, bytes;
    auto flush_bytes = [&]() {
        if (bytes.empty()) return;
        if (valid_utf8(bytes)) {
            out += bytes;
        } else {
            for (size_t k = 0; k < bytes.size(); ++k) out += "\xEF\xBF\xBD";  // U+FFFD per byte
        }
        bytes.clear();
    };
    for (int64_t id : ids) {
        if (id < 0 || id >= vocab_size_) continue;
        if (skip_special_tokens && special_[static_cast<size_t>(id)]) continue;
        std::string piece = id_to_piece(id);
        int b = byte_token_value(piece);
        if (b >= 0) {
            bytes += static_cast<char>(b);
            continue;
        }
        flush_bytes();
        out += replaced_all(piece, kMetaspace, " ");
    }
    flush_bytes();
    return out;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
    std::string s = decode_fragment(ids, skip_special_tokens);
    if (add_prefix_space_ && !s.empty() && s[0] == ' ') s.erase(0, 1);
    return s;
}

// ---- chat -------------------------------------------------------------------------------

Result<std::string> Tokenizer::apply_chat_template(const std::vector<ChatMessage>& messages,
                                                   bool add_generation_prompt) const {
    if (chat_template_.empty())
        return Error{"tokenizer has no chat_template (tokenizer_config.json: chat_template)"};
    return render_with(chat_template_, chat_template_origin_, messages, add_generation_prompt);
}

Result<std::string> Tokenizer::render_chat_template(const std::string& template_source,
                                                    const std::vector<ChatMessage>& messages,
                                                    bool add_generation_prompt) const {
    return render_with(template_source, "chat_template", messages, add_generation_prompt);
}

Result<std::string> Tokenizer::render_with(const std::string& source, const std::string& origin,
                                           const std::vector<ChatMessage>& messages,
                                           bool add_generation_prompt) const {
    jinja::Options opt;  // HF: trim_blocks, lstrip_blocks, no trailing newline kept
    TB_ASSIGN_OR_RETURN(jinja::Template tmpl, jinja::Template::parse(source, opt, origin));
    jinja::ValueList msgs;
    for (const auto& m : messages) {
        jinja::Dict d;
        d.set("role", jinja::Value::string(m.role));
        d.set("content", jinja::Value::string(m.content));
        msgs.push_back(jinja::Value::dict(std::move(d)));
    }
    jinja::Context ctx;
    ctx["messages"] = jinja::Value::list(std::move(msgs));
    ctx["add_generation_prompt"] = jinja::Value::boolean(add_generation_prompt);
    ctx["tools"] = jinja::Value::none();
    ctx["documents"] = jinja::Value::none();
    if (bos_id_ >= 0) ctx["bos_token"] = jinja::Value::string(bos_token_);
    if (eos_id_ >= 0) ctx["eos_token"] = jinja::Value::string(eos_token_);
    if (unk_id_ >= 0) ctx["unk_token"] = jinja::Value::string(unk_token_);
    if (pad_id_ >= 0) ctx["pad_token"] = jinja::Value::string(pad_token_);
    return tmpl.render(ctx);
}

Result<std::vector<int64_t>> Tokenizer::encode_chat(const std::vector<ChatMessage>& messages,
                                                    bool add_generation_prompt) const {
    TB_ASSIGN_OR_RETURN(std::string text, apply_chat_template(messages, add_generation_prompt));
    return encode(text, /*add_special_tokens=*/false);
}

}  // namespace tb
