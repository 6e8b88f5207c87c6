// The chat playground's worker job: a thin adapter over core/infer/chat.h. The core builds
// each column's prompt (system prompt, its own history, the chat template), trims the oldest
// turns to the context and generates; the worker keeps the loaded engine between turns,
// coalesces the token stream into chunks for the GUI and reports each column's reply.
#include <QElapsedTimer>
#include <QMetaObject>
#include <map>

#include "core/infer/chat.h"
#include "widgets/qstring_of.h"
#include "widgets/worker.h"

namespace tbui {

namespace {
// Streaming text is coalesced on the worker side to one chunk per column per this interval:
// the GUI event queue carries ~25 events per second, never one per token.
constexpr qint64 kChatChunkMs = 40;

}  // namespace

// The engine kept between turns, and the adapters loaded into it (folder -> name).
struct Worker::ChatEngine {
    std::string key;  // engine|quant|model|device|dtype
    std::unique_ptr<tb::infer::InferenceEngine> engine;
    std::map<std::string, std::string> adapters;
};

void Worker::releaseChatEngine() { chatEngine_.reset(); }

void Worker::runChat(tbui::ChatJob job) {
    guarded([&] {
        const std::string key =
            job.engine + "|" + job.quant + "|" + job.model_dir + "|" + job.device + "|" + job.dtype;
        if (!chatEngine_ || chatEngine_->key != key) {
            chatEngine_.reset();  // free the old model before loading the new one
            tb::infer::EngineParams ep;
            ep.engine = job.engine;
            ep.quant = job.quant;
            ep.model_dir = job.model_dir;
            ep.tokenizer = job.model_dir;
            ep.device = job.device;
            ep.dtype = job.dtype;
            ep.max_batch = 1;
            ep.cancel = job.cancel.get();
            auto engine = tb::infer::InferenceEngine::load(ep);
            if (!engine.ok()) {
                // Stopped while loading: nothing failed.
                if (!job.cancel->cancelled()) Q_EMIT failed(q(engine.error().message));
                Q_EMIT chatFinished(job.turn);
                return;
            }
            chatEngine_ = std::make_shared<ChatEngine>();
            chatEngine_->key = key;
            chatEngine_->engine = std::move(engine).value();
        }
        tb::infer::InferenceEngine& engine = *chatEngine_->engine;

        tb::infer::ChatTurnRequest req;
        req.system_prompt = job.system_prompt;
        req.user_turns = job.user_turns;
        req.max_new_tokens = job.max_new_tokens;
        req.sampling.greedy = job.sampling.greedy;
        req.sampling.temperature = job.sampling.temperature;
        req.sampling.top_k = job.sampling.top_k;
        req.sampling.top_p = job.sampling.top_p;
        req.sampling.repetition_penalty = job.sampling.repetition_penalty;
        req.sampling.seed = job.sampling.seed;
        const size_t columns = 1 + job.adapter_dirs.size();
        for (size_t c = 0; c < columns; ++c) {
            tb::infer::ChatColumn col;
            if (c > 0) {
                const std::string& dir = job.adapter_dirs[c - 1];
                auto it = chatEngine_->adapters.find(dir);
                if (it == chatEngine_->adapters.end()) {
                    const std::string name =
                        "adapter " + std::to_string(chatEngine_->adapters.size() + 1);
                    tb::Status st = engine.load_adapter(name, dir);
                    if (!st.ok()) {
                        Q_EMIT failed(q(st.error().message));
                        Q_EMIT chatFinished(job.turn);
                        return;
                    }
                    it = chatEngine_->adapters.emplace(dir, name).first;
                }
                col.adapter = it->second;
            }
            if (c < job.replies.size()) col.replies = job.replies[c];
            req.columns.push_back(std::move(col));
        }

        std::vector<std::string> buffered(columns);
        QElapsedTimer since_emit;
        since_emit.start();
        auto flush = [&] {
            for (size_t c = 0; c < columns; ++c)
                if (!buffered[c].empty()) {
                    Q_EMIT chatChunk(ChatChunk{job.turn, static_cast<int>(c), q(buffered[c])});
                    buffered[c].clear();
                }
            since_emit.restart();
        };
        tb::infer::GenerateOptions go;
        go.cancel = job.cancel.get();
        go.on_token = [&](const tb::infer::TokenEvent& ev) {
            buffered.at(ev.request) += ev.text;
            if (since_emit.elapsed() >= kChatChunkMs) flush();
        };
        auto out = tb::infer::chat_turn(engine, req, go);
        flush();
        if (!out.ok()) {
            Q_EMIT failed(q(out.error().message));
            Q_EMIT chatFinished(job.turn);
            return;
        }
        for (size_t c = 0; c < columns; ++c) {
            const tb::infer::Completion& comp = out->completions[c];
            ChatColumnDone d;
            d.turn = job.turn;
            d.column = static_cast<int>(c);
            d.text = q(comp.text);
            d.tokens = static_cast<int64_t>(comp.ids.size());
            // This column's own time: from its first token's step back to its prefill is not
            // separable here, so the span from the previous column's end to this one's end.
            const double start = c == 0 ? 0.0 : out->completions[c - 1].end_seconds;
            d.seconds = comp.end_seconds - start;
            d.finish_reason = q(comp.finish_reason);
            d.dropped_turns = out->dropped_turns[c];
            Q_EMIT chatColumnDone(d);
        }
        Q_EMIT chatFinished(job.turn);
    });
}

void JobQueue::submitChat(const ChatJob& job) {
    enqueue(tr("Chat"), JobKind::Chat, [this, job] {
        QMetaObject::invokeMethod(worker_, "runChat", Qt::QueuedConnection,
                                  Q_ARG(tbui::ChatJob, job));
    });
}

}  // namespace tbui
