#include "core/eval/bertscore_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/common/file_io.h"
#include "core/common/torch_compat.h"

#ifdef TB_HAVE_BERTSCORE
#include "core/bertscore/bert_encoder.h"
#include "core/bertscore/bertscore.h"
#include "core/bertscore/sentence_encoder.h"
#include "core/bertscore/text_tokenizers.h"
#include "core/bertscore/unicode_props.h"
#include "core/model/safetensors.h"
#endif

namespace tb::eval {

using nlohmann::json;
namespace fs = std::filesystem;

#ifndef TB_HAVE_BERTSCORE

Result<json> run_bertscore_bench(const BertScoreBenchParams&) {
    return Error{"bertscore bench: BERTScore is not available in this build"};
}

#else

namespace {

struct EncoderShape {
    int64_t vocab, hidden, layers, heads, intermediate, positions;
};

Result<EncoderShape> shape_of(const std::string& name) {
    if (name == "base") return EncoderShape{30522, 768, 12, 12, 3072, 512};
    if (name == "tiny") return EncoderShape{2000, 64, 2, 4, 128, 512};
    return Error{"shape: expected base or tiny, got '" + name + "'"};
}

Result<std::vector<std::string> > read_texts(const std::string& path) {
    TB_ASSIGN_OR_RETURN(std::string text, read_file(path));
    std::vector<std::string> out;
    std::stringstream in(text);
    size_t line_no = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return make_error(path + ":" + std::to_string(line_no), "not a JSON object");
        const char* key = j.contains("response") ? "response" : "output";
        if (!j.contains(key) || !j[key].is_string())
            return make_error(path + ":" + std::to_string(line_no),
                              "no \"response\" or \"output\" string");
        out.push_back(j[key].get<std::string>());
    }
    if (out.size() < 2) return make_error(path, "needs at least 2 texts");
    return out;
}

// WordPiece vocabulary from the benchmark's texts: specials, every character and its ##
// continuation (so any word of these texts tokenizes without [UNK]), then words by frequency
// (ties by text), then [unusedK] entries up to `size`.
std::vector<std::string> build_vocab(const std::vector<std::string>& texts, int64_t size) {
    std::map<std::string, int64_t> freq;
    std::set<char32_t> chars;
    for (const auto& t : texts)
        for (const auto& w : bertscore::bert_basic_tokenize(t, true)) {
            ++freq[w];
            for (char32_t c : bertscore::utf8_to_u32(w)) chars.insert(c);
        }
    std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    std::set<std::string> have(vocab.begin(), vocab.end());
    auto add = [&](const std::string& s) {
        if (static_cast<int64_t>(vocab.size()) < size && have.insert(s).second) vocab.push_back(s);
    };
    for (char32_t c : chars) add(bertscore::u32_to_utf8(std::u32string(1, c)));
    for (char32_t c : chars) add("##" + bertscore::u32_to_utf8(std::u32string(1, c)));
    std::vector<std::pair<int64_t, std::string> > words;
    for (const auto& [w, n] : freq) words.emplace_back(-n, w);
    std::sort(words.begin(), words.end());
    for (const auto& [n, w] : words) add(w);
    for (int64_t k = 0; static_cast<int64_t>(vocab.size()) < size; ++k)
        add("[unused" + std::to_string(k) + "]");
    return vocab;
}

// A random-weight Hugging Face BertModel folder (normal(0, 0.02) matrices, zero biases, unit
// LayerNorm weights: BertPreTrainedModel's initialisation).
Status write_random_encoder(const std::string& dir, const EncoderShape& s,
                            const std::vector<std::string>& texts, uint64_t seed) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Error{dir + ": cannot create folder: " + ec.message()};
    const std::vector<std::string> vocab = build_vocab(texts, s.vocab);
    std::string vtxt;
    for (const auto& v : vocab) vtxt += v + "\n";
    TB_TRY_STATUS(write_file_atomic(dir + "/vocab.txt", vtxt));
    const json cfg = {{"architectures", {"BertModel"}},
                      {"model_type", "bert"},
                      {"vocab_size", s.vocab},
                      {"hidden_size", s.hidden},
                      {"num_hidden_layers", s.layers},
                      {"num_attention_heads", s.heads},
                      {"intermediate_size", s.intermediate},
                      {"hidden_act", "gelu"},
                      {"hidden_dropout_prob", 0.1},
                      {"attention_probs_dropout_prob", 0.1},
                      {"max_position_embeddings", s.positions},
                      {"type_vocab_size", 2},
                      {"initializer_range", 0.02},
                      {"layer_norm_eps", 1e-12},
                      {"pad_token_id", 0},
                      {"position_embedding_type", "absolute"}};
    TB_TRY_STATUS(write_file_atomic(dir + "/config.json", cfg.dump(2) + "\n"));
    const json tc = {{"do_lower_case", true},
                     {"model_max_length", s.positions},
                     {"tokenizer_class", "BertTokenizer"}};
    TB_TRY_STATUS(write_file_atomic(dir + "/tokenizer_config.json", tc.dump(2) + "\n"));

    torch::manual_seed(seed);
    std::vector<std::pair<std::string, torch::Tensor> > t;
    auto normal = [](std::vector<int64_t> shape) { return torch::randn(shape) * 0.02; };
    const int64_t H = s.hidden, I = s.intermediate;
    t.emplace_back("embeddings.word_embeddings.weight", normal({s.vocab, H}));
    t.emplace_back("embeddings.position_embeddings.weight", normal({s.positions, H}));
    t.emplace_back("embeddings.token_type_embeddings.weight", normal({2, H}));
    t.emplace_back("embeddings.LayerNorm.weight", torch::ones({H}));
    t.emplace_back("embeddings.LayerNorm.bias", torch::zeros({H}));
    for (int64_t l = 0; l < s.layers; ++l) {
        const std::string p = "encoder.layer." + std::to_string(l) + ".";
        for (const char* m : {"attention.self.query", "attention.self.key", "attention.self.value",
                              "attention.output.dense"}) {
            t.emplace_back(p + m + ".weight", normal({H, H}));
            t.emplace_back(p + m + ".bias", torch::zeros({H}));
        }
        t.emplace_back(p + "attention.output.LayerNorm.weight", torch::ones({H}));
        t.emplace_back(p + "attention.output.LayerNorm.bias", torch::zeros({H}));
        t.emplace_back(p + "intermediate.dense.weight", normal({I, H}));
        t.emplace_back(p + "intermediate.dense.bias", torch::zeros({I}));
        t.emplace_back(p + "output.dense.weight", normal({H, I}));
        t.emplace_back(p + "output.dense.bias", torch::zeros({H}));
        t.emplace_back(p + "output.LayerNorm.weight", torch::ones({H}));
        t.emplace_back(p + "output.LayerNorm.bias", torch::zeros({H}));
    }
    t.emplace_back("pooler.dense.weight", normal({H, H}));
    t.emplace_back("pooler.dense.bias", torch::zeros({H}));
    std::vector<StTensorSource> src;
    for (auto& [name, tensor] : t) {
        tensor = tensor.to(torch::kFloat).contiguous();
        StTensorSource x;
        x.name = name;
        x.dtype = StDType::F32;
        x.shape = tensor.sizes().vec();
        x.data = tensor.data_ptr();
        src.push_back(std::move(x));
    }
    return write_safetensors_streamed(dir + "/model.safetensors", src, {{"format", "pt"}});
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

json run_python(const BertScoreBenchParams& p, const std::string& model_dir,
                const std::string& pairs_file, const std::string& device, int layer) {
    std::ostringstream cmd;
    cmd << shell_quote(p.python_exe) << ' ' << shell_quote(p.script) << " --model "
        << shell_quote(model_dir) << " --pairs " << shell_quote(pairs_file) << " --device "
        << shell_quote(device) << " --layer " << layer << " --batch-size " << p.batch_size
        << " --warmup " << p.warmup << " --repeats " << p.repeats << (p.idf ? " --idf" : "")
        << " 2>&1";
    std::FILE* f = ::popen(cmd.str().c_str(), "r");
    if (!f) return {{"error", "cannot start " + p.python_exe}};
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const int rc = ::pclose(f);
    std::string last;  // the JSON is the last non-empty line (libraries may print before it)
    std::stringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) last = line;
    json j = json::parse(last, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        const std::string tail = out.size() > 600 ? out.substr(out.size() - 600) : out;
        return {{"error", p.script + " exited with status " + std::to_string(rc) +
                              " without a JSON result; output ends: " + tail}};
    }
    if (rc != 0 && !j.contains("error")) j["error"] = "exit status " + std::to_string(rc);
    return j;
}

}  // namespace

Result<json> run_bertscore_bench(const BertScoreBenchParams& p) {
    auto progress = [&](const std::string& s) {
        if (p.on_progress) p.on_progress(s);
    };
    if (p.pairs < 1) return make_error("pairs", "must be >= 1");
    if (p.batch_size < 1) return make_error("batch_size", "must be >= 1");
    if (p.repeats < 1 || p.warmup < 0) return make_error("repeats", "repeats >= 1, warmup >= 0");
    if (p.devices.empty()) return make_error("devices", "no device given");
    if (p.work_dir.empty()) return make_error("work_dir", "required");
    for (const auto& d : p.devices) {
        try {
            const torch::Device dev(d);
            if (dev.is_cuda() && !compat::cuda_available())
                return make_error("devices", "'" + d + "': CUDA is not available");
        } catch (const std::exception&) {
            return make_error("devices", "'" + d + "' is not a torch device");
        }
    }
    TB_ASSIGN_OR_RETURN(std::vector<std::string> texts, read_texts(p.data_path));
    std::vector<std::string> cands;
    std::vector<std::vector<std::string> > refs;
    const auto n = static_cast<int64_t>(texts.size());
    for (int64_t k = 0; k < p.pairs; ++k) {
        cands.push_back(texts[static_cast<size_t>(k % n)]);
        refs.push_back({texts[static_cast<size_t>((7 * k + 3) % n)]});
    }
    std::error_code ec;
    fs::create_directories(p.work_dir, ec);
    if (ec) return make_error(p.work_dir, "cannot create folder: " + ec.message());
    const std::string pairs_file = (fs::path(p.work_dir) / "pairs.jsonl").string();
    {
        std::string lines;
        for (size_t i = 0; i < cands.size(); ++i)
            lines += json{{"cand", cands[i]}, {"ref", refs[i][0]}}.dump() + "\n";
        TB_TRY_STATUS(write_file_atomic(pairs_file, lines));
    }
    std::string model_dir = p.model_dir;
    json shape_json = nullptr;
    int64_t model_layers = 0;
    if (model_dir.empty()) {
        TB_ASSIGN_OR_RETURN(EncoderShape s, shape_of(p.shape));
        model_dir = (fs::path(p.work_dir) / ("random-bert-" + p.shape)).string();
        progress("writing a random " + p.shape + " encoder to " + model_dir);
        TB_TRY_STATUS(write_random_encoder(model_dir, s, texts, p.seed));
        shape_json = {{"name", p.shape},         {"vocab", s.vocab},
                      {"hidden", s.hidden},      {"layers", s.layers},
                      {"heads", s.heads},        {"intermediate", s.intermediate},
                      {"positions", s.positions}};
        model_layers = s.layers;
    } else {
        TB_ASSIGN_OR_RETURN(bertscore::EncoderConfig c,
                            bertscore::load_encoder_config(model_dir + "/config.json"));
        model_layers = c.num_hidden_layers;
    }
    const int layer = p.num_layers >= 0
                          ? p.num_layers
                          : (p.model_dir.empty() && p.shape == "base"
                                 ? 9  // bert_score's model2layers["bert-base-uncased"]
                                 : static_cast<int>(model_layers));

    json out;
    out["config"] = {{"pairs", p.pairs},
                     {"texts", texts.size()},
                     {"data", p.data_path},
                     {"pairing", "cand = text[k mod n], ref = text[(7k+3) mod n]"},
                     {"model_dir", model_dir},
                     {"random_shape", shape_json},
                     {"num_layers", layer},
                     {"batch_size", p.batch_size},
                     {"idf", p.idf},
                     {"warmup", p.warmup},
                     {"repeats", p.repeats},
                     {"timing",
                      "one full score() call per run (model + tokenizer load included); "
                      "median over repeats; scoring-only = pairs / (median - load)"}};
    {
        TB_ASSIGN_OR_RETURN(auto tok, bertscore::SentenceEncoder::load(model_dir));
        double ct = 0, rt = 0;
        for (size_t i = 0; i < cands.size(); ++i) {
            ct += static_cast<double>(tok->sent_encode(cands[i]).size());
            rt += static_cast<double>(tok->sent_encode(refs[i][0]).size());
        }
        out["tokens"] = {{"candidate_mean", ct / static_cast<double>(cands.size())},
                         {"reference_mean", rt / static_cast<double>(cands.size())}};
    }

    bertscore::BertScoreOptions bo;
    bo.model_dir = model_dir;
    bo.num_layers = layer;
    bo.idf = p.idf;
    bo.batch_size = p.batch_size;
    out["devices"] = json::array();
    for (const std::string& device : p.devices) {
        if (p.cancel && p.cancel->cancelled()) break;
        bo.device = device;
        json d = {{"device", device}};
        // tunebench
        std::vector<double> secs;
        std::vector<double> f1;
        for (int r = 0; r < p.warmup + p.repeats; ++r) {
            progress("tunebench " + device + " run " + std::to_string(r + 1) + "/" +
                     std::to_string(p.warmup + p.repeats));
            const auto t0 = std::chrono::steady_clock::now();
            TB_ASSIGN_OR_RETURN(bertscore::BertScoreResult res,
                                bertscore::bert_score(cands, refs, bo));
            compat::cuda_synchronize();
            if (r >= p.warmup) secs.push_back(seconds_since(t0));
            f1 = res.f1;
        }
        double load_s = 0;
        {
            const auto t0 = std::chrono::steady_clock::now();
            TB_ASSIGN_OR_RETURN(auto tok, bertscore::SentenceEncoder::load(model_dir));
            TB_ASSIGN_OR_RETURN(bertscore::BertEncoder enc,
                                bertscore::BertEncoder::load(model_dir, torch::Device(device)));
            compat::cuda_synchronize();
            load_s = seconds_since(t0);
        }
        const double med = median(secs);
        json ours = {{"engine", "tunebench"},
                     {"seconds", secs},
                     {"median_s", med},
                     {"load_s", load_s},
                     {"pairs_per_s", static_cast<double>(p.pairs) / med}};
        if (med > load_s)
            ours["scoring_pairs_per_s"] = static_cast<double>(p.pairs) / (med - load_s);
        d["tunebench"] = ours;
        // Python
        if (p.python) {
            progress("python " + device);
            json py = p.script.empty() ? json{{"error", "bertscore_bench.py not found"}}
                                       : run_python(p, model_dir, pairs_file, device, layer);
            if (!py.contains("error") && py.contains("F") && py["F"].is_array() &&
                py["F"].size() == f1.size()) {
                double worst = 0;
                for (size_t i = 0; i < f1.size(); ++i)
                    worst = std::max(worst, std::abs(f1[i] - py["F"][i].get<double>()));
                d["max_abs_f1_diff"] = worst;
                const double pm = py.value("median_s", 0.0);
                if (pm > 0) d["ratio"] = pm / med;  // > 1: tunebench faster
                const double pl = py.value("load_s", 0.0);
                if (pm > pl && med > load_s) d["scoring_ratio"] = (pm - pl) / (med - load_s);
            }
            py.erase("F");
            d["python"] = py;
        }
        out["devices"].push_back(d);
    }
    return out;
}

#endif  // TB_HAVE_BERTSCORE

std::string format_bertscore_bench(const json& r) {
    std::ostringstream o;
    const json& c = r.at("config");
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "BERTScore bench: %lld pairs, layer %d, batch %d, idf %s; tokens per text: "
                  "candidate %.1f, reference %.1f\n",
                  static_cast<long long>(c.value("pairs", int64_t{0})), c.value("num_layers", 0),
                  c.value("batch_size", 0), c.value("idf", false) ? "on" : "off",
                  r.at("tokens").value("candidate_mean", 0.0),
                  r.at("tokens").value("reference_mean", 0.0));
    o << buf << "model: " << c.value("model_dir", std::string()) << "\n";
    std::snprintf(buf, sizeof buf, "%-8s %-34s %10s %8s %11s %13s\n", "device", "engine",
                  "median s", "load s", "pairs/s", "scoring p/s");
    o << buf;
    for (const json& d : r.at("devices")) {
        auto row = [&](const json& e) {
            if (e.contains("error")) {
                o << d.value("device", std::string()) << "  "
                  << e.value("engine", std::string("python")) << ": "
                  << e["error"].get<std::string>() << "\n";
                return;
            }
            std::snprintf(buf, sizeof buf, "%-8s %-34s %10.3f %8.3f %11.1f %13.1f\n",
                          d.value("device", std::string()).c_str(),
                          e.value("engine", std::string()).substr(0, 34).c_str(),
                          e.value("median_s", 0.0), e.value("load_s", 0.0),
                          e.value("pairs_per_s", 0.0), e.value("scoring_pairs_per_s", 0.0));
            o << buf;
        };
        row(d.at("tunebench"));
        if (d.contains("python")) row(d["python"]);
        if (d.contains("ratio")) {
            std::snprintf(buf, sizeof buf,
                          "%-8s tunebench / python: %.2fx end to end, %.2fx scoring only; max "
                          "|F1 diff| %.2e\n",
                          d.value("device", std::string()).c_str(), d.value("ratio", 0.0),
                          d.value("scoring_ratio", 0.0), d.value("max_abs_f1_diff", 0.0));
            o << buf;
        }
    }
    return o.str();
}

}  // namespace tb::eval
