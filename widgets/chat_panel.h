// Chat playground: a multi-turn conversation with a system prompt, answered side by side by
// the base model and every chosen adapter. Each column keeps its own history (a model sees its
// own earlier answers), all with the same sampling settings and seed; replies stream in
// through the worker (widgets/worker_chat.cpp -> core/infer/chat.h) and the view refreshes on
// a 40 ms timer, never per token. Every finished turn is saved to the workspace's store
// (conversations, schema v5) and the list on the left re-opens a saved conversation with its
// system prompt, models and settings. The models of a conversation are fixed once it has a
// turn (its columns' histories would not match otherwise): New starts another.
#pragma once

#include <QStringList>
#include <QVector>
#include <QWidget>
#include <memory>

#include "widgets/worker_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QHBoxLayout;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTextBrowser;
class QTimer;
class QFormLayout;

namespace tb::store {
class Store;
}

namespace tbui {

class AdapterMenuButton;
class JobQueue;

class ChatPanel : public QWidget {
    Q_OBJECT
  public:
    explicit ChatPanel(JobQueue* jobs, QWidget* parent = nullptr);
    ~ChatPanel() override;

    QStringList adapters() const;
    QString systemPrompt() const;
    QString engine() const;
    bool running() const { return running_; }
    // The conversation as shown: user messages, and per column its replies (the last one
    // possibly still streaming).
    QStringList userTurns() const { return userTurns_; }
    QStringList replies(int column) const { return replies_.value(column); }
    int columnCount() const { return static_cast<int>(replies_.size()); }
    qint64 conversationId() const { return conversationId_; }
    // Saved conversations of the open store, most recent first (ids).
    QList<qint64> savedConversations() const;

  public Q_SLOTS:
    void setModelDir(const QString& dir);
    // Opens <dir>/tunebench.sqlite (created when absent) for the conversations; "" closes it.
    void setWorkspaceDir(const QString& dir);
    void addAdapter(const QString& dir);
    void setSystemPrompt(const QString& text);
    // Selects the inference engine when this build has it (as the compare panel does).
    void setEngine(const QString& name);
    // The quant engine's weight format (the config's inference.quant: q8_0 | nf4).
    void setQuantFormat(const QString& format) { quant_ = format; }
    void setGreedy(bool greedy);
    void setMaxNewTokens(int n);
    // Sends `message` (or, when empty, the input box's text) as the next user turn.
    void send(const QString& message = QString());
    void stop();
    void newConversation();
    // Re-opens a saved conversation; false (with the reason in the status line) when it
    // cannot be read.
    bool openConversation(qint64 id);

  Q_SIGNALS:
    void turnFinished(qint64 turn);

  protected:
    void changeEvent(QEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    void retranslate();
    void onChunk(const tbui::ChatChunk& c);
    void onColumnDone(const tbui::ChatColumnDone& d);
    void onFinished(qint64 turn);
    void rebuildColumns();
    void refreshViews();
    void refreshConversationList();
    void syncEnabled();
    void save();
    QString settingsJson() const;
    void applySettingsJson(const QString& json);
    QString columnTitle(int column) const;
    QString statsText(int column) const;

    JobQueue* jobs_;
    QString modelDir_;
    QString workspaceDir_;  // the adapter dialog opens in its outputs/
    QString quant_ = QStringLiteral("q8_0");
    std::unique_ptr<tb::store::Store> store_;
    std::shared_ptr<tb::CancelToken> cancel_;
    bool running_ = false;
    bool dirty_ = false;
    qint64 conversationId_ = 0;
    qint64 turn_ = -1;  // the turn being generated
    QStringList userTurns_;
    QVector<QStringList> replies_;  // [column][turn]
    struct ReplyStats {
        int64_t tokens = 0;
        double seconds = 0;
        QString finishReason;
        int64_t dropped = 0;
        bool done = false;
    };
    QVector<QVector<ReplyStats>> stats_;  // [column][turn]
    QStringList columnAdapters_;          // adapters of the open conversation
    QString lastError_;

    QListWidget* conversationList_;
    QPushButton* newButton_;
    QPushButton* deleteButton_;
    QGroupBox* conversationsBox_;
    QGroupBox* systemBox_;
    QPlainTextEdit* system_;
    QGroupBox* modelsBox_;
    QListWidget* adapterList_;
    AdapterMenuButton* addButton_;
    QPushButton* removeButton_;
    QGroupBox* samplingBox_;
    QFormLayout* samplingForm_;
    QCheckBox* greedy_;
    QDoubleSpinBox* temperature_;
    QDoubleSpinBox* topP_;
    QSpinBox* topK_;
    QSpinBox* maxTokens_;
    QSpinBox* seed_;
    QComboBox* engine_;
    QHBoxLayout* columnsLayout_;
    QVector<QGroupBox*> columnBoxes_;
    QVector<QTextBrowser*> columnViews_;
    QVector<QLabel*> columnStats_;
    QPlainTextEdit* input_;
    QPushButton* sendButton_;
    QPushButton* stopButton_;
    QLabel* status_;
    QTimer* timer_;
};

}  // namespace tbui
