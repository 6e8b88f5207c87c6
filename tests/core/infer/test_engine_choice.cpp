// Choosing an engine by name (core/infer/engine_choice.h): the names are the config's
// inference.engine choices, availability is available_engines() at run time, and every refusal
// is one line naming the field and saying why.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/common/torch_compat.h"
#include "core/config/app_config.h"
#include "core/infer/engine_choice.h"
#include "core/infer/inference.h"

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(EngineChoice, NamesAreTheConfigsChoices) {
    bool found = false;
    for (const auto& f : tb::config_schema()) {
        if (f.key != "inference.engine") continue;
        found = true;
        EXPECT_EQ(f.choices, tb::infer::engine_names());
        EXPECT_EQ(f.default_value, "eager");
    }
    EXPECT_TRUE(found);
    // Every available engine is a known name.
    for (const auto& e : tb::infer::available_engines())
        EXPECT_TRUE(has(tb::infer::engine_names(), e)) << e;
}

TEST(EngineChoice, AvailableOnesPassOthersSayWhy) {
    const auto avail = tb::infer::available_engines();
    ASSERT_TRUE(has(avail, "eager"));
    for (const auto& name : tb::infer::engine_names()) {
        SCOPED_TRACE(name);
        const std::string why = tb::infer::engine_unavailable_reason(name);
        const tb::Status st = tb::infer::check_engine(name, "--engine");
        if (has(avail, name)) {
            EXPECT_TRUE(why.empty()) << why;
            EXPECT_TRUE(st.ok());
            continue;
        }
        ASSERT_FALSE(why.empty());
        ASSERT_FALSE(st.ok());
        const std::string& m = st.error().message;
        EXPECT_EQ(m.rfind("--engine: engine '" + name + "' is not available here: " + why, 0), 0u)
            << m;
        EXPECT_NE(m.find("(available: eager"), std::string::npos) << m;
        EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
    // graph replays CUDA graphs: without a CUDA device it is unavailable, and says so.
    if (!tb::compat::cuda_available()) {
        EXPECT_FALSE(has(avail, "graph"));
        EXPECT_NE(tb::infer::engine_unavailable_reason("graph").find("needs CUDA"),
                  std::string::npos);
    }
}

TEST(EngineChoice, UnknownNameListsTheEngines) {
    const tb::Status st = tb::infer::check_engine("bogus", "inference.engine");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message.rfind("inference.engine: unknown engine 'bogus' (engines: eager, "
                                       "graph, quant, paged; available here: eager",
                                       0),
              0u)
        << st.error().message;
    EXPECT_EQ(tb::infer::engine_unavailable_reason("bogus"), "unknown engine");
    EXPECT_FALSE(tb::infer::check_engine("", "--engine").ok());
    EXPECT_FALSE(tb::infer::check_engine("Eager", "--engine").ok());  // spelled exactly
}

}  // namespace
