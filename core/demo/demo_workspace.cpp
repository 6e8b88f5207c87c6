#include "core/demo/demo_workspace.h"

#include <ATen/CPUGeneratorImpl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/common/file_io.h"
#include "core/config/app_config.h"
#include "core/demo/demo_config.h"
#include "core/demo/demo_dataset.h"
#include "core/infer/llama_io.h"
#include "core/tokenizer/sentencepiece_bridge.h"
#include "core/tokenizer/tokenizer.h"

namespace tb::demo {

namespace fs = std::filesystem;

const std::string& demo_chat_template() {
    static const std::string t =
        "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + "
        "message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ "
        "'<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == "
        "'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif "
        "%}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% "
        "endfor %}";
    return t;
}

namespace {

Status train_tokenizer(const DemoData& data, const fs::path& model_dir, const fs::path& scratch) {
    // Training text: the prose plus every record, and the chat markups as atomic symbols so
    // the tiny model doesn't spend capacity spelling "<|assistant|>".
    std::string text;
    for (const auto& doc : data.corpus) text += doc + "\n";
    for (const auto& r : data.records) {
        text += r.instruction + "\n";
        if (!r.context.empty()) text += r.context + "\n";
        text += r.response + "\n";
    }
    const fs::path input = scratch / "tokenizer-corpus.txt";
    TB_TRY_STATUS(write_file_atomic(input.string(), text));
    // Llama-2's trainer settings where they matter (BPE, byte fallback, split digits, identity
    // normalisation, dummy prefix, whitespace kept), scaled down to a 1k vocabulary.
    const std::string args = "--input=" + input.string() +
                             " --model_prefix=" + (model_dir / "tokenizer").string() +
                             " --vocab_size=1024 --model_type=bpe --character_coverage=1.0"
                             " --byte_fallback=true --split_digits=true --unk_id=0 --bos_id=1"
                             " --eos_id=2 --pad_id=-1 --normalization_rule_name=identity"
                             " --add_dummy_prefix=true --remove_extra_whitespaces=false"
                             " --allow_whitespace_only_pieces=true --num_threads=1"
                             " --user_defined_symbols=<|user|>,<|assistant|>,<|system|>"
                             " --max_sentence_length=8192 --minloglevel=2";
    TB_TRY_STATUS(spm_train(args));
    std::error_code ec;
    fs::remove(model_dir / "tokenizer.vocab", ec);
    nlohmann::json cfg = {
        {"add_bos_token", true},
        {"add_eos_token", false},
        {"bos_token", "<s>"},
        {"eos_token", "</s>"},
        {"unk_token", "<unk>"},
        {"pad_token", "</s>"},
        {"chat_template", demo_chat_template()},
        {"clean_up_tokenization_spaces", false},
        {"legacy", false},
        {"model_max_length", 512},
        {"padding_side", "right"},
        {"tokenizer_class", "LlamaTokenizer"},
    };
    TB_TRY_STATUS(
        write_file_atomic((model_dir / "tokenizer_config.json").string(), cfg.dump(2) + "\n"));
    nlohmann::json special = {
        {"bos_token", "<s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "</s>"}};
    return write_file_atomic((model_dir / "special_tokens_map.json").string(),
                             special.dump(2) + "\n");
}

LlamaConfig demo_model_config(int64_t vocab) {
    LlamaConfig c;
    c.vocab_size = vocab;
    c.hidden_size = 128;
    c.intermediate_size = 352;
    c.num_hidden_layers = 4;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;  // GQA like TinyLlama (32 over 4)
    c.head_dim = 32;
    c.rms_norm_eps = 1e-5;
    c.rope_theta = 10000;
    c.max_position_embeddings = 512;
    c.tie_word_embeddings = false;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    c.dtype = "float32";
    return c;
}

// Full-parameter next-token pretraining on the prose: random 64-token windows of the
// concatenated corpus (documents wrapped in <s> ... </s>), AdamW, cosine schedule.
Result<std::pair<double, double>> pretrain(LlamaModel& model, const std::vector<int64_t>& stream,
                                           const DemoParams& p) {
    const int64_t T = 64, B = 16;
    const int64_t n = static_cast<int64_t>(stream.size());
    if (n <= T + 1) return make_error("demo", "pretraining corpus too small");
    std::vector<at::Tensor> params{model.embed_tokens, model.lm_head, model.final_norm};
    for (auto& L : model.layers)
        for (at::Tensor* t :
             {&L.input_norm, &L.post_norm, &L.q_proj.weight, &L.k_proj.weight, &L.v_proj.weight,
              &L.o_proj.weight, &L.gate_proj.weight, &L.up_proj.weight, &L.down_proj.weight})
            params.push_back(*t);
    for (auto& t : params) t.requires_grad_(true);
    const double peak_lr = 3e-3;
    torch::optim::AdamW opt(params, torch::optim::AdamWOptions(peak_lr).weight_decay(0.01));
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(p.seed + 7);
    at::Tensor data = at::tensor(stream, at::kLong);
    at::Tensor pos = at::arange(T, at::kLong).view({1, T}).expand({B, T});
    double first = 0, last = 0, smooth = 0;
    const int64_t warmup = std::max<int64_t>(1, p.pretrain_steps / 20);
    for (int64_t step = 0; step < p.pretrain_steps; ++step) {
        if (p.cancel && p.cancel->cancelled()) return make_error("demo", "cancelled");
        double lr =
            step < warmup
                ? peak_lr * (step + 1) / warmup
                : peak_lr * 0.5 *
                      (1 + std::cos(M_PI * (step - warmup) / double(p.pretrain_steps - warmup)));
        static_cast<torch::optim::AdamWOptions&>(opt.param_groups()[0].options()).lr(lr);
        at::Tensor starts = at::randint(0, n - T - 1, {B}, gen, at::kLong);
        at::Tensor idx = starts.view({B, 1}) + at::arange(T + 1, at::kLong).view({1, T + 1});
        at::Tensor win = data.index_select(0, idx.view(-1)).view({B, T + 1});
        at::Tensor x = win.narrow(1, 0, T), y = win.narrow(1, 1, T);
        at::Tensor logits = model.forward(x, pos, at::Tensor(), nullptr, true);
        at::Tensor loss =
            torch::nn::functional::cross_entropy(logits.reshape({B * T, -1}), y.reshape({-1}));
        opt.zero_grad();
        loss.backward();
        opt.step();
        const double l = loss.item<double>();
        if (step == 0) first = smooth = l;
        smooth = 0.9 * smooth + 0.1 * l;
        last = smooth;
        if (p.on_progress) p.on_progress({"pretrain", step + 1, p.pretrain_steps, l});
    }
    for (auto& t : params) t.requires_grad_(false);
    return std::make_pair(first, last);
}

}  // namespace

Result<DemoResult> create_demo_workspace(const DemoParams& p) {
    auto t0 = std::chrono::steady_clock::now();
    // "X/" (as tab completion gives) and "X/." name the folder X. Taken literally, the
    // staging folder "<parent>/<name>.partial-<pid>" would land inside X and could never be
    // renamed onto it, failing after all the work is done.
    fs::path root = fs::absolute(p.dir).lexically_normal();
    while (!root.has_filename() && root.has_relative_path()) root = root.parent_path();
    if (root.filename().empty() || root.filename() == "..")
        return make_error(p.dir, "not a folder name for the workspace (choose another --dir)");
    if (fs::exists(root) && !(fs::is_directory(root) && fs::is_empty(root)))
        return make_error(root.string(), "already exists and is not empty (choose another --dir)");
    if (p.pretrain_steps < 1) return make_error("pretrain_steps", "must be >= 1");
    const fs::path stage =
        root.parent_path() / (root.filename().string() + ".partial-" + std::to_string(::getpid()));
    std::error_code ec;
    // Sweep staging folders of earlier runs that were killed (their pid is gone).
    const std::string prefix = root.filename().string() + ".partial-";
    for (auto& e : fs::directory_iterator(root.parent_path(), ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
            (void)remove_tree(e.path().string());
    }
    ec.clear();
    (void)remove_tree(stage.string());
    fs::create_directories(stage / "model", ec);
    fs::create_directories(stage / "data", ec);
    if (ec) return make_error(stage.string(), "cannot create: " + ec.message());
    struct Cleanup {
        fs::path dir;
        bool keep = false;
        ~Cleanup() {
            if (!keep) (void)remove_tree(dir.string());
        }
    } cleanup{stage};

    const int old_threads = at::get_num_threads();
    at::set_num_threads(p.threads);
    struct RestoreThreads {
        int n;
        ~RestoreThreads() { at::set_num_threads(n); }
    } restore{old_threads};

    if (p.on_progress) p.on_progress({"data", 0, 1, 0});
    DemoData data = make_demo_data(p.seed);
    TB_TRY_STATUS(write_file_atomic((stage / "data" / "dolly-demo.jsonl").string(),
                                    to_dolly_jsonl(data.records)));
    std::string prose;
    for (const auto& d : data.corpus) prose += d + "\n";
    TB_TRY_STATUS(write_file_atomic((stage / "data" / "pretrain-corpus.txt").string(), prose));

    if (p.on_progress) p.on_progress({"tokenizer", 0, 1, 0});
    TB_TRY_STATUS(train_tokenizer(data, stage / "model", stage));
    fs::remove(stage / "tokenizer-corpus.txt", ec);
    // Encode with the same (HF-exact) tokenizer that fine-tuning and inference will use.
    TB_ASSIGN_OR_RETURN(auto tok, Tokenizer::load((stage / "model").string()));

    // Token stream of the prose corpus in a seeded document order.
    std::vector<size_t> order(data.corpus.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    uint64_t s = p.seed;
    for (size_t i = order.size(); i > 1; --i) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        std::swap(order[i - 1], order[(s >> 33) % i]);
    }
    std::vector<int64_t> stream;
    for (int rep = 0; rep < 4; ++rep)
        for (size_t i : order) {
            std::vector<int64_t> ids =
                tok->encode(data.corpus[(i + rep * 7) % data.corpus.size()], false);
            stream.push_back(tok->bos_id());
            stream.insert(stream.end(), ids.begin(), ids.end());
            stream.push_back(tok->eos_id());
        }

    LoadOptions opts;
    LlamaModel model = init_llama(demo_model_config(tok->vocab_size()), p.seed, 0.02, opts);
    TB_ASSIGN_OR_RETURN(auto losses, pretrain(model, stream, p));

    if (p.on_progress) p.on_progress({"write", 0, 1, 0});
    TB_TRY_STATUS(save_llama_model(model, (stage / "model").string(), at::kFloat));
    nlohmann::json readme = {
        {"what", "tunebench embedded demo workspace"},
        {"seed", p.seed},
        {"records", data.records.size()},
        {"pretrain_steps", p.pretrain_steps},
        {"pretrain_loss_first", losses.first},
        {"pretrain_loss_last", losses.second},
    };
    TB_TRY_STATUS(write_file_atomic((stage / "demo.json").string(), readme.dump(2) + "\n"));
    // The workspace's training/evaluation config; parsed here so a broken embedded config is
    // caught at creation, not at the user's first training run.
    const std::string config_path = (stage / "config.yaml").string();
    auto parsed = parse_app_config(kDemoConfigYaml, config_path);
    if (!parsed.ok()) return parsed.error();
    TB_TRY_STATUS(write_file_atomic(config_path, kDemoConfigYaml));

    if (fs::exists(root)) fs::remove(root, ec);  // empty dir allowed
    fs::rename(stage, root, ec);
    if (ec) return make_error(root.string(), "cannot move workspace into place: " + ec.message());
    cleanup.keep = true;

    DemoResult r;
    r.dir = root.string();
    r.model_dir = (root / "model").string();
    r.data_path = (root / "data" / "dolly-demo.jsonl").string();
    r.config_path = (root / "config.yaml").string();
    r.records = static_cast<int64_t>(data.records.size());
    r.initial_loss = losses.first;
    r.final_loss = losses.second;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace tb::demo
