#include "widgets/chat_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include "core/infer/engine_choice.h"
#include "core/store/store.h"
#include "widgets/adapter_menu.h"
#include "widgets/language.h"
#include "widgets/qstring_of.h"
#include "widgets/store_safe_file_dialog.h"
#include "widgets/worker.h"

namespace tbui {

namespace {

// Plain text as HTML paragraphs (escaped, line breaks kept).
QString paragraphs(const QString& text) { return text.toHtmlEscaped().replace("\n", "<br>"); }

}  // namespace

ChatPanel::ChatPanel(JobQueue* jobs, QWidget* parent) : QWidget(parent), jobs_(jobs) {
    auto* layout = new QHBoxLayout(this);
    auto* split = new QSplitter(Qt::Horizontal, this);
    layout->addWidget(split);

    // Left: saved conversations.
    conversationsBox_ = new QGroupBox(split);
    auto* cl = new QVBoxLayout(conversationsBox_);
    conversationList_ = new QListWidget(conversationsBox_);
    conversationList_->setObjectName("conversations");
    newButton_ = new QPushButton(conversationsBox_);
    newButton_->setObjectName("newConversation");
    deleteButton_ = new QPushButton(conversationsBox_);
    auto* cb = new QHBoxLayout;
    cb->addWidget(newButton_);
    cb->addWidget(deleteButton_);
    cl->addWidget(conversationList_, 1);
    cl->addLayout(cb);
    split->addWidget(conversationsBox_);

    // Right: settings row, the columns, the input.
    auto* right = new QWidget(split);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;

    systemBox_ = new QGroupBox(right);
    auto* sl = new QVBoxLayout(systemBox_);
    system_ = new QPlainTextEdit(systemBox_);
    system_->setObjectName("systemPrompt");
    system_->setMaximumHeight(110);
    sl->addWidget(system_);
    top->addWidget(systemBox_, 3);

    modelsBox_ = new QGroupBox(right);
    auto* ml = new QVBoxLayout(modelsBox_);
    adapterList_ = new QListWidget(modelsBox_);
    adapterList_->setMaximumHeight(80);
    addButton_ = new AdapterMenuButton(modelsBox_);
    removeButton_ = new QPushButton(modelsBox_);
    auto* ab = new QHBoxLayout;
    ab->addWidget(addButton_);
    ab->addWidget(removeButton_);
    ml->addWidget(adapterList_, 1);
    ml->addLayout(ab);
    top->addWidget(modelsBox_, 2);

    samplingBox_ = new QGroupBox(right);
    samplingForm_ = new QFormLayout(samplingBox_);
    greedy_ = new QCheckBox(samplingBox_);
    greedy_->setChecked(true);
    temperature_ = new QDoubleSpinBox(samplingBox_);
    temperature_->setRange(0.05, 5.0);
    temperature_->setSingleStep(0.1);
    temperature_->setValue(0.7);
    topP_ = new QDoubleSpinBox(samplingBox_);
    topP_->setRange(0.01, 1.0);
    topP_->setSingleStep(0.05);
    topP_->setValue(0.9);
    topK_ = new QSpinBox(samplingBox_);
    topK_->setRange(0, 100000);
    topK_->setValue(50);
    maxTokens_ = new QSpinBox(samplingBox_);
    maxTokens_->setRange(1, 8192);
    maxTokens_->setValue(256);
    seed_ = new QSpinBox(samplingBox_);
    seed_->setRange(0, INT_MAX);
    seed_->setValue(42);
    engine_ = new QComboBox(samplingBox_);
    engine_->setObjectName("engine");
    for (const std::string& name : tb::infer::engine_names()) engine_->addItem(q(name));
    samplingForm_->addRow(greedy_);
    // Labels are set by retranslate() (an empty text would make QFormLayout add none).
    for (QWidget* field : {static_cast<QWidget*>(temperature_), static_cast<QWidget*>(topP_),
                           static_cast<QWidget*>(topK_), static_cast<QWidget*>(maxTokens_),
                           static_cast<QWidget*>(seed_), static_cast<QWidget*>(engine_)})
        samplingForm_->addRow(new QLabel(samplingBox_), field);
    top->addWidget(samplingBox_, 2);
    rl->addLayout(top, 0);

    auto* columns = new QWidget(right);
    columnsLayout_ = new QHBoxLayout(columns);
    columnsLayout_->setContentsMargins(0, 0, 0, 0);
    rl->addWidget(columns, 1);

    auto* inputRow = new QHBoxLayout;
    input_ = new QPlainTextEdit(right);
    input_->setObjectName("chatInput");
    input_->setMaximumHeight(80);
    // Ctrl+Enter sends from inside the box (the text edit would take the key otherwise).
    input_->installEventFilter(this);
    sendButton_ = new QPushButton(right);
    sendButton_->setObjectName("send");
    sendButton_->setShortcut(QKeySequence("Ctrl+Return"));
    stopButton_ = new QPushButton(right);
    stopButton_->setEnabled(false);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(sendButton_);
    buttons->addWidget(stopButton_);
    buttons->addStretch(1);
    inputRow->addWidget(input_, 1);
    inputRow->addLayout(buttons);
    rl->addLayout(inputRow);
    status_ = new QLabel(right);
    status_->setObjectName("chatStatus");
    status_->setWordWrap(true);
    rl->addWidget(status_);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 5);
    split->setSizes({220, 1000});

    auto syncSampling = [this] {
        const bool sample = !greedy_->isChecked();
        temperature_->setEnabled(sample);
        topP_->setEnabled(sample);
        topK_->setEnabled(sample);
    };
    connect(greedy_, &QCheckBox::toggled, this, syncSampling);
    syncSampling();
    connect(addButton_, &AdapterMenuButton::adapterChosen, this,
            [this](const QString& dir) { addAdapter(dir); });
    connect(removeButton_, &QPushButton::clicked, this, [this] {
        delete adapterList_->currentItem();
        if (userTurns_.isEmpty()) rebuildColumns();
    });
    connect(sendButton_, &QPushButton::clicked, this, [this] { send(); });
    connect(stopButton_, &QPushButton::clicked, this, &ChatPanel::stop);
    connect(newButton_, &QPushButton::clicked, this, &ChatPanel::newConversation);
    connect(deleteButton_, &QPushButton::clicked, this, [this] {
        auto* item = conversationList_->currentItem();
        if (!item || !store_ || running_) return;
        const qint64 id = item->data(Qt::UserRole).toLongLong();
        if (QMessageBox::question(this, tr("Delete conversation"),
                                  tr("Delete the conversation \"%1\"?").arg(item->text())) !=
            QMessageBox::Yes)
            return;
        tb::Status st = store_->delete_conversation(id);
        if (!st.ok()) status_->setText(q(st.error().message));
        if (id == conversationId_) newConversation();
        refreshConversationList();
    });
    connect(conversationList_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        if (item) openConversation(item->data(Qt::UserRole).toLongLong());
    });
    connect(conversationList_, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        if (item && item->data(Qt::UserRole).toLongLong() != conversationId_)
            openConversation(item->data(Qt::UserRole).toLongLong());
    });
    connect(jobs_->worker(), &Worker::chatChunk, this, &ChatPanel::onChunk);
    connect(jobs_->worker(), &Worker::chatColumnDone, this, &ChatPanel::onColumnDone);
    connect(jobs_->worker(), &Worker::chatFinished, this, &ChatPanel::onFinished);
    connect(jobs_->worker(), &Worker::failed, this, [this](const QString& msg) {
        if (jobs_->currentKind() == JobKind::Chat) lastError_ = msg;
    });
    timer_ = new QTimer(this);
    timer_->setInterval(40);
    connect(timer_, &QTimer::timeout, this, [this] {
        if (dirty_) refreshViews();
    });
    timer_->start();

    retranslate();
    setEngine("eager");
    newConversation();
}

ChatPanel::~ChatPanel() = default;

bool ChatPanel::eventFilter(QObject* watched, QEvent* event) {
    if (watched == input_ && event->type() == QEvent::KeyPress) {
        auto* key = static_cast<QKeyEvent*>(event);
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) &&
            (key->modifiers() & Qt::ControlModifier)) {
            send();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ChatPanel::retranslate() {
    conversationsBox_->setTitle(tr("Conversations"));
    conversationList_->setToolTip(tr("Saved in the workspace's store; click one to re-open it"));
    newButton_->setText(tr("&New"));
    newButton_->setToolTip(tr("Start a new conversation"));
    deleteButton_->setText(tr("Delete"));
    systemBox_->setTitle(tr("System prompt"));
    system_->setPlaceholderText(tr("Instructions every model receives before the conversation"));
    modelsBox_->setTitle(tr("Adapters"));
    adapterList_->setToolTip(tr("The base model always answers in the first column"));
    removeButton_->setText(tr("Remove"));
    samplingBox_->setTitle(tr("Sampling (same for every column)"));
    greedy_->setText(tr("Greedy"));
    auto label = [this](QWidget* field, const QString& text) {
        if (auto* l = qobject_cast<QLabel*>(samplingForm_->labelForField(field))) l->setText(text);
    };
    label(temperature_, tr("Temperature:"));
    label(topP_, tr("Top-p:"));
    label(topK_, tr("Top-k:"));
    label(maxTokens_, tr("Max new tokens:"));
    label(seed_, tr("Seed:"));
    label(engine_, tr("Engine:"));
    topK_->setSpecialValueText(tr("off"));
    temperature_->setToolTip(tr("Divides the logits before sampling; lower is more focused"));
    topP_->setToolTip(tr("Samples from the smallest set of tokens whose probability reaches p"));
    topK_->setToolTip(tr("Samples from the k most likely tokens (0: no limit)"));
    seed_->setToolTip(tr("Every column restarts its sampler from this seed"));
    engine_->setToolTip(tr("Inference engine that answers in every column"));
    auto* engineModel = qobject_cast<QStandardItemModel*>(engine_->model());
    for (int i = 0; i < engine_->count(); ++i) {
        const std::string why =
            tb::infer::engine_unavailable_reason(engine_->itemText(i).toStdString());
        QStandardItem* item = engineModel->item(i);
        item->setEnabled(why.empty());
        item->setToolTip(why.empty() ? tr("Available in this build")
                                     : tr("Not available: %1").arg(q(why)));
    }
    input_->setPlaceholderText(tr("Type a message (Ctrl+Enter sends)"));
    sendButton_->setText(tr("&Send"));
    sendButton_->setToolTip(tr("Send the message to every model (Ctrl+Enter)"));
    stopButton_->setText(tr("S&top"));
    for (int c = 0; c < columnBoxes_.size(); ++c) {
        columnBoxes_[c]->setTitle(columnTitle(c));
        columnStats_[c]->setText(statsText(c));
    }
    syncEnabled();
    refreshConversationList();
    dirty_ = true;
}

void ChatPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::LanguageChange || event->type() == QEvent::LocaleChange)
        retranslate();
    QWidget::changeEvent(event);
}

QStringList ChatPanel::adapters() const {
    QStringList a;
    for (int i = 0; i < adapterList_->count(); ++i)
        a << adapterList_->item(i)->data(Qt::UserRole).toString();
    return a;
}

QString ChatPanel::systemPrompt() const { return system_->toPlainText(); }
void ChatPanel::setSystemPrompt(const QString& text) { system_->setPlainText(text); }
QString ChatPanel::engine() const { return engine_->currentText(); }
void ChatPanel::setGreedy(bool greedy) { greedy_->setChecked(greedy); }
void ChatPanel::setMaxNewTokens(int n) { maxTokens_->setValue(n); }

void ChatPanel::setEngine(const QString& name) {
    const int i = engine_->findText(name);
    if (i < 0) return;
    auto* m = qobject_cast<QStandardItemModel*>(engine_->model());
    if (!m->item(i)->isEnabled()) return;
    engine_->setCurrentIndex(i);
}

void ChatPanel::setModelDir(const QString& dir) {
    if (dir == modelDir_) return;
    modelDir_ = dir;
    // Another model: the open conversation's histories belong to the old one.
    if (!running_ && !userTurns_.isEmpty()) newConversation();
}

void ChatPanel::setWorkspaceDir(const QString& dir) {
    workspaceDir_ = dir;
    addButton_->setWorkspaceDir(dir);
    store_.reset();
    if (!dir.isEmpty()) {
        auto st = tb::store::Store::open((dir + "/tunebench.sqlite").toStdString());
        if (st.ok()) {
            store_ = std::move(st).value();
        } else {
            status_->setText(tr("Conversations are not saved: %1").arg(q(st.error().message)));
        }
    }
    refreshConversationList();
}

void ChatPanel::addAdapter(const QString& dir) {
    if (dir.isEmpty() || adapters().contains(dir)) return;
    auto* item = new QListWidgetItem(adapterFolderLabel(dir), adapterList_);
    item->setData(Qt::UserRole, dir);
    item->setToolTip(dir);
    if (userTurns_.isEmpty() && !running_) rebuildColumns();
}

QString ChatPanel::columnTitle(int column) const {
    if (column == 0) return tr("Base model");
    return adapterFolderLabel(columnAdapters_.value(column - 1));
}

QString ChatPanel::statsText(int column) const {
    const auto& s = stats_.value(column);
    if (s.isEmpty() || !s.back().done) return QString();
    const ReplyStats& r = s.back();
    const double tps = r.seconds > 0 ? static_cast<double>(r.tokens) / r.seconds : 0.0;
    QString text = tr("%1 tokens in %2 s · %3 tokens/s · %4")
                       .arg(r.tokens)
                       .arg(localNumber(r.seconds, 'f', 2))
                       .arg(localNumber(tps, 'f', 1))
                       .arg(r.finishReason);
    if (r.dropped > 0)
        text += " · " + tr("%n oldest turn(s) left out to fit the context", "",
                           static_cast<int>(r.dropped));
    return text;
}

void ChatPanel::rebuildColumns() {
    while (auto* item = columnsLayout_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    columnBoxes_.clear();
    columnViews_.clear();
    columnStats_.clear();
    if (userTurns_.isEmpty()) columnAdapters_ = adapters();
    const int n = 1 + static_cast<int>(columnAdapters_.size());
    replies_.resize(n);
    stats_.resize(n);
    for (int c = 0; c < n; ++c) {
        auto* box = new QGroupBox(columnTitle(c), this);
        if (c > 0) box->setToolTip(columnAdapters_.value(c - 1));
        auto* v = new QVBoxLayout(box);
        auto* view = new QTextBrowser(box);
        view->setObjectName(QString("chatColumn%1").arg(c));
        auto* stats = new QLabel(statsText(c), box);
        stats->setWordWrap(true);
        v->addWidget(view, 1);
        v->addWidget(stats);
        columnsLayout_->addWidget(box, 1);
        columnBoxes_ << box;
        columnViews_ << view;
        columnStats_ << stats;
    }
    dirty_ = true;
}

void ChatPanel::refreshViews() {
    dirty_ = false;
    for (int c = 0; c < columnViews_.size(); ++c) {
        QString html;
        for (int t = 0; t < userTurns_.size(); ++t) {
            html += QString("<p style='margin-bottom:2px'><b>%1</b><br>%2</p>")
                        .arg(tr("You"), paragraphs(userTurns_[t]));
            const QString reply = replies_[c].value(t);
            const bool streaming =
                running_ && t == turn_ && !(t < stats_[c].size() && stats_[c][t].done);
            html += QString("<p style='margin-left:12px; color:#1a4d8f'><b>%1</b><br>%2%3</p>")
                        .arg(columnTitle(c), paragraphs(reply), streaming ? "▌" : "");
        }
        QTextBrowser* view = columnViews_[c];
        QScrollBar* bar = view->verticalScrollBar();
        const bool atEnd = bar->value() >= bar->maximum() - 4;
        view->setHtml(html);
        if (atEnd) bar->setValue(bar->maximum());
    }
}

void ChatPanel::syncEnabled() {
    // The models are fixed once the conversation has a turn.
    const bool editable = userTurns_.isEmpty() && !running_;
    adapterList_->setEnabled(editable);
    addButton_->setEnabled(editable);
    removeButton_->setEnabled(editable);
    system_->setReadOnly(!editable);
    const QString fixed = tr("Fixed for this conversation: start a new one to change it");
    modelsBox_->setToolTip(editable ? QString() : fixed);
    system_->setToolTip(editable ? QString() : fixed);
    sendButton_->setEnabled(!running_);
    stopButton_->setEnabled(running_);
    newButton_->setEnabled(!running_);
    deleteButton_->setEnabled(!running_);
    conversationList_->setEnabled(!running_);
}

void ChatPanel::newConversation() {
    if (running_) return;
    conversationId_ = 0;
    userTurns_.clear();
    replies_.clear();
    stats_.clear();
    lastError_.clear();
    rebuildColumns();
    syncEnabled();
    if (conversationList_) conversationList_->clearSelection();
}

void ChatPanel::send(const QString& message) {
    if (running_) return;
    const QString text = (message.isEmpty() ? input_->toPlainText() : message).trimmed();
    if (text.isEmpty()) return;
    if (modelDir_.isEmpty()) {
        status_->setText(tr("Choose a workspace with a model first."));
        return;
    }
    if (userTurns_.isEmpty()) {
        columnAdapters_ = adapters();
        rebuildColumns();
    }
    ChatJob job;
    job.model_dir = modelDir_.toStdString();
    for (const QString& a : columnAdapters_) job.adapter_dirs.push_back(a.toStdString());
    job.system_prompt = system_->toPlainText().toStdString();
    for (const QString& u : userTurns_) job.user_turns.push_back(u.toStdString());
    job.user_turns.push_back(text.toStdString());
    for (const QStringList& col : replies_) {
        std::vector<std::string> r;
        for (const QString& s : col) r.push_back(s.toStdString());
        job.replies.push_back(std::move(r));
    }
    job.max_new_tokens = maxTokens_->value();
    job.sampling.greedy = greedy_->isChecked();
    job.sampling.temperature = temperature_->value();
    job.sampling.top_p = topP_->value();
    job.sampling.top_k = topK_->value();
    job.sampling.seed = static_cast<uint64_t>(seed_->value());
    job.engine = engine().toStdString();
    job.quant = quant_.toStdString();
    // graph runs on CUDA only: let the core pick the device (and its dtype) there.
    if (job.engine == "graph") job.device = job.dtype = "auto";
    turn_ = userTurns_.size();
    job.turn = turn_;
    cancel_ = job.cancel;
    userTurns_ << text;
    for (int c = 0; c < replies_.size(); ++c) {
        replies_[c] << QString();
        stats_[c].push_back(ReplyStats());
        columnStats_[c]->clear();
    }
    input_->clear();
    lastError_.clear();
    status_->setText(tr("Generating…"));
    running_ = true;
    syncEnabled();
    dirty_ = true;
    jobs_->submitChat(job);
}

void ChatPanel::stop() {
    if (cancel_) cancel_->cancel();
}

void ChatPanel::onChunk(const ChatChunk& c) {
    if (!running_ || c.turn != turn_ || c.column < 0 || c.column >= replies_.size()) return;
    QStringList& col = replies_[c.column];
    if (col.size() > turn_) col[turn_] += c.text;
    dirty_ = true;
}

void ChatPanel::onColumnDone(const ChatColumnDone& d) {
    if (!running_ || d.turn != turn_ || d.column < 0 || d.column >= replies_.size()) return;
    replies_[d.column][turn_] = d.text;
    ReplyStats& s = stats_[d.column][turn_];
    s.tokens = d.tokens;
    s.seconds = d.seconds;
    s.finishReason = d.finish_reason;
    s.dropped = d.dropped_turns;
    s.done = true;
    columnStats_[d.column]->setText(statsText(d.column));
    dirty_ = true;
}

void ChatPanel::onFinished(qint64 turn) {
    if (!running_ || turn != turn_) return;
    running_ = false;
    bool answered = true;
    for (const auto& s : stats_)
        if (s.size() <= turn_ || !s[turn_].done) answered = false;
    if (!answered) {
        // Failed (or stopped while loading): the turn is taken back and its message returned
        // to the input, so the columns' histories stay whole.
        input_->setPlainText(userTurns_.takeLast());
        for (int c = 0; c < replies_.size(); ++c) {
            replies_[c].removeLast();
            stats_[c].removeLast();
            columnStats_[c]->setText(statsText(c));
        }
        status_->setText(lastError_.isEmpty() ? tr("Stopped before any answer.")
                                              : tr("Failed: %1").arg(lastError_));
    } else {
        status_->clear();
        save();
    }
    turn_ = -1;
    syncEnabled();
    dirty_ = true;
    Q_EMIT turnFinished(turn);
}

QString ChatPanel::settingsJson() const {
    QJsonObject o;
    o["greedy"] = greedy_->isChecked();
    o["temperature"] = temperature_->value();
    o["top_p"] = topP_->value();
    o["top_k"] = topK_->value();
    o["max_new_tokens"] = maxTokens_->value();
    o["seed"] = seed_->value();
    o["engine"] = engine();
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

void ChatPanel::applySettingsJson(const QString& json) {
    const QJsonObject o = QJsonDocument::fromJson(json.toUtf8()).object();
    if (o.contains("greedy")) greedy_->setChecked(o["greedy"].toBool());
    if (o.contains("temperature")) temperature_->setValue(o["temperature"].toDouble());
    if (o.contains("top_p")) topP_->setValue(o["top_p"].toDouble());
    if (o.contains("top_k")) topK_->setValue(o["top_k"].toInt());
    if (o.contains("max_new_tokens")) maxTokens_->setValue(o["max_new_tokens"].toInt());
    if (o.contains("seed")) seed_->setValue(o["seed"].toInt());
    if (o.contains("engine")) setEngine(o["engine"].toString());
}

void ChatPanel::save() {
    if (!store_) return;
    tb::store::ConversationRecord rec;
    rec.id = conversationId_;
    QString title = userTurns_.value(0).simplified();
    if (title.size() > 60) title = title.left(59) + "…";
    rec.title = title.toStdString();
    rec.system_prompt = system_->toPlainText().toStdString();
    rec.model_dir = modelDir_.toStdString();
    for (const QString& a : columnAdapters_) rec.adapters.push_back(a.toStdString());
    rec.settings_json = settingsJson().toStdString();
    std::vector<tb::store::ConversationMessage> msgs;
    for (int t = 0; t < userTurns_.size(); ++t) {
        msgs.push_back({t, -1, "user", userTurns_[t].toStdString(), 0, 0, ""});
        for (int c = 0; c < replies_.size(); ++c) {
            const ReplyStats s = stats_[c].value(t);
            msgs.push_back({t, c, "assistant", replies_[c].value(t).toStdString(), s.tokens,
                            s.seconds, s.finishReason.toStdString()});
        }
    }
    auto id = store_->save_conversation(rec, msgs);
    if (!id.ok()) {
        status_->setText(tr("The conversation could not be saved: %1").arg(q(id.error().message)));
        return;
    }
    conversationId_ = *id;
    refreshConversationList();
}

QList<qint64> ChatPanel::savedConversations() const {
    QList<qint64> ids;
    for (int i = 0; i < conversationList_->count(); ++i)
        ids << conversationList_->item(i)->data(Qt::UserRole).toLongLong();
    return ids;
}

void ChatPanel::refreshConversationList() {
    const QSignalBlocker block(conversationList_);
    conversationList_->clear();
    if (!store_) return;
    auto list = store_->list_conversations();
    if (!list.ok()) {
        status_->setText(q(list.error().message));
        return;
    }
    for (const auto& r : *list) {
        const QString title = r.title.empty() ? tr("(untitled)") : q(r.title);
        auto* item = new QListWidgetItem(title, conversationList_);
        item->setData(Qt::UserRole, static_cast<qlonglong>(r.id));
        const QDateTime when = QDateTime::fromString(q(r.updated_at), Qt::ISODateWithMs);
        item->setToolTip(
            tr("%1\nLast answered %2\n%n adapter(s)", "", static_cast<int>(r.adapters.size()))
                .arg(title, QLocale().toString(when.toLocalTime(), QLocale::ShortFormat)));
        if (r.id == conversationId_) item->setSelected(true);
    }
}

bool ChatPanel::openConversation(qint64 id) {
    if (running_ || !store_) return false;
    auto c = store_->load_conversation(id);
    if (!c.ok() || !c->has_value()) {
        status_->setText(c.ok() ? tr("No conversation %1 in the store.").arg(id)
                                : q(c.error().message));
        return false;
    }
    const tb::store::Conversation& conv = **c;
    conversationId_ = conv.record.id;
    system_->setPlainText(q(conv.record.system_prompt));
    columnAdapters_.clear();
    adapterList_->clear();
    for (const auto& a : conv.record.adapters) {
        columnAdapters_ << q(a);
        auto* item = new QListWidgetItem(adapterFolderLabel(q(a)), adapterList_);
        item->setData(Qt::UserRole, q(a));
        item->setToolTip(q(a));
    }
    applySettingsJson(q(conv.record.settings_json));
    if (!conv.record.model_dir.empty() && q(conv.record.model_dir) != modelDir_)
        status_->setText(tr("This conversation was held with %1; the workspace's model (%2) "
                            "answers new turns.")
                             .arg(q(conv.record.model_dir), modelDir_));
    else
        status_->clear();
    const int columns = 1 + static_cast<int>(columnAdapters_.size());
    userTurns_.clear();
    replies_ = QVector<QStringList>(columns);
    stats_ = QVector<QVector<ReplyStats>>(columns);
    for (const auto& m : conv.messages) {
        if (m.column == -1) {
            userTurns_ << q(m.content);
            for (int k = 0; k < columns; ++k) {
                replies_[k] << QString();
                stats_[k].push_back(ReplyStats());
            }
        } else if (m.column < columns && !userTurns_.isEmpty()) {
            replies_[m.column].last() = q(m.content);
            ReplyStats& s = stats_[m.column].last();
            s.tokens = m.tokens;
            s.seconds = m.seconds;
            s.finishReason = q(m.finish_reason);
            s.done = true;
        }
    }
    rebuildColumns();
    syncEnabled();
    for (int i = 0; i < conversationList_->count(); ++i)
        if (conversationList_->item(i)->data(Qt::UserRole).toLongLong() == id)
            conversationList_->item(i)->setSelected(true);
    return true;
}

}  // namespace tbui
