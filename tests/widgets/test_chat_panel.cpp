// Chat playground: a two-turn conversation with a system prompt on a tiny random model with an
// adapter; every column equals the inference core's chat_turn() for the same history (each
// column its own replies), text arrives in throttled chunks; the conversation is saved to the
// workspace's store and re-opened by a fresh panel with its system prompt, models, settings
// and replies, then continued; a failed turn is taken back; models are fixed after turn 1.
#include <QElapsedTimer>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTextBrowser>
#include <QtTest>

#include "core/infer/chat.h"
#include "core/infer/peft_adapter.h"
#include "core/train/lora_injection.h"
#include "signal_wait.h"
#include "tests/widgets/gui_test_util.h"
#include "widgets/chat_panel.h"
#include "widgets/worker.h"

class TestChat : public QObject {
    Q_OBJECT
  private:
    QString modelDir_;
    std::string adapter_;

    // The core's answer of every column for `userTurns` with the given earlier replies.
    std::vector<std::string> coreAnswers(const std::string& system,
                                         const std::vector<std::string>& userTurns,
                                         const std::vector<std::vector<std::string>>& replies,
                                         int maxNew) {
        tb::infer::EngineParams ep;
        ep.model_dir = modelDir_.toStdString();
        ep.device = "cpu";
        ep.dtype = "fp32";
        auto engine = tb::infer::InferenceEngine::load(ep);
        if (!engine.ok()) return {};
        if (!(*engine)->load_adapter("a", adapter_).ok()) return {};
        tb::infer::ChatTurnRequest r;
        r.system_prompt = system;
        r.user_turns = userTurns;
        r.columns = {{"", replies[0]}, {"a", replies[1]}};
        r.max_new_tokens = maxNew;
        auto out = tb::infer::chat_turn(**engine, r);
        if (!out.ok()) return {};
        return {out->completions[0].text, out->completions[1].text};
    }

    static bool waitTurn(tbui::ChatPanel& panel) {
        QSignalSpy spy(&panel, &tbui::ChatPanel::turnFinished);
        QElapsedTimer t;
        t.start();
        while (spy.isEmpty() && t.elapsed() < 120000) QTest::qWait(10);
        return !spy.isEmpty();
    }

  private Q_SLOTS:
    void initTestCase() {
        modelDir_ = QString::fromStdString(tbtest::scratch_dir("chat_gui_model"));
        const std::string err = guitest::make_tiny_model_dir(modelDir_.toStdString());
        QVERIFY2(err.empty(), err.c_str());
        adapter_ = tbtest::scratch_dir("chat_gui_adapter");
        auto m = tb::load_llama_model(modelDir_.toStdString());
        QVERIFY(m.ok());
        tb::LoraSettings ls;
        ls.r = 4;
        ls.alpha = 8;
        ls.target_modules = {"q_proj", "v_proj"};
        QVERIFY(tb::inject_lora(*m, ls, 3).ok());
        torch::NoGradGuard ng;
        torch::manual_seed(5);
        for (auto& layer : m->layers)
            for (const char* p : {"q_proj", "v_proj"})
                layer.projection(p)->lora.B.normal_(0.0, 0.3);
        QVERIFY(tb::save_peft_adapter(*m, ls, adapter_).ok());
    }

    void conversationStreamsSavesAndReopens() {
        const QString ws = QString::fromStdString(tbtest::scratch_dir("chat_gui_ws"));
        const std::string system = "You answer in one line.";
        qint64 id = 0;
        std::vector<std::vector<std::string>> replies(2);
        {
            tbui::JobQueue jobs;
            tbui::ChatPanel panel(&jobs);
            panel.setModelDir(modelDir_);
            panel.setWorkspaceDir(ws);
            panel.setSystemPrompt(QString::fromStdString(system));
            panel.addAdapter(QString::fromStdString(adapter_));
            panel.setMaxNewTokens(24);
            QCOMPARE(panel.columnCount(), 2);
            QSignalSpy chunks(jobs.worker(), &tbui::Worker::chatChunk);
            QSignalSpy failed(jobs.worker(), &tbui::Worker::failed);
            QElapsedTimer clock;
            clock.start();
            panel.send("Name a bird.");
            QVERIFY(panel.running());
            // The models are fixed as soon as the conversation has a turn.
            QVERIFY(!panel.findChild<QListWidget*>("conversations")->isEnabled());
            QVERIFY(waitTurn(panel));
            const qint64 elapsed = clock.elapsed();
            QVERIFY2(failed.isEmpty(),
                     failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
            auto want = coreAnswers(system, {"Name a bird."}, {{}, {}}, 24);
            QCOMPARE(want.size(), size_t(2));
            QVERIFY2(want[0] != want[1], "the adapter changed nothing: columns indistinguishable");
            QCOMPARE(panel.replies(0), QStringList{QString::fromStdString(want[0])});
            QCOMPARE(panel.replies(1), QStringList{QString::fromStdString(want[1])});
            // Throttled: per column at most one chunk per 40 ms of the run, plus its last.
            QVERIFY2(chunks.count() <= 2 * (elapsed / 40 + 1),
                     qPrintable(QString("%1 chunks in %2 ms").arg(chunks.count()).arg(elapsed)));
            QVERIFY(chunks.count() >= 1);
            replies = {{want[0]}, {want[1]}};

            // Turn 2: each column continues its own history.
            panel.send("And a fish?");
            QVERIFY(waitTurn(panel));
            want = coreAnswers(system, {"Name a bird.", "And a fish?"}, replies, 24);
            QCOMPARE(panel.replies(0).value(1), QString::fromStdString(want[0]));
            QCOMPARE(panel.replies(1).value(1), QString::fromStdString(want[1]));
            replies[0].push_back(want[0]);
            replies[1].push_back(want[1]);
            // The view shows the exchange.
            QTest::qWait(100);
            const QString shown = panel.findChild<QTextBrowser*>("chatColumn1")->toPlainText();
            QVERIFY(shown.contains("And a fish?"));
            QVERIFY(shown.contains(QString::fromStdString(want[1]).trimmed().left(10)));
            id = panel.conversationId();
            QVERIFY(id > 0);
            QCOMPARE(panel.savedConversations(), QList<qint64>{id});
        }
        // A fresh panel lists and re-opens it, then continues it.
        tbui::JobQueue jobs;
        tbui::ChatPanel panel(&jobs);
        panel.setModelDir(modelDir_);
        panel.setWorkspaceDir(ws);
        QCOMPARE(panel.savedConversations(), QList<qint64>{id});
        QVERIFY(panel.openConversation(id));
        QCOMPARE(panel.systemPrompt(), QString::fromStdString(system));
        QCOMPARE(panel.adapters(), QStringList{QString::fromStdString(adapter_)});
        QCOMPARE(panel.userTurns(), (QStringList{"Name a bird.", "And a fish?"}));
        for (int c = 0; c < 2; ++c)
            QCOMPARE(panel.replies(c), (QStringList{QString::fromStdString(replies[c][0]),
                                                    QString::fromStdString(replies[c][1])}));
        QVERIFY(!panel.findChild<QPushButton*>("newConversation")->isHidden());
        panel.send("And a tree?");
        QVERIFY(waitTurn(panel));
        const auto want = coreAnswers(system, {"Name a bird.", "And a fish?", "And a tree?"},
                                      replies, 24);  // max tokens restored from the settings
        QCOMPARE(panel.replies(1).value(2), QString::fromStdString(want[1]));
        QCOMPARE(panel.conversationId(), id);  // saved under the same id
        panel.newConversation();
        QCOMPARE(panel.userTurns().size(), 0);
        QCOMPARE(panel.savedConversations().size(), 1);
    }

    void failedTurnIsTakenBack() {
        tbui::JobQueue jobs;
        tbui::ChatPanel panel(&jobs);
        panel.setModelDir(QString::fromStdString(tbtest::scratch_dir("chat_no_model")));
        // Typed, then Ctrl+Enter inside the box sends it.
        auto* input = panel.findChild<QPlainTextEdit*>("chatInput");
        input->setPlainText("Hello?");
        QTest::keyClick(input, Qt::Key_Return, Qt::ControlModifier);
        QVERIFY(panel.running());
        QVERIFY(input->toPlainText().isEmpty());
        QVERIFY(waitTurn(panel));
        QCOMPARE(panel.userTurns().size(), 0);
        QCOMPARE(panel.replies(0).size(), 0);
        QCOMPARE(panel.findChild<QPlainTextEdit*>("chatInput")->toPlainText(), QString("Hello?"));
        QVERIFY(panel.findChild<QLabel*>("chatStatus")->text().startsWith("Failed: "));
        QVERIFY(!panel.running());
    }

    void stopKeepsHistoriesWhole() {
        tbui::JobQueue jobs;
        tbui::ChatPanel panel(&jobs);
        panel.setModelDir(modelDir_);
        panel.setMaxNewTokens(400);
        panel.send("Tell me a long story.");
        panel.stop();
        QVERIFY(waitTurn(panel));
        // Either taken back (stopped while loading) or answered as "cancelled": the columns
        // always hold one reply per user turn.
        QCOMPARE(panel.replies(0).size(), panel.userTurns().size());
        if (panel.userTurns().isEmpty())
            QCOMPARE(panel.findChild<QPlainTextEdit*>("chatInput")->toPlainText(),
                     QString("Tell me a long story."));
    }
};

QTEST_MAIN(TestChat)
#include "test_chat_panel.moc"
