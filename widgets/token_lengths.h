// Token length of every dataset row as training sees it, counted off the GUI thread.
//
// Why here and not in the dataset panel: the panel must show the lengths training sees, so the
// counting goes through the trainer's own path (tb::Tokenizer::load on the model folder, then
// tb::tokenize_example with the config's prompt template: chat template or instruction template,
// bos, eos), never a re-implementation of it. Each row is tokenized without truncation
// (max_length 0), so a row is cut in training exactly when its length here exceeds max_length.
//
// Dolly 15k takes seconds of tokenizing: the work runs on a thread of its own (not the job
// queue, which may be busy training for hours), reports progress every few hundred rows, and a
// new start() or the destructor cancels a count in flight. Results of a cancelled count are
// never delivered.
#pragma once

#include <QObject>
#include <QString>
#include <QVector>
#include <atomic>
#include <memory>
#include <vector>

#include "core/train/train_options.h"  // PromptTemplate

class QThread;

namespace tbui {

struct DatasetBundle;

struct TokenLengthRequest {
    QString modelDir;  // the model folder whose tokenizer training loads
    tb::PromptTemplate promptTemplate = tb::PromptTemplate::Chat;
};

class TokenLengthCounter : public QObject {
    Q_OBJECT
  public:
    explicit TokenLengthCounter(QObject* parent = nullptr);
    ~TokenLengthCounter() override;  // cancels and joins a count in flight

    // Counts every example of `bundle` (cancelling a count in flight).
    void start(std::shared_ptr<const DatasetBundle> bundle, const TokenLengthRequest& request);
    void cancel();
    bool running() const { return running_; }

  Q_SIGNALS:
    void progress(int done, int total);
    // lengths[i]: tokens of example i, bos and eos included, before truncation.
    void finished(QVector<int> lengths);
    void failed(QString message);  // tokenizer not loadable, template failing on a row

  private:
    void join();

    QThread* thread_ = nullptr;
    std::shared_ptr<std::atomic<bool>> cancel_;
    int generation_ = 0;  // results of an earlier start() are dropped
    bool running_ = false;
};

}  // namespace tbui
