#include "app/cli/progress_printer.h"

#include <unistd.h>

namespace tbcli {

ProgressPrinter::ProgressPrinter(std::FILE* out, int tty)
    : out_(out), tty_(tty < 0 ? ::isatty(::fileno(out)) == 1 : tty == 1) {}

ProgressPrinter::~ProgressPrinter() { finish(); }

void ProgressPrinter::update(const std::string& text) {
    if (tty_) {
        std::string shown = text;
        if (shown.size() < last_len_) shown.append(last_len_ - shown.size(), ' ');
        std::fprintf(out_, "\r%s", shown.c_str());
        last_len_ = text.size();
        open_ = true;
    } else if (text != last_) {
        std::fprintf(out_, "%s\n", text.c_str());
    }
    last_ = text;
    std::fflush(out_);
}

void ProgressPrinter::line(const std::string& text) {
    finish();
    std::fprintf(out_, "%s\n", text.c_str());
    std::fflush(out_);
}

void ProgressPrinter::finish() {
    if (open_) {
        std::fprintf(out_, "\n");
        std::fflush(out_);
    }
    open_ = false;
    last_len_ = 0;
    last_.clear();
}

}  // namespace tbcli
