// Serve panel: starts the HTTP server (core/serve/http_server.h) on the HF fixture and its PEFT
// adapter through its worker, shows the URL and the models, counts the requests it serves
// (in flight while clients stream, served afterwards), stops it (nothing listens any more),
// and refuses a bad adapter line and an unreadable model folder with a message.
#include <httplib.h>

#include <QComboBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSpinBox>
#include <QtTest>
#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/test_paths.h"
#include "widgets/serve_panel.h"

using nlohmann::json;

namespace {

int countOf(const QString& text, const QString& what) {
    const QRegularExpression re(what + QStringLiteral(": (\\d+)"));
    const auto m = re.match(text);
    return m.hasMatch() ? m.captured(1).toInt() : -1;
}

}  // namespace

class TestServePanel : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void servesAndCounts() {
        const QString model = QString::fromStdString(tbtest::fixtures_dir()) + "/llama/gqa_untied";
        tbui::ServePanel panel;
        panel.setModelDir(model);
        panel.findChild<QPlainTextEdit*>("serveAdapters")
            ->setPlainText("lora=" + model + "_adapter");
        panel.findChild<QSpinBox*>("servePort")->setValue(0);
        panel.findChild<QComboBox*>("serveDevice")->setCurrentText("cpu");
        panel.findChild<QComboBox*>("serveDtype")->setCurrentText("fp32");
        panel.startServer();
        QTRY_VERIFY_WITH_TIMEOUT(panel.serving(), 60000);
        const QString url = panel.url();
        QVERIFY(url.startsWith("http://127.0.0.1:"));
        QVERIFY(panel.findChild<QLabel*>("serveUrl")->text().contains(url));
        QVERIFY(panel.findChild<QLabel*>("serveUrl")->text().contains("lora"));

        httplib::Client cli(url.toStdString());
        auto models = cli.Get("/v1/models");
        QVERIFY(models);
        QCOMPARE(models->status, 200);
        QCOMPARE(json::parse(models->body)["data"].size(), size_t(2));

        // Clients stream continuously on two threads; the panel shows requests in flight.
        std::atomic<bool> go{true};
        std::atomic<int> done{0};
        std::vector<std::thread> clients;
        for (int t = 0; t < 2; ++t)
            clients.emplace_back([&, t] {
                httplib::Client c(url.toStdString());
                while (go) {
                    const json body = {{"model", t ? "lora" : "gqa_untied"},
                                       {"prompt", {1, 5, 9}},
                                       {"max_tokens", 200},
                                       {"stream", true}};
                    auto r = c.Post("/v1/completions", body.dump(), "application/json");
                    if (r && r->status == 200) ++done;
                }
            });
        auto* counts = panel.findChild<QLabel*>("serveCounts");
        QTRY_VERIFY_WITH_TIMEOUT(countOf(counts->text(), "in flight") > 0, 20000);
        go = false;
        for (auto& c : clients) c.join();
        QVERIFY(done > 0);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(counts->text(), "served"), done.load(), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(counts->text(), "in flight"), 0, 5000);

        panel.stopServer();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.serving() && panel.url().isEmpty(), 30000);
        httplib::Client after(url.toStdString());
        after.set_connection_timeout(1, 0);
        QVERIFY(!after.Get("/v1/models"));
    }

    void refusesBadInput() {
        tbui::ServePanel panel;
        auto* status = panel.findChild<QLabel*>("serveStatus");
        panel.findChild<QPlainTextEdit*>("serveAdapters")->setPlainText("=nothing");
        panel.setModelDir(QString::fromStdString(tbtest::fixtures_dir()) + "/llama/gqa_untied");
        panel.startServer();
        QVERIFY(!panel.serving());
        QVERIFY(status->text().contains("NAME=FOLDER"));
        panel.findChild<QPlainTextEdit*>("serveAdapters")->clear();
        panel.setModelDir("/nonexistent/model");
        panel.findChild<QSpinBox*>("servePort")->setValue(0);
        panel.startServer();
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("Could not start"), 30000);
        QVERIFY(!panel.serving());
    }
};

QTEST_MAIN(TestServePanel)
#include "test_serve_panel.moc"
