#include "core/common/process_memory.h"

#include <unistd.h>

#include <fstream>
#include <string>

namespace tb {

int64_t process_rss_bytes() {
    std::ifstream f("/proc/self/statm");
    int64_t size = 0, rss = 0;
    if (!(f >> size >> rss)) return 0;
    return rss * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
}

int64_t process_peak_rss_bytes() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
    return 0;
}

bool reset_process_peak_rss() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
    f.flush();
    return static_cast<bool>(f);
}

}  // namespace tb
