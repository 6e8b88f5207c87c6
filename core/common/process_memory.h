// Memory of this process as the kernel counts it (Linux /proc), for progress records and
// benchmarks on CPU where the CUDA allocator's statistics do not apply.
#pragma once

#include <cstdint>

namespace tb {

// Resident set size now, in bytes (0 when /proc is unreadable).
int64_t process_rss_bytes();

// Peak resident set size (VmHWM) in bytes since start or the last reset_process_peak_rss().
int64_t process_peak_rss_bytes();

// Resets the peak-RSS counter to the current RSS ("5" > /proc/self/clear_refs, Linux >= 4.0),
// so a later process_peak_rss_bytes() covers only what ran in between. Returns false when the
// kernel refused (the peak then still covers the whole process life).
bool reset_process_peak_rss();

}  // namespace tb
