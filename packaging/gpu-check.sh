#!/bin/bash
# The GPU machine's checks in as few device runs as possible. Run from the project root on the
# GPU machine after `../shared/tools/device-deps.sh` here (carry .devdeps and .devshared, the
# latter holding copies of ../shared/data/{dolly-sample.jsonl,llama2-tokenizer.model}):
#   bash packaging/gpu-check.sh build test        # build (GUI off) + ctest gpu and cpu labels
#   bash packaging/gpu-check.sh demo train bench  # demo init + train on it, bench train (3 configs)
# Logs go to $OUT (the device tool's output folder) or /tmp/gpu-check.
set -uo pipefail
OUT="${OUT:-/tmp/gpu-check}"
mkdir -p "$OUT"
source .devdeps/env.sh
mkdir -p /tmp/tb-shared/data
cp -f .devshared/* /tmp/tb-shared/data/ 2>/dev/null
export TB_SHARED_DIR=/tmp/tb-shared
B=build-gpu
CLI=$B/app/cli/tunebench-cli
rc=0
for stage in "$@"; do
  case "$stage" in
    build)
      # The CLI and the GPU tests first, so that a compile error elsewhere still leaves them;
      # -k 0 keeps going past failures so one log shows every error.
      SECONDS=0
      { cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DTUNEBENCH_GUI=OFF &&
        cmake --build $B -j"$(nproc)" -- -k 0 tunebench-cli test_train_fused_gpu \
          test_train_gpu test_quant_gpu test_llama_hf_parity_gpu test_engine_graph_gpu \
          test_batcher_gpu test_train_ddp_gpu; } >"$OUT/build.log" 2>&1 || rc=1
      echo "gpu targets built in ${SECONDS}s"
      [ "${GPU_CHECK_FULL_BUILD:-1}" = 1 ] &&
        { cmake --build $B -j"$(nproc)" -- -k 0 >>"$OUT/build.log" 2>&1 || rc=1; }
      echo "build done in ${SECONDS}s"
      grep -E "warning:|error:" "$OUT/build.log" | sort -u | head -40
      tail -3 "$OUT/build.log" ;;
    test)
      # -V: the log keeps every test's printed measurements, passing or not.
      # GPU_CHECK_TEST_REGEX: only the gpu tests whose names match.
      (cd $B && ctest -V -L gpu ${GPU_CHECK_TEST_REGEX:+-R "$GPU_CHECK_TEST_REGEX"} --timeout 500) >"$OUT/ctest-gpu.log" 2>&1 || rc=1
      grep -hE "tests passed|Failed|FAILED|\*\*\*|parity|rel diff|vs reference|step [0-9]:|seeded|micro-batch" \
        "$OUT"/ctest-gpu.log | head -80 ;;
    cputest)
      # 8 tests at a time with 2 intra-op threads each: torch's default (one thread a core in
      # every test process) oversubscribes the 16 cores about 8 times over.
      (cd $B && OMP_NUM_THREADS=2 ctest --output-on-failure -LE 'gpu|gui|slow' -j8 --timeout 300) \
        >"$OUT/ctest-cpu.log" 2>&1 || rc=1
      grep -hE "tests passed|Failed|\*\*\*" "$OUT"/ctest-cpu.log | head -40 ;;
    demo)
      rm -rf /tmp/tb-demo
      TIME=(); [ -x /usr/bin/time ] && TIME=(/usr/bin/time -v)
      SECONDS=0
      "${TIME[@]}" $CLI demo init --dir /tmp/tb-demo >"$OUT/demo.log" 2>&1
      drc=$?; [ $drc = 0 ] || rc=1
      echo "demo init: exit $drc after ${SECONDS}s"
      tail -25 "$OUT/demo.log" ;;
    bench)
      # Timed steps 20 (warm-up 3) per engine; PEFT runs beside the first configuration.
      # GPU_CHECK_BENCH (';'-separated argument lists) replaces the three default configurations.
      IFS=';' read -r -a configs <<<"${GPU_CHECK_BENCH:-}"
      [ ${#configs[@]} = 0 ] && configs=("--backends reference,fused,fused+cuda-graphs"
        "--backends fused,fused+cuda-graphs --checkpointing --peft off"
        "--backends fused --checkpointing --4bit --peft off")
      for args in "${configs[@]}"; do
        echo "== bench train $args --steps 20"
        timeout 110 $CLI bench train $args --steps 20 2>>"$OUT/bench.err" | tee -a "$OUT/bench.log" || rc=1
      done
      tail -5 "$OUT/bench.err" ;;
    profile)
      # Chrome trace of 2 eager fused steps and its summary (host ops vs GPU busy time).
      timeout 90 $CLI bench train --backends fused --peft off --steps 5 --profile "$OUT/prof" \
        >"$OUT/profile.log" 2>&1 || rc=1
      python3 packaging/trace-summary.py "$OUT/prof.fused.json" | tee "$OUT/profile-summary.txt"
      gzip -f "$OUT/prof.fused.json" ;;
    train)
      # The demo's default config on the GPU (needs the demo stage first): checkpoints, store.
      SECONDS=0
      timeout 120 $CLI train --config /tmp/tb-demo/config.yaml --backend fused --device cuda >"$OUT/train.log" 2>&1
      trc=$?; [ $trc = 0 ] || rc=1
      echo "demo train (fused): exit $trc after ${SECONDS}s"
      tail -4 "$OUT/train.log" ;;
    infer)
      # bench infer beside HF (TinyLlama shape, random bf16 weights, 128-token prompts, 256 new
      # tokens). GPU_CHECK_INFER_ENGINES / _BATCH override the engines and batch sizes.
      timeout 300 $CLI bench infer --shape tinyllama --engines "${GPU_CHECK_INFER_ENGINES:-eager}" \
        --batch "${GPU_CHECK_INFER_BATCH:-1,8,64}" --prompt-len 128 --max-new-tokens 256 --hf \
        --out "$OUT/bench-infer.json" >"$OUT/bench-infer.log" 2>&1 || rc=1
      tail -40 "$OUT/bench-infer.log" ;;
    coldstart)
      # A new process per run, as a user runs `generate`: process start to last token, with and
      # without cuDNN attention, and HF's from_pretrained + generate cold beside it.
      python3 - <<'PY' >"$OUT/coldstart.log" 2>&1 || rc=1
import torch, transformers
c = transformers.LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632,
    num_hidden_layers=22, num_attention_heads=32, num_key_value_heads=4,
    max_position_embeddings=2048, rms_norm_eps=1e-5, torch_dtype="bfloat16")
torch.manual_seed(0)
transformers.LlamaForCausalLM(c).to(torch.bfloat16).save_pretrained("/tmp/tb-tl")
PY
      ids=$(python3 -c 'import random;random.seed(1);print(",".join(str(random.randrange(3,32000)) for _ in range(128)))')
      for cud in 0 1; do
        for i in 1 2; do
          SECONDS=0; s=$(date +%s.%N)
          TB_SDPA_CUDNN=$cud $CLI generate --model /tmp/tb-tl --ids "$ids" --max-new-tokens 256 \
            --greedy --json --device cuda --dtype bf16 >"$OUT/cold-$cud-$i.json" 2>>"$OUT/coldstart.log" || rc=1
          e=$(date +%s.%N)
          python3 -c "import json,sys;j=json.load(open('$OUT/cold-$cud-$i.json'));print('tunebench cold (TB_SDPA_CUDNN=$cud) run $i: wall %.2f s,' % ($e-$s), {k: j[k] for k in j if k not in ('ids','text')})"
        done
      done
      python3 - <<PY
import time, torch, transformers
t0 = time.perf_counter()
m = transformers.AutoModelForCausalLM.from_pretrained("/tmp/tb-tl", dtype=torch.bfloat16).cuda()
torch.cuda.synchronize(); t1 = time.perf_counter()
x = torch.tensor([[int(v) for v in "$ids".split(",")]], device="cuda")
out = m.generate(x, max_new_tokens=1, do_sample=False); torch.cuda.synchronize(); t2 = time.perf_counter()
out = m.generate(x, max_new_tokens=256, min_new_tokens=256, do_sample=False); torch.cuda.synchronize(); t3 = time.perf_counter()
print("HF cold: load %.2f s, first token %.3f s, 256 tokens %.2f s (%.1f tok/s)" % (t1-t0, t2-t1, t3-t2, 256/(t3-t2)))
PY
      ;;
    kernels)
      # The decode kernels' benchmark (tests/core/infer/decode_kernels_bench.cu): every GEMV
      # tiling per matrix, attention, NF4 and the whole step, at batches 1 and 4.
      [ -x $B/decode_kernels_bench ] || nvcc -std=c++17 -O3 -arch=sm_90 -I. \
        tests/core/infer/decode_kernels_bench.cu -o $B/decode_kernels_bench >"$OUT/kernels-build.log" 2>&1 || rc=1
      for b in 1 4; do $B/decode_kernels_bench $b "${GPU_CHECK_KERNELS_CONTEXT:-256}"; done 2>&1 |
        tee "$OUT/kernels.log" ;;
    *) echo "unknown stage $stage"; rc=2 ;;
  esac
done
exit $rc
