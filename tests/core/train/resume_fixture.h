// The fixture of the whole-run tests: one uninterrupted 8-step reference run on a tiny random
// Llama (real Llama-2 tokenizer, Dolly sample), and helpers that cancel, resume and compare
// against it bit for bit.
#pragma once

#include <chrono>
#include <optional>

#include "train_test_util.h"

namespace tbtest {

class Resume : public ::testing::Test {
  protected:
    // One uninterrupted reference run shared by all tests of the suite.
    static void SetUpTestSuite() {
        model_dir_ = make_tiny_model_dir("resume_model");
        LossRecorder rec;
        tb::CancelToken cancel;
        const auto t0 = std::chrono::steady_clock::now();
        auto r = tb::run_training(tiny_params(model_dir_, scratch("resume_ref")), rec.callback(),
                                  cancel);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ref_ = rec.losses;
        ref_result_ = r.value();
        ref_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf(
            "reference run: %lld steps in %.2f s (train %.2f s), final loss %.6f, "
            "truncated %lld, dropped %lld\n",
            static_cast<long long>(r.value().steps), ref_seconds_, r.value().train_seconds,
            r.value().final_loss, static_cast<long long>(r.value().truncated_rows),
            static_cast<long long>(r.value().dropped_rows));
    }

    // Runs until `stop_at` steps are done, then cancels (-> checkpoint at stop_at).
    static tb::TrainResult run_and_cancel(const std::string& run_dir, int64_t stop_at) {
        tb::CancelToken cancel;
        auto cb = [&](const tb::TrainProgress& p) {
            if (p.phase == tb::TrainPhase::Training && p.step == stop_at) cancel.cancel();
        };
        auto r = tb::run_training(tiny_params(model_dir_, run_dir), cb, cancel);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? r.value() : tb::TrainResult{};
    }

    // Resumes from `from` and checks every step after `first_step - 1` against the reference.
    // `p` (optional) overrides the settings (output folders); returns the resumed result.
    static tb::TrainResult resume_and_compare(const std::string& from, int64_t first_step,
                                              std::optional<tb::TrainParams> params = {}) {
        tb::TrainParams p = params ? *params : tiny_params(model_dir_, "");
        p.resume_from = from;
        LossRecorder rec;
        tb::CancelToken cancel;
        auto r = tb::run_training(p, rec.callback(), cancel);
        EXPECT_TRUE(r.ok()) << r.error().message;
        if (!r.ok()) return {};
        EXPECT_FALSE(r.value().cancelled);
        EXPECT_EQ(r.value().steps, 8);
        EXPECT_FALSE(rec.losses.empty());
        if (rec.losses.empty()) return r.value();
        EXPECT_EQ(rec.losses.begin()->first, first_step) << "resumed from the wrong checkpoint";
        for (const auto& [step, loss] : rec.losses)
            EXPECT_EQ(loss, ref_.at(step)) << "step " << step;
        // The whole run's mean step loss, not this session's (summed in step order: exact).
        EXPECT_EQ(r.value().train_loss, ref_result_.train_loss);
        auto stats = load_json(r.value().stats_path);
        EXPECT_EQ(stats.at("train_loss").get<double>(), ref_result_.train_loss);
        EXPECT_EQ(stats.at("train_loss_steps").get<int64_t>(), 8);
        // Final adapters are bit-identical too.
        auto a = load_safetensors(ref_result_.adapter_dir + "/adapter_model.safetensors");
        auto b = load_safetensors(r.value().adapter_dir + "/adapter_model.safetensors");
        EXPECT_EQ(a.size(), b.size());
        for (const auto& [name, t] : a)
            EXPECT_TRUE(b.count(name) && at::equal(t, b.at(name))) << name;
        return r.value();
    }

    inline static std::string model_dir_;
    inline static std::map<int64_t, double> ref_;
    inline static tb::TrainResult ref_result_;
    inline static double ref_seconds_ = 0;
};

}  // namespace tbtest
