#include "widgets/token_lengths.h"

#include <QElapsedTimer>
#include <QThread>

#include "core/tokenizer/tokenizer.h"
#include "core/train/batching.h"
#include "widgets/worker_types.h"

namespace tbui {

TokenLengthCounter::TokenLengthCounter(QObject* parent) : QObject(parent) {}

TokenLengthCounter::~TokenLengthCounter() {
    cancel();
    join();
}

void TokenLengthCounter::cancel() {
    if (cancel_) cancel_->store(true);
    ++generation_;
    running_ = false;
}

// Waits for the thread of the last start() (earlier ones were joined by start()).
void TokenLengthCounter::join() {
    if (!thread_) return;
    thread_->wait();
    delete thread_;
    thread_ = nullptr;
}

void TokenLengthCounter::start(std::shared_ptr<const DatasetBundle> bundle,
                               const TokenLengthRequest& request) {
    cancel();
    // The cancelled thread stops before its next row (one row's encoding), or after the
    // tokenizer load it is in: a short wait, and it keeps one counting thread at a time.
    join();
    if (!bundle) return;
    const int gen = generation_;
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    cancel_ = cancelled;
    running_ = true;
    const std::string modelDir = request.modelDir.toStdString();
    const tb::PromptTemplate tmpl = request.promptTemplate;
    // Results travel to the GUI thread as queued calls on this object; the destructor joins the
    // thread first, so `this` outlives every call the thread posts.
    auto post = [this, gen](auto fn) {
        QMetaObject::invokeMethod(
            this,
            [this, gen, fn = std::move(fn)] {
                if (gen == generation_) fn();
            },
            Qt::QueuedConnection);
    };
    thread_ = QThread::create([bundle, modelDir, tmpl, cancelled, post, this] {
        auto tok = tb::Tokenizer::load(modelDir);
        if (!tok.ok()) {
            const QString msg = QString::fromStdString(tok.error().message);
            post([this, msg] {
                running_ = false;
                Q_EMIT failed(msg);
            });
            return;
        }
        // The trainer's tokenization without truncation: max_length 0 keeps every token.
        tb::TokenizeOptions opts;
        opts.max_length = 0;
        opts.prompt_template = tmpl;
        const auto& examples = bundle->dataset.examples;
        const int total = static_cast<int>(examples.size());
        QVector<int> lengths(total, 0);
        QElapsedTimer sinceReport;
        sinceReport.start();
        for (int i = 0; i < total; ++i) {
            if (cancelled->load()) return;
            auto row = tb::tokenize_example(examples[static_cast<size_t>(i)], *tok.value(), opts);
            if (!row.ok()) {
                const QString msg = QString("%1:%2: %3")
                                        .arg(QString::fromStdString(bundle->dataset.path))
                                        .arg(examples[static_cast<size_t>(i)].source_line)
                                        .arg(QString::fromStdString(row.error().message));
                post([this, msg] {
                    running_ = false;
                    Q_EMIT failed(msg);
                });
                return;
            }
            lengths[i] = static_cast<int>(row.value().ids.size());
            if (sinceReport.elapsed() >= 100) {  // ten updates a second at most
                sinceReport.restart();
                post([this, done = i + 1, total] { Q_EMIT progress(done, total); });
            }
        }
        post([this, lengths = std::move(lengths)] {
            running_ = false;
            Q_EMIT finished(lengths);
        });
    });
    thread_->setObjectName("token-lengths");
    thread_->start(QThread::LowPriority);
}

}  // namespace tbui
