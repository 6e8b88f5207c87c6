// Serve panel: starts and stops `tunebench-cli serve`'s server (core/serve/http_server.h) on
// the workspace's model (or another folder) and chosen LoRA adapters, and shows its URL and
// live request counts (in flight, served, rejected, cancelled, tokens, KV blocks).
//
// Why a worker of its own (ServeWorker on its own QThread) rather than the JobQueue: a server
// runs for as long as the user wants, and loading the model or a graceful stop (up to the grace
// period) blocks; on the shared queue it would hold back training, evaluation and benchmarks.
// The worker only calls the core entry point (HttpServer::start / stop / stats); the requests
// themselves are served on the server's own threads.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QWidget>
#include <memory>
#include <mutex>
#include <optional>

#include "core/common/cancel_token.h"
#include "core/serve/http_server.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTimer;

namespace tbui {

class AdapterMenuButton;

struct ServeJob {
    tb::serve::ServeParams params;
    std::shared_ptr<tb::CancelToken> cancel;  // polled while the model loads
};

// Lives on its own thread; start()/stop() are queued slots, stats() is called from any thread.
class ServeWorker : public QObject {
    Q_OBJECT
  public:
    using QObject::QObject;
    ~ServeWorker() override;

    // The running server's counts, or nothing when no server runs.
    std::optional<tb::serve::ServerStats> stats() const;

  public Q_SLOTS:
    void start(tbui::ServeJob job);
    void stop(double graceSeconds);

  Q_SIGNALS:
    void started(QString url, QStringList models);
    void stopped();
    void failed(QString message);

  private:
    mutable std::mutex mu_;
    std::shared_ptr<tb::serve::HttpServer> server_;
};

class ServePanel : public QWidget {
    Q_OBJECT
  public:
    explicit ServePanel(QWidget* parent = nullptr);
    ~ServePanel() override;  // stops a running server (grace 0) and joins the thread

    // The workspace's model folder becomes the default model.
    void setModelDir(const QString& modelDir);
    // "Add adapter" lists the workspace's trained adapters (adapter_menu.h).
    void setWorkspaceDir(const QString& dir);
    bool serving() const { return state_ == State::Serving; }
    QString url() const { return url_; }

    // For tests and the main window: the same as the buttons.
    void startServer();
    void stopServer();

  Q_SIGNALS:
    void stateChanged();

  private:
    enum class State { Idle, Starting, Serving, Stopping };
    void setState(State s);
    void refreshStats();
    // The adapters box: one "NAME=DIR" (or "DIR") per line; error text when one is malformed.
    QString parseAdapters(std::vector<std::pair<std::string, std::string>>* out) const;

    QThread thread_;
    ServeWorker* worker_ = nullptr;
    std::shared_ptr<tb::CancelToken> cancel_;
    State state_ = State::Idle;
    QString url_;

    QLineEdit* model_ = nullptr;
    QPlainTextEdit* adapters_ = nullptr;
    AdapterMenuButton* addAdapter_ = nullptr;
    QLineEdit* host_ = nullptr;
    QSpinBox* port_ = nullptr;
    QLineEdit* apiKey_ = nullptr;
    QComboBox* device_ = nullptr;
    QComboBox* dtype_ = nullptr;
    QPushButton* start_ = nullptr;
    QPushButton* stop_ = nullptr;
    QPushButton* copy_ = nullptr;
    QLabel* status_ = nullptr;
    QLabel* urlLabel_ = nullptr;
    QLabel* counts_ = nullptr;
    QTimer* timer_ = nullptr;
};

}  // namespace tbui

Q_DECLARE_METATYPE(tbui::ServeJob)
