#!/bin/bash
# The main job on the embedded demo workspace. With a display and the GUI built, opens the
# workbench on it; otherwise runs the headless pipeline: create the workspace, validate and
# split the data, fine-tune (LoRA), compare base and fine-tuned answers, evaluate both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TUNEBENCH_BUILD:-$root/build}"
cli="$build/app/cli/tunebench-cli"
gui="$build/app/gui/tunebench"
ws="${TUNEBENCH_DEMO_DIR:-$root/demo-workspace}"

[ -x "$cli" ] || { echo "run-demo: $cli not built (run packaging/setup.sh)" >&2; exit 2; }
[ -d "$ws/model" ] || "$cli" demo init --dir "$ws"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$gui" ] && [ -z "${TUNEBENCH_HEADLESS:-}" ]; then
  exec "$gui" --workspace "$ws" --model "$ws/model" --data "$ws/data/dolly-demo.jsonl"
fi

echo "== dataset"
"$cli" data --config "$ws/config.yaml"
question="What is the capital of Peru?"
echo "== base model: $question"
"$cli" generate --model "$ws/model" --prompt "$question" --chat --greedy --max-new-tokens 40
if "$cli" train --help >/dev/null 2>&1; then
  echo "== fine-tuning (LoRA)"
  out=$("$cli" train --config "$ws/config.yaml" | tail -n 1)
  echo "== fine-tuned model ($out): $question"
  "$cli" generate --model "$ws/model" --adapter "$out/adapter" --prompt "$question" --chat --greedy --max-new-tokens 40
  echo "== base vs fine-tuned on the test split (95% CIs, paired test)"
  "$cli" evaluate --config "$ws/config.yaml" --models "base,$out/adapter" --metrics bleu,rouge,ppl --limit 17
fi
