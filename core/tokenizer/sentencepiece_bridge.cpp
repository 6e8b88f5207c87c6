#include "core/tokenizer/sentencepiece_bridge.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "core/tokenizer/sentencepiece_bridge_abi.h"

namespace tb {

namespace fs = std::filesystem;

namespace {

std::string exe_dir() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.parent_path().string();
}

// Candidate locations, most specific first.
std::vector<std::string> bridge_candidates() {
    std::vector<std::string> c;
    if (const char* env = std::getenv("TUNEBENCH_SPM_BRIDGE")) c.push_back(env);
    const std::string dir = exe_dir();
    if (!dir.empty()) {
        c.push_back(dir + "/../lib/tunebench/libtunebench_spm.so");  // installed layout
        c.push_back(dir + "/libtunebench_spm.so");
    }
#ifdef TB_SPM_BRIDGE_BUILD_PATH
    c.push_back(TB_SPM_BRIDGE_BUILD_PATH);  // build tree
#endif
#ifdef TB_SPM_BRIDGE_INSTALL_PATH
    c.push_back(TB_SPM_BRIDGE_INSTALL_PATH);
#endif
    return c;
}

struct Bridge {
    const SpmBridgeV1* table = nullptr;
    std::string error;
};

const Bridge& bridge() {
    static Bridge b;
    static std::once_flag once;
    std::call_once(once, [] {
        std::string tried;
        for (const auto& path : bridge_candidates()) {
            std::error_code ec;
            if (!fs::exists(path, ec)) {
                tried += " " + path;
                continue;
            }
            // DEEPBIND only when another protobuf is already in the global scope (Debian's
            // libtorch loads libprotobuf 3.21). Without one (PyTorch's pip libtorch) plain
            // RTLD_LOCAL isolates just as well, and DEEPBIND would do harm: if any object in
            // the executable was built without -fPIC, std::cerr is copy-relocated into it and
            // a DEEPBIND library binds to libstdc++'s never-constructed original, so the
            // trainer's first log line segfaults (seen on the GPU machine in `demo init`).
            const bool other_protobuf =
                ::dlsym(RTLD_DEFAULT, "_ZN6google8protobuf8internal13VerifyVersionEiiPKc");
            void* h = ::dlopen(path.c_str(),
                               RTLD_NOW | RTLD_LOCAL | (other_protobuf ? RTLD_DEEPBIND : 0));
            if (!h) {
                b.error = path + ": dlopen failed: " + ::dlerror();
                return;
            }
            using Entry = const SpmBridgeV1* (*)();
            auto entry = reinterpret_cast<Entry>(::dlsym(h, "tunebench_spm_bridge_v1"));
            if (!entry) {
                b.error = path + ": missing entry point tunebench_spm_bridge_v1";
                return;
            }
            const SpmBridgeV1* t = entry();
            if (!t || t->abi_version != kSpmBridgeAbiVersion) {
                b.error = path + ": ABI version mismatch (rebuild tunebench)";
                return;
            }
            b.table = t;
            return;
        }
        b.error = "libtunebench_spm.so not found (set TUNEBENCH_SPM_BRIDGE); tried:" + tried;
    });
    return b;
}

}  // namespace

Result<SpmVocab> spm_load_vocab(const std::string& model_path) {
    const Bridge& b = bridge();
    if (!b.table) return make_error("sentencepiece", b.error);
    SpmVocabRaw raw;
    std::string err;
    if (!b.table->load_vocab(model_path, &raw, &err))
        return make_error(model_path, "cannot load SentencePiece model: " + err);
    SpmVocab v;
    v.pieces = std::move(raw.pieces);
    v.scores = std::move(raw.scores);
    v.types = std::move(raw.types);
    v.unk_id = raw.unk_id;
    v.bos_id = raw.bos_id;
    v.eos_id = raw.eos_id;
    v.pad_id = raw.pad_id;
    v.add_dummy_prefix = raw.add_dummy_prefix;
    v.byte_fallback = raw.byte_fallback;
    v.model_type = raw.model_type;
    return v;
}

Result<std::vector<int>> spm_encode(const std::string& model_path, const std::string& text) {
    const Bridge& b = bridge();
    if (!b.table) return make_error("sentencepiece", b.error);
    std::vector<int> ids;
    std::string err;
    if (!b.table->encode(model_path, text, &ids, &err)) return make_error(model_path, err);
    return ids;
}

Status spm_train(const std::string& args) {
    const Bridge& b = bridge();
    if (!b.table) return make_error("sentencepiece", b.error);
    std::string err;
    if (!b.table->train(args, &err)) return make_error("sentencepiece trainer", err);
    return Status::Ok();
}

}  // namespace tb
