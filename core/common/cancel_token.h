// Cancellation shared between a long-running core job and whoever started it (CLI signal
// handler, GUI worker). Owned by core so that no Qt type leaks in; the job polls it
// between steps / tokens, never in the middle of a tensor op.
#pragma once

#include <atomic>

namespace tb {

class CancelToken {
  public:
    void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
    void reset() { cancelled_.store(false, std::memory_order_relaxed); }
    bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  private:
    std::atomic<bool> cancelled_{false};
};

}  // namespace tb
