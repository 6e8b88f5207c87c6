#include "core/bertscore/bertscore.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/bertscore/bert_encoder.h"

namespace tb::bertscore {
namespace {

// bert_score.utils.model2layers, restricted to the BERT/RoBERTa-architecture entries.
const std::map<std::string, int>& model2layers() {
    static const std::map<std::string, int> m = {
        {"bert-base-uncased", 9},
        {"bert-large-uncased", 18},
        {"bert-base-cased-finetuned-mrpc", 9},
        {"bert-base-multilingual-cased", 9},
        {"bert-base-chinese", 8},
        {"roberta-base", 10},
        {"roberta-large", 17},
        {"roberta-large-mnli", 19},
        {"roberta-base-openai-detector", 7},
        {"roberta-large-openai-detector", 15},
        {"xlm-roberta-base", 9},
        {"xlm-roberta-large", 17},
        {"allenai/scibert_scivocab_uncased", 8},
        {"allenai/scibert_scivocab_cased", 9},
        {"dbmdz/bert-base-turkish-cased", 10},
        {"princeton-nlp/unsup-simcse-bert-base-uncased", 10},
        {"princeton-nlp/unsup-simcse-bert-large-uncased", 18},
        {"princeton-nlp/unsup-simcse-roberta-base", 8},
        {"princeton-nlp/unsup-simcse-roberta-large", 13},
        {"princeton-nlp/sup-simcse-bert-base-uncased", 10},
        {"princeton-nlp/sup-simcse-bert-large-uncased", 18},
        {"princeton-nlp/sup-simcse-roberta-base", 10},
        {"princeton-nlp/sup-simcse-roberta-large", 16},
    };
    return m;
}

// Row `layer` (data rows, header skipped) of a bert_score baseline CSV: the P, R, F columns.
Result<std::array<double, 3>> read_baseline(const std::string& path, int layer) {
    std::ifstream in(path);
    if (!in) return make_error(path, "cannot open baseline file");
    std::string line;
    int lineno = 0, row = -1;
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (lineno == 1) {
            if (line.rfind("LAYER", 0) != 0)
                return make_error(path + ":1", "expected header 'LAYER,P,R,F'");
            continue;
        }
        if (line.empty()) continue;
        if (++row != layer) continue;
        std::array<double, 3> out{};
        std::stringstream ss(line);
        std::string cell;
        for (int col = 0; col < 4; ++col) {
            if (!std::getline(ss, cell, ','))
                return make_error(path + ":" + std::to_string(lineno), "expected 4 columns");
            if (col == 0) continue;
            try {
                size_t used = 0;
                out[col - 1] = std::stod(cell, &used);
                if (used != cell.size()) throw std::invalid_argument(cell);
            } catch (const std::exception&) {
                return make_error(path + ":" + std::to_string(lineno),
                                  "column " + std::to_string(col + 1) + ": not a number");
            }
        }
        return out;
    }
    return make_error(path, "no row for layer " + std::to_string(layer));
}

size_t word_count(const std::string& s) {  // len(s.split(" "))
    size_t n = 1;
    for (char c : s) n += c == ' ';
    return n;
}

struct SentenceStats {
    torch::Tensor emb;  // [n, D] float32
    torch::Tensor idf;  // [n] float32
};

// pad_batch_stats(): embeddings padded with 2.0, idf with 0, boolean length mask.
void pad_batch(const std::vector<const SentenceStats*>& stats, torch::Tensor* emb,
               torch::Tensor* mask, torch::Tensor* idf) {
    int64_t max_len = 0;
    for (const auto* s : stats) max_len = std::max(max_len, s->emb.size(0));
    const int64_t B = static_cast<int64_t>(stats.size()), D = stats[0]->emb.size(1);
    const auto opts = stats[0]->emb.options();
    *emb = torch::full({B, max_len, D}, 2.0, opts);
    *idf = torch::zeros({B, max_len}, opts);
    *mask = torch::zeros({B, max_len}, opts.dtype(torch::kBool));
    for (int64_t i = 0; i < B; ++i) {
        const int64_t n = stats[i]->emb.size(0);
        (*emb)[i].narrow(0, 0, n).copy_(stats[i]->emb);
        (*idf)[i].narrow(0, 0, n).copy_(stats[i]->idf);
        (*mask)[i].narrow(0, 0, n).fill_(true);
    }
}

// bert_score.utils.greedy_cos_idf (all_layers=False), op for op. Returns [B, 3] (P, R, F).
torch::Tensor greedy_cos_idf(torch::Tensor ref_emb, const torch::Tensor& ref_mask,
                             torch::Tensor ref_idf, torch::Tensor hyp_emb,
                             const torch::Tensor& hyp_mask, torch::Tensor hyp_idf) {
    ref_emb.div_(torch::norm(ref_emb, 2, {-1}).unsqueeze(-1));
    hyp_emb.div_(torch::norm(hyp_emb, 2, {-1}).unsqueeze(-1));
    torch::Tensor sim = torch::bmm(hyp_emb, ref_emb.transpose(1, 2));
    const torch::Tensor masks = torch::bmm(hyp_mask.unsqueeze(2).to(torch::kFloat),
                                           ref_mask.unsqueeze(1).to(torch::kFloat));
    sim = sim * masks;
    const torch::Tensor word_precision = std::get<0>(sim.max(2));
    const torch::Tensor word_recall = std::get<0>(sim.max(1));
    hyp_idf.div_(hyp_idf.sum(1, /*keepdim=*/true));
    ref_idf.div_(ref_idf.sum(1, /*keepdim=*/true));
    torch::Tensor P = (word_precision * hyp_idf).sum(1);
    torch::Tensor R = (word_recall * ref_idf).sum(1);
    torch::Tensor F = 2 * P * R / (P + R);
    const torch::Tensor hyp_zero = hyp_mask.sum(1).eq(2);
    const torch::Tensor ref_zero = ref_mask.sum(1).eq(2);
    P = P.masked_fill(hyp_zero, 0.0).masked_fill(ref_zero, 0.0);
    R = R.masked_fill(hyp_zero, 0.0).masked_fill(ref_zero, 0.0);
    F = F.masked_fill(torch::isnan(F), 0.0);
    return torch::stack({P, R, F}, -1);
}

}  // namespace

int default_num_layers(const std::string& model_name) {
    auto it = model2layers().find(model_name);
    return it == model2layers().end() ? -1 : it->second;
}

Result<BertScoreResult> bert_score(const std::vector<std::string>& cands,
                                   const std::vector<std::vector<std::string>>& refs,
                                   const BertScoreOptions& opt) {
    if (cands.size() != refs.size())
        return make_error("bert_score", "different number of candidates (" +
                                            std::to_string(cands.size()) + ") and references (" +
                                            std::to_string(refs.size()) + ")");
    for (size_t i = 0; i < refs.size(); ++i)
        if (refs[i].empty())
            return make_error("bert_score", "item " + std::to_string(i) + ": no reference");
    if (opt.batch_size <= 0) return make_error("bert_score", "batch_size: must be positive");
    int layer = opt.num_layers;
    if (layer < 0) {
        std::string name = opt.model_name;
        if (name.empty())
            name = std::filesystem::path(opt.model_dir).lexically_normal().filename().string();
        if (name.empty())  // "dir/" normalises to an empty filename
            name = std::filesystem::path(opt.model_dir)
                       .lexically_normal()
                       .parent_path()
                       .filename()
                       .string();
        layer = default_num_layers(name);
        if (layer < 0)
            return make_error("bert_score", "num_layers: not given and '" + name +
                                                "' is not in bert_score's model2layers table");
    }
    std::array<double, 3> baseline{};
    if (opt.rescale_with_baseline) {
        if (opt.baseline_path.empty())
            return make_error("bert_score", "baseline_path: required with rescale_with_baseline");
        TB_ASSIGN_OR_RETURN(baseline, read_baseline(opt.baseline_path, layer));
    }
    torch::Device device(torch::kCPU);
    try {
        device = torch::Device(opt.device);
    } catch (const std::exception&) {
        return make_error("bert_score", "device: '" + opt.device + "' is not a torch device");
    }
    TB_ASSIGN_OR_RETURN(auto tok, SentenceEncoder::load(opt.model_dir));
    TB_ASSIGN_OR_RETURN(BertEncoder enc, BertEncoder::load(opt.model_dir, device));
    if (layer > enc.config().num_hidden_layers)
        return make_error(opt.model_dir, "num_layers: " + std::to_string(layer) +
                                             " exceeds the model's " +
                                             std::to_string(enc.config().num_hidden_layers));
    torch::NoGradGuard no_grad;

    // score(): flatten reference groups.
    std::vector<std::string> fc, fr;
    std::vector<std::pair<size_t, size_t>> bounds;
    for (size_t i = 0; i < cands.size(); ++i) {
        bounds.emplace_back(fr.size(), fr.size() + refs[i].size());
        for (const auto& r : refs[i]) {
            fc.push_back(cands[i]);
            fr.push_back(r);
        }
    }
    // idf weights (python floats, stored as float32 by collate_idf's padding()).
    std::unordered_map<int64_t, double> idf_map;
    double idf_default = 1.0;
    if (!opt.idf) {
        idf_map[tok->sep_id()] = 0;
        idf_map[tok->cls_id()] = 0;
    } else {
        const double M = static_cast<double>(fr.size());
        std::unordered_map<int64_t, int64_t> df;
        for (const auto& r : fr) {
            const auto ids = tok->sent_encode(r);
            for (int64_t id : std::unordered_set<int64_t>(ids.begin(), ids.end())) ++df[id];
        }
        idf_default = std::log((M + 1) / 1);
        for (const auto& [id, c] : df) idf_map[id] = std::log((M + 1) / (c + 1.0));
    }
    auto idf_of = [&](int64_t id) {
        auto it = idf_map.find(id);
        return it == idf_map.end() ? idf_default : it->second;
    };

    // Embeddings per unique sentence, in bert_score's order (longest by word count first).
    std::vector<std::string> sentences;
    {
        std::unordered_set<std::string> seen;
        for (const auto* list : {&fr, &fc})
            for (const auto& s : *list)
                if (seen.insert(s).second) sentences.push_back(s);
        std::stable_sort(sentences.begin(), sentences.end(),
                         [](const std::string& a, const std::string& b) {
                             return word_count(a) > word_count(b);
                         });
    }
    std::unordered_map<std::string, SentenceStats> stats;
    const size_t bs = static_cast<size_t>(opt.batch_size);
    for (size_t b = 0; b < sentences.size(); b += bs) {
        const size_t e = std::min(sentences.size(), b + bs);
        std::vector<std::vector<int64_t>> ids;
        int64_t max_len = 0;
        for (size_t i = b; i < e; ++i) {
            ids.push_back(tok->sent_encode(sentences[i]));
            max_len = std::max<int64_t>(max_len, static_cast<int64_t>(ids.back().size()));
        }
        const int64_t B = static_cast<int64_t>(ids.size());
        torch::Tensor padded = torch::full({B, max_len}, tok->pad_id(), torch::kLong);
        torch::Tensor mask = torch::zeros({B, max_len}, torch::kLong);
        for (int64_t i = 0; i < B; ++i) {
            const int64_t n = static_cast<int64_t>(ids[i].size());
            padded[i].narrow(0, 0, n).copy_(torch::tensor(ids[i], torch::kLong));
            mask[i].narrow(0, 0, n).fill_(1);
        }
        const torch::Tensor emb = enc.forward(padded, mask, layer).at(layer);
        for (int64_t i = 0; i < B; ++i) {
            const int64_t n = static_cast<int64_t>(ids[i].size());
            std::vector<float> w;
            for (int64_t id : ids[i]) w.push_back(static_cast<float>(idf_of(id)));
            stats[sentences[b + i]] = {emb[i].narrow(0, 0, n),
                                       torch::tensor(w, torch::kFloat).to(device)};
        }
    }

    // Greedy matching per batch of pairs.
    std::vector<torch::Tensor> preds;
    for (size_t b = 0; b < fr.size(); b += bs) {
        const size_t e = std::min(fr.size(), b + bs);
        std::vector<const SentenceStats*> rs, hs;
        for (size_t i = b; i < e; ++i) {
            rs.push_back(&stats.at(fr[i]));
            hs.push_back(&stats.at(fc[i]));
        }
        torch::Tensor re, rm, ri, he, hm, hi;
        pad_batch(rs, &re, &rm, &ri);
        pad_batch(hs, &he, &hm, &hi);
        preds.push_back(greedy_cos_idf(re, rm, ri, he, hm, hi).cpu());
    }
    torch::Tensor all = torch::cat(preds, 0);
    std::vector<torch::Tensor> maxed;
    for (const auto& [lo, hi] : bounds)
        maxed.push_back(std::get<0>(
            all.narrow(0, static_cast<int64_t>(lo), static_cast<int64_t>(hi - lo)).max(0)));
    all = torch::stack(maxed, 0);
    if (opt.rescale_with_baseline) {
        // pandas reads float64; bert_score converts the row to float32 before rescaling
        const torch::Tensor b =
            torch::tensor(std::vector<double>(baseline.begin(), baseline.end()), torch::kDouble)
                .to(torch::kFloat);
        all = (all - b) / (1 - b);
    }
    all = all.contiguous();
    BertScoreResult res;
    res.num_layers = layer;
    const auto acc = all.accessor<float, 2>();
    for (int64_t i = 0; i < all.size(0); ++i) {
        res.precision.push_back(acc[i][0]);
        res.recall.push_back(acc[i][1]);
        res.f1.push_back(acc[i][2]);
    }
    const torch::Tensor mean = all.mean(0);
    res.precision_mean = mean[0].item<float>();
    res.recall_mean = mean[1].item<float>();
    res.f1_mean = mean[2].item<float>();
    return res;
}

}  // namespace tb::bertscore
