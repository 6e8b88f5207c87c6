// Compare panel: word diff, dataset rows as prompts, and streaming generation through the
// worker on a tiny random model (chunks arrive, tokens/s reported, Stop cancels); the columns
// are the inference core's greedy completions (base and adapter), streamed in throttled
// chunks; the engine combo disables the engines this build or machine lacks.
#include <QComboBox>
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QtTest>

#include "core/infer/engine_choice.h"
#include "core/infer/inference.h"
#include "core/infer/peft_adapter.h"
#include "core/train/lora_injection.h"
#include "signal_wait.h"
#include "tests/widgets/gui_test_util.h"
#include "widgets/compare_panel.h"
#include "widgets/worker.h"

class TestCompare : public QObject {
    Q_OBJECT
  private:
    QString modelDir_;

  private Q_SLOTS:
    void initTestCase() {
        modelDir_ = QString::fromStdString(tbtest::scratch_dir("compare_model"));
        const std::string err = guitest::make_tiny_model_dir(modelDir_.toStdString());
        QVERIFY2(err.empty(), err.c_str());
    }

    void wordDiff() {
        const QStringList a = QString("the cat sat on the mat").split(' ');
        const QStringList b = QString("the dog sat on a mat today").split(' ');
        const QVector<bool> ch = tbui::changedWords(a, b);
        QCOMPARE(ch, (QVector<bool>{false, true, false, false, true, false, true}));
        QCOMPARE(tbui::changedWords(a, a), QVector<bool>(a.size(), false));
        QCOMPARE(tbui::changedWords({}, b), QVector<bool>(b.size(), true));
        const QString html = tbui::diffHtml("a b", "a <c>\nb");
        QVERIFY(html.contains("<span style='background:#b5e3b5'>&lt;c&gt;</span>"));
        QVERIFY(html.contains("<br>b"));
    }

    void datasetRowBecomesPrompt() {
        auto bundle = std::make_shared<tbui::DatasetBundle>();
        tb::Example ex;
        ex.instruction = "Summarise";
        ex.context = "Some text.";
        ex.response = "Short.";
        bundle->dataset.examples = {ex, ex};
        bundle->split.test = {1};
        tbui::JobQueue jobs;
        tbui::ComparePanel panel(&jobs);
        panel.setDataset(bundle);
        panel.useDatasetItem(0);
        QVERIFY(panel.prompt().startsWith("Summarise"));
        QVERIFY(panel.prompt().contains("Some text."));
        QCOMPARE(panel.reference(), QString("Short."));
    }

    void streamsBaseModel() {
        tbui::JobQueue jobs;
        tbui::ComparePanel panel(&jobs);
        panel.setModelDir(modelDir_);
        QSignalSpy chunks(jobs.worker(), &tbui::Worker::genChunk);
        QSignalSpy done(jobs.worker(), &tbui::Worker::genColumnDone);
        QSignalSpy finished(jobs.worker(), &tbui::Worker::compareFinished);
        QSignalSpy failed(jobs.worker(), &tbui::Worker::failed);
        panel.run();
        QVERIFY(panel.running());
        QVERIFY(guitest::waitForSignal(finished, 120000));
        QCOMPARE(failed.count(), 0);
        QVERIFY(chunks.count() >= 1);
        QCOMPARE(done.count(), 1);
        const auto d = done.at(0).at(0).value<tbui::GenColumnDone>();
        QVERIFY(d.tokens > 0 && d.tokens <= 128);
        QVERIFY(d.seconds > 0);
        QVERIFY(!panel.running());
        QVERIFY(!panel.outputs().value(0).isEmpty());
    }

    void engineComboListsEveryEngineAndDisablesUnavailableOnes() {
        tbui::JobQueue jobs;
        tbui::ComparePanel panel(&jobs);
        auto* combo = panel.findChild<QComboBox*>("engine");
        QVERIFY(combo);
        auto* model = qobject_cast<QStandardItemModel*>(combo->model());
        QVERIFY(model);
        const auto& names = tb::infer::engine_names();
        QCOMPARE(combo->count(), static_cast<int>(names.size()));
        const auto avail = tb::infer::available_engines();
        for (int i = 0; i < combo->count(); ++i) {
            const std::string name = combo->itemText(i).toStdString();
            QCOMPARE(name, names[static_cast<size_t>(i)]);
            const bool available = std::find(avail.begin(), avail.end(), name) != avail.end();
            QCOMPARE(model->item(i)->isEnabled(), available);
            const QString tip = model->item(i)->toolTip();
            if (!available) {
                QVERIFY2(tip.contains(
                             QString::fromStdString(tb::infer::engine_unavailable_reason(name))),
                         qPrintable(tip));
                panel.setEngine(combo->itemText(i));  // refused: the choice stays
                QCOMPARE(panel.engine(), QString("eager"));
            }
        }
        QCOMPARE(panel.engine(), QString("eager"));
        if (std::find(avail.begin(), avail.end(), "quant") != avail.end()) {
            panel.setEngine("quant");
            QCOMPARE(panel.engine(), QString("quant"));
        }
    }

    // The worker only fills the core's parameters: each column is what InferenceEngine gives
    // for the same prompt (chat template, the core's EOS rule) with and without the adapter,
    // and the text reaches the GUI in chunks at most every 30 ms, not one per token.
    void columnsAreTheCoresGreedyCompletions() {
        const std::string adapter = tbtest::scratch_dir("compare_adapter");
        {
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
            QVERIFY(tb::save_peft_adapter(*m, ls, adapter).ok());
        }
        const QString prompt = "Name three birds.";
        tbui::JobQueue jobs;
        tbui::ComparePanel panel(&jobs);
        panel.setModelDir(modelDir_);
        panel.addAdapter(QString::fromStdString(adapter));
        panel.findChild<QPlainTextEdit*>()->setPlainText(prompt);
        QSignalSpy chunks(jobs.worker(), &tbui::Worker::genChunk);
        QSignalSpy done(jobs.worker(), &tbui::Worker::genColumnDone);
        QSignalSpy finished(jobs.worker(), &tbui::Worker::compareFinished);
        QSignalSpy failed(jobs.worker(), &tbui::Worker::failed);
        QElapsedTimer clock;
        clock.start();
        panel.run();
        QVERIFY(guitest::waitForSignal(finished, 120000));
        const qint64 elapsed_ms = clock.elapsed();
        QVERIFY2(failed.isEmpty(),
                 failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(done.count(), 2);

        tb::infer::EngineParams ep;
        ep.model_dir = modelDir_.toStdString();
        ep.device = "cpu";
        ep.dtype = "fp32";
        auto engine = tb::infer::InferenceEngine::load(ep);
        QVERIFY2(engine.ok(), engine.ok() ? "" : engine.error().message.c_str());
        QVERIFY((*engine)->load_adapter("a", adapter).ok());
        tb::infer::Request req;
        req.messages = {{"user", prompt.toStdString()}};
        req.max_new_tokens = 128;  // the panel's default, greedy
        auto base = (*engine)->generate({req});
        req.adapter = "a";
        auto adapted = (*engine)->generate({req});
        QVERIFY(base.ok() && adapted.ok());
        const std::string b = base->front().text, a = adapted->front().text;
        QVERIFY2(b != a, "the adapter changed nothing: the test could not tell the columns apart");
        QCOMPARE(panel.outputs().value(0), QString::fromStdString(b));
        QCOMPARE(panel.outputs().value(1), QString::fromStdString(a));
        QCOMPARE(done.at(0).at(0).value<tbui::GenColumnDone>().tokens,
                 static_cast<int64_t>(base->front().ids.size()));
        QCOMPARE(done.at(1).at(0).value<tbui::GenColumnDone>().tokens,
                 static_cast<int64_t>(adapted->front().ids.size()));
        // Throttled: per column at most one chunk per 30 ms of the whole run, plus its last.
        QVERIFY2(chunks.count() <= 2 * (elapsed_ms / 30 + 1),
                 qPrintable(QString("%1 chunks in %2 ms").arg(chunks.count()).arg(elapsed_ms)));
    }

    void stopCancels() {
        tbui::JobQueue jobs;
        tbui::ComparePanel panel(&jobs);
        panel.setModelDir(modelDir_);
        QSignalSpy done(jobs.worker(), &tbui::Worker::genColumnDone);
        QSignalSpy finished(jobs.worker(), &tbui::Worker::compareFinished);
        panel.run();
        panel.stop();  // the token is shared: the worker sees it without a queued call
        QVERIFY(guitest::waitForSignal(finished, 120000));
        QCOMPARE(done.count(), 0);  // cancelled before the base column could finish or start
    }
};

QTEST_MAIN(TestCompare)
#include "test_compare_panel.moc"
