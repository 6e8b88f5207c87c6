// The inside of libtunebench_spm.so: the only code that includes sentencepiece headers.
// Exposes one extern "C" entry returning a table of functions (see sentencepiece_bridge.cpp).
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/tokenizer/sentencepiece_bridge_abi.h"

namespace {

// Minimal protobuf wire-format reader for the few ModelProto fields the processor API does
// not expose (Debian ships no sentencepiece_model.pb.h). Schema (sentencepiece_model.proto):
//   ModelProto { repeated SentencePiece pieces = 1; TrainerSpec trainer_spec = 2;
//                NormalizerSpec normalizer_spec = 3; }
//   SentencePiece { string piece = 1; float score = 2; Type type = 3 [default NORMAL]; }
//   TrainerSpec { ModelType model_type = 3 [default UNIGRAM]; bool byte_fallback = 35; }
//   NormalizerSpec { bool add_dummy_prefix = 3 [default true]; }
struct Wire {
    const uint8_t* p;
    const uint8_t* end;
    bool ok = true;
    uint64_t varint() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64 && p < end; shift += 7) {
            uint8_t b = *p++;
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        ok = false;
        return 0;
    }
    // Calls f(field, wire_type, value, sub_begin, sub_end) for each field.
    template <class F>
    void each(F f) {
        while (ok && p < end) {
            uint64_t key = varint();
            uint32_t field = static_cast<uint32_t>(key >> 3), wt = static_cast<uint32_t>(key & 7);
            if (wt == 0) {
                f(field, wt, varint(), nullptr, nullptr);
            } else if (wt == 2) {
                uint64_t len = varint();
                if (len > static_cast<uint64_t>(end - p)) {
                    ok = false;
                    return;
                }
                f(field, wt, 0, p, p + len);
                p += len;
            } else if (wt == 5) {
                if (end - p < 4) {
                    ok = false;
                    return;
                }
                uint32_t v;
                std::memcpy(&v, p, 4);
                p += 4;
                f(field, wt, v, nullptr, nullptr);
            } else if (wt == 1) {
                if (end - p < 8) {
                    ok = false;
                    return;
                }
                p += 8;
            } else {
                ok = false;
            }
        }
    }
};

bool parse_proto(const std::string& bytes, tb::SpmVocabRaw* out) {
    Wire w{reinterpret_cast<const uint8_t*>(bytes.data()),
           reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size()};
    bool ok = true;
    w.each([&](uint32_t field, uint32_t wt, uint64_t, const uint8_t* b, const uint8_t* e) {
        if (wt != 2) return;
        Wire sub{b, e};
        if (field == 1) {
            std::string piece;
            float score = 0;
            int type = 1;
            sub.each([&](uint32_t f, uint32_t t, uint64_t v, const uint8_t* sb, const uint8_t* se) {
                if (f == 1 && t == 2) piece.assign(reinterpret_cast<const char*>(sb), se - sb);
                if (f == 2 && t == 5) {
                    uint32_t u = static_cast<uint32_t>(v);
                    std::memcpy(&score, &u, 4);
                }
                if (f == 3 && t == 0) type = static_cast<int>(v);
            });
            out->pieces.push_back(piece);
            out->scores.push_back(score);
            out->types.push_back(type);
        } else if (field == 2) {
            out->model_type = 1;
            sub.each([&](uint32_t f, uint32_t t, uint64_t v, const uint8_t*, const uint8_t*) {
                if (f == 3 && t == 0) out->model_type = static_cast<int>(v);
                if (f == 35 && t == 0) out->byte_fallback = v != 0;
            });
        } else if (field == 3) {
            sub.each([&](uint32_t f, uint32_t t, uint64_t v, const uint8_t*, const uint8_t*) {
                if (f == 3 && t == 0) out->add_dummy_prefix = v != 0;
            });
        }
        ok = ok && sub.ok;
    });
    return ok && w.ok;
}

bool load_vocab(const std::string& path, tb::SpmVocabRaw* out, std::string* err) {
    sentencepiece::SentencePieceProcessor sp;
    auto st = sp.Load(path);
    if (!st.ok()) {
        *err = st.ToString();
        return false;
    }
    if (!parse_proto(sp.serialized_model_proto(), out) ||
        static_cast<int>(out->pieces.size()) != sp.GetPieceSize()) {
        *err = "model proto could not be read back";
        return false;
    }
    out->unk_id = sp.unk_id();
    out->bos_id = sp.bos_id();
    out->eos_id = sp.eos_id();
    out->pad_id = sp.pad_id();
    return true;
}

bool encode(const std::string& path, const std::string& text, std::vector<int>* ids,
            std::string* err) {
    sentencepiece::SentencePieceProcessor sp;
    auto st = sp.Load(path);
    if (st.ok()) st = sp.Encode(text, ids);
    if (!st.ok()) *err = st.ToString();
    return st.ok();
}

bool train(const std::string& args, std::string* err) {
    auto st = sentencepiece::SentencePieceTrainer::Train(args);
    if (!st.ok()) *err = st.ToString();
    return st.ok();
}

const tb::SpmBridgeV1 kTable = {tb::kSpmBridgeAbiVersion, &load_vocab, &encode, &train};

}  // namespace

extern "C" __attribute__((visibility("default"))) const tb::SpmBridgeV1* tunebench_spm_bridge_v1() {
    return &kTable;
}
