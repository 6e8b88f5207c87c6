// Data-parallel training end to end through `tunebench-cli train --nproc-per-node` (issue 15):
// two Gloo ranks on loopback with a per-rank batch of 2 against one rank with a batch of 4 on
// the tiny Llama and the Dolly sample, step by step; resuming a 2-rank run's checkpoint on one
// rank; a rank killed with SIGKILL ends the whole run with one message naming it.
//
// Tolerance: both runs sum the same rows' fp32 token losses and gradients, in a different order
// (rows split over ranks, each rank's matmuls over 2 rows, the gradients added by Gloo). Each
// reordered fp32 sum of n terms moves by at most ~n * 2^-24 relative; with a few hundred terms
// per dot product that is ~1e-5 in the worst case and ~1e-6 in practice, and AdamW's update
// (m / sqrt(v)) divides relative changes rather than amplifying them. 1e-5 relative is the
// issue's bound; the measured differences are printed.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "core/train/data_parallel.h"
#include "core/train/rank_launcher.h"
#include "core/train/run_checkpoint.h"
#include "train_test_util.h"

namespace fs = std::filesystem;

namespace {

struct Outcome {
    int status = 0;
    std::string out, err;
};

std::string slurp(const std::string& path) {
    auto t = tb::read_file(path);
    return t.ok() ? t.value() : std::string();
}

// Starts tunebench-cli with `args`, stdout/stderr to files under `dir`.
pid_t spawn(const std::vector<std::string>& args, const std::string& dir,
            const std::string& bucket_bytes = "", const char* timeout_s = "20",
            const std::vector<std::pair<std::string, std::string>>& env = {}) {
    std::fflush(stdout);  // or the child's freopen prints our buffered lines again
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::FILE* o = std::freopen((dir + "/stdout.txt").c_str(), "w", stdout);
        std::FILE* e = std::freopen((dir + "/stderr.txt").c_str(), "w", stderr);
        if (!o || !e) ::_exit(126);
        ::setenv("TUNEBENCH_DIST_TIMEOUT", timeout_s, 1);
        if (!bucket_bytes.empty()) ::setenv("TUNEBENCH_DDP_BUCKET_BYTES", bucket_bytes.c_str(), 1);
        for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
        std::vector<char*> argv{const_cast<char*>(TB_CLI_PATH)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(TB_CLI_PATH, argv.data());
        ::_exit(127);
    }
    return pid;
}

Outcome finish(pid_t pid, const std::string& dir) {
    Outcome r;
    ::waitpid(pid, &r.status, 0);
    r.out = slurp(dir + "/stdout.txt");
    r.err = slurp(dir + "/stderr.txt");
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r;
}

struct StepRecord {
    double loss = 0, grad_norm = 0;
};

// step -> (loss, grad_norm) and step -> eval_loss of a run's training_log.jsonl.
void read_log(const std::string& run, std::map<int64_t, StepRecord>* steps,
              std::map<int64_t, double>* evals) {
    std::istringstream in(slurp(run + "/training_log.jsonl"));
    std::string line;
    while (std::getline(in, line)) {
        auto j = nlohmann::json::parse(line);
        const int64_t s = j.at("step").get<int64_t>();
        if (j.contains("loss"))
            (*steps)[s] = {j.at("loss").get<double>(), j.at("grad_norm").get<double>()};
        if (j.contains("eval_loss")) (*evals)[s] = j.at("eval_loss").get<double>();
    }
}

double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-30); }

class Ddp : public ::testing::Test {
  protected:
    // A build without Gloo's headers (pip's libtorch on the GPU machine, no libgloo-dev there)
    // cannot form CPU groups: there every test checks the refusal names the package and skips.
    static bool no_gloo_refusal_checked_;
    void SetUp() override {
        if (tb::DataParallel::has_gloo()) return;
        if (!no_gloo_refusal_checked_) {
            tb::CancelToken cancel;
            tb::TrainParams p = tbtest::tiny_params(tbtest::make_tiny_model_dir("ddp_nogloo"),
                                                    tbtest::scratch("ddp_nogloo"));
            p.dist.group = true;
            p.dist.master_port = 0;
            p.dist.timeout_s = 20;
            auto r = tb::run_training(
                p, [](const tb::TrainProgress&) {}, cancel);
            ASSERT_FALSE(r.ok());
            EXPECT_NE(r.error().message.find("libgloo-dev"), std::string::npos)
                << r.error().message;
            no_gloo_refusal_checked_ = true;
        }
        GTEST_SKIP() << "this build has no Gloo (CPU data parallel refused as checked)";
    }
    static void SetUpTestSuite() {
        if (!tb::DataParallel::has_gloo()) return;
        model_dir_ = new std::string(tbtest::make_tiny_model_dir("ddp_model"));
        qlora_model_dir_ =
            new std::string(tbtest::make_tiny_model_dir("ddp_qlora_model", 5, 128, 256));
        // The single-rank reference: batch 4.
        const std::string dir = tbtest::scratch("ddp_one_rank");
        const Outcome one = run_cli(dir, 4, 1, 6);
        ASSERT_EQ(one.status, 0) << one.err;
        one_run_ = new std::string(one.out);
    }
    static void TearDownTestSuite() {
        delete model_dir_;
        delete qlora_model_dir_;
        delete one_run_;
    }

    // QLoRA (NF4 base on every rank) with 8-bit AdamW, on a model wide enough that the LoRA
    // tensors reach the 8-bit optimizer's 4096-element threshold (q_proj A is [32, 128]).
    static bool qlora_;
    // training.backend: fused (hand-written LoRA/RMSNorm/RoPE/SwiGLU kernels, chunked CE).
    static bool fused_;
    // lora.dropout of the non-QLoRA configuration, and a data file in place of the Dolly sample.
    static double dropout_;
    static std::string* data_path_;

    static std::string write_config(const std::string& dir, int64_t batch, int64_t nproc,
                                    int64_t max_steps, int64_t save_steps = 3) {
        const std::string config = dir + "/config.yaml";
        std::ofstream(config)
            << "model:\n  name: " << (qlora_ ? *qlora_model_dir_ : *model_dir_)
            << "\n  max_length: 64\n  dtype: float32\n  device: cpu\n"
            << (qlora_ ? "lora:\n  r: 32\n  alpha: 32\n  dropout: 0.0\n"
                         "  target_modules: [q_proj, v_proj]\n"
                         "quant:\n  load_in_4bit: true\n  blocksize: 64\n"
                       : "lora:\n  r: 4\n  alpha: 8\n  dropout: " + std::to_string(dropout_) + "\n")
            << "training:\n  optimizer: " << (qlora_ ? "adamw_8bit" : "adamw")
            << "\n  backend: " << (fused_ ? "fused" : "reference")
            << "\n  epochs: 1\n  batch_size: " << batch
            << "\n  gradient_accumulation_steps: 2\n  learning_rate: 0.005\n"
            << "  weight_decay: 0.01\n  lr_scheduler: cosine\n"
            << "  warmup_steps: 2\n  max_steps: " << max_steps
            << "\n  eval_steps: 3\n  save_steps: " << save_steps
            << "\n  logging_steps: 1\n  nproc_per_node: " << nproc << "\n  output_dir: " << dir
            << "/outputs\n"
            << "data:\n  path: " << (data_path_ ? *data_path_ : tbtest::dolly_path())
            << "\n  format: dolly\n";
        return config;
    }

    static Outcome run_cli(const std::string& dir, int64_t batch, int64_t nproc, int64_t max_steps,
                           const std::string& resume = "", const std::string& bucket_bytes = "") {
        const std::string config = write_config(dir, batch, nproc, max_steps);
        std::vector<std::string> args{"train", "--config", config, "--no-store"};
        if (!resume.empty()) args.insert(args.end(), {"--resume", resume});
        return finish(spawn(args, dir, bucket_bytes), dir);
    }

    // Every step's loss and grad norm, and every evaluation, within 1e-5 relative.
    static void expect_same_curve(const std::string& a_run, const std::string& b_run,
                                  int64_t from_step, const char* what, double tol = 1e-5) {
        std::map<int64_t, StepRecord> a, b;
        std::map<int64_t, double> ea, eb;
        read_log(a_run, &a, &ea);
        read_log(b_run, &b, &eb);
        ASSERT_EQ(b.size(), 6u) << b_run;
        double worst = 0;
        for (const auto& [s, rb] : b) {
            if (s < from_step) continue;
            ASSERT_TRUE(a.count(s)) << what << ": step " << s << " missing in " << a_run;
            EXPECT_LE(rel(a[s].loss, rb.loss), 1e-5) << what << " step " << s;
            EXPECT_LE(rel(a[s].grad_norm, rb.grad_norm), 1e-5) << what << " step " << s;
            worst = std::max({worst, rel(a[s].loss, rb.loss), rel(a[s].grad_norm, rb.grad_norm)});
        }
        for (const auto& [s, e] : eb) {
            if (s < from_step) continue;
            ASSERT_TRUE(ea.count(s)) << what << ": eval at " << s;
            EXPECT_LE(rel(ea[s], e), 1e-5) << what << " eval at step " << s;
            worst = std::max(worst, rel(ea[s], e));
        }
        std::printf("%s: largest relative difference (loss, grad norm, eval) %.3g\n", what, worst);
    }

    // Every adapter tensor within 1e-5 of the largest entry's magnitude.
    static void expect_same_adapter(const std::string& a_run, const std::string& b_run,
                                    const char* what, double tol = 1e-5) {
        auto a = tbtest::load_safetensors(a_run + "/adapter/adapter_model.safetensors");
        auto b = tbtest::load_safetensors(b_run + "/adapter/adapter_model.safetensors");
        ASSERT_EQ(a.size(), b.size());
        ASSERT_FALSE(a.empty());
        double worst = 0;
        for (const auto& [name, tb_] : b) {
            ASSERT_TRUE(a.count(name)) << name;
            const double scale = tb_.abs().max().item<double>();
            const double diff = (a[name] - tb_).abs().max().item<double>();
            EXPECT_LE(diff, tol * scale) << what << " " << name;
            if (scale > 0) worst = std::max(worst, diff / scale);
        }
        std::printf("%s: adapter, largest difference / tensor max %.3g\n", what, worst);
    }

    // 8-bit AdamW: every adapter entry within 1e-5 of its tensor's largest entry except those
    // whose 8-bit optimizer state rounded to a neighbouring code in one run and not the other
    // (see the QLoRA test's comment): at most `max_flipped` of all entries, each off by at most
    // `flip_bound` (absolute).
    static void expect_same_adapter_8bit(const std::string& a_run, const std::string& b_run,
                                         const char* what, double max_flipped, double flip_bound) {
        auto a = tbtest::load_safetensors(a_run + "/adapter/adapter_model.safetensors");
        auto b = tbtest::load_safetensors(b_run + "/adapter/adapter_model.safetensors");
        ASSERT_EQ(a.size(), b.size());
        ASSERT_FALSE(a.empty());
        int64_t flipped = 0, total = 0;
        double worst = 0;
        for (const auto& [name, tb_] : b) {
            ASSERT_TRUE(a.count(name)) << name;
            const double scale = tb_.abs().max().item<double>();
            const at::Tensor diff = (a[name] - tb_).abs();
            flipped += (diff > 1e-5 * scale).sum().item<int64_t>();
            total += diff.numel();
            worst = std::max(worst, diff.max().item<double>());
        }
        std::printf(
            "%s: adapter entries off by more than 1e-5 of their tensor's max: %lld of "
            "%lld; largest difference %.3g\n",
            what, static_cast<long long>(flipped), static_cast<long long>(total), worst);
        EXPECT_LE(static_cast<double>(flipped), max_flipped * static_cast<double>(total)) << what;
        EXPECT_LE(worst, flip_bound) << what;
    }

    static std::string* model_dir_;
    static std::string* qlora_model_dir_;
    static std::string* one_run_;
};

std::string* Ddp::model_dir_ = nullptr;
std::string* Ddp::qlora_model_dir_ = nullptr;
std::string* Ddp::one_run_ = nullptr;
bool Ddp::qlora_ = false;
bool Ddp::no_gloo_refusal_checked_ = false;
bool Ddp::fused_ = false;
double Ddp::dropout_ = 0.0;
std::string* Ddp::data_path_ = nullptr;

TEST_F(Ddp, TwoGlooRanksOfBatchTwoEqualOneRankOfBatchFour) {
    const std::string dir = tbtest::scratch("ddp_two_ranks");
    // 2 KiB buckets: the tiny model's 16 LoRA tensors (2-4 KiB for a layer's q/k/v/o pairs)
    // go in several buckets, launched from the backward hooks as their gradients complete.
    const Outcome two = run_cli(dir, 2, 2, 6, "", "2048");
    ASSERT_EQ(two.status, 0) << two.err;
    EXPECT_NE(two.err.find("starting 2 ranks"), std::string::npos) << two.err;
    // Every rank's progress, merged by the launcher (what the GUI shows).
    EXPECT_NE(two.err.find("rank 0: finished 6, rank 1: finished 6"), std::string::npos) << two.err;
    expect_same_curve(two.out, *one_run_, 1, "2 ranks x 2 vs 1 rank x 4");
    expect_same_adapter(two.out, *one_run_, "2 ranks x 2 vs 1 rank x 4");
    auto stats = tbtest::load_json(two.out + "/training_stats.json");
    EXPECT_EQ(stats.at("world_size").get<int64_t>(), 2);
    EXPECT_EQ(stats.at("dist_backend").get<std::string>(), "gloo");
    EXPECT_EQ(stats.at("config").at("batch_size").get<int64_t>(), 4);  // global micro-batch
    EXPECT_EQ(stats.at("config").at("batch_size_per_rank").get<int64_t>(), 2);
    const int64_t buckets = stats.at("gradient_buckets").get<int64_t>();
    const int64_t hooked = stats.at("buckets_overlapped_last_step").get<int64_t>();
    std::printf("gradient buckets %lld, launched from backward hooks in the last step %lld\n",
                static_cast<long long>(buckets), static_cast<long long>(hooked));
    EXPECT_GT(buckets, 2);
    EXPECT_EQ(hooked, buckets);  // every bucket left during backward, none after it
    // Rank 0 alone wrote: one run folder.
    int runs = 0;
    for (const auto& e : fs::directory_iterator(dir + "/outputs/reference"))
        runs += e.is_directory();
    EXPECT_EQ(runs, 1);
}

TEST_F(Ddp, TwoRankCheckpointResumesOnOneRank) {
    const std::string dir = tbtest::scratch("ddp_resume_2to1");
    const Outcome two = run_cli(dir, 2, 2, 6);
    ASSERT_EQ(two.status, 0) << two.err;
    // The run's checkpoint at step 3, resumed on one rank with the same global batch (4).
    const std::string ck = two.out + "/checkpoints/step-000003";
    ASSERT_TRUE(fs::exists(ck + "/trainer_state.json"));
    const std::string dir1 = tbtest::scratch("ddp_resume_2to1_one");
    const std::string copy = dir1 + "/run";
    fs::copy(two.out, copy, fs::copy_options::recursive);
    const Outcome one = run_cli(dir1, 4, 1, 6, copy + "/checkpoints/step-000003");
    ASSERT_EQ(one.status, 0) << one.err;
    EXPECT_TRUE(fs::equivalent(one.out, copy)) << one.out;
    expect_same_curve(copy, *one_run_, 4, "2 ranks to step 3, then 1 rank");
    expect_same_adapter(copy, *one_run_, "2 ranks to step 3, then 1 rank");
    // A different global batch is refused, naming the field.
    const std::string dir2 = tbtest::scratch("ddp_resume_refused");
    const Outcome bad = run_cli(dir2, 2, 1, 6, two.out + "/checkpoints/step-000003");
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.err.find("fingerprint.batch_size"), std::string::npos) << bad.err;
}

// QLoRA with 8-bit AdamW over ranks (issue 15: "works with QLoRA (NF4 base per rank), 8-bit
// AdamW"): every rank quantises the same base to NF4 and keeps its own copy of the blockwise
// 8-bit optimizer states, updated from the same all-reduced gradients. 2 ranks x 2 equal
// 1 rank x 4 step by step; and the 1-rank run's checkpoint (8-bit states included) resumes
// on 2 ranks (a different number of ranks, this direction).
//
// Tolerance: the gradients differ from the 1-rank run's by fp32 reordering only (~1e-6
// relative at most, see the top); NF4 dequantisation is a table lookup times a block scale, the
// same on every rank, so the forward adds no difference of its own: losses, grad norms and
// evaluations within 1e-5 relative as for fp32 AdamW. The adapters are compared entry by
// entry: the 8-bit states are re-quantised every step, and a state that lies within that
// reordering of a code boundary rounds to the neighbouring code in one run only. A code of the
// dynamic maps (codebook.h) is at least 2^-6 of the value it encodes wide (6 fraction bits at
// most, signed map), so for a gradient entry perturbed by ~1e-6 relative the chance per state
// and step is ~1e-6 / 2^-6 ~ 6e-5, ~1e-3 over 6 steps and two states (m, v). Entries whose
// gradient is small next to the sums it comes from are perturbed more (the reordering error is
// relative to the sum), and a flipped entry shifts its neighbours' next gradients a little, so
// up to 1 % of the entries may differ by more than 1e-5 of their tensor's largest entry. A
// flipped entry's update (lr x m/sqrt(v), |m/sqrt(v)| <= ~1 for AdamW, 2 allowed for the bias
// correction of the first steps) differs by at most 2 lr per step: at most 6 x 2 x 5e-3 = 0.06
// over the run. Measured (printed): 45 of 28672 entries (0.16 %), 2.1e-4 at most.
TEST_F(Ddp, QloraWith8bitAdamWTwoRanksEqualOneRankAndResumeOntoTwo) {
    qlora_ = true;
    struct Reset {
        ~Reset() { qlora_ = false; }
    } reset;
    const std::string dir1 = tbtest::scratch("ddp_qlora_one");
    const Outcome one = run_cli(dir1, 4, 1, 6);
    ASSERT_EQ(one.status, 0) << one.err;
    auto stats1 = tbtest::load_json(one.out + "/training_stats.json");
    EXPECT_TRUE(stats1.at("quantization").is_string()) << stats1.dump();
    const std::string dir2 = tbtest::scratch("ddp_qlora_two");
    const Outcome two = run_cli(dir2, 2, 2, 6, "", "2048");
    ASSERT_EQ(two.status, 0) << two.err;
    auto stats2 = tbtest::load_json(two.out + "/training_stats.json");
    EXPECT_EQ(stats2.at("world_size").get<int64_t>(), 2);
    EXPECT_EQ(stats2.at("quantization"), stats1.at("quantization"));
    EXPECT_EQ(stats2.at("config").at("optimizer").get<std::string>(), "adamw_8bit");
    // The 8-bit states are what the optimizer holds (1 byte per element and scales), the same
    // on both runs.
    EXPECT_EQ(stats2.at("optimizer_state_bytes"), stats1.at("optimizer_state_bytes"));
    expect_same_curve(two.out, one.out, 1, "QLoRA + 8-bit AdamW: 2 ranks x 2 vs 1 rank x 4");
    expect_same_adapter_8bit(two.out, one.out, "QLoRA + 8-bit AdamW: 2 ranks x 2 vs 1 rank x 4",
                             0.01, 6 * 2 * 5e-3);

    // 1 rank to step 3, then 2 ranks.
    const std::string dir3 = tbtest::scratch("ddp_qlora_1to2");
    const std::string copy = dir3 + "/run";
    fs::copy(one.out, copy, fs::copy_options::recursive);
    const Outcome resumed = run_cli(dir3, 2, 2, 6, copy + "/checkpoints/step-000003");
    ASSERT_EQ(resumed.status, 0) << resumed.err;
    EXPECT_TRUE(fs::equivalent(resumed.out, copy)) << resumed.out;
    expect_same_curve(copy, one.out, 4, "QLoRA + 8-bit AdamW: 1 rank to step 3, then 2 ranks");
    expect_same_adapter_8bit(copy, one.out, "QLoRA + 8-bit AdamW: 1 rank to step 3, then 2 ranks",
                             0.01, 3 * 2 * 5e-3);
}

// The fused backend over ranks: its LoRA kernels produce the same gradients as autograd's, so
// 2 ranks x 2 equal 1 rank x 4 within the same fp32 reordering bound (1e-5) as the reference
// backend.
TEST_F(Ddp, FusedBackendTwoRanksEqualOneRankOfDoubleBatch) {
    fused_ = true;
    struct Reset {
        ~Reset() { fused_ = false; }
    } reset;
    const std::string dir1 = tbtest::scratch("ddp_fused_one");
    const Outcome one = run_cli(dir1, 4, 1, 6);
    ASSERT_EQ(one.status, 0) << one.err;
    const std::string dir2 = tbtest::scratch("ddp_fused_two");
    const Outcome two = run_cli(dir2, 2, 2, 6, "", "2048");
    ASSERT_EQ(two.status, 0) << two.err;
    auto stats = tbtest::load_json(two.out + "/training_stats.json");
    EXPECT_EQ(stats.at("world_size").get<int64_t>(), 2);
    EXPECT_EQ(stats.at("config").at("backend").get<std::string>(), "fused");
    std::printf("fused: gradient buckets %lld, launched from backward hooks %lld\n",
                static_cast<long long>(stats.at("gradient_buckets").get<int64_t>()),
                static_cast<long long>(stats.at("buckets_overlapped_last_step").get<int64_t>()));
    expect_same_curve(two.out, one.out, 1, "fused: 2 ranks x 2 vs 1 rank x 4");
    expect_same_adapter(two.out, one.out, "fused: 2 ranks x 2 vs 1 rank x 4");
}

// Seeded dropout masks differ per rank. Every row of the data is the same Dolly row, so each
// micro-batch of every rank is the same input: 2 ranks x 2 rows then average four gradients of
// that input where 1 rank x 2 averages two. Rank 0 keeps the run's seed, so its masks are the
// 1-rank run's; if rank 1 drew the same masks (one seed for every rank) its gradients would
// equal rank 0's and the 2-rank run would repeat the 1-rank run to the 1e-5 reduction bound, as
// it does with dropout 0 (the control). With dropout 0.9 on the LoRA input (kept entries scaled
// by 10) the average of two masks and of four differ by tens of per cent of the gradient; the
// test asks that the largest relative difference of the step-1 and step-2 gradient norms and
// the step-2 loss exceed 1e-3, 100x the reduction bound. (Step 1's loss cannot show it: LoRA's B
// starts at zero, so the branch adds nothing yet.)
TEST_F(Ddp, SeededDropoutMasksDifferPerRank) {
    const std::string data = tbtest::scratch("ddp_dropout_data") + "/same_row.jsonl";
    {
        // A short row (no context), so that max_length 64 keeps response tokens.
        std::ifstream in(tbtest::dolly_path());
        std::string row;
        while (std::getline(in, row)) {
            const auto j = nlohmann::json::parse(row);
            if (j.at("context").get<std::string>().empty() &&
                j.at("instruction").get<std::string>().size() +
                        j.at("response").get<std::string>().size() <
                    120)
                break;
        }
        ASSERT_FALSE(row.empty());
        std::ofstream out(data);
        for (int i = 0; i < 64; ++i) out << row << "\n";
    }
    data_path_ = new std::string(data);
    struct Reset {
        ~Reset() {
            delete data_path_;
            data_path_ = nullptr;
            dropout_ = 0.0;
        }
    } reset;
    double rel_grad[2] = {0, 0};
    for (int with_dropout = 0; with_dropout < 2; ++with_dropout) {
        dropout_ = with_dropout ? 0.9 : 0.0;
        const std::string tag = with_dropout ? "p03" : "p0";
        const std::string d1 = tbtest::scratch("ddp_dropout_one_" + tag);
        const Outcome one = run_cli(d1, 2, 1, 2);
        ASSERT_EQ(one.status, 0) << one.err;
        const std::string d2 = tbtest::scratch("ddp_dropout_two_" + tag);
        const Outcome two = run_cli(d2, 2, 2, 2);
        ASSERT_EQ(two.status, 0) << two.err;
        std::map<int64_t, StepRecord> a, b;
        std::map<int64_t, double> ea, eb;
        read_log(one.out, &a, &ea);
        read_log(two.out, &b, &eb);
        ASSERT_TRUE(a.count(1) && b.count(1) && a.count(2) && b.count(2));
        EXPECT_LE(rel(a[1].loss, b[1].loss), 1e-5) << "step 1 loss (LoRA B is zero)";
        rel_grad[with_dropout] =
            std::max({rel(a[1].grad_norm, b[1].grad_norm), rel(a[2].grad_norm, b[2].grad_norm),
                      rel(a[2].loss, b[2].loss)});
        std::printf(
            "dropout %.1f, 1 rank x 2 vs 2 ranks x 2: grad norm step 1 %.8g / %.8g, step 2 "
            "%.8g / %.8g, loss step 2 %.8g / %.8g; largest relative difference %.3g\n",
            dropout_, a[1].grad_norm, b[1].grad_norm, a[2].grad_norm, b[2].grad_norm, a[2].loss,
            b[2].loss, rel_grad[with_dropout]);
    }
    EXPECT_LE(rel_grad[0], 1e-5) << "without dropout the ranks' identical inputs must agree";
    EXPECT_GT(rel_grad[1], 1e-3) << "rank 1 drew rank 0's dropout masks";
}

// Ranks started by someone else (torchrun, Slurm, Kubernetes) with the torchrun environment and
// no tunebench launcher: two `train` processes with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR
// and MASTER_PORT (rank 0 hosts the TCPStore there, as torchrun's static rendezvous does
// without an agent store) run the same data-parallel training as `--nproc-per-node 2`.
TEST_F(Ddp, TorchrunEnvironmentWithoutTheLauncher) {
    const std::string dir = tbtest::scratch("ddp_torchrun_env");
    const std::string config = write_config(dir, 2, 1, 6);
    // A free port for rank 0's store.
    int port = 0;
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        socklen_t len = sizeof a;
        ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
        port = ntohs(a.sin_port);
        ::close(fd);
    }
    std::vector<pid_t> pids;
    for (int r = 0; r < 2; ++r) {
        const std::string rd = dir + "/rank" + std::to_string(r);
        fs::create_directories(rd);
        pids.push_back(spawn({"train", "--config", config, "--no-store"}, rd, "", "20",
                             {{"RANK", std::to_string(r)},
                              {"LOCAL_RANK", std::to_string(r)},
                              {"WORLD_SIZE", "2"},
                              {"MASTER_ADDR", "127.0.0.1"},
                              {"MASTER_PORT", std::to_string(port)}}));
    }
    const Outcome r0 = finish(pids[0], dir + "/rank0");
    const Outcome r1 = finish(pids[1], dir + "/rank1");
    ASSERT_EQ(r0.status, 0) << r0.err;
    ASSERT_EQ(r1.status, 0) << r1.err;
    auto stats = tbtest::load_json(r0.out + "/training_stats.json");
    EXPECT_EQ(stats.at("world_size").get<int64_t>(), 2);
    expect_same_curve(r0.out, *one_run_, 1, "torchrun environment: 2 ranks x 2 vs 1 rank x 4");
    expect_same_adapter(r0.out, *one_run_, "torchrun environment: 2 ranks x 2 vs 1 rank x 4");
    // Rank 0 alone wrote a run folder.
    int runs = 0;
    for (const auto& e : fs::directory_iterator(dir + "/outputs/reference"))
        runs += e.is_directory();
    EXPECT_EQ(runs, 1);
}

// The collective path with one rank, in process (what test_train_ddp_gpu does with NCCL on a
// GPU): a Gloo group of one, every collective of the loop run; SUM over one rank returns its
// input and the hook's (.grad + incoming) is the sum AccumulateGrad forms, so the losses are
// the plain run's bit for bit.
TEST_F(Ddp, GlooGroupOfOneEqualsThePlainRunBitForBit) {
    tbtest::LossRecorder plain, grouped;
    tb::CancelToken c1, c2;
    tb::TrainParams p = tbtest::tiny_params(*model_dir_, tbtest::scratch("ddp_group1_plain"));
    auto a = tb::run_training(p, plain.callback(), c1);
    ASSERT_TRUE(a.ok()) << a.error().message;
    p.run_dir = tbtest::scratch("ddp_group1");
    p.dist.group = true;
    p.dist.master_port = 0;  // rank 0 hosts the store on a free port
    p.dist.timeout_s = 20;
    p.dist.bucket_bytes = 2048;
    auto b = tb::run_training(p, grouped.callback(), c2);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(grouped.losses, plain.losses);
    EXPECT_EQ(b.value().final_eval_loss, a.value().final_eval_loss);
    auto stats = tbtest::load_json(b.value().stats_path);
    EXPECT_EQ(stats.at("dist_backend").get<std::string>(), "gloo");
}

// The GUI's path (widgets/worker.cpp): run_training_ranks starts tunebench-cli as the ranks
// from TrainParams and reports every rank's progress merged into one.
TEST_F(Ddp, RunTrainingRanksReportsMergedProgress) {
    const std::string dir = tbtest::scratch("ddp_front_end");
    auto cfg = tb::load_app_config(write_config(dir, 2, 2, 6));
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto params = tb::train_params_from_config(cfg.value());
    ASSERT_TRUE(params.ok()) << params.error().message;
    EXPECT_EQ(params.value().nproc_per_node, 2);
    std::vector<tb::TrainProgress> seen;
    tb::CancelToken cancel;
    ::setenv("TUNEBENCH_DIST_TIMEOUT", "20", 1);
    std::fflush(stdout);
    auto r = tb::run_training_ranks(
        params.value(), TB_CLI_PATH, [&](const tb::TrainProgress& p) { seen.push_back(p); },
        cancel);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r.value().cancelled);
    EXPECT_EQ(r.value().steps, 6);
    EXPECT_TRUE(fs::exists(r.value().adapter_dir + "/adapter_model.safetensors"));
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().phase, tb::TrainPhase::Finished);
    EXPECT_NE(seen.back().message.find("rank 1: finished 6"), std::string::npos)
        << seen.back().message;
    // Every step reached the front end (rank 0's reports are kept in order in the store, not
    // only its latest), each with its evaluation where there was one (eval_steps 3).
    std::set<int64_t> steps_seen, evals_seen;
    for (const auto& p : seen) {
        if (p.phase == tb::TrainPhase::Training && p.step > 0) steps_seen.insert(p.step);
        if (p.eval_loss) evals_seen.insert(p.step);
    }
    EXPECT_EQ(steps_seen, (std::set<int64_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(evals_seen.count(3) && evals_seen.count(6));
    // The merged loss is the run's (rank 0 reports the all-reduced loss).
    std::map<int64_t, StepRecord> steps;
    std::map<int64_t, double> evals;
    read_log(r.value().run_dir, &steps, &evals);
    EXPECT_EQ(r.value().final_loss, steps.at(6).loss);
}

// The pids of `parent`'s children whose environment has RANK=<rank>.
pid_t rank_pid(pid_t parent, int rank) {
    DIR* d = ::opendir("/proc");
    pid_t found = -1;
    while (dirent* e = d ? ::readdir(d) : nullptr) {
        const pid_t pid = std::atoi(e->d_name);
        if (pid <= 0) continue;
        const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        int ppid = 0;
        char state = 0;
        if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2 || ppid != parent)
            continue;
        std::ifstream env("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
        std::string item;
        while (std::getline(env, item, '\0'))
            if (item == "RANK=" + std::to_string(rank)) found = pid;
    }
    if (d) ::closedir(d);
    return found;
}

TEST_F(Ddp, SigkilledRankEndsTheRunOnEveryRankWithOneMessage) {
    const std::string dir = tbtest::scratch("ddp_sigkill");
    const std::string config = write_config(dir, 2, 2, 300, 2);
    const pid_t launcher = spawn({"train", "--config", config, "--no-store"}, dir);
    ASSERT_GT(launcher, 0);
    // Wait for the run folder, a checkpoint and step 4 in the log.
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    std::string run;
    pid_t victim = -1, survivor = -1;
    while (Clock::now() < deadline) {
        std::error_code ec;
        if (run.empty() && fs::exists(dir + "/outputs/reference", ec))
            for (const auto& e : fs::directory_iterator(dir + "/outputs/reference", ec))
                run = e.path().string();
        if (!run.empty() && !tb::list_checkpoint_dirs(run + "/checkpoints").empty()) {
            std::map<int64_t, StepRecord> steps;
            std::map<int64_t, double> evals;
            try {
                read_log(run, &steps, &evals);
            } catch (const std::exception&) {
                // a line being written
            }
            if (!steps.empty() && steps.rbegin()->first >= 4) {
                victim = rank_pid(launcher, 1);
                survivor = rank_pid(launcher, 0);
                break;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GT(victim, 0) << slurp(dir + "/stderr.txt");
    ASSERT_GT(survivor, 0);
    const auto t_kill = Clock::now();
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    const Outcome r = finish(launcher, dir);
    const double after_s = std::chrono::duration<double>(Clock::now() - t_kill).count();
    std::printf("run ended %.2f s after the SIGKILL\n", after_s);
    ASSERT_TRUE(WIFEXITED(r.status));
    EXPECT_NE(WEXITSTATUS(r.status), 0);
    // One line from the launcher naming the rank and the signal, and the checkpoint to resume.
    EXPECT_NE(r.err.find("tunebench-cli: rank 1 (pid " + std::to_string(victim) +
                         ") was killed by signal 9"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("resume with: --resume " + run), std::string::npos) << r.err;
    // Well within the collective timeout (20 s): Gloo sees the closed connection at once.
    EXPECT_LT(after_s, 15.0);
    EXPECT_NE(::kill(survivor, 0), 0) << "rank 0 still running";
    // Every checkpoint left is complete, and the run resumes on one rank.
    for (const auto& ck : tb::list_checkpoint_dirs(run + "/checkpoints")) {
        EXPECT_TRUE(fs::exists(ck + "/trainer_state.json")) << ck;
        EXPECT_TRUE(fs::exists(ck + "/adapter/adapter_model.safetensors")) << ck;
        EXPECT_TRUE(fs::exists(ck + "/optimizer.safetensors")) << ck;
    }
    auto resumed = tb::resolve_checkpoint(run, [](const std::string&) { return tb::Status::Ok(); });
    ASSERT_TRUE(resumed.ok()) << resumed.error().message;
    auto state = tbtest::load_json(resumed.value() + "/trainer_state.json");
    EXPECT_GE(state.at("step").get<int64_t>(), 2);
}

// A rank that hangs (SIGSTOP: alive, silent) ends the run after the collective timeout (5 s
// here): rank 0's wait times out, the heartbeats in the launcher's store show which rank fell
// behind, and the launcher names it, SIGKILLs it after its grace period (10 s: a stopped
// process does not act on SIGTERM) and exits non-zero.
TEST_F(Ddp, HungRankIsNamedAfterTheCollectiveTimeout) {
    const std::string dir = tbtest::scratch("ddp_hang");
    const std::string config = write_config(dir, 2, 2, 300, 2);
    const pid_t launcher = spawn({"train", "--config", config, "--no-store"}, dir, "", "5");
    ASSERT_GT(launcher, 0);
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    pid_t victim = -1;
    while (Clock::now() < deadline && victim < 0) {
        std::error_code ec;
        if (fs::exists(dir + "/outputs/reference", ec))
            for (const auto& e : fs::directory_iterator(dir + "/outputs/reference", ec))
                if (slurp(e.path().string() + "/training_log.jsonl").find("\"step\":3,") !=
                    std::string::npos)
                    victim = rank_pid(launcher, 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GT(victim, 0) << slurp(dir + "/stderr.txt");
    const auto t_stop = Clock::now();
    ASSERT_EQ(::kill(victim, SIGSTOP), 0);
    const Outcome r = finish(launcher, dir);
    const double after_s = std::chrono::duration<double>(Clock::now() - t_stop).count();
    std::printf("run ended %.1f s after rank 1 stopped (timeout 5 s, grace 10 s)\n", after_s);
    ASSERT_TRUE(WIFEXITED(r.status));
    EXPECT_NE(WEXITSTATUS(r.status), 0);
    EXPECT_NE(r.err.find("tunebench-cli: rank 1 (pid " + std::to_string(victim) +
                         ") stopped making progress"),
              std::string::npos)
        << r.err;
    EXPECT_GT(after_s, 4.0);
    EXPECT_LT(after_s, 5.0 + 10.0 + 8.0);
    EXPECT_NE(::kill(victim, 0), 0) << "the hung rank was left running";
}

}  // namespace
