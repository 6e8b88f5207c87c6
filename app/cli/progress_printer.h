// The one progress printer of tunebench-cli: every command that reports progress (demo init,
// train, evaluate, bench infer, bench-bertscore) writes it through here, to stderr.
//
// On a terminal a progress line is redrawn in place ('\r', padded with spaces so a shorter
// line erases the longer one before it) and ended with '\n' once the work is done or a lasting
// line is printed. Written to a pipe or a file (isatty is false) every update is a whole line
// of its own, so logs read line by line instead of one run-on line of '\r'-joined updates
// ("[generate] base: 0/17[generate] base: 8/17..."); identical consecutive updates are
// printed once.
#pragma once

#include <cstdio>
#include <string>

namespace tbcli {

class ProgressPrinter {
  public:
    // `tty`: -1 asks isatty(fileno(out)); 0 / 1 force whole lines / in-place redraws (tests).
    explicit ProgressPrinter(std::FILE* out = stderr, int tty = -1);
    ~ProgressPrinter();
    ProgressPrinter(const ProgressPrinter&) = delete;
    ProgressPrinter& operator=(const ProgressPrinter&) = delete;

    // The current state of the work (replaces the previous one on a terminal).
    void update(const std::string& text);
    // A line that stays (ends an in-place line first).
    void line(const std::string& text);
    // Ends an in-place line, if one is open (also done by the destructor).
    void finish();

    bool tty() const { return tty_; }

  private:
    std::FILE* out_;
    bool tty_;
    bool open_ = false;    // an in-place line without its '\n' yet
    size_t last_len_ = 0;  // length of the line shown in place
    std::string last_;     // last update (pipes: repeated updates are dropped)
};

}  // namespace tbcli
