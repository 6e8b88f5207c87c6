#include "widgets/serve_panel.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

#include "widgets/adapter_menu.h"
#include "widgets/store_safe_file_dialog.h"

namespace tbui {

// ---------------------------------------------------------------- worker

ServeWorker::~ServeWorker() {
    std::shared_ptr<tb::serve::HttpServer> s;
    {
        std::lock_guard<std::mutex> lock(mu_);
        s.swap(server_);
    }
    if (s) s->stop(0);
}

std::optional<tb::serve::ServerStats> ServeWorker::stats() const {
    std::shared_ptr<tb::serve::HttpServer> s;
    {
        std::lock_guard<std::mutex> lock(mu_);
        s = server_;
    }
    if (!s) return std::nullopt;
    return s->stats();
}

void ServeWorker::start(tbui::ServeJob job) {
    try {
        auto r = tb::serve::HttpServer::start(job.params, job.cancel.get());
        if (!r.ok()) {
            Q_EMIT failed(QString::fromStdString(r.error().message));
            return;
        }
        std::shared_ptr<tb::serve::HttpServer> s(std::move(r).value());
        QStringList models;
        for (const auto& n : s->batcher().model_names()) models << QString::fromStdString(n);
        const QString url = QString::fromStdString(s->url());
        {
            std::lock_guard<std::mutex> lock(mu_);
            server_ = std::move(s);
        }
        Q_EMIT started(url, models);
    } catch (const std::exception& e) {
        Q_EMIT failed(QString::fromUtf8(e.what()));
    }
}

void ServeWorker::stop(double graceSeconds) {
    std::shared_ptr<tb::serve::HttpServer> s;
    {
        std::lock_guard<std::mutex> lock(mu_);
        s.swap(server_);
    }
    if (s) s->stop(graceSeconds);
    Q_EMIT stopped();
}

// ---------------------------------------------------------------- panel

ServePanel::ServePanel(QWidget* parent) : QWidget(parent) {
    qRegisterMetaType<tbui::ServeJob>("tbui::ServeJob");
    worker_ = new ServeWorker;
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    thread_.setObjectName("serve");
    thread_.start();

    auto* form = new QFormLayout;
    // A row whose field is a layout gets no buddy from QFormLayout, and a label without one
    // shows its mnemonic as a literal "&" ("&Modelo:"): name the row's main widget.
    auto buddy = [form](QLayout* row, QWidget* field) {
        if (auto* label = qobject_cast<QLabel*>(form->labelForField(row))) label->setBuddy(field);
    };
    model_ = new QLineEdit(this);
    model_->setObjectName("serveModel");
    model_->setPlaceholderText(tr("Hugging Face model folder (config.json + safetensors)"));
    auto* browse = new QPushButton(tr("Browse..."), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString d = getExistingDirectory(this, tr("Model folder"), model_->text());
        if (!d.isEmpty()) model_->setText(d);
    });
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(model_, 1);
    modelRow->addWidget(browse);
    form->addRow(tr("&Model:"), modelRow);
    buddy(modelRow, model_);

    adapters_ = new QPlainTextEdit(this);
    adapters_->setObjectName("serveAdapters");
    adapters_->setPlaceholderText(
        tr("LoRA adapters, one per line: NAME=FOLDER (or FOLDER, named after it). Clients "
           "choose one with the request's \"model\" field."));
    adapters_->setMaximumHeight(80);
    auto* addAdapter = new AdapterMenuButton(this);
    addAdapter_ = addAdapter;
    connect(addAdapter, &AdapterMenuButton::adapterChosen, this,
            [this](const QString& dir, const QString& label) {
                // Clients choose the adapter by this name in the request's "model" field: the
                // run's name made URL- and JSON-friendly, unique among the listed adapters.
                QStringList taken;
                for (const QString& line : adapters_->toPlainText().split('\n')) {
                    if (line.section('=', 1).trimmed() == dir) return;  // listed already
                    taken << line.section('=', 0, 0).trimmed();
                }
                const QString base = servedModelName(label);
                QString name = base;
                for (int n = 2; taken.contains(name); ++n) name = base + "-" + QString::number(n);
                adapters_->appendPlainText(name + "=" + dir);
            });
    auto* adapterRow = new QHBoxLayout;
    adapterRow->addWidget(adapters_, 1);
    adapterRow->addWidget(addAdapter, 0, Qt::AlignTop);
    form->addRow(tr("&Adapters:"), adapterRow);
    buddy(adapterRow, adapters_);

    host_ = new QLineEdit(QStringLiteral("127.0.0.1"), this);
    host_->setToolTip(
        tr("127.0.0.1 serves this machine only; 0.0.0.0 serves every network "
           "interface (set an API key then)"));
    port_ = new QSpinBox(this);
    port_->setObjectName("servePort");
    port_->setRange(0, 65535);
    port_->setValue(8000);
    port_->setToolTip(tr("0 picks a free port"));
    auto* addrRow = new QHBoxLayout;
    addrRow->addWidget(host_, 1);
    addrRow->addWidget(new QLabel(tr("Port:"), this));
    addrRow->addWidget(port_);
    form->addRow(tr("&Host:"), addrRow);
    buddy(addrRow, host_);

    apiKey_ = new QLineEdit(this);
    apiKey_->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    apiKey_->setPlaceholderText(tr("none: no key needed"));
    form->addRow(tr("API &key:"), apiKey_);

    device_ = new QComboBox(this);
    device_->setObjectName("serveDevice");
    device_->addItems({"auto", "cpu", "cuda"});
    dtype_ = new QComboBox(this);
    dtype_->setObjectName("serveDtype");
    dtype_->addItems({"auto", "fp32", "bf16", "fp16"});
    auto* devRow = new QHBoxLayout;
    devRow->addWidget(device_);
    devRow->addWidget(new QLabel(tr("Precision:"), this));
    devRow->addWidget(dtype_);
    devRow->addStretch(1);
    form->addRow(tr("&Device:"), devRow);
    buddy(devRow, device_);

    start_ = new QPushButton(tr("&Start server"), this);
    stop_ = new QPushButton(tr("S&top server"), this);
    copy_ = new QPushButton(tr("&Copy URL"), this);
    connect(start_, &QPushButton::clicked, this, &ServePanel::startServer);
    connect(stop_, &QPushButton::clicked, this, &ServePanel::stopServer);
    connect(copy_, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(url_ + "/v1"); });
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(start_);
    buttons->addWidget(stop_);
    buttons->addWidget(copy_);
    buttons->addStretch(1);

    status_ = new QLabel(this);
    status_->setObjectName("serveStatus");
    status_->setWordWrap(true);
    urlLabel_ = new QLabel(this);
    urlLabel_->setObjectName("serveUrl");
    urlLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    urlLabel_->setWordWrap(true);
    counts_ = new QLabel(this);
    counts_->setObjectName("serveCounts");

    auto* top = new QVBoxLayout(this);
    top->addWidget(new QLabel(tr("An OpenAI-compatible (/v1) and Ollama-compatible (/api) server "
                                 "on this model and its adapters, all requests batched "
                                 "together (the paged engine)."),
                              this));
    top->addLayout(form);
    top->addLayout(buttons);
    top->addWidget(status_);
    top->addWidget(urlLabel_);
    top->addWidget(counts_);
    top->addStretch(1);

    timer_ = new QTimer(this);
    timer_->setInterval(500);
    connect(timer_, &QTimer::timeout, this, &ServePanel::refreshStats);

    connect(worker_, &ServeWorker::started, this, [this](const QString& url, const QStringList& m) {
        url_ = url;
        urlLabel_->setText(
            tr("<b>%1</b> &nbsp; models: %2<br>OpenAI base URL: %1/v1 &nbsp; Ollama: %1<br>"
               "<tt>curl %1/v1/completions -H 'Content-Type: application/json' -d "
               "'{\"model\": \"%3\", \"prompt\": \"Hello\", \"max_tokens\": 32}'</tt>")
                .arg(url.toHtmlEscaped(), m.join(", ").toHtmlEscaped(),
                     m.value(0).toHtmlEscaped()));
        status_->setText(tr("Serving."));
        setState(State::Serving);
        timer_->start();
        refreshStats();
    });
    connect(worker_, &ServeWorker::failed, this, [this](const QString& msg) {
        status_->setText(tr("Could not start the server: %1").arg(msg));
        setState(State::Idle);
    });
    connect(worker_, &ServeWorker::stopped, this, [this] {
        timer_->stop();
        status_->setText(tr("Stopped."));
        urlLabel_->clear();
        counts_->clear();
        url_.clear();
        setState(State::Idle);
    });
    setState(State::Idle);
}

ServePanel::~ServePanel() {
    if (cancel_) cancel_->cancel();
    // The worker's destructor (on its thread, after quit) stops a running server with grace 0.
    thread_.quit();
    thread_.wait();
}

void ServePanel::setWorkspaceDir(const QString& dir) { addAdapter_->setWorkspaceDir(dir); }

void ServePanel::setModelDir(const QString& modelDir) {
    if (state_ == State::Idle || model_->text().isEmpty()) model_->setText(modelDir);
}

void ServePanel::setState(State s) {
    state_ = s;
    const bool idle = s == State::Idle;
    for (QWidget* w :
         std::initializer_list<QWidget*>{model_, adapters_, host_, port_, apiKey_, device_, dtype_})
        w->setEnabled(idle);
    start_->setEnabled(idle);
    // While loading, Stop cancels the load.
    stop_->setEnabled(s == State::Serving || s == State::Starting);
    copy_->setEnabled(s == State::Serving);
    Q_EMIT stateChanged();
}

QString ServePanel::parseAdapters(std::vector<std::pair<std::string, std::string>>* out) const {
    const QStringList lines = adapters_->toPlainText().split('\n');
    for (QString line : lines) {
        line = line.trimmed();
        if (line.isEmpty()) continue;
        const int eq = line.indexOf('=');
        QString name, dir;
        if (eq < 0) {
            dir = line;
            name = QFileInfo(QDir::cleanPath(line)).fileName();
        } else {
            name = line.left(eq).trimmed();
            dir = line.mid(eq + 1).trimmed();
        }
        if (name.isEmpty() || dir.isEmpty())
            return tr("Adapter line \"%1\": expected NAME=FOLDER").arg(line);
        out->emplace_back(name.toStdString(), dir.toStdString());
    }
    return {};
}

void ServePanel::startServer() {
    if (state_ != State::Idle) return;
    if (model_->text().trimmed().isEmpty()) {
        status_->setText(tr("Choose a model folder first."));
        return;
    }
    ServeJob job;
    tb::serve::ServeParams& p = job.params;
    p.batcher.engine.engine = "paged";
    p.batcher.engine.model_dir = model_->text().trimmed().toStdString();
    p.batcher.engine.device = device_->currentText().toStdString();
    p.batcher.engine.dtype = dtype_->currentText().toStdString();
    const QString err = parseAdapters(&p.batcher.adapters);
    if (!err.isEmpty()) {
        status_->setText(err);
        return;
    }
    p.host = host_->text().trimmed().toStdString();
    p.port = port_->value();
    p.api_key = apiKey_->text().toStdString();
    cancel_ = std::make_shared<tb::CancelToken>();
    job.cancel = cancel_;
    status_->setText(tr("Loading the model..."));
    setState(State::Starting);
    QMetaObject::invokeMethod(worker_, "start", Qt::QueuedConnection, Q_ARG(tbui::ServeJob, job));
}

void ServePanel::stopServer() {
    if (state_ == State::Starting) {
        // Cancels the load; the worker reports it as a failure.
        if (cancel_) cancel_->cancel();
        return;
    }
    if (state_ != State::Serving) return;
    status_->setText(tr("Stopping: running requests get up to 10 s to finish..."));
    setState(State::Stopping);
    QMetaObject::invokeMethod(worker_, "stop", Qt::QueuedConnection, Q_ARG(double, 10.0));
}

void ServePanel::refreshStats() {
    const auto s = worker_->stats();
    if (!s) return;
    counts_->setText(tr("Requests in flight: %1 · served: %2 · rejected: %3 · cancelled by "
                        "clients: %4 · tokens: %5 · KV blocks used: %6 of %7")
                         .arg(s->in_flight)
                         .arg(s->requests_served)
                         .arg(s->requests_rejected)
                         .arg(s->requests_cancelled)
                         .arg(s->tokens_served)
                         .arg(s->batcher.kv_blocks_used)
                         .arg(s->batcher.kv_blocks_total));
}

}  // namespace tbui
