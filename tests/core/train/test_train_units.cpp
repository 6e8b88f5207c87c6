// Unit tests of the training building blocks: LoRA injection (PEFT's init), AdamW against
// libtorch's own AdamW and across a save/load, gradient clipping, schedules, gradient
// accumulation, gradient checkpointing, and batching with the real Llama-2 tokenizer.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/data/dataset_reader.h"
#include "core/data/prompt.h"
#include "core/train/batching.h"
#include "core/train/checkpointing.h"
#include "core/train/lora_injection.h"
#include "core/train/optimizer.h"
#include "core/train/resource_estimate.h"
#include "train_test_util.h"

namespace {

tb::LlamaConfig small_config() {
    tb::LlamaConfig c;
    c.vocab_size = 101;
    c.hidden_size = 48;
    c.intermediate_size = 96;
    c.num_hidden_layers = 3;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = 12;
    c.max_position_embeddings = 128;
    c.bos_token_id = 1;
    c.eos_token_ids = {2};
    return c;
}

tb::LoraSettings all_targets(int64_t r = 4) {
    tb::LoraSettings s;
    s.r = r;
    s.alpha = 8;
    s.dropout = 0.0;
    s.target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                        "gate_proj", "up_proj", "down_proj"};
    return s;
}

// Random rows of different lengths: bos, prompt (no loss), response (loss), eos.
std::vector<tb::TokenizedRow> random_rows(int n, uint64_t seed, int64_t vocab) {
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
    std::vector<tb::TokenizedRow> rows;
    for (int i = 0; i < n; ++i) {
        const int64_t len = 6 + at::randint(12, {1}, g).item<int64_t>();
        const int64_t prompt = 2 + at::randint(3, {1}, g).item<int64_t>();
        at::Tensor body = at::randint(3, vocab, {len}, g);
        tb::TokenizedRow r;
        r.ids.push_back(1);
        for (int64_t t = 0; t < len; ++t) r.ids.push_back(body[t].item<int64_t>());
        r.ids.push_back(2);
        r.labels = r.ids;
        for (int64_t t = 0; t < prompt; ++t) r.labels[static_cast<size_t>(t)] = tb::kIgnoreIndex;
        rows.push_back(r);
    }
    return rows;
}

std::vector<at::Tensor> grads_of(const std::vector<tb::NamedParameter>& ps) {
    std::vector<at::Tensor> g;
    for (const auto& p : ps) g.push_back(p.tensor.grad().clone());
    return g;
}

void clear_grads(std::vector<tb::NamedParameter>& ps) {
    for (auto& p : ps) p.tensor.mutable_grad() = at::Tensor();
}

// ---------------------------------------------------------------------------------------
// LoRA injection

TEST(LoraInjection, KaimingUniformBoundZeroBScaleAndFreezing) {
    tb::LlamaConfig c = small_config();
    c.hidden_size = 256;  // many A entries for the distribution checks
    c.head_dim = 64;
    auto m = tb::init_llama(c, 3, 0.05, {});
    tb::LoraSettings s = all_targets(16);
    ASSERT_TRUE(tb::inject_lora(m, s, 123).ok());
    int checked = 0;
    for (auto& L : m.layers)
        for (const auto& name : tb::projection_names()) {
            tb::LoraLinear* lin = L.projection(name);
            ASSERT_TRUE(lin->lora.defined()) << name;
            const at::Tensor& A = lin->lora.A;
            const double bound = 1.0 / std::sqrt(static_cast<double>(lin->in_features()));
            EXPECT_EQ(A.sizes(), (std::vector<int64_t>{16, lin->in_features()}));
            EXPECT_EQ(A.scalar_type(), at::kFloat);
            EXPECT_TRUE(A.requires_grad() && lin->lora.B.requires_grad());
            EXPECT_FALSE(lin->weight.requires_grad());
            EXPECT_LE(A.abs().max().item<double>(), bound);
            EXPECT_GT(A.abs().max().item<double>(), 0.97 * bound);  // uses the whole range
            // U(-b, b): std b/sqrt(3)
            EXPECT_NEAR(A.std().item<double>(), bound / std::sqrt(3.0), 0.05 * bound);
            EXPECT_EQ(lin->lora.B.abs().max().item<double>(), 0.0);
            EXPECT_DOUBLE_EQ(lin->lora.scale, 8.0 / 16.0);
            ++checked;
        }
    EXPECT_EQ(checked, 3 * 7);
    EXPECT_FALSE(m.embed_tokens.requires_grad());
    EXPECT_EQ(tb::lora_parameters(m).size(), static_cast<size_t>(2 * 3 * 7));
}

TEST(LoraInjection, SeededRsLoraDoraGaussianAndErrors) {
    auto a = tb::init_llama(small_config(), 3, 0.05, {});
    auto b = tb::init_llama(small_config(), 3, 0.05, {});
    auto d = tb::init_llama(small_config(), 3, 0.05, {});
    tb::LoraSettings s = all_targets(4);
    s.target_modules = {"q_proj", "down_proj"};
    s.use_rslora = true;
    ASSERT_TRUE(tb::inject_lora(a, s, 7).ok());
    ASSERT_TRUE(tb::inject_lora(b, s, 7).ok());
    ASSERT_TRUE(tb::inject_lora(d, s, 8).ok());
    EXPECT_TRUE(at::equal(a.layers[1].down_proj.lora.A, b.layers[1].down_proj.lora.A));
    EXPECT_FALSE(at::equal(a.layers[1].down_proj.lora.A, d.layers[1].down_proj.lora.A));
    EXPECT_FALSE(a.layers[0].k_proj.lora.defined());
    EXPECT_DOUBLE_EQ(a.layers[0].q_proj.lora.scale, 8.0 / 2.0);  // alpha / sqrt(r)

    // B = 0: the adapter does not change the model's output.
    auto base = tb::init_llama(small_config(), 3, 0.05, {});
    at::Tensor ids = at::tensor(std::vector<int64_t>{1, 5, 9, 12, 40}).view({1, 5});
    at::Tensor pos = at::arange(5, at::kLong).view({1, 5});
    torch::NoGradGuard ng;
    EXPECT_TRUE(at::allclose(a.forward(ids, pos, {}, nullptr), base.forward(ids, pos, {}, nullptr),
                             1e-6, 1e-6));

    // DoRA: magnitude = row norms of W; Gaussian init: std 1/r.
    auto e = tb::init_llama(small_config(), 3, 0.05, {});
    tb::LoraSettings sd = all_targets(8);
    sd.use_dora = true;
    ASSERT_TRUE(tb::inject_lora(e, sd, 1, tb::LoraInit::Gaussian).ok());
    const auto& v = e.layers[2].v_proj;
    EXPECT_TRUE(at::allclose(v.lora.magnitude, v.weight.norm(2, {1}), 1e-6, 0));
    EXPECT_TRUE(v.lora.magnitude.requires_grad());
    EXPECT_NEAR(e.layers[0].up_proj.lora.A.std().item<double>(), 1.0 / 8, 0.02);

    auto f = tb::init_llama(small_config(), 3, 0.05, {});
    tb::LoraSettings bad = all_targets();
    bad.target_modules = {"q_proj", "qproj"};
    tb::Status st = tb::inject_lora(f, bad, 1);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("'qproj' matches no projection"), std::string::npos);
}

TEST(LoraInjection, Bf16ModelKeepsFp32LoraLeaves) {
    tb::LoadOptions lo;
    lo.dtype = at::kBFloat16;
    auto m = tb::init_llama(small_config(), 3, 0.05, lo);
    ASSERT_TRUE(tb::inject_lora(m, all_targets(), 5).ok());
    for (const auto& p : tb::lora_parameters(m)) {
        EXPECT_EQ(p.tensor.scalar_type(), at::kFloat) << p.name;
        EXPECT_TRUE(p.tensor.is_leaf() && p.tensor.requires_grad()) << p.name;
    }
    at::Tensor ids = at::tensor(std::vector<int64_t>{1, 5, 9, 12}).view({1, 4});
    at::Tensor labels = ids.clone();
    at::Tensor loss = tb::micro_batch_loss(m, ids, at::arange(4, at::kLong).view({1, 4}), {},
                                           labels, 3, true, false);
    loss.backward();
    for (const auto& p : tb::lora_parameters(m)) {
        ASSERT_TRUE(p.tensor.grad().defined()) << p.name;
        EXPECT_EQ(p.tensor.grad().scalar_type(), at::kFloat);
    }
}

// ---------------------------------------------------------------------------------------
// Optimizer, clipping, schedules

TEST(AdamW, MatchesLibtorchAdamWAndResumesFromSavedState) {
    at::manual_seed(0);
    at::Tensor w0 = at::randn({6, 5});
    at::Tensor x = at::randn({8, 5}), y = at::randn({8, 6});
    auto loss_of = [&](const at::Tensor& w) { return (at::matmul(x, w.t()) - y).pow(2).mean(); };

    at::Tensor ours = w0.clone().set_requires_grad(true);
    at::Tensor ref = w0.clone().set_requires_grad(true);
    tb::AdamWOptions o;
    o.weight_decay = 0.1;
    tb::AdamW opt({{"w", ours}}, o);
    torch::optim::AdamW ref_opt({ref}, torch::optim::AdamWOptions(0.01).weight_decay(0.1));
    for (int i = 0; i < 20; ++i) {
        loss_of(ours).backward();
        ASSERT_TRUE(opt.step(0.01).ok());
        opt.zero_grad();
        ref_opt.zero_grad();
        loss_of(ref).backward();
        ref_opt.step();
    }
    // libtorch's C++ AdamW updates m with mul+add where torch.optim uses lerp: equal up to
    // float rounding.
    EXPECT_LT((ours - ref).abs().max().item<double>(), 1e-6);
    EXPECT_EQ(opt.steps(), 20);

    // save -> load into a fresh optimizer -> the next steps are bit-identical.
    const std::string dir = tbtest::scratch("adamw_state");
    ASSERT_TRUE(opt.save(dir + "/opt.safetensors").ok());
    at::Tensor copy = ours.detach().clone().set_requires_grad(true);
    tb::AdamW opt2({{"w", copy}}, o);
    tb::Status st = opt2.load(dir + "/opt.safetensors");
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(opt2.steps(), 20);
    for (int i = 0; i < 3; ++i) {
        loss_of(ours).backward();
        ASSERT_TRUE(opt.step(0.01).ok());
        opt.zero_grad();
        loss_of(copy).backward();
        ASSERT_TRUE(opt2.step(0.01).ok());
        opt2.zero_grad();
    }
    EXPECT_TRUE(at::equal(ours, copy));

    // A state file for other parameters is refused.
    at::Tensor other = at::zeros({3}).set_requires_grad(true);
    tb::AdamW opt3({{"v", other}}, o);
    EXPECT_FALSE(opt3.load(dir + "/opt.safetensors").ok());
}

TEST(ClipGradNorm, TotalNormAndCoefficientLikeTorch) {
    at::Tensor a = at::zeros({3}).set_requires_grad(true);
    at::Tensor b = at::zeros({2, 2}).set_requires_grad(true);
    a.mutable_grad() = at::tensor({3.0f, 0.0f, 4.0f});  // norm 5
    b.mutable_grad() = at::full({2, 2}, 6.0f);          // norm 12 -> total 13
    std::vector<tb::NamedParameter> ps{{"a", a}, {"b", b}};
    EXPECT_NEAR(tb::clip_grad_norm(ps, 0.0), 13.0, 1e-6);  // measure only
    EXPECT_FLOAT_EQ(a.grad()[2].item<float>(), 4.0f);
    EXPECT_NEAR(tb::clip_grad_norm(ps, 100.0), 13.0, 1e-6);  // coefficient clamped to 1
    EXPECT_FLOAT_EQ(a.grad()[2].item<float>(), 4.0f);
    EXPECT_NEAR(tb::clip_grad_norm(ps, 1.3), 13.0, 1e-6);
    const float coef = 1.3f / (13.0f + 1e-6f);
    EXPECT_NEAR(a.grad()[2].item<float>(), 4.0f * coef, 1e-7);
    EXPECT_NEAR(tb::clip_grad_norm(ps, 0.0), 1.3, 1e-6);
}

TEST(Schedule, WarmupShapes) {
    tb::Schedule s;
    s.base_lr = 1.0;
    s.warmup_steps = 4;
    s.total_steps = 12;
    for (auto kind :
         {tb::ScheduleKind::Constant, tb::ScheduleKind::Linear, tb::ScheduleKind::Cosine}) {
        s.kind = kind;
        EXPECT_DOUBLE_EQ(s.lr(0), 0.0);
        EXPECT_DOUBLE_EQ(s.lr(2), 0.5);
        EXPECT_DOUBLE_EQ(s.lr(4), 1.0);
    }
    s.kind = tb::ScheduleKind::Linear;
    EXPECT_DOUBLE_EQ(s.lr(8), 0.5);
    EXPECT_DOUBLE_EQ(s.lr(12), 0.0);
    EXPECT_DOUBLE_EQ(s.lr(20), 0.0);
    s.kind = tb::ScheduleKind::Cosine;
    EXPECT_NEAR(s.lr(8), 0.5, 1e-15);
    EXPECT_NEAR(s.lr(12), 0.0, 1e-15);
    s.kind = tb::ScheduleKind::Constant;
    EXPECT_DOUBLE_EQ(s.lr(11), 1.0);
    EXPECT_EQ(tb::warmup_steps_for(7, 0.5, 100), 7);
    EXPECT_EQ(tb::warmup_steps_for(0, 0.1, 95), 10);  // ceil(9.5)
    EXPECT_FALSE(tb::parse_schedule("cosine_with_restarts").ok());
}

// ---------------------------------------------------------------------------------------
// Gradient accumulation and checkpointing

TEST(GradAccumulation, TwoMicroBatchesOfTwoEqualOneBatchOfFour) {
    auto m = tb::init_llama(small_config(), 21, 0.08, {});
    ASSERT_TRUE(tb::inject_lora(m, all_targets(), 4).ok());
    auto ps = tb::lora_parameters(m);
    // B non-zero so that every gradient path is active.
    {
        at::manual_seed(12);
        torch::NoGradGuard ng;
        for (auto& p : ps)
            if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0, 0.05);
    }
    auto rows = random_rows(4, 99, 101);
    std::vector<const tb::TokenizedRow*> all{&rows[0], &rows[1], &rows[2], &rows[3]};
    tb::Batch full = tb::collate(all, 0, at::kCPU);
    at::Tensor loss4 =
        tb::micro_batch_loss(m, full.input_ids, full.position_ids, full.attention_mask, full.labels,
                             static_cast<double>(full.loss_tokens), true, false);
    loss4.backward();
    auto g4 = grads_of(ps);
    clear_grads(ps);
    double loss22 = 0;
    for (int half = 0; half < 2; ++half) {
        tb::Batch b = tb::collate({all[2 * half], all[2 * half + 1]}, 0, at::kCPU);
        at::Tensor l =
            tb::micro_batch_loss(m, b.input_ids, b.position_ids, b.attention_mask, b.labels,
                                 static_cast<double>(full.loss_tokens), true, false);
        l.backward();
        loss22 += l.item<double>();
    }
    auto g22 = grads_of(ps);
    EXPECT_NEAR(loss22, loss4.item<double>(), 1e-6);
    double worst = 0;
    for (size_t i = 0; i < ps.size(); ++i) {
        const double scale = g4[i].abs().max().item<double>() + 1e-12;
        worst = std::max(worst, (g4[i] - g22[i]).abs().max().item<double>() / scale);
    }
    EXPECT_LT(worst, 1e-5);
    std::printf("grad accumulation 2x2 vs 4: max relative grad difference %.3g\n", worst);
}

TEST(GradientCheckpointing, BitIdenticalGradsWithDropoutAndDora) {
    for (bool dora : {false, true}) {
        auto m = tb::init_llama(small_config(), 31, 0.08, {});
        tb::LoraSettings s = all_targets();
        s.dropout = 0.2;
        s.use_dora = dora;
        ASSERT_TRUE(tb::inject_lora(m, s, 4).ok());
        auto ps = tb::lora_parameters(m);
        {
            at::manual_seed(13);
            torch::NoGradGuard ng;
            for (auto& p : ps)
                if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0, 0.05);
        }
        auto rows = random_rows(3, 5, 101);
        tb::Batch b = tb::collate({&rows[0], &rows[1], &rows[2]}, 0, at::kCPU);
        auto run = [&](bool ckpt, at::Tensor* rng_after) {
            at::manual_seed(77);
            at::Tensor l =
                tb::micro_batch_loss(m, b.input_ids, b.position_ids, b.attention_mask, b.labels,
                                     static_cast<double>(b.loss_tokens), true, ckpt);
            l.backward();
            *rng_after = tb::capture_rng(at::kCPU).cpu;
            return l.item<double>();
        };
        at::Tensor rng_plain, rng_ckpt;
        const double l_plain = run(false, &rng_plain);
        auto g_plain = grads_of(ps);
        clear_grads(ps);
        const double l_ckpt = run(true, &rng_ckpt);
        auto g_ckpt = grads_of(ps);
        clear_grads(ps);
        EXPECT_EQ(l_plain, l_ckpt) << "dora=" << dora;
        for (size_t i = 0; i < ps.size(); ++i)
            EXPECT_TRUE(at::equal(g_plain[i], g_ckpt[i])) << ps[i].name << " dora=" << dora;
        // The generator ends where it would without checkpointing (replay is undone).
        EXPECT_TRUE(at::equal(rng_plain, rng_ckpt));
        // And dropout is really active: another seed gives another loss.
        at::manual_seed(78);
        at::Tensor other =
            tb::micro_batch_loss(m, b.input_ids, b.position_ids, b.attention_mask, b.labels,
                                 static_cast<double>(b.loss_tokens), true, false);
        EXPECT_NE(other.item<double>(), l_plain);
    }
}

// ---------------------------------------------------------------------------------------
// Batching with the real tokenizer and Dolly rows

class Batching : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = tbtest::scratch("batching_tok");
        std::filesystem::copy_file(tbtest::tokenizer_model_path(), dir_ + "/tokenizer.model");
        std::ofstream(dir_ + "/tokenizer_config.json") << tbtest::tinyllama_tokenizer_config();
        auto t = tb::Tokenizer::load(dir_);
        ASSERT_TRUE(t.ok()) << t.error().message;
        tok_ = t.value();
        auto ds = tb::load_dataset(tbtest::dolly_path(), {});
        ASSERT_TRUE(ds.ok()) << ds.error().message;
        data_ = std::move(ds).value();
    }
    std::string dir_;
    std::shared_ptr<tb::Tokenizer> tok_;
    tb::Dataset data_;
};

TEST_F(Batching, ChatTemplateMasksPromptAndKeepsEos) {
    tb::TokenizeOptions o;
    o.max_length = 4096;
    const tb::Example& ex = data_.examples[0];
    auto r = tb::tokenize_example(ex, *tok_, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& row = r.value();
    ASSERT_EQ(row.ids.size(), row.labels.size());
    EXPECT_EQ(row.ids[0], tok_->bos_id());
    size_t n_masked = 0;
    while (n_masked < row.labels.size() && row.labels[n_masked] == tb::kIgnoreIndex) ++n_masked;
    for (size_t t = n_masked; t < row.labels.size(); ++t) EXPECT_EQ(row.labels[t], row.ids[t]);
    // The masked part is the rendered prompt, the rest the response + "</s>\n" of the template.
    std::vector<int64_t> resp(row.ids.begin() + static_cast<std::ptrdiff_t>(n_masked),
                              row.ids.end());
    std::vector<int64_t> prompt(row.ids.begin() + 1,
                                row.ids.begin() + static_cast<std::ptrdiff_t>(n_masked));
    EXPECT_EQ(tok_->decode(prompt), "<|user|>\n" + ex.instruction +
                                        (ex.context.empty() ? "" : "\n\nContext:\n" + ex.context) +
                                        "</s>\n<|assistant|>\n");
    EXPECT_EQ(tok_->decode(resp), ex.response + "</s>\n");
    EXPECT_EQ(std::count(row.ids.begin(), row.ids.end(), tok_->eos_id()), 2);  // user + assistant

    o.loss_on_response_only = false;
    auto all = tb::tokenize_example(ex, *tok_, o);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all.value().ids, row.ids);
    EXPECT_EQ(all.value().labels, row.ids);
}

TEST_F(Batching, InstructionTemplateAppendsEosAndTruncates) {
    tb::TokenizeOptions o;
    o.prompt_template = tb::PromptTemplate::Instruction;
    o.max_length = 4096;
    const tb::Example& ex = data_.examples[3];
    auto r = tb::tokenize_example(ex, *tok_, o);
    ASSERT_TRUE(r.ok());
    const auto& row = r.value();
    EXPECT_EQ(row.ids.back(), tok_->eos_id());
    EXPECT_EQ(row.labels.back(), tok_->eos_id());
    EXPECT_FALSE(row.truncated);
    const auto prompt_ids = tok_->encode(tb::build_instruction_prompt(ex).prompt, true);
    for (size_t t = 0; t < prompt_ids.size(); ++t) EXPECT_EQ(row.labels[t], tb::kIgnoreIndex);
    EXPECT_NE(row.labels[prompt_ids.size()], tb::kIgnoreIndex);

    o.max_length = 40;
    std::vector<size_t> idx(data_.examples.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    auto set = tb::tokenize_examples(data_.examples, idx, *tok_, o);
    ASSERT_TRUE(set.ok());
    EXPECT_GT(set.value().truncated, 0u);
    EXPECT_GT(set.value().dropped_no_target, 0u);  // prompts longer than 40 tokens
    EXPECT_EQ(set.value().rows.size() + set.value().dropped_no_target, data_.examples.size());
    for (const auto& row2 : set.value().rows) {
        EXPECT_LE(row2.ids.size(), 40u);
        EXPECT_GT(tb::loss_tokens(row2), 0);
    }
}

TEST_F(Batching, CollatePaddingPackingAndEpochOrder) {
    tb::TokenizeOptions o;
    o.max_length = 256;
    std::vector<size_t> idx{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    auto set = tb::tokenize_examples(data_.examples, idx, *tok_, o);
    ASSERT_TRUE(set.ok());
    const auto& rows = set.value().rows;
    ASSERT_GE(rows.size(), 3u);
    tb::Batch b = tb::collate({&rows[0], &rows[1], &rows[2]}, tok_->pad_id(), at::kCPU);
    int64_t T = 0;
    for (int i = 0; i < 3; ++i)
        T = std::max<int64_t>(T, static_cast<int64_t>(rows[static_cast<size_t>(i)].ids.size()));
    ASSERT_EQ(b.input_ids.sizes(), (std::vector<int64_t>{3, T}));
    for (int64_t i = 0; i < 3; ++i) {
        const auto& r = rows[static_cast<size_t>(i)];
        const int64_t n = static_cast<int64_t>(r.ids.size());
        EXPECT_EQ(b.attention_mask[i].sum().item<int64_t>(), n);
        if (n < T) {
            EXPECT_EQ(b.input_ids[i][n].item<int64_t>(), tok_->pad_id());
            EXPECT_EQ(b.labels[i][T - 1].item<int64_t>(), tb::kIgnoreIndex);
        }
    }
    EXPECT_EQ(b.loss_tokens,
              tb::loss_tokens(rows[0]) + tb::loss_tokens(rows[1]) + tb::loss_tokens(rows[2]));

    auto packed = tb::pack_rows(rows, 256);
    EXPECT_LT(packed.size(), rows.size());
    size_t total = 0, total_packed = 0;
    for (const auto& r : rows) total += r.ids.size();
    for (const auto& r : packed) {
        EXPECT_LE(r.ids.size(), 256u);
        total_packed += r.ids.size();
    }
    EXPECT_EQ(total, total_packed);

    auto o1 = tb::epoch_order(100, 42, 0), o2 = tb::epoch_order(100, 42, 0);
    auto o3 = tb::epoch_order(100, 42, 1), o4 = tb::epoch_order(100, 43, 0);
    EXPECT_EQ(o1, o2);
    EXPECT_NE(o1, o3);
    EXPECT_NE(o1, o4);
    std::set<size_t> uniq(o1.begin(), o1.end());
    EXPECT_EQ(uniq.size(), 100u);
    EXPECT_EQ(*uniq.rbegin(), 99u);
    EXPECT_EQ(tb::micro_batches_per_epoch(9, 4), 3);
    const int64_t nb = tb::micro_batches_per_epoch(rows.size(), 5);
    EXPECT_EQ(tb::micro_batch_rows(rows, tb::epoch_order(rows.size(), 1, 0), 5, nb - 1).size(),
              rows.size() - static_cast<size_t>(5 * (nb - 1)));
}

}  // namespace

// remove_tree stands in for std::filesystem::remove_all (see core/common/file_io.h): nested
// folders and files go, a symlink goes without its target, a missing path is success, and an
// undeletable entry is reported.
TEST(RemoveTree, NestedTreeSymlinksMissingPathAndErrors) {
    namespace fs = std::filesystem;
    const fs::path root = tbtest::scratch("remove_tree");
    const fs::path outside = tbtest::scratch("remove_tree_target");
    std::ofstream(outside / "keep.txt") << "target";
    fs::create_directories(root / "a" / "b" / "c");
    std::ofstream(root / "a" / "b" / "c" / "f.bin") << "x";
    std::ofstream(root / "top.txt") << "y";
    fs::create_directory_symlink(outside, root / "a" / "link");
    EXPECT_FALSE(tb::remove_tree(root.string()));
    EXPECT_FALSE(fs::exists(root));
    EXPECT_TRUE(fs::exists(outside / "keep.txt"));  // the link's target survives
    EXPECT_FALSE(tb::remove_tree(root.string()));   // already gone: success
    std::ofstream(outside / "single") << "z";       // a plain file
    EXPECT_FALSE(tb::remove_tree((outside / "single").string()));
    EXPECT_FALSE(fs::exists(outside / "single"));
    if (::geteuid() != 0) {  // root may delete from a read-only folder
        fs::create_directories(outside / "ro" / "sub");
        fs::permissions(outside / "ro", fs::perms::owner_read | fs::perms::owner_exec);
        EXPECT_TRUE(tb::remove_tree((outside / "ro").string()));
        fs::permissions(outside / "ro", fs::perms::owner_all);
    }
    EXPECT_FALSE(tb::remove_tree(outside.string()));
}

// The estimate per rank (core/train/resource_estimate.h, issue 15): N ranks each hold the model
// and one micro-batch, plus one fp32 copy of the LoRA gradients for the all-reduce; a step
// takes N micro-batches per accumulation step, so the steps of an epoch shrink by N (rounded
// as the trainer rounds: ceil(ceil(rows / (N * batch)) / accumulation)).
TEST(ResourceEstimate, PerRankForDataParallel) {
    tb::AppConfig cfg;  // batch 4, accumulation 4, 3 epochs, r 16 on q/k/v/o
    tb::LlamaConfig m;  // TinyLlama-1.1B's shape
    m.vocab_size = 32000;
    m.hidden_size = 2048;
    m.intermediate_size = 5632;
    m.num_hidden_layers = 22;
    m.num_attention_heads = 32;
    m.num_key_value_heads = 4;
    const tb::ResourceEstimate one = tb::estimate_resources(cfg, m, 13510, true, 1);
    const tb::ResourceEstimate two = tb::estimate_resources(cfg, m, 13510, true, 2);
    EXPECT_EQ(one.world_size, 1);
    EXPECT_EQ(one.allreduce_bytes, 0.0);
    EXPECT_EQ(two.world_size, 2);
    EXPECT_EQ(two.allreduce_bytes, two.lora_params * 4.0);
    EXPECT_DOUBLE_EQ(two.total_bytes, one.total_bytes + two.allreduce_bytes);
    EXPECT_EQ(one.steps, 3 * 845);  // ceil(ceil(13510 / 4) / 4) = 845 per epoch
    EXPECT_EQ(two.steps, 3 * 423);  // ceil(ceil(13510 / 8) / 4) = 423 per epoch
    EXPECT_DOUBLE_EQ(two.seconds / one.seconds, 423.0 / 845.0);
    // world_size 0: the config's training.nproc_per_node.
    cfg.training.nproc_per_node = 2;
    EXPECT_EQ(tb::estimate_resources(cfg, m, 13510, true).steps, two.steps);
    const std::string text = tb::format_resource_estimate(two);
    EXPECT_NE(text.find("per rank, 2 ranks"), std::string::npos) << text;
    EXPECT_NE(text.find("1269 steps"), std::string::npos) << text;
}

// Data-parallel sharding (batching.h): rank r's share of global micro-batch k is positions
// r, r + N, ... of it, i.e. DistributedSampler's indices[rank::world_size] cut into batches of
// batch_size; the ranks' shares make up exactly the one-rank batch of N x batch_size rows and
// every row is visited once per epoch (no padding: a short last micro-batch leaves ranks empty).
TEST(DataParallelSharding, RankShardsAreDistributedSamplerSlicesOfTheGlobalBatch) {
    std::vector<tb::TokenizedRow> rows(11);
    const auto order = tb::epoch_order(rows.size(), 42, 0);
    const int64_t world = 3, batch = 2;
    const int64_t n_mb = tb::micro_batches_per_epoch(rows.size(), batch * world);
    ASSERT_EQ(n_mb, 2);
    std::multiset<const tb::TokenizedRow*> seen;
    for (int64_t k = 0; k < n_mb; ++k) {
        const auto global = tb::micro_batch_rows(rows, order, batch * world, k);
        std::multiset<const tb::TokenizedRow*> shares;
        for (int64_t r = 0; r < world; ++r) {
            const auto mine = tb::rank_micro_batch_rows(rows, order, batch, world, r, k);
            // DistributedSampler: rank r's epoch indices are order[r::world]; its batch k is
            // the k-th run of `batch` of them.
            for (size_t i = 0; i < mine.size(); ++i)
                EXPECT_EQ(mine[i], &rows[order[static_cast<size_t>(r) +
                                               static_cast<size_t>(world) *
                                                   (static_cast<size_t>(k * batch) + i)]]);
            shares.insert(mine.begin(), mine.end());
        }
        EXPECT_EQ(shares, std::multiset<const tb::TokenizedRow*>(global.begin(), global.end()));
        seen.insert(shares.begin(), shares.end());
    }
    EXPECT_EQ(seen.size(), rows.size());
    for (const auto& r : rows) EXPECT_EQ(seen.count(&r), 1u);
    // The last micro-batch has 5 rows: ranks 0 and 1 get 2, rank 2 gets 1.
    EXPECT_EQ(tb::rank_micro_batch_rows(rows, order, batch, world, 2, 1).size(), 1u);
    EXPECT_EQ(tb::rank_micro_batch_rows(rows, order, batch, 1, 0, 1),
              tb::micro_batch_rows(rows, order, batch, 1));
}
