// The export dialog (issue 13's GUI part) on a tiny Llama model with the real Llama-2
// tokenizer: GGUF F16 and GGUF base + LoRA adapter exported through the worker, the files read
// back with core/gguf's reader, the `ollama create` line shown and copied; Cancel pressed while
// a tensor is being written (or the adapter, or an HF merge) leaves no file of the export; a bad
// model folder shows the core's message; the Training tab's Export model… starts from the run
// chosen for export and the File menu's from the configuration's model; Spanish applies live.
// Screenshots: TB_EXPORT_SCREENSHOTS=DIR writes DIR/h1_export_{en,es}.png.
#include <QAction>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QThread>
#include <QtTest>
#include <atomic>
#include <filesystem>

#include "app/gui/main_window.h"
#include "core/common/file_io.h"
#include "core/gguf/gguf_file.h"
#include "core/infer/llama_io.h"
#include "core/infer/peft_adapter.h"
#include "core/store/store.h"
#include "tests/widgets/gui_test_util.h"
#include "tests/widgets/signal_wait.h"
#include "widgets/export_dialog.h"
#include "widgets/hyperparam_panel.h"
#include "widgets/language.h"
#include "widgets/training_panel.h"
#include "widgets/worker.h"

namespace fs = std::filesystem;
using State = tbui::ExportDialog::State;

namespace {

// Every regular file under `dir` (names relative to it).
QStringList filesUnder(const QString& dir) {
    QStringList out;
    std::error_code ec;
    if (!fs::exists(dir.toStdString(), ec)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir.toStdString()))
        if (e.is_regular_file())
            out << QString::fromStdString(fs::relative(e.path(), dir.toStdString()).string());
    out.sort();
    return out;
}

// Clicks Export and waits for the dialog's end signal.
bool exportAndWait(tbui::ExportDialog& d, int ms = 20000) {
    QSignalSpy ended(&d, &tbui::ExportDialog::exportEnded);
    QTest::mouseClick(d.exportButton(), Qt::LeftButton);
    if (!d.running() && d.state() == State::Failed) return true;  // refused by the form
    return ended.wait(ms) || ended.count() > 0;
}

}  // namespace

class TestExportDialog : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName("tunebench-test-export-dialog");
        tbui::applyLanguage("en");
        root_ = QString::fromStdString(tbtest::scratch_dir("export_dialog"));
        model_ = root_ + "/TinyBase";
        const std::string err = guitest::make_tiny_model_dir(model_.toStdString());
        QVERIFY2(err.empty(), err.c_str());
        // A PEFT adapter on q/v, saved as a finished run would have it.
        auto m = tb::load_llama_model(model_.toStdString());
        QVERIFY(m.ok());
        tb::LoraSettings s;
        s.r = 2;
        s.alpha = 4;
        s.target_modules = {"q_proj", "v_proj"};
        at::manual_seed(3);
        for (auto& l : m.value().layers) {
            for (const auto& name : s.target_modules) {
                auto* p = l.projection(name);
                p->lora.A = at::randn({2, p->in_features()}) * 0.1;
                p->lora.B = at::randn({p->out_features(), 2}) * 0.1;
                p->lora.scale = tb::lora_scale(s, s.r, s.alpha);
            }
        }
        for (const char* run : {"run1", "run2"}) {
            const QString dir = root_ + "/outputs/reference/" + run;
            QVERIFY(tb::save_peft_adapter(m.value(), s, (dir + "/adapter").toStdString()).ok());
            QVERIFY(tb::write_file_atomic((dir + "/training_stats.json").toStdString(),
                                          "{\"model\": \"" + model_.toStdString() + "\"}")
                        .ok());
        }
    }

    // GGUF F16 of the model alone, into the study's outputs/ollama/.
    void exportsGgufF16() {
        tbui::JobQueue jobs;
        tbui::ExportDialog d(&jobs);
        d.setDefaults({model_, QString(), root_ + "/outputs"});
        QCOMPARE(d.outputEdit()->text(), root_ + "/outputs/ollama");
        QCOMPARE(d.format(), QString("gguf"));
        d.setQuant("f16");
        QSignalSpy progress(jobs.worker(), &tbui::Worker::modelExportProgress);
        QVERIFY(exportAndWait(d));
        QCOMPARE(d.state(), State::Done);
        QVERIFY2(d.statusText().contains("Export finished"), qPrintable(d.statusText()));
        const QString gguf = root_ + "/outputs/ollama/tinybase.gguf";
        QCOMPARE(d.filesModel()->paths(), QStringList({gguf, root_ + "/outputs/ollama/Modelfile"}));
        QCOMPARE(filesUnder(root_ + "/outputs/ollama"),
                 QStringList({"Modelfile", "tinybase.gguf"}));
        auto g = tb::gguf::Reader::open(gguf.toStdString());
        QVERIFY2(g.ok(), g.ok() ? "" : g.error().message.c_str());
        QCOMPARE(g.value()->get_uint("general.file_type").value(), uint64_t(1));  // MOSTLY_F16
        QCOMPARE(g.value()->get_string("general.architecture").value(), std::string("llama"));
        // token_embd, 2 x 9 per layer, output_norm, output.
        QCOMPARE(g.value()->tensors().size(), size_t(21));
        // The Ollama line, shown and copied.
        QCOMPARE(d.ollamaCommand(),
                 "ollama create tinybase -f " + root_ + "/outputs/ollama/Modelfile");
        QVERIFY(!d.copyButton()->isHidden());
        QTest::mouseClick(d.copyButton(), Qt::LeftButton);
        QCOMPARE(QGuiApplication::clipboard()->text(), d.ollamaCommand());
        // The bar went through the stages and ended full; the worker coalesced the tensors.
        QCOMPARE(d.progressBar()->value(), d.progressBar()->maximum());
        QStringList stages;
        for (const auto& args : progress)
            stages << QString::fromStdString(
                args.at(0).value<tbui::ModelExportProgress>().progress.stage);
        QVERIFY2(stages.contains("loading") && stages.contains("writing") &&
                     stages.contains("modelfile"),
                 qPrintable(stages.join(",")));
        QVERIFY2(progress.count() <= 21 + 6, qPrintable(QString::number(progress.count())));
        QVERIFY(!d.cancelButton()->isEnabled());
        QVERIFY(d.exportButton()->isEnabled());
    }

    // GGUF base + GGUF LoRA adapter: the adapter file is a llama.cpp LoRA, the Modelfile uses it.
    void exportsGgufLora() {
        tbui::JobQueue jobs;
        tbui::ExportDialog d(&jobs);
        d.setDefaults({model_, root_ + "/outputs/reference/run1/adapter", root_ + "/outputs"});
        d.setFormat("gguf-lora");
        d.setQuant("q8_0");
        d.outputEdit()->setText(root_ + "/lora");
        d.nameEdit()->setText("tiny-ft");
        QVERIFY(exportAndWait(d));
        QCOMPARE(d.state(), State::Done);
        QCOMPARE(filesUnder(root_ + "/lora"),
                 QStringList({"Modelfile", "tiny-ft-lora.gguf", "tiny-ft.gguf"}));
        auto base = tb::gguf::Reader::open((root_ + "/lora/tiny-ft.gguf").toStdString());
        QVERIFY(base.ok());
        QCOMPARE(base.value()->get_uint("general.file_type").value(), uint64_t(7));  // Q8_0
        auto lora = tb::gguf::Reader::open((root_ + "/lora/tiny-ft-lora.gguf").toStdString());
        QVERIFY2(lora.ok(), lora.ok() ? "" : lora.error().message.c_str());
        QCOMPARE(lora.value()->get_string("general.type").value(), std::string("adapter"));
        QCOMPARE(lora.value()->get_string("adapter.type").value(), std::string("lora"));
        QCOMPARE(lora.value()->get_float("adapter.lora.alpha").value(), 4.0);
        // q and v of 2 layers, lora_a and lora_b each.
        QCOMPARE(lora.value()->tensors().size(), size_t(8));
        auto mf = tb::read_file((root_ + "/lora/Modelfile").toStdString());
        QVERIFY(mf.ok());
        QVERIFY2(mf.value().find("ADAPTER ./tiny-ft-lora.gguf") != std::string::npos,
                 mf.value().c_str());
        QVERIFY(d.ollamaCommand().startsWith("ollama create tiny-ft -f "));
    }

    // Cancel pressed while a tensor is being written (gguf), while the adapter is (gguf-lora,
    // after its base file was finished) and while the HF merge loads: no file of the export
    // stays, no .tmp.
    void cancelLeavesNoFiles_data() {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("stage");
        QTest::newRow("gguf, writing") << "gguf"
                                       << "writing";
        QTest::newRow("gguf-lora, adapter") << "gguf-lora"
                                            << "adapter";
        // The merge takes no token: the cancel lands when it returns, and its folder goes.
        QTest::newRow("hf, loading") << "hf"
                                     << "loading";
    }
    void cancelLeavesNoFiles() {
        QFETCH(QString, format);
        QFETCH(QString, stage);
        tbui::JobQueue jobs;
        tbui::ExportDialog d(&jobs);
        const QString out = root_ + "/cancel-" + format;
        d.setDefaults({model_, root_ + "/outputs/reference/run1/adapter", root_ + "/outputs"});
        d.setFormat(format);
        d.outputEdit()->setText(out);
        // Hold the worker inside run_export at the chosen stage (a direct connection runs in
        // the worker thread) until the user has pressed Cancel: the press lands mid-export.
        std::atomic<bool> reached{false}, pressed{false};
        const std::string want = stage.toStdString();
        auto hold = QObject::connect(
            jobs.worker(), &tbui::Worker::modelExportProgress, jobs.worker(),
            [&](const tbui::ModelExportProgress& p) {
                if (reached || p.progress.stage != want) return;
                reached = true;
                QElapsedTimer t;
                t.start();
                while (!pressed && t.elapsed() < 10000) QThread::msleep(1);
            },
            Qt::DirectConnection);
        QSignalSpy ended(&d, &tbui::ExportDialog::exportEnded);
        QTest::mouseClick(d.exportButton(), Qt::LeftButton);
        QVERIFY(d.running());
        QVERIFY(d.cancelButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(reached.load(), 20000);
        if (stage == "writing") QVERIFY(QFile::exists(out + "/tinybase-run1.gguf.tmp"));
        if (stage == "adapter") QVERIFY(QFile::exists(out + "/tinybase-run1.gguf"));
        QTest::mouseClick(d.cancelButton(), Qt::LeftButton);
        QVERIFY(d.cancelToken()->cancelled());
        pressed = true;
        QVERIFY(ended.wait(20000) || ended.count() > 0);
        QObject::disconnect(hold);
        QCOMPARE(d.state(), State::Cancelled);
        QVERIFY2(d.statusText().contains("cancelled"), qPrintable(d.statusText()));
        QCOMPARE(filesUnder(out), QStringList());
        QCOMPARE(d.filesModel()->rowCount(), 0);
        QVERIFY(d.exportButton()->isEnabled());
    }

    // An export queued behind a running job says so; cancelled there, it ends at once and the
    // job, when its turn comes, writes nothing.
    void queuedExportCancelsAtOnce() {
        tbui::JobQueue jobs;
        tbui::ExportDialog first(&jobs), second(&jobs);
        first.setDefaults({model_, QString(), root_ + "/outputs"});
        first.outputEdit()->setText(root_ + "/queued-first");
        second.setDefaults({model_, QString(), root_ + "/outputs"});
        second.outputEdit()->setText(root_ + "/queued-second");
        std::atomic<bool> reached{false}, release{false};
        auto hold = QObject::connect(
            jobs.worker(), &tbui::Worker::modelExportProgress, jobs.worker(),
            [&](const tbui::ModelExportProgress&) {
                if (reached.exchange(true)) return;
                QElapsedTimer t;
                t.start();
                while (!release && t.elapsed() < 10000) QThread::msleep(1);
            },
            Qt::DirectConnection);
        QSignalSpy firstEnded(&first, &tbui::ExportDialog::exportEnded);
        QCOMPARE(first.startExport(), QString());
        QTRY_VERIFY_WITH_TIMEOUT(reached.load(), 20000);
        QCOMPARE(second.startExport(), QString());
        QCOMPARE(second.state(), State::Queued);
        QVERIFY2(second.statusText().contains(jobs.current()), qPrintable(second.statusText()));
        QSignalSpy secondEnded(&second, &tbui::ExportDialog::exportEnded);
        QTest::mouseClick(second.cancelButton(), Qt::LeftButton);
        QCOMPARE(secondEnded.count(), 1);
        QCOMPARE(second.state(), State::Cancelled);
        QVERIFY(second.exportButton()->isEnabled());
        release = true;
        QVERIFY(firstEnded.wait(20000) || firstEnded.count() > 0);
        QObject::disconnect(hold);
        QCOMPARE(first.state(), State::Done);
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.busy(), 20000);
        QCOMPARE(second.state(), State::Cancelled);
        QCOMPARE(filesUnder(root_ + "/queued-second"), QStringList());
    }

    // The core's message (it names the folder) is shown; the form refuses what it can see.
    void errorsShowTheirMessage() {
        tbui::JobQueue jobs;
        tbui::ExportDialog d(&jobs);
        d.setDefaults({root_ + "/nowhere", QString(), root_ + "/outputs"});
        QVERIFY(exportAndWait(d));
        QCOMPARE(d.state(), State::Failed);
        QVERIFY2(d.statusText().contains(root_ + "/nowhere: not a model folder"),
                 qPrintable(d.statusText()));
        QVERIFY(d.findChild<QLabel*>("exportStatus")->styleSheet().contains("color"));
        QVERIFY(!QFile::exists(root_ + "/outputs/ollama/nowhere.gguf"));
        // The worker reports the failure, then ends the job: the queue is idle once the
        // second queued signal arrives (under load it can lag the first).
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.busy(), 5000);

        d.setDefaults({model_, QString(), root_ + "/outputs"});
        d.setFormat("gguf-lora");
        QCOMPARE(d.startExport(),
                 tbui::ExportDialog::tr("The GGUF LoRA adapter format needs an adapter folder."));
        QCOMPARE(d.state(), State::Failed);
        QVERIFY(!jobs.busy());
        d.setFormat("gguf");
        d.outputEdit()->clear();
        QVERIFY(!d.startExport().isEmpty());
        QVERIFY(!jobs.busy());
    }

    // Format and defaults: HF goes to outputs/merged_model, GGUF to outputs/ollama, until the
    // user picks a folder; the GGUF type and name apply to GGUF only.
    void formDefaults() {
        tbui::ExportDialog d(nullptr);
        d.setDefaults({model_, QString(), root_ + "/outputs"});
        d.setFormat("hf");
        QCOMPARE(d.outputEdit()->text(), root_ + "/outputs/merged_model");
        QVERIFY(!d.quantCombo()->isEnabled());
        d.setFormat("gguf-lora");
        QCOMPARE(d.outputEdit()->text(), root_ + "/outputs/ollama");
        QVERIFY(d.quantCombo()->isEnabled());
        QTest::keyClicks(d.outputEdit(), "x");
        d.setFormat("hf");
        QCOMPARE(d.outputEdit()->text(), root_ + "/outputs/ollamax");
        QCOMPARE(d.quantCombo()->count(), 4);
        // The bar's shares: monotone through the stages, full at the Modelfile's end.
        auto at = [](const char* stage, int64_t done, int64_t total) {
            return tbui::ExportDialog::progressFraction("gguf", false, {stage, "", done, total});
        };
        QVERIFY(at("loading", 1, 1) <= at("writing", 0, 21));
        QVERIFY(at("writing", 10, 21) < at("writing", 11, 21));
        QCOMPARE(at("modelfile", 1, 1), 1.0);
        QCOMPARE(tbui::ExportDialog::progressFraction("hf", false, {"merging", "", 0, 0}), -1.0);
    }

    // The Training tab's Export model… starts from the run chosen for export: its adapter and
    // the base model its training_stats.json names; outputs/ollama under the config's outputs.
    void trainingPanelActsOnTheSelectedRun() {
        const QString ws = QString::fromStdString(tbtest::scratch_dir("export_dialog_ws"));
        {
            auto st = tb::store::Store::open((ws + "/tunebench.sqlite").toStdString());
            QVERIFY(st.ok());
            for (const char* run : {"run1", "run2"}) {
                tb::store::RunRecord r;
                r.kind = "train";
                r.name = run;
                r.status = "completed";
                r.output_dir = (root_ + "/outputs/reference/" + run).toStdString();
                QVERIFY(st.value()->add_run(r).ok());
            }
        }
        tb::AppConfig cfg;
        cfg.model.name = (root_ + "/elsewhere").toStdString();  // the run's stats win
        cfg.training.output_dir = (ws + "/outputs").toStdString();
        tbui::JobQueue jobs;
        tbui::TrainingPanel panel(&jobs, [cfg] { return cfg; });
        panel.setWorkspaceDir(ws);
        auto* combo = panel.exportRunCombo();
        QCOMPARE(combo->count(), 2);
        const int k = combo->findText("run1", Qt::MatchEndsWith);
        QVERIFY(k >= 0);
        combo->setCurrentIndex(k);
        auto* button = panel.findChild<QPushButton*>("exportModelButton");
        QVERIFY(button && button->isEnabled());
        QTest::mouseClick(button, Qt::LeftButton);
        auto* d = panel.findChild<tbui::ExportDialog*>();
        QVERIFY(d && d->isVisible());
        QCOMPARE(d->adapterEdit()->text(), root_ + "/outputs/reference/run1/adapter");
        QCOMPARE(d->modelEdit()->text(), model_);
        QCOMPARE(d->outputEdit()->text(), ws + "/outputs/ollama");
        // Another run chosen: the same dialog follows it.
        combo->setCurrentIndex(combo->findText("run2", Qt::MatchEndsWith));
        QTest::mouseClick(button, Qt::LeftButton);
        QCOMPARE(panel.findChildren<tbui::ExportDialog*>().size(), 1);
        QCOMPARE(d->adapterEdit()->text(), root_ + "/outputs/reference/run2/adapter");
        d->close();
    }

    // File > Export model… opens the dialog on the configuration's model, no adapter.
    void fileMenuOpensTheDialog() {
        tbui::MainWindow w;
        QAction* action = nullptr;
        for (QAction* m : w.menuBar()->actions())
            if (m->menu() && m->text() == "&File")
                for (QAction* a : m->menu()->actions())
                    if (a->text() == "Export m&odel…") action = a;
        QVERIFY(action);
        action->trigger();
        auto* d = w.findChild<tbui::ExportDialog*>("fileExportDialog");
        QVERIFY(d && d->isVisible());
        const tb::AppConfig cfg = w.findChild<tbui::HyperparamPanel*>()->config();
        QCOMPARE(d->modelEdit()->text(), QString::fromStdString(tb::resolve_model_path(cfg)));
        QVERIFY(d->adapterEdit()->text().isEmpty());
        QVERIFY(d->outputEdit()->text().endsWith("/ollama"));
        d->close();
    }

    // Spanish applies to an open dialog (LanguageChange), combo items included; screenshots of
    // a finished export in both languages when TB_EXPORT_SCREENSHOTS names a folder.
    void spanishAndScreenshots() {
        tbui::JobQueue jobs;
        tbui::ExportDialog d(&jobs);
        d.setDefaults({model_, root_ + "/outputs/reference/run1/adapter", root_ + "/outputs"});
        d.setFormat("gguf-lora");
        d.outputEdit()->setText(root_ + "/shots");
        d.show();
        QVERIFY(exportAndWait(d));
        QCOMPARE(d.state(), State::Done);
        const QString shots = qEnvironmentVariable("TB_EXPORT_SCREENSHOTS");
        QTest::qWait(50);
        if (!shots.isEmpty()) QVERIFY(d.grab().save(shots + "/h1_export_en.png"));
        tbui::applyLanguage("es");
        QCoreApplication::processEvents();  // LanguageChange is posted
        QCOMPARE(d.exportButton()->text(), QString("&Exportar"));
        QCOMPARE(d.formatCombo()->itemText(2), QString("GGUF base + adaptador LoRA GGUF"));
        QVERIFY2(d.statusText().startsWith("Exportación terminada"), qPrintable(d.statusText()));
        QTest::qWait(50);  // the relayout the longer texts asked for
        if (!shots.isEmpty()) QVERIFY(d.grab().save(shots + "/h1_export_es.png"));
        tbui::applyLanguage("en");
        QCoreApplication::processEvents();
        QCOMPARE(d.exportButton()->text(), QString("&Export"));
    }

  private:
    QString root_;
    QString model_;
};

QTEST_MAIN(TestExportDialog)
#include "test_export_dialog.moc"
