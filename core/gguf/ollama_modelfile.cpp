#include "core/gguf/ollama_modelfile.h"

#include <algorithm>
#include <functional>
#include <sstream>

namespace tb::gguf {

namespace {

// Marker contents: plain ASCII words no chat template trims, splits or escapes.
const char* const kSys = "QXSYSTEMQX";
const char* const kUser = "QXUSERQX";
const char* const kAsst = "QXASSISTANTQX";

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// Literal text inside a Go template: "{{" would open an action, so it is emitted as an action
// printing the string.
std::string go_literal(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s.compare(i, 2, "{{") == 0) {
            out += "{{ \"{{\" }}";
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool starts_with(const std::string& s, const std::string& p) {
    return s.compare(0, p.size(), p) == 0;
}

// A Go action {{ ... }} parsed from the template: its body and trim flags.
struct Action {
    std::string body;
    bool trim_left = false, trim_right = false;
};

}  // namespace

Result<std::string> render_go_chat_template(const std::string& t,
                                            const std::vector<ChatMessage>& messages) {
    // Tokenise into text and actions.
    struct Item {
        bool is_action;
        std::string text;
        Action a;
    };
    std::vector<Item> items;
    size_t i = 0;
    while (i < t.size()) {
        const size_t open = t.find("{{", i);
        if (open == std::string::npos) {
            items.push_back({false, t.substr(i), {}});
            break;
        }
        if (open > i) items.push_back({false, t.substr(i, open - i), {}});
        // A string action may contain "}}" inside its quotes.
        size_t close = open + 2;
        bool in_str = false;
        for (; close + 1 < t.size(); ++close) {
            if (t[close] == '"') in_str = !in_str;
            if (!in_str && t.compare(close, 2, "}}") == 0) break;
        }
        if (close + 1 >= t.size())
            return Error{"go template: unclosed {{ at byte " + std::to_string(open)};
        Action a;
        std::string body = t.substr(open + 2, close - open - 2);
        if (starts_with(body, "- ")) {
            a.trim_left = true;
            body = body.substr(1);
        }
        if (body.size() >= 2 && body.compare(body.size() - 2, 2, " -") == 0) {
            a.trim_right = true;
            body.resize(body.size() - 1);
        }
        a.body = trim(body);
        items.push_back({true, "", a});
        i = close + 2;
    }
    // Apply trim markers to neighbouring text.
    for (size_t k = 0; k < items.size(); ++k) {
        if (!items[k].is_action) continue;
        if (items[k].a.trim_left && k > 0 && !items[k - 1].is_action) {
            auto& s = items[k - 1].text;
            s.erase(s.find_last_not_of(" \t\r\n") == std::string::npos
                        ? 0
                        : s.find_last_not_of(" \t\r\n") + 1);
        }
        if (items[k].a.trim_right && k + 1 < items.size() && !items[k + 1].is_action) {
            auto& s = items[k + 1].text;
            const auto b = s.find_first_not_of(" \t\r\n");
            s.erase(0, b == std::string::npos ? s.size() : b);
        }
    }
    // Evaluate: the supported grammar is range .Messages over if/else if eq .Role chains.
    std::string out;
    const ChatMessage* cur = nullptr;
    auto unsupported = [&](const std::string& b) {
        return Error{"go template: unsupported action {{ " + b + " }}"};
    };
    std::function<Status(size_t&, bool, int)> run;
    // Runs items from `p` until an {{ end }} / {{ else... }} at this level; `emit` false skips.
    run = [&](size_t& p, bool emit, int depth) -> Status {
        while (p < items.size()) {
            const Item& it = items[p];
            if (!it.is_action) {
                if (emit) out += it.text;
                ++p;
                continue;
            }
            const std::string& b = it.a.body;
            if (b == "end" || starts_with(b, "else")) return {};
            ++p;
            if (b == ".Content") {
                if (!cur) return unsupported(b);
                if (emit) out += cur->content;
            } else if (b.size() >= 2 && b.front() == '"' && b.back() == '"') {
                if (emit) out += b.substr(1, b.size() - 2);
            } else if (b == "range .Messages") {
                const size_t body_start = p;
                size_t body_end = p;
                if (emit && !messages.empty()) {
                    for (const auto& m : messages) {
                        cur = &m;
                        size_t q = body_start;
                        TB_TRY_STATUS(run(q, true, depth + 1));
                        body_end = q;
                    }
                    cur = nullptr;
                } else {
                    size_t q = body_start;
                    TB_TRY_STATUS(run(q, false, depth + 1));
                    body_end = q;
                }
                if (body_end >= items.size() || items[body_end].a.body != "end") {
                    return Error{"go template: range without end"};
                }
                p = body_end + 1;
            } else if (starts_with(b, "if eq .Role \"")) {
                // if / else if ... / else / end chain
                bool taken = false;
                std::string cond = b.substr(3);
                while (true) {
                    bool this_one = false;
                    if (cond.empty()) {
                        this_one = !taken;
                    } else {
                        const std::string pre = "eq .Role \"";
                        if (!starts_with(cond, pre) || cond.back() != '"' || !cur)
                            return unsupported(cond);
                        const std::string role =
                            cond.substr(pre.size(), cond.size() - pre.size() - 1);
                        this_one = !taken && cur->role == role;
                    }
                    TB_TRY_STATUS(run(p, emit && this_one, depth + 1));
                    taken = taken || this_one;
                    if (p >= items.size()) return Error{"go template: if without end"};
                    const std::string& nb = items[p].a.body;
                    ++p;
                    if (nb == "end") break;
                    if (nb == "else") {
                        cond.clear();
                    } else if (starts_with(nb, "else if ")) {
                        cond = nb.substr(8);
                    } else {
                        return unsupported(nb);
                    }
                }
            } else {
                return unsupported(b);
            }
        }
        if (depth > 0) return Error{"go template: missing end"};
        return {};
    };
    size_t p = 0;
    TB_TRY_STATUS(run(p, true, 0));
    if (p != items.size()) return Error{"go template: unmatched {{ " + items[p].a.body + " }}"};
    return out;
}

Result<GoChatTemplate> chat_template_to_go(const Tokenizer& tok) {
    if (tok.chat_template().empty()) return Error{"the model has no chat template"};
    auto render = [&](const std::vector<ChatMessage>& m, bool gen) -> Result<std::string> {
        auto r = tok.apply_chat_template(m, gen);
        if (!r.ok()) return Error{"chat template: " + r.error().message};
        return r.value();
    };
    const std::string bos = tok.bos_token();
    auto drop_bos = [&](std::string s) {
        if (!bos.empty() && starts_with(s, bos)) s = s.substr(bos.size());
        return s;
    };
    const ChatMessage U{"user", kUser}, A{"assistant", kAsst}, S{"system", kSys};
    TB_ASSIGN_OR_RETURN(std::string tu, render({U}, false));
    const size_t pu = tu.find(kUser);
    if (pu == std::string::npos)
        return Error{"chat template: the user message's content does not appear in its rendering"};
    const std::string upre = drop_bos(tu.substr(0, pu));
    const std::string usuf = tu.substr(pu + std::string(kUser).size());

    TB_ASSIGN_OR_RETURN(std::string tua, render({U, A}, false));
    if (!starts_with(tua, tu))
        return Error{
            "chat template: an assistant turn changes the rendering of the user turn before it"};
    const std::string ra = tua.substr(tu.size());
    const size_t pa = ra.find(kAsst);
    if (pa == std::string::npos)
        return Error{"chat template: the assistant message's content does not appear"};
    const std::string apre = ra.substr(0, pa);
    const std::string asuf = ra.substr(pa + std::string(kAsst).size());

    TB_ASSIGN_OR_RETURN(std::string tug, render({U}, true));
    if (!starts_with(tug, tu))
        return Error{
            "chat template: add_generation_prompt changes the rendering of the conversation"};
    const std::string gen = tug.substr(tu.size());

    std::string spre, ssuf;
    bool has_system = false;
    auto ts = render({S, U}, false);
    if (ts.ok()) {
        const std::string& t = ts.value();
        const size_t ps = t.find(kSys);
        const std::string tail = upre + kUser + usuf;
        if (ps != std::string::npos && t.size() >= tail.size() &&
            t.compare(t.size() - tail.size(), tail.size(), tail) == 0 &&
            ps + std::string(kSys).size() <= t.size() - tail.size()) {
            spre = drop_bos(t.substr(0, ps));
            ssuf = t.substr(ps + std::string(kSys).size(),
                            t.size() - tail.size() - ps - std::string(kSys).size());
            has_system = true;
        }
    }

    GoChatTemplate g;
    std::string& go = g.go_template;
    go = "{{- range .Messages }}";
    if (has_system)
        go += "{{ if eq .Role \"system\" }}" + go_literal(spre) + "{{ .Content }}" +
              go_literal(ssuf) + "{{ else if eq .Role \"user\" }}";
    else
        go += "{{ if eq .Role \"user\" }}";
    go += go_literal(upre) + "{{ .Content }}" + go_literal(usuf);
    go += "{{ else if eq .Role \"assistant\" }}" + go_literal(apre) + "{{ .Content }}" +
          go_literal(asuf);
    go += "{{ end }}{{ end }}" + go_literal(gen);

    // Equivalence on a longer conversation (with real-looking text, not markers).
    std::vector<ChatMessage> conv;
    if (has_system) conv.push_back({"system", "You are a helpful assistant."});
    conv.push_back({"user", "What is machine learning?"});
    conv.push_back({"assistant", "A way to learn from data."});
    conv.push_back({"user", "Give an example.\nOne line."});
    TB_ASSIGN_OR_RETURN(std::string want, render(conv, true));
    want = drop_bos(want);
    TB_ASSIGN_OR_RETURN(std::string got, render_go_chat_template(go, conv));
    if (got != want) {
        size_t k = 0;
        while (k < got.size() && k < want.size() && got[k] == want[k]) ++k;
        return Error{
            "chat template is not prefix/content/suffix shaped (Go rendering differs from "
            "the Jinja one at byte " +
            std::to_string(k) + "); write TEMPLATE by hand"};
    }

    auto add_stop = [&](const std::string& s) {
        const std::string t = trim(s);
        if (!t.empty() && std::find(g.stops.begin(), g.stops.end(), t) == g.stops.end())
            g.stops.push_back(t);
    };
    if (has_system) add_stop(spre);
    add_stop(upre);
    add_stop(apre);
    add_stop(asuf);
    add_stop(tok.eos_token());
    return g;
}

Result<std::string> make_modelfile(const ModelfileParams& p) {
    auto quote = [](const std::string& s) {
        std::string o = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') o += '\\';
            o += c;
        }
        return o + "\"";
    };
    std::ostringstream m;
    m << "# Written by tunebench export "
         "(https://github.com/ollama/ollama/blob/main/docs/modelfile.md)\n";
    m << "FROM ./" << p.from << "\n";
    if (p.adapter) m << "ADAPTER ./" << *p.adapter << "\n";
    if (p.tokenizer && !p.tokenizer->chat_template().empty()) {
        TB_ASSIGN_OR_RETURN(GoChatTemplate g, chat_template_to_go(*p.tokenizer));
        if (g.go_template.find("\"\"\"") != std::string::npos) {
            return Error{"chat template contains \"\"\", which a Modelfile TEMPLATE cannot hold"};
        }
        m << "TEMPLATE \"\"\"" << g.go_template << "\"\"\"\n";
        for (const auto& s : g.stops) m << "PARAMETER stop " << quote(s) << "\n";
    } else if (p.tokenizer && !p.tokenizer->eos_token().empty()) {
        m << "PARAMETER stop " << quote(p.tokenizer->eos_token()) << "\n";
    }
    const auto& gen = p.generation;
    if (gen.do_sample.has_value() && !*gen.do_sample) {
        m << "PARAMETER temperature 0\n";  // HF greedy
    } else if (gen.temperature) {
        m << "PARAMETER temperature " << *gen.temperature << "\n";
    }
    if (gen.top_p) m << "PARAMETER top_p " << *gen.top_p << "\n";
    if (gen.top_k) m << "PARAMETER top_k " << *gen.top_k << "\n";
    if (gen.repetition_penalty) m << "PARAMETER repeat_penalty " << *gen.repetition_penalty << "\n";
    if (gen.max_new_tokens) m << "PARAMETER num_predict " << *gen.max_new_tokens << "\n";
    if (p.num_ctx > 0) m << "PARAMETER num_ctx " << p.num_ctx << "\n";
    return m.str();
}

}  // namespace tb::gguf
