// Recent workspaces (order, de-duplication, cap, persistence) and the workspace checks.
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "widgets/worker.h"
#include "widgets/workspace_panel.h"

class TestWorkspace : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("tunebench-test");
        QCoreApplication::setApplicationName("test_gui_workspace");
        QSettings().clear();
    }

    void recentOrderDedupCapPersist() {
        {
            tbui::RecentWorkspacesModel m;
            for (int i = 0; i < 10; ++i)
                m.add({QString("/w%1").arg(i), QString("/m%1").arg(i), QString("/d%1").arg(i)});
            QCOMPARE(m.rowCount(), tbui::RecentWorkspacesModel::kMax);
            QCOMPARE(m.at(0).dir, QString("/w9"));
            m.add({"/w5", "/m5", "/d5"});  // existing entry moves to the front
            QCOMPARE(m.rowCount(), tbui::RecentWorkspacesModel::kMax);
            QCOMPARE(m.at(0).dir, QString("/w5"));
            QCOMPARE(m.at(1).dir, QString("/w9"));
        }
        tbui::RecentWorkspacesModel reloaded;
        reloaded.load();
        QCOMPARE(reloaded.rowCount(), tbui::RecentWorkspacesModel::kMax);
        QCOMPARE(reloaded.at(0).dir, QString("/w5"));
        QCOMPARE(reloaded.at(0).modelDir, QString("/m5"));
    }

    void applyChecksPaths() {
        tbui::JobQueue jobs;
        tbui::WorkspacePanel panel(&jobs);
        QSignalSpy spy(&panel, &tbui::WorkspacePanel::workspaceChanged);
        QTemporaryDir tmp;
        tbui::Workspace ws{tmp.filePath("ws"), tmp.filePath("model"), tmp.filePath("data.jsonl")};
        panel.setWorkspace(ws);
        QCOMPARE(spy.count(), 0);  // no model, no data yet
        QDir().mkpath(ws.modelDir);
        QFile c(ws.modelDir + "/config.json");
        QVERIFY(c.open(QIODevice::WriteOnly));
        c.close();
        QFile d(ws.dataPath);
        QVERIFY(d.open(QIODevice::WriteOnly));
        d.close();
        panel.setWorkspace(ws);
        QCOMPARE(spy.count(), 1);
        QVERIFY(QDir(ws.dir).exists());
        QCOMPARE(panel.recent()->at(0).dir, ws.dir);
        QVERIFY(!panel.current().demo);
    }

    void demoDirIsMarkedDemo() {
        tbui::JobQueue jobs;
        tbui::WorkspacePanel panel(&jobs);
        panel.findChildren<QLineEdit*>()[2]->setText(tbui::WorkspacePanel::demoDir());
        QVERIFY(panel.current().demo);
        QVERIFY(tbui::WorkspacePanel::demoDir().startsWith(
            QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)));
    }
};

QTEST_MAIN(TestWorkspace)
#include "test_workspace_panel.moc"
