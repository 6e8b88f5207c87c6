// "Add adapter" (widgets/adapter_menu.h) in the compare, chat and serve panels: the workspace's
// training runs with an adapter on disk are offered by run name, newest first, whether the GUI
// or tunebench-cli trained them (a run here is only a store row plus its folder, as the CLI
// leaves it); runs without an adapter are not; a missing store is not created; choosing a run
// adds its adapter folder to the compare panel (labelled by the run) and to the serve panel
// under a client-friendly, unique model name.
#include <QAction>
#include <QDir>
#include <QFile>
#include <QMenu>
#include <QPlainTextEdit>
#include <QSettings>
#include <QtTest>

#include "core/store/store.h"
#include "tests/test_paths.h"
#include "widgets/adapter_menu.h"
#include "widgets/chat_panel.h"
#include "widgets/compare_panel.h"
#include "widgets/serve_panel.h"
#include "widgets/worker.h"

namespace {

void writeAdapterConfig(const QString& dir) {
    QDir().mkpath(dir);
    QFile f(dir + "/adapter_config.json");
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 8}\n");
}

int64_t addTrainRun(tb::store::Store& s, const std::string& name, const QString& dir,
                    const std::string& status = "completed") {
    tb::store::RunRecord r;
    r.kind = "train";
    r.name = name;
    r.status = status;
    r.started_at = "2026-12-03T10:15:42.123Z";
    r.output_dir = dir.toStdString();
    auto id = s.add_run(r);
    return id.ok() ? id.value() : -1;
}

QStringList runActions(QMenu* m) {
    QStringList t;
    for (QAction* a : m->actions())
        if (!a->isSeparator() && a->objectName() != "otherAdapterFolder") t << a->text();
    return t;
}

QAction* actionNamed(QMenu* m, const QString& prefix) {
    for (QAction* a : m->actions())
        if (a->text().startsWith(prefix)) return a;
    return nullptr;
}

}  // namespace

class TestAdapterMenu : public QObject {
    Q_OBJECT
    QString ws_;
    QString cliRun_, unnamedRun_;

  private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName("tunebench-test-adapter-menu");
        ws_ = QString::fromStdString(tbtest::scratch_dir("adapter_menu_ws"));
        auto st = tb::store::Store::open((ws_ + "/tunebench.sqlite").toStdString());
        QVERIFY2(st.ok(), st.ok() ? "" : st.error().message.c_str());
        // As `tunebench-cli train` leaves them: <output_dir>/adapter.
        cliRun_ = ws_ + "/outputs/fused/run-a";
        writeAdapterConfig(cliRun_ + "/adapter");
        QVERIFY(addTrainRun(*st.value(), "LR 1e-4 / r16", cliRun_) > 0);
        // Failed before writing an adapter: not offered.
        QVERIFY(addTrainRun(*st.value(), "crashed", ws_ + "/outputs/fused/run-b", "failed") > 0);
        // Unnamed, the adapter in the run folder itself.
        unnamedRun_ = ws_ + "/outputs/fused/run-c";
        writeAdapterConfig(unnamedRun_);
        QVERIFY(addTrainRun(*st.value(), "", unnamedRun_) > 0);
    }

    void listsTrainedAdaptersNewestFirst() {
        const auto runs = tbui::trainedAdapters(ws_);
        QCOMPARE(runs.size(), 2);
        QCOMPARE(runs[0].name, QString("run #3"));
        QCOMPARE(runs[0].dir, unnamedRun_);
        QCOMPARE(runs[1].name, QString("LR 1e-4 / r16"));
        QCOMPARE(runs[1].dir, cliRun_ + "/adapter");
        QCOMPARE(runs[1].started, QString("2026-12-03 10:15"));

        tbui::AdapterMenuButton button;
        button.setWorkspaceDir(ws_);
        QMenu* m = button.refreshedMenu();
        QCOMPARE(runActions(m),
                 QStringList({"run #3  (2026-12-03 10:15)", "LR 1e-4 / r16  (2026-12-03 10:15)"}));
        QCOMPARE(actionNamed(m, "LR 1e-4")->toolTip(), cliRun_ + "/adapter");
        QVERIFY(m->findChild<QAction*>("otherAdapterFolder"));
    }

    void noStoreIsNotCreated() {
        const QString empty = QString::fromStdString(tbtest::scratch_dir("adapter_menu_empty"));
        tbui::AdapterMenuButton button;
        button.setWorkspaceDir(empty);
        QMenu* m = button.refreshedMenu();
        const QStringList t = runActions(m);
        QCOMPARE(t.size(), 1);
        QVERIFY(!m->actions().first()->isEnabled());
        QVERIFY(!QFileInfo::exists(empty + "/tunebench.sqlite"));
    }

    void compareAddsTheRunByName() {
        QSettings().remove(tbui::ComparePanel::settingsKey(ws_));
        tbui::JobQueue jobs;
        tbui::ComparePanel panel(&jobs);
        panel.setWorkspaceDir(ws_);
        auto* button = panel.findChild<tbui::AdapterMenuButton*>("addAdapterButton");
        QVERIFY(button);
        actionNamed(button->refreshedMenu(), "LR 1e-4")->trigger();
        QCOMPARE(panel.adapters(), QStringList({cliRun_ + "/adapter"}));
        QCOMPARE(panel.adapterLabel(cliRun_ + "/adapter"), QString("LR 1e-4 / r16"));
        // TB_SHOT_DIR=<folder>: the panel with its menu open, to look at.
        if (const QString shots = qEnvironmentVariable("TB_SHOT_DIR"); !shots.isEmpty()) {
            panel.resize(1280, 760);
            panel.show();
            QMenu* m = button->refreshedMenu();
            m->popup(button->mapToGlobal(QPoint(0, button->height())));
            QTest::qWait(100);
            panel.grab().save(shots + "/adapter_menu_compare.png");
            m->grab().save(shots + "/adapter_menu_open.png");
            m->hide();
            tbui::ChatPanel chat(&jobs);
            chat.setWorkspaceDir(ws_);
            chat.resize(1280, 760);
            chat.show();
            QTest::qWait(50);
            chat.grab().save(shots + "/adapter_menu_chat.png");
            tbui::ServePanel serve;
            serve.setWorkspaceDir(ws_);
            serve.resize(1280, 760);
            serve.show();
            QTest::qWait(50);
            serve.grab().save(shots + "/adapter_menu_serve.png");
        }
        QSettings().remove(tbui::ComparePanel::settingsKey(ws_));
    }

    void serveNamesTheAdapterForClients() {
        QCOMPARE(tbui::servedModelName("LR 1e-4 / r16"), QString("lr-1e-4-r16"));
        QCOMPARE(tbui::servedModelName("  ¿Qué?  "), QString("qu"));
        QCOMPARE(tbui::servedModelName("***"), QString("adapter"));
        tbui::ServePanel panel;
        panel.setWorkspaceDir(ws_);
        auto* button = panel.findChild<tbui::AdapterMenuButton*>("addAdapterButton");
        QVERIFY(button);
        auto* text = panel.findChild<QPlainTextEdit*>("serveAdapters");
        text->setPlainText("lr-1e-4-r16=/elsewhere/adapter");  // the name is taken
        actionNamed(button->refreshedMenu(), "LR 1e-4")->trigger();
        actionNamed(button->refreshedMenu(), "LR 1e-4")->trigger();  // listed: not again
        actionNamed(button->refreshedMenu(), "run #3")->trigger();
        QCOMPARE(text->toPlainText(), "lr-1e-4-r16=/elsewhere/adapter\nlr-1e-4-r16-2=" + cliRun_ +
                                          "/adapter\nrun-3=" + unnamedRun_);
    }
};

QTEST_MAIN(TestAdapterMenu)
#include "test_adapter_menu.moc"
