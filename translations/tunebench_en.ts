<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>QObject</name>
    <message>
        <source>No store is open.</source>
        <translation>No store is open.</translation>
    </message>
    <message>
        <source>Enter the rater&apos;s name first.</source>
        <translation>Enter the rater&apos;s name first.</translation>
    </message>
    <message>
        <source>Evaluation %1 has outputs of %2 model(s); rating needs at least two.</source>
        <translation>Evaluation %1 has outputs of %2 model(s); rating needs at least two.</translation>
    </message>
    <message>
        <source>No item of evaluation %1 has outputs of every model.</source>
        <translation>No item of evaluation %1 has outputs of every model.</translation>
    </message>
    <message>
        <source>Scores are 1 to 5.</source>
        <translation>Scores are 1 to 5.</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Open the demo workspace.</source>
        <translation>Open the demo workspace.</translation>
    </message>
    <message>
        <source>Tab to show first.</source>
        <translation>Tab to show first.</translation>
    </message>
    <message>
        <source>Model folder.</source>
        <translation>Model folder.</translation>
    </message>
    <message>
        <source>Dataset file.</source>
        <translation>Dataset file.</translation>
    </message>
    <message>
        <source>Workspace folder.</source>
        <translation>Workspace folder.</translation>
    </message>
    <message>
        <source>tunebench: fine-tune, compare, chat with and evaluate Llama-family models.</source>
        <translation>tunebench: fine-tune, compare, chat with and evaluate Llama-family models.</translation>
    </message>
</context>
<context>
    <name>tbui::AboutPanel</name>
    <message>
        <source>built in</source>
        <translation>built in</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>CPU only</translation>
    </message>
    <message>
        <source>A desktop workbench for fine-tuning, comparing, chatting with and evaluating Llama-family language models.</source>
        <translation>A desktop workbench for fine-tuning, comparing, chatting with and evaluating Llama-family language models.</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>Version</translation>
    </message>
    <message>
        <source>Licence</source>
        <translation>Licence</translation>
    </message>
    <message>
        <source>libtorch</source>
        <translation>libtorch</translation>
    </message>
    <message>
        <source>CUDA kernels</source>
        <translation>CUDA kernels</translation>
    </message>
    <message>
        <source>Qt</source>
        <translation>Qt</translation>
    </message>
    <message>
        <source>Documentation</source>
        <translation>Documentation</translation>
    </message>
    <message>
        <source>No documentation folder was found beside this binary.</source>
        <translation>No documentation folder was found beside this binary.</translation>
    </message>
    <message>
        <source>Documentation folder:</source>
        <translation>Documentation folder:</translation>
    </message>
    <message>
        <source>Read me first:</source>
        <translation>Read me first:</translation>
    </message>
    <message>
        <source>Libraries</source>
        <translation>Libraries</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>Library</translation>
    </message>
    <message>
        <source>Used for</source>
        <translation>Used for</translation>
    </message>
    <message>
        <source>tensors, autograd, CUDA</source>
        <translation>tensors, autograd, CUDA</translation>
    </message>
    <message>
        <source>the window and its widgets</source>
        <translation>the window and its widgets</translation>
    </message>
    <message>
        <source>charts</source>
        <translation>charts</translation>
    </message>
    <message>
        <source>public domain</source>
        <translation>public domain</translation>
    </message>
    <message>
        <source>the experiment store</source>
        <translation>the experiment store</translation>
    </message>
    <message>
        <source>tokenizers</source>
        <translation>tokenizers</translation>
    </message>
    <message>
        <source>configuration files</source>
        <translation>configuration files</translation>
    </message>
    <message>
        <source>JSON files</source>
        <translation>JSON files</translation>
    </message>
    <message>
        <source>benchmarks against inference servers</source>
        <translation>benchmarks against inference servers</translation>
    </message>
    <message>
        <source>the command line (tunebench-cli)</source>
        <translation>the command line (tunebench-cli)</translation>
    </message>
    <message>
        <source>NVIDIA CUDA EULA</source>
        <translation>NVIDIA CUDA EULA</translation>
    </message>
    <message>
        <source>GPU kernels</source>
        <translation>GPU kernels</translation>
    </message>
    <message>
        <source>The versions are those this build was compiled against (SQLite and Qt: loaded at run time). Each library&apos;s licence text is in its Debian package (/usr/share/doc/&lt;package&gt;/copyright).</source>
        <translation>The versions are those this build was compiled against (SQLite and Qt: loaded at run time). Each library&apos;s licence text is in its Debian package (/usr/share/doc/&lt;package&gt;/copyright).</translation>
    </message>
</context>
<context>
    <name>tbui::AdapterMenuButton</name>
    <message>
        <source>No trained adapter in this workspace yet</source>
        <translation>No trained adapter in this workspace yet</translation>
    </message>
    <message>
        <source>%1  (%2)</source>
        <translation>%1  (%2)</translation>
    </message>
    <message>
        <source> — running</source>
        <translation> — running</translation>
    </message>
    <message>
        <source>Other folder…</source>
        <translation>Other folder…</translation>
    </message>
    <message>
        <source>Adapter folder</source>
        <translation>Adapter folder</translation>
    </message>
    <message>
        <source>Add adapter</source>
        <translation>Add adapter</translation>
    </message>
    <message>
        <source>A LoRA adapter trained in this workspace (by run name), or another folder</source>
        <translation>A LoRA adapter trained in this workspace (by run name), or another folder</translation>
    </message>
</context>
<context>
    <name>tbui::BenchmarkPanel</name>
    <message>
        <source>Benchmark</source>
        <translation>Benchmark</translation>
    </message>
    <message>
        <source>tunebench inference engines to measure, one after the other</source>
        <translation>tunebench inference engines to measure, one after the other</translation>
    </message>
    <message>
        <source>Engines:</source>
        <translation>Engines:</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>Model folder</translation>
    </message>
    <message>
        <source>Random weights</source>
        <translation>Random weights</translation>
    </message>
    <message>
        <source>HF model folder (the workspace&apos;s model)</source>
        <translation>HF model folder (the workspace&apos;s model)</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation>Choose a model folder</translation>
    </message>
    <message>
        <source>%1 (%2 layers, hidden %3)</source>
        <translation>%1 (%2 layers, hidden %3)</translation>
    </message>
    <message>
        <source>Random weights of this shape, saved once as a model folder so that every engine (and HF) loads the same weights from disk</source>
        <translation>Random weights of this shape, saved once as a model folder so that every engine (and HF) loads the same weights from disk</translation>
    </message>
    <message>
        <source>Batch sizes, comma-separated; each is measured on every engine</source>
        <translation>Batch sizes, comma-separated; each is measured on every engine</translation>
    </message>
    <message>
        <source>Batch sizes:</source>
        <translation>Batch sizes:</translation>
    </message>
    <message>
        <source>largest batch</source>
        <translation>largest batch</translation>
    </message>
    <message>
        <source>Distinct synthetic prompts; a larger batch cycles through them</source>
        <translation>Distinct synthetic prompts; a larger batch cycles through them</translation>
    </message>
    <message>
        <source>Prompts:</source>
        <translation>Prompts:</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> tokens</translation>
    </message>
    <message>
        <source>Prompt length:</source>
        <translation>Prompt length:</translation>
    </message>
    <message>
        <source>New tokens per request, exactly (greedy; EOS does not stop)</source>
        <translation>New tokens per request, exactly (greedy; EOS does not stop)</translation>
    </message>
    <message>
        <source>Max new tokens:</source>
        <translation>Max new tokens:</translation>
    </message>
    <message>
        <source>Untimed runs per engine and batch size</source>
        <translation>Untimed runs per engine and batch size</translation>
    </message>
    <message>
        <source>Timed runs per engine and batch size: figures are their median, minimum and maximum</source>
        <translation>Timed runs per engine and batch size: figures are their median, minimum and maximum</translation>
    </message>
    <message>
        <source>timed:</source>
        <translation>timed:</translation>
    </message>
    <message>
        <source>Warm-up runs:</source>
        <translation>Warm-up runs:</translation>
    </message>
    <message>
        <source>auto: the first GPU when there is one, else the CPU; cuda:N</source>
        <translation>auto: the first GPU when there is one, else the CPU; cuda:N</translation>
    </message>
    <message>
        <source>auto: bfloat16 on a GPU, float32 on the CPU</source>
        <translation>auto: bfloat16 on a GPU, float32 on the CPU</translation>
    </message>
    <message>
        <source>Device, dtype:</source>
        <translation>Device, dtype:</translation>
    </message>
    <message>
        <source>Compare with HF transformers</source>
        <translation>Compare with HF transformers</translation>
    </message>
    <message>
        <source>The Python that has torch and transformers</source>
        <translation>The Python that has torch and transformers</translation>
    </message>
    <message>
        <source>hf_generate_bench.py was not found beside this program (share/tunebench/bench)</source>
        <translation>hf_generate_bench.py was not found beside this program (share/tunebench/bench)</translation>
    </message>
    <message>
        <source>Runs HF transformers&apos; generate on the same prompts and weights in the same run (%1); every figure is also given as a ratio to it. Needs a Python with torch and transformers.</source>
        <translation>Runs HF transformers&apos; generate on the same prompts and weights in the same run (%1); every figure is also given as a ratio to it. Needs a Python with torch and transformers.</translation>
    </message>
    <message>
        <source>Python:</source>
        <translation>Python:</translation>
    </message>
    <message>
        <source>Ru&amp;n benchmark</source>
        <translation>Ru&amp;n benchmark</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>%v of %m measured</source>
        <translation>%v of %m measured</translation>
    </message>
    <message>
        <source>Earlier benchmarks (workspace store)</source>
        <translation>Earlier benchmarks (workspace store)</translation>
    </message>
    <message>
        <source>No benchmark shown: run one, or pick an earlier one.</source>
        <translation>No benchmark shown: run one, or pick an earlier one.</translation>
    </message>
    <message>
        <source>Export ta&amp;ble…</source>
        <translation>Export ta&amp;ble…</translation>
    </message>
    <message>
        <source>Ex&amp;port chart…</source>
        <translation>Ex&amp;port chart…</translation>
    </message>
    <message>
        <source>Charts appear here: time to first token, end-to-end latency, tokens/s per request and aggregate, peak memory and load time, per engine and batch size.

Choose engines and settings on the left and run a benchmark, or pick an earlier one from the workspace&apos;s store. The same benchmark from the command line:

  tunebench-cli bench infer --model &lt;folder&gt; --engines eager --batch 1,8 --store &lt;workspace&gt;/tunebench.sqlite --out &lt;workspace&gt;/results/benchmarks/run.json</source>
        <translation>Charts appear here: time to first token, end-to-end latency, tokens/s per request and aggregate, peak memory and load time, per engine and batch size.

Choose engines and settings on the left and run a benchmark, or pick an earlier one from the workspace&apos;s store. The same benchmark from the command line:

  tunebench-cli bench infer --model &lt;folder&gt; --engines eager --batch 1,8 --store &lt;workspace&gt;/tunebench.sqlite --out &lt;workspace&gt;/results/benchmarks/run.json</translation>
    </message>
    <message>
        <source>Time to first token</source>
        <translation>Time to first token</translation>
    </message>
    <message>
        <source>End-to-end latency</source>
        <translation>End-to-end latency</translation>
    </message>
    <message>
        <source>Tokens/s per request</source>
        <translation>Tokens/s per request</translation>
    </message>
    <message>
        <source>Tokens/s aggregate</source>
        <translation>Tokens/s aggregate</translation>
    </message>
    <message>
        <source>Peak memory</source>
        <translation>Peak memory</translation>
    </message>
    <message>
        <source>Load time</source>
        <translation>Load time</translation>
    </message>
    <message>
        <source>This window cannot run benchmarks.</source>
        <translation>This window cannot run benchmarks.</translation>
    </message>
    <message>
        <source>A benchmark is already running.</source>
        <translation>A benchmark is already running.</translation>
    </message>
    <message>
        <source>Tick at least one engine.</source>
        <translation>Tick at least one engine.</translation>
    </message>
    <message>
        <source>Batch sizes: &quot;%1&quot; is not a whole number &gt;= 1.</source>
        <translation>Batch sizes: &quot;%1&quot; is not a whole number &gt;= 1.</translation>
    </message>
    <message>
        <source>Enter at least one batch size.</source>
        <translation>Enter at least one batch size.</translation>
    </message>
    <message>
        <source>Choose a model folder, or tick &quot;Random weights&quot;.</source>
        <translation>Choose a model folder, or tick &quot;Random weights&quot;.</translation>
    </message>
    <message>
        <source>%1 is not a model folder (no config.json).</source>
        <translation>%1 is not a model folder (no config.json).</translation>
    </message>
    <message>
        <source>Queued (no workspace: the result will not be saved)</source>
        <translation>Queued (no workspace: the result will not be saved)</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>Queued</translation>
    </message>
    <message>
        <source>Cancelling after the current run…</source>
        <translation>Cancelling after the current run…</translation>
    </message>
    <message>
        <source>Benchmark cancelled: nothing was recorded.</source>
        <translation>Benchmark cancelled: nothing was recorded.</translation>
    </message>
    <message>
        <source>Benchmark finished: run #%1, %2 rows in the store.</source>
        <translation>Benchmark finished: run #%1, %2 rows in the store.</translation>
    </message>
    <message>
        <source>Benchmark finished.</source>
        <translation>Benchmark finished.</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>Saved to %1</translation>
    </message>
    <message>
        <source>Not saved: no workspace is open.</source>
        <translation>Not saved: no workspace is open.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Not saved: %1</translation>
    </message>
    <message>
        <source>Run #%1</source>
        <translation>Run #%1</translation>
    </message>
    <message>
        <source>Latest run</source>
        <translation>Latest run</translation>
    </message>
    <message>
        <source>Benchmark failed: %1</source>
        <translation>Benchmark failed: %1</translation>
    </message>
    <message>
        <source>Run #%1 (%2)</source>
        <translation>Run #%1 (%2)</translation>
    </message>
    <message>
        <source>CLI run of %1</source>
        <translation>CLI run of %1</translation>
    </message>
    <message>
        <source>%1: %2 (%3 layers, hidden %4), %5 %6, prompt %7 tokens, %8 new tokens, greedy; %9 warm-up + %10 timed runs per batch: medians, bars from minimum to maximum.</source>
        <translation>%1: %2 (%3 layers, hidden %4), %5 %6, prompt %7 tokens, %8 new tokens, greedy; %9 warm-up + %10 timed runs per batch: medians, bars from minimum to maximum.</translation>
    </message>
    <message>
        <source>HF transformers was not measured: %1</source>
        <translation>HF transformers was not measured: %1</translation>
    </message>
    <message>
        <source>transformers (HF)</source>
        <translation>transformers (HF)</translation>
    </message>
    <message>
        <source>batch %1</source>
        <translation>batch %1</translation>
    </message>
    <message>
        <source>engine</source>
        <translation>engine</translation>
    </message>
    <message>
        <source>batch size</source>
        <translation>batch size</translation>
    </message>
    <message>
        <source>No benchmark results yet.</source>
        <translation>No benchmark results yet.</translation>
    </message>
    <message>
        <source>TTFT (ms)</source>
        <translation>TTFT (ms)</translation>
    </message>
    <message>
        <source>latency (s)</source>
        <translation>latency (s)</translation>
    </message>
    <message>
        <source>tokens/s per request</source>
        <translation>tokens/s per request</translation>
    </message>
    <message>
        <source>tokens/s, all requests</source>
        <translation>tokens/s, all requests</translation>
    </message>
    <message>
        <source>GPU GB (dark: allocated, light: reserved)</source>
        <translation>GPU GB (dark: allocated, light: reserved)</translation>
    </message>
    <message>
        <source>host GB (process peak RSS)</source>
        <translation>host GB (process peak RSS)</translation>
    </message>
    <message>
        <source>load time (s)</source>
        <translation>load time (s)</translation>
    </message>
</context>
<context>
    <name>tbui::BenchmarkRunsModel</name>
    <message>
        <source>#%1</source>
        <translation>#%1</translation>
    </message>
    <message>
        <source>(CLI)</source>
        <translation>(CLI)</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Run</translation>
    </message>
    <message>
        <source>Date (UTC)</source>
        <translation>Date (UTC)</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Model</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Device</translation>
    </message>
    <message>
        <source>Engines</source>
        <translation>Engines</translation>
    </message>
    <message>
        <source>Batches</source>
        <translation>Batches</translation>
    </message>
</context>
<context>
    <name>tbui::BenchmarkTableModel</name>
    <message>
        <source>Inter-token latency p50 %1 ms, p99 %2 ms (median [minimum–maximum] over the timed runs)</source>
        <translation>Inter-token latency p50 %1 ms, p99 %2 ms (median [minimum–maximum] over the timed runs)</translation>
    </message>
    <message>
        <source>Greedy tokens equal to HF&apos;s before the first difference: %1</source>
        <translation>Greedy tokens equal to HF&apos;s before the first difference: %1</translation>
    </message>
    <message>
        <source>transformers (HF)</source>
        <translation>transformers (HF)</translation>
    </message>
    <message>
        <source>%1 / %2 GB</source>
        <translation>%1 / %2 GB</translation>
    </message>
    <message>
        <source>%1 GB RSS</source>
        <translation>%1 GB RSS</translation>
    </message>
    <message>
        <source>Inter-token latency, p50 / p99 over every gap between two tokens (medians over the timed runs)</source>
        <translation>Inter-token latency, p50 / p99 over every gap between two tokens (medians over the timed runs)</translation>
    </message>
    <message>
        <source>Median over the timed runs [minimum–maximum]</source>
        <translation>Median over the timed runs [minimum–maximum]</translation>
    </message>
    <message>
        <source>Aggregate tokens/s as a ratio to HF transformers in the same run (&gt; 1 is faster)</source>
        <translation>Aggregate tokens/s as a ratio to HF transformers in the same run (&gt; 1 is faster)</translation>
    </message>
    <message>
        <source>CUDA: peak allocated / reserved over the timed runs (weights included); CPU: the process&apos;s peak resident memory</source>
        <translation>CUDA: peak allocated / reserved over the timed runs (weights included); CPU: the process&apos;s peak resident memory</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>Engine</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>Batch</translation>
    </message>
    <message>
        <source>TTFT ms</source>
        <translation>TTFT ms</translation>
    </message>
    <message>
        <source>ITL p50 / p99 ms</source>
        <translation>ITL p50 / p99 ms</translation>
    </message>
    <message>
        <source>End-to-end s</source>
        <translation>End-to-end s</translation>
    </message>
    <message>
        <source>tok/s per request</source>
        <translation>tok/s per request</translation>
    </message>
    <message>
        <source>tok/s aggregate</source>
        <translation>tok/s aggregate</translation>
    </message>
    <message>
        <source>vs HF</source>
        <translation>vs HF</translation>
    </message>
    <message>
        <source>Peak memory</source>
        <translation>Peak memory</translation>
    </message>
    <message>
        <source>Load s</source>
        <translation>Load s</translation>
    </message>
</context>
<context>
    <name>tbui::ChatPanel</name>
    <message>
        <source>Delete conversation</source>
        <translation>Delete conversation</translation>
    </message>
    <message>
        <source>Delete the conversation &quot;%1&quot;?</source>
        <translation>Delete the conversation &quot;%1&quot;?</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Conversations</translation>
    </message>
    <message>
        <source>Saved in the workspace&apos;s store; click one to re-open it</source>
        <translation>Saved in the workspace&apos;s store; click one to re-open it</translation>
    </message>
    <message>
        <source>&amp;New</source>
        <translation>&amp;New</translation>
    </message>
    <message>
        <source>Start a new conversation</source>
        <translation>Start a new conversation</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Delete</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>System prompt</translation>
    </message>
    <message>
        <source>Instructions every model receives before the conversation</source>
        <translation>Instructions every model receives before the conversation</translation>
    </message>
    <message>
        <source>Adapters</source>
        <translation>Adapters</translation>
    </message>
    <message>
        <source>The base model always answers in the first column</source>
        <translation>The base model always answers in the first column</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Remove</translation>
    </message>
    <message>
        <source>Sampling (same for every column)</source>
        <translation>Sampling (same for every column)</translation>
    </message>
    <message>
        <source>Greedy</source>
        <translation>Greedy</translation>
    </message>
    <message>
        <source>Temperature:</source>
        <translation>Temperature:</translation>
    </message>
    <message>
        <source>Top-p:</source>
        <translation>Top-p:</translation>
    </message>
    <message>
        <source>Top-k:</source>
        <translation>Top-k:</translation>
    </message>
    <message>
        <source>Max new tokens:</source>
        <translation>Max new tokens:</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>Seed:</translation>
    </message>
    <message>
        <source>Engine:</source>
        <translation>Engine:</translation>
    </message>
    <message>
        <source>off</source>
        <translation>off</translation>
    </message>
    <message>
        <source>Divides the logits before sampling; lower is more focused</source>
        <translation>Divides the logits before sampling; lower is more focused</translation>
    </message>
    <message>
        <source>Samples from the smallest set of tokens whose probability reaches p</source>
        <translation>Samples from the smallest set of tokens whose probability reaches p</translation>
    </message>
    <message>
        <source>Samples from the k most likely tokens (0: no limit)</source>
        <translation>Samples from the k most likely tokens (0: no limit)</translation>
    </message>
    <message>
        <source>Every column restarts its sampler from this seed</source>
        <translation>Every column restarts its sampler from this seed</translation>
    </message>
    <message>
        <source>Inference engine that answers in every column</source>
        <translation>Inference engine that answers in every column</translation>
    </message>
    <message>
        <source>Available in this build</source>
        <translation>Available in this build</translation>
    </message>
    <message>
        <source>Not available: %1</source>
        <translation>Not available: %1</translation>
    </message>
    <message>
        <source>Type a message (Ctrl+Enter sends)</source>
        <translation>Type a message (Ctrl+Enter sends)</translation>
    </message>
    <message>
        <source>&amp;Send</source>
        <translation>&amp;Send</translation>
    </message>
    <message>
        <source>Send the message to every model (Ctrl+Enter)</source>
        <translation>Send the message to every model (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>S&amp;top</translation>
    </message>
    <message>
        <source>Conversations are not saved: %1</source>
        <translation>Conversations are not saved: %1</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>Base model</translation>
    </message>
    <message>
        <source>%1 tokens in %2 s · %3 tokens/s · %4</source>
        <translation>%1 tokens in %2 s · %3 tokens/s · %4</translation>
    </message>
    <message numerus="yes">
        <source>%n oldest turn(s) left out to fit the context</source>
        <translation>
            <numerusform>%n oldest turn left out to fit the context</numerusform>
            <numerusform>%n oldest turns left out to fit the context</numerusform>
        </translation>
    </message>
    <message>
        <source>You</source>
        <translation>You</translation>
    </message>
    <message>
        <source>Fixed for this conversation: start a new one to change it</source>
        <translation>Fixed for this conversation: start a new one to change it</translation>
    </message>
    <message>
        <source>Choose a workspace with a model first.</source>
        <translation>Choose a workspace with a model first.</translation>
    </message>
    <message>
        <source>Generating…</source>
        <translation>Generating…</translation>
    </message>
    <message>
        <source>Stopped before any answer.</source>
        <translation>Stopped before any answer.</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Failed: %1</translation>
    </message>
    <message>
        <source>The conversation could not be saved: %1</source>
        <translation>The conversation could not be saved: %1</translation>
    </message>
    <message>
        <source>(untitled)</source>
        <translation>(untitled)</translation>
    </message>
    <message numerus="yes">
        <source>%1
Last answered %2
%n adapter(s)</source>
        <translation>
            <numerusform>%1
Last answered %2
%n adapter</numerusform>
            <numerusform>%1
Last answered %2
%n adapters</numerusform>
        </translation>
    </message>
    <message>
        <source>No conversation %1 in the store.</source>
        <translation>No conversation %1 in the store.</translation>
    </message>
    <message>
        <source>This conversation was held with %1; the workspace&apos;s model (%2) answers new turns.</source>
        <translation>This conversation was held with %1; the workspace&apos;s model (%2) answers new turns.</translation>
    </message>
</context>
<context>
    <name>tbui::ComparePanel</name>
    <message>
        <source>Inference engine that generates every column</source>
        <translation>Inference engine that generates every column</translation>
    </message>
    <message>
        <source>Available in this build</source>
        <translation>Available in this build</translation>
    </message>
    <message>
        <source>Not available: %1</source>
        <translation>Not available: %1</translation>
    </message>
    <message>
        <source>Engine:</source>
        <translation>Engine:</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <source>Type a prompt, or pick a test-split row below</source>
        <translation>Type a prompt, or pick a test-split row below</translation>
    </message>
    <message>
        <source>Row of the test split (load a dataset first)</source>
        <translation>Row of the test split (load a dataset first)</translation>
    </message>
    <message>
        <source>Use test row</source>
        <translation>Use test row</translation>
    </message>
    <message>
        <source>Test row:</source>
        <translation>Test row:</translation>
    </message>
    <message>
        <source>Reference answer of the chosen row</source>
        <translation>Reference answer of the chosen row</translation>
    </message>
    <message>
        <source>Adapters</source>
        <translation>Adapters</translation>
    </message>
    <message>
        <source>The base model is always the first column</source>
        <translation>The base model is always the first column</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Remove</translation>
    </message>
    <message>
        <source>Sampling (same for every column)</source>
        <translation>Sampling (same for every column)</translation>
    </message>
    <message>
        <source>Greedy</source>
        <translation>Greedy</translation>
    </message>
    <message>
        <source>off</source>
        <translation>off</translation>
    </message>
    <message>
        <source>Temperature:</source>
        <translation>Temperature:</translation>
    </message>
    <message>
        <source>Top-k:</source>
        <translation>Top-k:</translation>
    </message>
    <message>
        <source>Top-p:</source>
        <translation>Top-p:</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>Seed:</translation>
    </message>
    <message>
        <source>Max new tokens:</source>
        <translation>Max new tokens:</translation>
    </message>
    <message>
        <source>Highlight word differences from the base</source>
        <translation>Highlight word differences from the base</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>&amp;Generate</translation>
    </message>
    <message>
        <source>Generate with every model (Ctrl+Enter)</source>
        <translation>Generate with every model (Ctrl+Enter)</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>S&amp;top</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Failed: %1</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>Base model</translation>
    </message>
    <message>
        <source>Choose a workspace with a model first.</source>
        <translation>Choose a workspace with a model first.</translation>
    </message>
    <message>
        <source>%1 tokens in %2 s · %3 tokens/s · %4</source>
        <translation>%1 tokens in %2 s · %3 tokens/s · %4</translation>
    </message>
</context>
<context>
    <name>tbui::ConfigDiffModel</name>
    <message>
        <source>Field</source>
        <translation>Field</translation>
    </message>
    <message>
        <source>Default</source>
        <translation>Default</translation>
    </message>
    <message>
        <source>Current</source>
        <translation>Current</translation>
    </message>
</context>
<context>
    <name>tbui::ConfigText</name>
    <message>
        <source>Model</source>
        <translation>Model</translation>
    </message>
    <message>
        <source>LoRA</source>
        <translation>LoRA</translation>
    </message>
    <message>
        <source>Quantisation</source>
        <translation>Quantisation</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Training</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>Data</translation>
    </message>
    <message>
        <source>Evaluation</source>
        <translation>Evaluation</translation>
    </message>
    <message>
        <source>Inference</source>
        <translation>Inference</translation>
    </message>
    <message>
        <source>Max length (tokens)</source>
        <translation>Max length (tokens)</translation>
    </message>
    <message>
        <source>Data type</source>
        <translation>Data type</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Device</translation>
    </message>
    <message>
        <source>Rank (r)</source>
        <translation>Rank (r)</translation>
    </message>
    <message>
        <source>Alpha</source>
        <translation>Alpha</translation>
    </message>
    <message>
        <source>Dropout</source>
        <translation>Dropout</translation>
    </message>
    <message>
        <source>Target modules</source>
        <translation>Target modules</translation>
    </message>
    <message>
        <source>Use rsLoRA</source>
        <translation>Use rsLoRA</translation>
    </message>
    <message>
        <source>Use DoRA</source>
        <translation>Use DoRA</translation>
    </message>
    <message>
        <source>Initialisation</source>
        <translation>Initialisation</translation>
    </message>
    <message>
        <source>Load in 4 bits</source>
        <translation>Load in 4 bits</translation>
    </message>
    <message>
        <source>4-bit type</source>
        <translation>4-bit type</translation>
    </message>
    <message>
        <source>Double quantisation</source>
        <translation>Double quantisation</translation>
    </message>
    <message>
        <source>Block size</source>
        <translation>Block size</translation>
    </message>
    <message>
        <source>Compute data type</source>
        <translation>Compute data type</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>Epochs</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Batch size</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Learning rate</translation>
    </message>
    <message>
        <source>Gradient accumulation steps</source>
        <translation>Gradient accumulation steps</translation>
    </message>
    <message>
        <source>Optimizer</source>
        <translation>Optimizer</translation>
    </message>
    <message>
        <source>Weight decay</source>
        <translation>Weight decay</translation>
    </message>
    <message>
        <source>Max gradient norm</source>
        <translation>Max gradient norm</translation>
    </message>
    <message>
        <source>LR scheduler</source>
        <translation>LR scheduler</translation>
    </message>
    <message>
        <source>Warmup steps</source>
        <translation>Warmup steps</translation>
    </message>
    <message>
        <source>Warmup ratio</source>
        <translation>Warmup ratio</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>Backend</translation>
    </message>
    <message>
        <source>Gradient checkpointing</source>
        <translation>Gradient checkpointing</translation>
    </message>
    <message>
        <source>CUDA graphs</source>
        <translation>CUDA graphs</translation>
    </message>
    <message>
        <source>bf16 autocast</source>
        <translation>bf16 autocast</translation>
    </message>
    <message>
        <source>Processes per node</source>
        <translation>Processes per node</translation>
    </message>
    <message>
        <source>Eval every (steps)</source>
        <translation>Eval every (steps)</translation>
    </message>
    <message>
        <source>Save every (steps)</source>
        <translation>Save every (steps)</translation>
    </message>
    <message>
        <source>Log every (steps)</source>
        <translation>Log every (steps)</translation>
    </message>
    <message>
        <source>Max steps</source>
        <translation>Max steps</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>Output folder</translation>
    </message>
    <message>
        <source>Dataset file</source>
        <translation>Dataset file</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <source>Instruction column</source>
        <translation>Instruction column</translation>
    </message>
    <message>
        <source>Context column</source>
        <translation>Context column</translation>
    </message>
    <message>
        <source>Response column</source>
        <translation>Response column</translation>
    </message>
    <message>
        <source>Category column</source>
        <translation>Category column</translation>
    </message>
    <message>
        <source>Train ratio</source>
        <translation>Train ratio</translation>
    </message>
    <message>
        <source>Validation ratio</source>
        <translation>Validation ratio</translation>
    </message>
    <message>
        <source>Test ratio</source>
        <translation>Test ratio</translation>
    </message>
    <message>
        <source>Split seed</source>
        <translation>Split seed</translation>
    </message>
    <message>
        <source>Stratify by category</source>
        <translation>Stratify by category</translation>
    </message>
    <message>
        <source>Prompt template</source>
        <translation>Prompt template</translation>
    </message>
    <message>
        <source>Loss on</source>
        <translation>Loss on</translation>
    </message>
    <message>
        <source>Packing</source>
        <translation>Packing</translation>
    </message>
    <message>
        <source>Skip bad rows</source>
        <translation>Skip bad rows</translation>
    </message>
    <message>
        <source>Metrics</source>
        <translation>Metrics</translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation>Max new tokens</translation>
    </message>
    <message>
        <source>Test rows</source>
        <translation>Test rows</translation>
    </message>
    <message>
        <source>BERTScore model</source>
        <translation>BERTScore model</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>Engine</translation>
    </message>
    <message>
        <source>Quant format</source>
        <translation>Quant format</translation>
    </message>
    <message>
        <source>Hugging Face model id or local model folder (relative to the config)</source>
        <translation>Hugging Face model id or local model folder (relative to the config)</translation>
    </message>
    <message>
        <source>Maximum tokens per training sequence; longer rows are truncated</source>
        <translation>Maximum tokens per training sequence; longer rows are truncated</translation>
    </message>
    <message>
        <source>Weight dtype of the base model (auto: bfloat16 on CUDA, float32 on CPU)</source>
        <translation>Weight dtype of the base model (auto: bfloat16 on CUDA, float32 on CPU)</translation>
    </message>
    <message>
        <source>Device to train and evaluate on</source>
        <translation>Device to train and evaluate on</translation>
    </message>
    <message>
        <source>LoRA rank</source>
        <translation>LoRA rank</translation>
    </message>
    <message>
        <source>LoRA alpha; the update is scaled by alpha / r (alpha / sqrt(r) with rsLoRA)</source>
        <translation>LoRA alpha; the update is scaled by alpha / r (alpha / sqrt(r) with rsLoRA)</translation>
    </message>
    <message>
        <source>Dropout probability on the LoRA branch input</source>
        <translation>Dropout probability on the LoRA branch input</translation>
    </message>
    <message>
        <source>Projections that get LoRA adapters</source>
        <translation>Projections that get LoRA adapters</translation>
    </message>
    <message>
        <source>Rank-stabilised LoRA: scale by alpha / sqrt(r)</source>
        <translation>Rank-stabilised LoRA: scale by alpha / sqrt(r)</translation>
    </message>
    <message>
        <source>DoRA: learn a magnitude vector per output besides the LoRA direction</source>
        <translation>DoRA: learn a magnitude vector per output besides the LoRA direction</translation>
    </message>
    <message>
        <source>LoRA init as in PEFT: default = Kaiming-uniform A, zero B; gaussian = normal A (std 1/r), zero B</source>
        <translation>LoRA init as in PEFT: default = Kaiming-uniform A, zero B; gaussian = normal A (std 1/r), zero B</translation>
    </message>
    <message>
        <source>QLoRA: store the frozen base linears as 4-bit NF4</source>
        <translation>QLoRA: store the frozen base linears as 4-bit NF4</translation>
    </message>
    <message>
        <source>4-bit data type (NF4, the QLoRA paper&apos;s NormalFloat)</source>
        <translation>4-bit data type (NF4, the QLoRA paper&apos;s NormalFloat)</translation>
    </message>
    <message>
        <source>Quantise the per-block absmax values again (8-bit, blocks of 256)</source>
        <translation>Quantise the per-block absmax values again (8-bit, blocks of 256)</translation>
    </message>
    <message>
        <source>Weights per quantisation block</source>
        <translation>Weights per quantisation block</translation>
    </message>
    <message>
        <source>Dtype the 4-bit weights are dequantised to for matmuls (auto: bfloat16 on CUDA, float32 on CPU)</source>
        <translation>Dtype the 4-bit weights are dequantised to for matmuls (auto: bfloat16 on CUDA, float32 on CPU)</translation>
    </message>
    <message>
        <source>Passes over the train split</source>
        <translation>Passes over the train split</translation>
    </message>
    <message>
        <source>Sequences per micro-batch</source>
        <translation>Sequences per micro-batch</translation>
    </message>
    <message>
        <source>Peak learning rate (after warmup)</source>
        <translation>Peak learning rate (after warmup)</translation>
    </message>
    <message>
        <source>Micro-batches per optimizer step (effective batch = batch_size x this)</source>
        <translation>Micro-batches per optimizer step (effective batch = batch_size x this)</translation>
    </message>
    <message>
        <source>AdamW, 8-bit AdamW (blockwise-quantised states) or 8-bit AdamW with states paged to host memory (CUDA)</source>
        <translation>AdamW, 8-bit AdamW (blockwise-quantised states) or 8-bit AdamW with states paged to host memory (CUDA)</translation>
    </message>
    <message>
        <source>Decoupled weight decay of AdamW</source>
        <translation>Decoupled weight decay of AdamW</translation>
    </message>
    <message>
        <source>Clip the total gradient norm to this value (0: no clipping)</source>
        <translation>Clip the total gradient norm to this value (0: no clipping)</translation>
    </message>
    <message>
        <source>Learning-rate schedule after warmup</source>
        <translation>Learning-rate schedule after warmup</translation>
    </message>
    <message>
        <source>Linear warmup steps (takes precedence over warmup_ratio when &gt; 0)</source>
        <translation>Linear warmup steps (takes precedence over warmup_ratio when &gt; 0)</translation>
    </message>
    <message>
        <source>Warmup as a fraction of the total optimizer steps</source>
        <translation>Warmup as a fraction of the total optimizer steps</translation>
    </message>
    <message>
        <source>Seed for LoRA init, dropout and data order</source>
        <translation>Seed for LoRA init, dropout and data order</translation>
    </message>
    <message>
        <source>reference: plain libtorch autograd; fused: hand-written LoRA/RMSNorm/RoPE/SwiGLU kernels and chunked cross-entropy</source>
        <translation>reference: plain libtorch autograd; fused: hand-written LoRA/RMSNorm/RoPE/SwiGLU kernels and chunked cross-entropy</translation>
    </message>
    <message>
        <source>Recompute decoder layers during backward to save memory</source>
        <translation>Recompute decoder layers during backward to save memory</translation>
    </message>
    <message>
        <source>fused backend on CUDA: record forward + backward once as a CUDA graph and replay it (micro-batches padded to batch_size x max_length)</source>
        <translation>fused backend on CUDA: record forward + backward once as a CUDA graph and replay it (micro-batches padded to batch_size x max_length)</translation>
    </message>
    <message>
        <source>bf16 autocast on CUDA (ignored on CPU)</source>
        <translation>bf16 autocast on CUDA (ignored on CPU)</translation>
    </message>
    <message>
        <source>GPUs (data-parallel ranks) on this machine: one process per GPU over NCCL on CUDA, Gloo processes on CPU; the global batch is this x batch_size</source>
        <translation>GPUs (data-parallel ranks) on this machine: one process per GPU over NCCL on CUDA, Gloo processes on CPU; the global batch is this x batch_size</translation>
    </message>
    <message>
        <source>Validation loss every N optimizer steps (0: at the end of each epoch)</source>
        <translation>Validation loss every N optimizer steps (0: at the end of each epoch)</translation>
    </message>
    <message>
        <source>Checkpoint every N optimizer steps (0: at the end of each epoch)</source>
        <translation>Checkpoint every N optimizer steps (0: at the end of each epoch)</translation>
    </message>
    <message>
        <source>Write a log record every N optimizer steps</source>
        <translation>Write a log record every N optimizer steps</translation>
    </message>
    <message>
        <source>Stop after this many optimizer steps</source>
        <translation>Stop after this many optimizer steps</translation>
    </message>
    <message>
        <source>Runs are written to &lt;output_dir&gt;/&lt;backend&gt;/&lt;YYYYMMDD_HHMMSS&gt;/</source>
        <translation>Runs are written to &lt;output_dir&gt;/&lt;backend&gt;/&lt;YYYYMMDD_HHMMSS&gt;/</translation>
    </message>
    <message>
        <source>Dataset file (relative paths resolve against the config&apos;s folder)</source>
        <translation>Dataset file (relative paths resolve against the config&apos;s folder)</translation>
    </message>
    <message>
        <source>Dataset format: Dolly JSONL, Alpaca JSON/JSONL, chat messages JSONL, ShareGPT conversations, CSV</source>
        <translation>Dataset format: Dolly JSONL, Alpaca JSON/JSONL, chat messages JSONL, ShareGPT conversations, CSV</translation>
    </message>
    <message>
        <source>CSV: column with the instruction</source>
        <translation>CSV: column with the instruction</translation>
    </message>
    <message>
        <source>CSV: column with the context (optional; absent column = no context)</source>
        <translation>CSV: column with the context (optional; absent column = no context)</translation>
    </message>
    <message>
        <source>CSV: column with the response</source>
        <translation>CSV: column with the response</translation>
    </message>
    <message>
        <source>CSV: column with the category (optional)</source>
        <translation>CSV: column with the category (optional)</translation>
    </message>
    <message>
        <source>Fraction of rows in the train split</source>
        <translation>Fraction of rows in the train split</translation>
    </message>
    <message>
        <source>Fraction of rows in the validation split</source>
        <translation>Fraction of rows in the validation split</translation>
    </message>
    <message>
        <source>Fraction of rows in the test split</source>
        <translation>Fraction of rows in the test split</translation>
    </message>
    <message>
        <source>Seed of the train/val/test split (same seed, same split everywhere)</source>
        <translation>Seed of the train/val/test split (same seed, same split everywhere)</translation>
    </message>
    <message>
        <source>Keep each category&apos;s share the same in every split</source>
        <translation>Keep each category&apos;s share the same in every split</translation>
    </message>
    <message>
        <source>chat: the model&apos;s chat template; instruction: Alpaca-style ### Instruction / ### Response text (base models)</source>
        <translation>chat: the model&apos;s chat template; instruction: Alpaca-style ### Instruction / ### Response text (base models)</translation>
    </message>
    <message>
        <source>Tokens that contribute to the loss: the response only, or all</source>
        <translation>Tokens that contribute to the loss: the response only, or all</translation>
    </message>
    <message>
        <source>Pack several short rows into one max_length sequence (each attends only to itself; positions restart per row)</source>
        <translation>Pack several short rows into one max_length sequence (each attends only to itself; positions restart per row)</translation>
    </message>
    <message>
        <source>Skip malformed rows and report them instead of stopping</source>
        <translation>Skip malformed rows and report them instead of stopping</translation>
    </message>
    <message>
        <source>Generation metrics computed on the test split</source>
        <translation>Generation metrics computed on the test split</translation>
    </message>
    <message>
        <source>Tokens generated per test prompt</source>
        <translation>Tokens generated per test prompt</translation>
    </message>
    <message>
        <source>Number of test rows to evaluate</source>
        <translation>Number of test rows to evaluate</translation>
    </message>
    <message>
        <source>Prompts generated together</source>
        <translation>Prompts generated together</translation>
    </message>
    <message>
        <source>Model folder or Hugging Face id used by BERTScore</source>
        <translation>Model folder or Hugging Face id used by BERTScore</translation>
    </message>
    <message>
        <source>Inference engine of evaluate and the compare panel: eager (forward per token over a KV cache), graph (CUDA graphs, CUDA only), quant (weight-only quantized), paged (paged KV cache, continuous batching)</source>
        <translation>Inference engine of evaluate and the compare panel: eager (forward per token over a KV cache), graph (CUDA graphs, CUDA only), quant (weight-only quantized), paged (paged KV cache, continuous batching)</translation>
    </message>
    <message>
        <source>Weight format of the quant engine: q8_0 (8.5 bits per weight, llama.cpp&apos;s Q8_0) or nf4 (4.13 bits, QLoRA&apos;s NF4)</source>
        <translation>Weight format of the quant engine: q8_0 (8.5 bits per weight, llama.cpp&apos;s Q8_0) or nf4 (4.13 bits, QLoRA&apos;s NF4)</translation>
    </message>
    <message>
        <source>derived from epochs</source>
        <translation>derived from epochs</translation>
    </message>
    <message>
        <source>the whole test split</source>
        <translation>the whole test split</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true or false</translation>
    </message>
    <message>
        <source>any text</source>
        <translation>any text</translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation>one of %1</translation>
    </message>
    <message>
        <source>list of texts</source>
        <translation>list of texts</translation>
    </message>
    <message>
        <source>list of %1</source>
        <translation>list of %1</translation>
    </message>
    <message>
        <source>%1 (%2) or %3</source>
        <translation>%1 (%2) or %3</translation>
    </message>
</context>
<context>
    <name>tbui::DatasetPanel</name>
    <message>
        <source>All splits</source>
        <translation>All splits</translation>
    </message>
    <message>
        <source>Search instruction, context and response…</source>
        <translation>Search instruction, context and response…</translation>
    </message>
    <message>
        <source>Export table…</source>
        <translation>Export table…</translation>
    </message>
    <message>
        <source>Category:</source>
        <translation>Category:</translation>
    </message>
    <message>
        <source>Split:</source>
        <translation>Split:</translation>
    </message>
    <message>
        <source>No dataset loaded. Choose a workspace first.</source>
        <translation>No dataset loaded. Choose a workspace first.</translation>
    </message>
    <message>
        <source>Row</source>
        <translation>Row</translation>
    </message>
    <message>
        <source>Length histogram</source>
        <translation>Length histogram</translation>
    </message>
    <message>
        <source>Categories</source>
        <translation>Categories</translation>
    </message>
    <message>
        <source>Bad rows</source>
        <translation>Bad rows</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>Loading %1…</translation>
    </message>
    <message>
        <source>All categories</source>
        <translation>All categories</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(none)</translation>
    </message>
    <message>
        <source>%1: %2 rows (train %3, validation %4, test %5), %6 bad rows skipped</source>
        <translation>%1: %2 rows (train %3, validation %4, test %5), %6 bad rows skipped</translation>
    </message>
    <message>
        <source>Warning: %1</source>
        <translation>Warning: %1</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>Instruction</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Context</translation>
    </message>
    <message>
        <source>Response</source>
        <translation>Response</translation>
    </message>
    <message>
        <source>Category: %1 · line %2</source>
        <translation>Category: %1 · line %2</translation>
    </message>
    <message>
        <source>rows</source>
        <translation>rows</translation>
    </message>
    <message>
        <source>Could not load %1: %2</source>
        <translation>Could not load %1: %2</translation>
    </message>
    <message>
        <source>No row matches the filters: change the category, split or search text.</source>
        <translation>No row matches the filters: change the category, split or search text.</translation>
    </message>
    <message>
        <source>Length of the rows shown</source>
        <translation>Length of the rows shown</translation>
    </message>
    <message>
        <source>prompt + response (characters)</source>
        <translation>prompt + response (characters)</translation>
    </message>
    <message>
        <source>No rows to measure.</source>
        <translation>No rows to measure.</translation>
    </message>
    <message>
        <source>Rows per category (whole dataset)</source>
        <translation>Rows per category (whole dataset)</translation>
    </message>
    <message>
        <source>category</source>
        <translation>category</translation>
    </message>
    <message>
        <source>No dataset loaded.</source>
        <translation>No dataset loaded.</translation>
    </message>
    <message>
        <source>None: every row of %1 was read.</source>
        <translation>None: every row of %1 was read.</translation>
    </message>
    <message>
        <source>%1 of %2 rows shown</source>
        <translation>%1 of %2 rows shown</translation>
    </message>
    <message>
        <source>No row matches the filters.</source>
        <translation>No row matches the filters.</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>tokens</translation>
    </message>
    <message>
        <source>characters</source>
        <translation>characters</translation>
    </message>
    <message>
        <source>Tokens: the config&apos;s model tokenizes every row as training does (prompt template, bos and eos). Characters: the instruction template&apos;s text.</source>
        <translation>Tokens: the config&apos;s model tokenizes every row as training does (prompt template, bos and eos). Characters: the instruction template&apos;s text.</translation>
    </message>
    <message>
        <source>&amp;Lengths in:</source>
        <translation>&amp;Lengths in:</translation>
    </message>
    <message>
        <source>%1 tokens</source>
        <translation>%1 tokens</translation>
    </message>
    <message>
        <source>Token lengths need a model: open a workspace (showing characters).</source>
        <translation>Token lengths need a model: open a workspace (showing characters).</translation>
    </message>
    <message>
        <source>Counting tokens with the model&apos;s tokenizer: %1 of %2 rows…</source>
        <translation>Counting tokens with the model&apos;s tokenizer: %1 of %2 rows…</translation>
    </message>
    <message>
        <source>(characters shown until then)</source>
        <translation>(characters shown until then)</translation>
    </message>
    <message>
        <source>No token lengths: %1</source>
        <translation>No token lengths: %1</translation>
    </message>
    <message>
        <source>max_length %1: %2 of %3 rows shown are longer and would be truncated in training.</source>
        <translation>max_length %1: %2 of %3 rows shown are longer and would be truncated in training.</translation>
    </message>
    <message>
        <source>max_length (%1) counts tokens: choose tokens to see which rows are truncated.</source>
        <translation>max_length (%1) counts tokens: choose tokens to see which rows are truncated.</translation>
    </message>
    <message>
        <source>prompt + response (tokens, as training sees them)</source>
        <translation>prompt + response (tokens, as training sees them)</translation>
    </message>
    <message>
        <source>max_length %1
%2 truncated</source>
        <translation>max_length %1
%2 truncated</translation>
    </message>
</context>
<context>
    <name>tbui::DatasetTableModel</name>
    <message>
        <source>train</source>
        <translation>train</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>validation</translation>
    </message>
    <message>
        <source>test</source>
        <translation>test</translation>
    </message>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>Split</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>Category</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>Instruction</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Context</translation>
    </message>
    <message>
        <source>Response</source>
        <translation>Response</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>Line</translation>
    </message>
</context>
<context>
    <name>tbui::Export</name>
    <message>
        <source>no chart</source>
        <translation>no chart</translation>
    </message>
    <message>
        <source>could not write %1</source>
        <translation>could not write %1</translation>
    </message>
    <message>
        <source>unknown chart format &apos;%1&apos; (use .png, .pdf or .svg)</source>
        <translation>unknown chart format &apos;%1&apos; (use .png, .pdf or .svg)</translation>
    </message>
    <message>
        <source>could not open %1</source>
        <translation>could not open %1</translation>
    </message>
    <message>
        <source>unknown table format &apos;%1&apos; (use .csv, .json or .md)</source>
        <translation>unknown table format &apos;%1&apos; (use .csv, .json or .md)</translation>
    </message>
    <message>
        <source>Export chart</source>
        <translation>Export chart</translation>
    </message>
    <message>
        <source>PNG image (*.png);;PDF document (*.pdf);;SVG image (*.svg)</source>
        <translation>PNG image (*.png);;PDF document (*.pdf);;SVG image (*.svg)</translation>
    </message>
    <message>
        <source>Export table</source>
        <translation>Export table</translation>
    </message>
    <message>
        <source>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</source>
        <translation>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</translation>
    </message>
    <message>
        <source>Export chart…</source>
        <translation>Export chart…</translation>
    </message>
</context>
<context>
    <name>tbui::ExportDialog</name>
    <message>
        <source>Model folder</source>
        <translation>Model folder</translation>
    </message>
    <message>
        <source>LoRA adapter folder</source>
        <translation>LoRA adapter folder</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>Output folder</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Copied</translation>
    </message>
    <message>
        <source>Export model</source>
        <translation>Export model</translation>
    </message>
    <message>
        <source>&amp;Model folder:</source>
        <translation>&amp;Model folder:</translation>
    </message>
    <message>
        <source>LoRA &amp;adapter:</source>
        <translation>LoRA &amp;adapter:</translation>
    </message>
    <message>
        <source>&amp;Format:</source>
        <translation>&amp;Format:</translation>
    </message>
    <message>
        <source>GGUF &amp;type:</source>
        <translation>GGUF &amp;type:</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <source>&amp;Output folder:</source>
        <translation>&amp;Output folder:</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <source>Hugging Face Llama folder (config.json, safetensors)</source>
        <translation>Hugging Face Llama folder (config.json, safetensors)</translation>
    </message>
    <message>
        <source>none: the model alone</source>
        <translation>none: the model alone</translation>
    </message>
    <message>
        <source>PEFT LoRA adapter folder: merged into the model (Hugging Face folder, GGUF) or converted on its own (GGUF LoRA adapter)</source>
        <translation>PEFT LoRA adapter folder: merged into the model (Hugging Face folder, GGUF) or converted on its own (GGUF LoRA adapter)</translation>
    </message>
    <message>
        <source>Hugging Face folder (adapter merged)</source>
        <translation>Hugging Face folder (adapter merged)</translation>
    </message>
    <message>
        <source>GGUF, one file (llama.cpp, Ollama)</source>
        <translation>GGUF, one file (llama.cpp, Ollama)</translation>
    </message>
    <message>
        <source>GGUF base + GGUF LoRA adapter</source>
        <translation>GGUF base + GGUF LoRA adapter</translation>
    </message>
    <message>
        <source>GGUF writes an Ollama Modelfile beside the model; the LoRA adapter format keeps the adapter apart (llama.cpp --lora, Ollama ADAPTER)</source>
        <translation>GGUF writes an Ollama Modelfile beside the model; the LoRA adapter format keeps the adapter apart (llama.cpp --lora, Ollama ADAPTER)</translation>
    </message>
    <message>
        <source>F16 (16-bit)</source>
        <translation>F16 (16-bit)</translation>
    </message>
    <message>
        <source>BF16 (16-bit, bfloat)</source>
        <translation>BF16 (16-bit, bfloat)</translation>
    </message>
    <message>
        <source>Q8_0 (8-bit)</source>
        <translation>Q8_0 (8-bit)</translation>
    </message>
    <message>
        <source>Q4_K_M (4-bit, smallest)</source>
        <translation>Q4_K_M (4-bit, smallest)</translation>
    </message>
    <message>
        <source>Weight type of the GGUF model, as llama-quantize names it</source>
        <translation>Weight type of the GGUF model, as llama-quantize names it</translation>
    </message>
    <message>
        <source>from the model and adapter folder names</source>
        <translation>from the model and adapter folder names</translation>
    </message>
    <message>
        <source>File name of the GGUF and the name for `ollama create`</source>
        <translation>File name of the GGUF and the name for `ollama create`</translation>
    </message>
    <message>
        <source>folder for the exported files</source>
        <translation>folder for the exported files</translation>
    </message>
    <message>
        <source>&amp;Written files:</source>
        <translation>&amp;Written files:</translation>
    </message>
    <message>
        <source>Create the Ollama model with:</source>
        <translation>Create the Ollama model with:</translation>
    </message>
    <message>
        <source>Cop&amp;y</source>
        <translation>Cop&amp;y</translation>
    </message>
    <message>
        <source>Copy the command to the clipboard</source>
        <translation>Copy the command to the clipboard</translation>
    </message>
    <message>
        <source>&amp;Export</source>
        <translation>&amp;Export</translation>
    </message>
    <message>
        <source>&amp;Cancel export</source>
        <translation>&amp;Cancel export</translation>
    </message>
    <message>
        <source>Stop the export; none of its files are kept</source>
        <translation>Stop the export; none of its files are kept</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>Loading the model…</translation>
    </message>
    <message>
        <source>Merging the adapter into the model…</source>
        <translation>Merging the adapter into the model…</translation>
    </message>
    <message>
        <source>Wrote %1 of %2 tensors</source>
        <translation>Wrote %1 of %2 tensors</translation>
    </message>
    <message>
        <source>Writing tensor %1 of %2: %3</source>
        <translation>Writing tensor %1 of %2: %3</translation>
    </message>
    <message>
        <source>Writing the GGUF LoRA adapter…</source>
        <translation>Writing the GGUF LoRA adapter…</translation>
    </message>
    <message>
        <source>Writing the Ollama Modelfile…</source>
        <translation>Writing the Ollama Modelfile…</translation>
    </message>
    <message>
        <source>Saving the merged model…</source>
        <translation>Saving the merged model…</translation>
    </message>
    <message>
        <source>not started</source>
        <translation>not started</translation>
    </message>
    <message>
        <source>Waiting for the running job to finish: %1</source>
        <translation>Waiting for the running job to finish: %1</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Starting…</translation>
    </message>
    <message>
        <source>done</source>
        <translation>done</translation>
    </message>
    <message>
        <source>Export finished in %1 s.</source>
        <translation>Export finished in %1 s.</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>Note: %1</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>failed</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>Export failed: %1</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>cancelled</translation>
    </message>
    <message>
        <source>Export cancelled; none of its files were kept.</source>
        <translation>Export cancelled; none of its files were kept.</translation>
    </message>
    <message>
        <source>An export is already running.</source>
        <translation>An export is already running.</translation>
    </message>
    <message>
        <source>No worker to run the export.</source>
        <translation>No worker to run the export.</translation>
    </message>
    <message>
        <source>Choose the model folder.</source>
        <translation>Choose the model folder.</translation>
    </message>
    <message>
        <source>The GGUF LoRA adapter format needs an adapter folder.</source>
        <translation>The GGUF LoRA adapter format needs an adapter folder.</translation>
    </message>
    <message>
        <source>Choose the output folder.</source>
        <translation>Choose the output folder.</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Cancelling…</translation>
    </message>
</context>
<context>
    <name>tbui::ExportedFilesModel</name>
    <message>
        <source>%1 KiB</source>
        <translation>%1 KiB</translation>
    </message>
    <message>
        <source>%1 MiB</source>
        <translation>%1 MiB</translation>
    </message>
    <message>
        <source>%1 GiB</source>
        <translation>%1 GiB</translation>
    </message>
    <message>
        <source>File</source>
        <translation>File</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Size</translation>
    </message>
</context>
<context>
    <name>tbui::HyperparamPanel</name>
    <message>
        <source>Defaults</source>
        <translation>Defaults</translation>
    </message>
    <message>
        <source>Study: TinyLlama QLoRA on Dolly</source>
        <translation>Study: TinyLlama QLoRA on Dolly</translation>
    </message>
    <message>
        <source>Demo workspace</source>
        <translation>Demo workspace</translation>
    </message>
    <message>
        <source>Apply preset</source>
        <translation>Apply preset</translation>
    </message>
    <message>
        <source>&amp;Load YAML…</source>
        <translation>&amp;Load YAML…</translation>
    </message>
    <message>
        <source>Preset:</source>
        <translation>Preset:</translation>
    </message>
    <message>
        <source>Export diff…</source>
        <translation>Export diff…</translation>
    </message>
    <message>
        <source>&lt;b&gt;Validation&lt;/b&gt;</source>
        <translation>&lt;b&gt;Validation&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;Estimate before launching&lt;/b&gt;</source>
        <translation>&lt;b&gt;Estimate before launching&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;Changed from the defaults&lt;/b&gt;</source>
        <translation>&lt;b&gt;Changed from the defaults&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Allowed: %1</source>
        <translation>Allowed: %1</translation>
    </message>
    <message>
        <source>Default: %1</source>
        <translation>Default: %1</translation>
    </message>
    <message>
        <source>The configuration is valid.</source>
        <translation>The configuration is valid.</translation>
    </message>
    <message>
        <source>No estimate: the model folder&apos;s config.json is not readable (%1).</source>
        <translation>No estimate: the model folder&apos;s config.json is not readable (%1).</translation>
    </message>
    <message>
        <source>Base parameters: %1 M; LoRA parameters: %2 M&lt;br&gt;Memory (rough): %3 GiB = weights %4 + LoRA training state %5 + activations %6</source>
        <translation>Base parameters: %1 M; LoRA parameters: %2 M&lt;br&gt;Memory (rough): %3 GiB = weights %4 + LoRA training state %5 + activations %6</translation>
    </message>
    <message>
        <source>Time (rough, %1 optimizer steps at an assumed %2 GFLOP/s): %3 h</source>
        <translation>Time (rough, %1 optimizer steps at an assumed %2 GFLOP/s): %3 h</translation>
    </message>
    <message>
        <source>Time: load the dataset to estimate the number of steps.</source>
        <translation>Time: load the dataset to estimate the number of steps.</translation>
    </message>
    <message>
        <source>Load configuration</source>
        <translation>Load configuration</translation>
    </message>
    <message>
        <source>YAML (*.yaml *.yml)</source>
        <translation>YAML (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>Save configuration</source>
        <translation>Save configuration</translation>
    </message>
    <message>
        <source>Could not write %1</source>
        <translation>Could not write %1</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Save</translation>
    </message>
    <message>
        <source>Save &amp;as…</source>
        <translation>Save &amp;as…</translation>
    </message>
    <message>
        <source>%1 could not be loaded (the form shows defaults; fix the file and load it, or save the form over it): %2</source>
        <translation>%1 could not be loaded (the form shows defaults; fix the file and load it, or save the form over it): %2</translation>
    </message>
    <message>
        <source>No configuration file (Save as… writes one)</source>
        <translation>No configuration file (Save as… writes one)</translation>
    </message>
    <message>
        <source>%1 — could not be loaded</source>
        <translation>%1 — could not be loaded</translation>
    </message>
    <message>
        <source>%1 — not saved yet</source>
        <translation>%1 — not saved yet</translation>
    </message>
    <message>
        <source>%1 — modified (%2)</source>
        <translation>%1 — modified (%2)</translation>
    </message>
    <message>
        <source>%1 — modified</source>
        <translation>%1 — modified</translation>
    </message>
    <message>
        <source>Training and evaluation are blocked until these are fixed:</source>
        <translation>Training and evaluation are blocked until these are fixed:</translation>
    </message>
    <message>
        <source>The form is not tied to a file</source>
        <translation>The form is not tied to a file</translation>
    </message>
    <message>
        <source>Active configuration file: %1</source>
        <translation>Active configuration file: %1</translation>
    </message>
    <message>
        <source>%1 from the workspace</source>
        <translation>%1 from the workspace</translation>
    </message>
    <message>
        <source>Not saved: fix these first: %1</source>
        <translation>Not saved: fix these first: %1</translation>
    </message>
    <message>
        <source>%1 could not be loaded. Replace it with the settings shown?</source>
        <translation>%1 could not be loaded. Replace it with the settings shown?</translation>
    </message>
    <message>
        <source>No preset applied</source>
        <translation>No preset applied</translation>
    </message>
    <message>
        <source>Applied: </source>
        <translation>Applied: </translation>
    </message>
    <message>
        <source>Preset edited</source>
        <translation>Preset edited</translation>
    </message>
    <message>
        <source>YAML key: %1</source>
        <translation>YAML key: %1</translation>
    </message>
    <message>
        <source>Applied: %1</source>
        <translation>Applied: %1</translation>
    </message>
    <message>
        <source>Per rank, for %1 data-parallel ranks (gradient all-reduce buckets %2 GiB included)</source>
        <translation>Per rank, for %1 data-parallel ranks (gradient all-reduce buckets %2 GiB included)</translation>
    </message>
</context>
<context>
    <name>tbui::JobQueue</name>
    <message>
        <source>Create demo workspace</source>
        <translation>Create demo workspace</translation>
    </message>
    <message>
        <source>Load dataset</source>
        <translation>Load dataset</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Training</translation>
    </message>
    <message>
        <source>Compare generations</source>
        <translation>Compare generations</translation>
    </message>
    <message>
        <source>Export merged model</source>
        <translation>Export merged model</translation>
    </message>
    <message>
        <source>Export adapter</source>
        <translation>Export adapter</translation>
    </message>
    <message>
        <source>Evaluation</source>
        <translation>Evaluation</translation>
    </message>
    <message>
        <source>Inference benchmark</source>
        <translation>Inference benchmark</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Chat</translation>
    </message>
    <message>
        <source>Export model</source>
        <translation>Export model</translation>
    </message>
</context>
<context>
    <name>tbui::MainWindow</name>
    <message>
        <source>tunebench</source>
        <translation>tunebench</translation>
    </message>
    <message>
        <source>&amp;Workspace</source>
        <translation>&amp;Workspace</translation>
    </message>
    <message>
        <source>&amp;Dataset</source>
        <translation>&amp;Dataset</translation>
    </message>
    <message>
        <source>&amp;Hyperparameters</source>
        <translation>&amp;Hyperparameters</translation>
    </message>
    <message>
        <source>&amp;Training</source>
        <translation>&amp;Training</translation>
    </message>
    <message>
        <source>&amp;Compare</source>
        <translation>&amp;Compare</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>&amp;About</translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation>Error: %1</translation>
    </message>
    <message>
        <source>Workspace: %1</source>
        <translation>Workspace: %1</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <source>Open &amp;demo workspace</source>
        <translation>Open &amp;demo workspace</translation>
    </message>
    <message>
        <source>&amp;Load configuration…</source>
        <translation>&amp;Load configuration…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quit</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;View</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Language</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>System default</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <source>&amp;About tunebench</source>
        <translation>&amp;About tunebench</translation>
    </message>
    <message>
        <source>Closing…</source>
        <translation>Closing…</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>Idle</translation>
    </message>
    <message>
        <source>Running: %1</source>
        <translation>Running: %1</translation>
    </message>
    <message>
        <source>Queued: %1</source>
        <translation>Queued: %1</translation>
    </message>
    <message>
        <source>Stopping the running job before closing…</source>
        <translation>Stopping the running job before closing…</translation>
    </message>
    <message>
        <source>H&amp;uman evaluation</source>
        <translation>H&amp;uman evaluation</translation>
    </message>
    <message>
        <source>&amp;Results</source>
        <translation>&amp;Results</translation>
    </message>
    <message>
        <source>Export &amp;adapter…</source>
        <translation>Export &amp;adapter…</translation>
    </message>
    <message>
        <source>Export &amp;merged model…</source>
        <translation>Export &amp;merged model…</translation>
    </message>
    <message>
        <source>Workspace: %1; its configuration could not be loaded: %2</source>
        <translation>Workspace: %1; its configuration could not be loaded: %2</translation>
    </message>
    <message>
        <source>&amp;Save configuration</source>
        <translation>&amp;Save configuration</translation>
    </message>
    <message>
        <source>Save configuration &amp;as…</source>
        <translation>Save configuration &amp;as…</translation>
    </message>
    <message>
        <source>Bench&amp;mark</source>
        <translation>Bench&amp;mark</translation>
    </message>
    <message>
        <source>Ru&amp;ns</source>
        <translation>Ru&amp;ns</translation>
    </message>
    <message>
        <source>Chat &amp;playground</source>
        <translation>Chat &amp;playground</translation>
    </message>
    <message>
        <source>Ser&amp;ve</source>
        <translation>Ser&amp;ve</translation>
    </message>
    <message>
        <source>Export m&amp;odel…</source>
        <translation>Export m&amp;odel…</translation>
    </message>
</context>
<context>
    <name>tbui::RatingPanel</name>
    <message>
        <source>Relevance</source>
        <translation>Relevance</translation>
    </message>
    <message>
        <source>Coherence</source>
        <translation>Coherence</translation>
    </message>
    <message>
        <source>Fluency</source>
        <translation>Fluency</translation>
    </message>
    <message>
        <source>Completeness</source>
        <translation>Completeness</translation>
    </message>
    <message>
        <source>No store open: choose a workspace.</source>
        <translation>No store open: choose a workspace.</translation>
    </message>
    <message>
        <source>Evaluation whose generations are rated</source>
        <translation>Evaluation whose generations are rated</translation>
    </message>
    <message>
        <source>Rater name</source>
        <translation>Rater name</translation>
    </message>
    <message>
        <source>Number of test items to rate</source>
        <translation>Number of test items to rate</translation>
    </message>
    <message>
        <source>Blind (A/B)</source>
        <translation>Blind (A/B)</translation>
    </message>
    <message>
        <source>Show model names</source>
        <translation>Show model names</translation>
    </message>
    <message>
        <source>&amp;Start rating</source>
        <translation>&amp;Start rating</translation>
    </message>
    <message>
        <source>Evaluation:</source>
        <translation>Evaluation:</translation>
    </message>
    <message>
        <source>Rater:</source>
        <translation>Rater:</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>Seed:</translation>
    </message>
    <message>
        <source>Items:</source>
        <translation>Items:</translation>
    </message>
    <message>
        <source>&amp;Previous</source>
        <translation>&amp;Previous</translation>
    </message>
    <message>
        <source>&amp;Next</source>
        <translation>&amp;Next</translation>
    </message>
    <message>
        <source>No store in %1 yet: run an evaluation first.</source>
        <translation>No store in %1 yet: run an evaluation first.</translation>
    </message>
    <message>
        <source>Store: %1</source>
        <translation>Store: %1</translation>
    </message>
    <message>
        <source>#%1 %2</source>
        <translation>#%1 %2</translation>
    </message>
    <message>
        <source>Store: %1 (no generations yet: run `tunebench-cli evaluate`)</source>
        <translation>Store: %1 (no generations yet: run `tunebench-cli evaluate`)</translation>
    </message>
    <message>
        <source>No evaluation with generations selected.</source>
        <translation>No evaluation with generations selected.</translation>
    </message>
    <message>
        <source>Output %1</source>
        <translation>Output %1</translation>
    </message>
    <message>
        <source>–</source>
        <translation>–</translation>
    </message>
    <message>
        <source>Keys 1-5 set the score, Tab moves on, Enter saves and goes to the next item</source>
        <translation>Keys 1-5 set the score, Tab moves on, Enter saves and goes to the next item</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notes</translation>
    </message>
    <message>
        <source>Not started</source>
        <translation>Not started</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>%1 undefined</source>
        <translation>%1 undefined</translation>
    </message>
    <message>
        <source>Krippendorff&apos;s alpha (interval, %1 raters): %2</source>
        <translation>Krippendorff&apos;s alpha (interval, %1 raters): %2</translation>
    </message>
    <message>
        <source>, </source>
        <translation>, </translation>
    </message>
    <message>
        <source>Inter-rater agreement needs ratings from at least two raters.</source>
        <translation>Inter-rater agreement needs ratings from at least two raters.</translation>
    </message>
    <message>
        <source>The stored order of item %1 (%2) does not match the models of evaluation %3.</source>
        <translation>The stored order of item %1 (%2) does not match the models of evaluation %3.</translation>
    </message>
    <message>
        <source>No rating session is running.</source>
        <translation>No rating session is running.</translation>
    </message>
    <message>
        <source>A preference is A, B or tie.</source>
        <translation>A preference is A, B or tie.</translation>
    </message>
    <message>
        <source>No such pair of outputs.</source>
        <translation>No such pair of outputs.</translation>
    </message>
    <message>
        <source>Off-topic: does not address the user&apos;s request.</source>
        <translation>Off-topic: does not address the user&apos;s request.</translation>
    </message>
    <message>
        <source>Touches the topic but misses what was asked.</source>
        <translation>Touches the topic but misses what was asked.</translation>
    </message>
    <message>
        <source>Partly addresses the request; a main part is ignored or misread.</source>
        <translation>Partly addresses the request; a main part is ignored or misread.</translation>
    </message>
    <message>
        <source>Addresses the request, with minor drift or a small part left aside.</source>
        <translation>Addresses the request, with minor drift or a small part left aside.</translation>
    </message>
    <message>
        <source>Fully on point: everything in it answers what was asked.</source>
        <translation>Fully on point: everything in it answers what was asked.</translation>
    </message>
    <message>
        <source>Incoherent: contradictory or unrelated statements.</source>
        <translation>Incoherent: contradictory or unrelated statements.</translation>
    </message>
    <message>
        <source>Hard to follow: ideas jump or contradict each other.</source>
        <translation>Hard to follow: ideas jump or contradict each other.</translation>
    </message>
    <message>
        <source>Understandable, with gaps or a weak order of ideas.</source>
        <translation>Understandable, with gaps or a weak order of ideas.</translation>
    </message>
    <message>
        <source>Logically ordered, with small lapses.</source>
        <translation>Logically ordered, with small lapses.</translation>
    </message>
    <message>
        <source>Clear and consistent from start to end.</source>
        <translation>Clear and consistent from start to end.</translation>
    </message>
    <message>
        <source>Unreadable: broken words, loops of repeated text or stray tokens.</source>
        <translation>Unreadable: broken words, loops of repeated text or stray tokens.</translation>
    </message>
    <message>
        <source>Many grammar errors or repetitions that get in the way of reading.</source>
        <translation>Many grammar errors or repetitions that get in the way of reading.</translation>
    </message>
    <message>
        <source>Readable, with noticeable errors or awkward phrasing.</source>
        <translation>Readable, with noticeable errors or awkward phrasing.</translation>
    </message>
    <message>
        <source>Natural, with at most a few minor slips.</source>
        <translation>Natural, with at most a few minor slips.</translation>
    </message>
    <message>
        <source>Flawless, natural language.</source>
        <translation>Flawless, natural language.</translation>
    </message>
    <message>
        <source>Nothing of what the task needs (empty or cut off at once).</source>
        <translation>Nothing of what the task needs (empty or cut off at once).</translation>
    </message>
    <message>
        <source>A small part; most of what is needed is missing.</source>
        <translation>A small part; most of what is needed is missing.</translation>
    </message>
    <message>
        <source>About half; key points are missing.</source>
        <translation>About half; key points are missing.</translation>
    </message>
    <message>
        <source>Most of it; a minor point is missing.</source>
        <translation>Most of it; a minor point is missing.</translation>
    </message>
    <message>
        <source>Everything the task needs (compare with the reference).</source>
        <translation>Everything the task needs (compare with the reference).</translation>
    </message>
    <message>
        <source>Does the answer address what the user asked?</source>
        <translation>Does the answer address what the user asked?</translation>
    </message>
    <message>
        <source>Is the answer logically consistent and well ordered?</source>
        <translation>Is the answer logically consistent and well ordered?</translation>
    </message>
    <message>
        <source>Is the language correct and natural?</source>
        <translation>Is the language correct and natural?</translation>
    </message>
    <message>
        <source>Does the answer contain everything the task needs?</source>
        <translation>Does the answer contain everything the task needs?</translation>
    </message>
    <message>
        <source>Seed of the item sample (raters with the same seed rate the same items; the A/B order is drawn at random per rater and stored)</source>
        <translation>Seed of the item sample (raters with the same seed rate the same items; the A/B order is drawn at random per rater and stored)</translation>
    </message>
    <message>
        <source>Blind: no name, colour, position or result gives a model away until you press Reveal models. Showing the names counts as revealing.</source>
        <translation>Blind: no name, colour, position or result gives a model away until you press Reveal models. Showing the names counts as revealing.</translation>
    </message>
    <message>
        <source>Reveal &amp;models…</source>
        <translation>Reveal &amp;models…</translation>
    </message>
    <message>
        <source>Show which model wrote each output and the results. Cannot be undone: later answers of this rater on this evaluation are stored as not blind.</source>
        <translation>Show which model wrote each output and the results. Cannot be undone: later answers of this rater on this evaluation are stored as not blind.</translation>
    </message>
    <message>
        <source>Show which model wrote each output, and the results, to %1 for this evaluation? This cannot be undone.</source>
        <translation>Show which model wrote each output, and the results, to %1 for this evaluation? This cannot be undone.</translation>
    </message>
    <message>
        <source>%1 of %2 items are not finished; answers given after revealing are stored as not blind.</source>
        <translation>%1 of %2 items are not finished; answers given after revealing are stored as not blind.</translation>
    </message>
    <message>
        <source>Reveal models</source>
        <translation>Reveal models</translation>
    </message>
    <message>
        <source>#%1 (%2 models, %3 items, %4)</source>
        <translation>#%1 (%2 models, %3 items, %4)</translation>
    </message>
    <message>
        <source>Item %1 · %2</source>
        <translation>Item %1 · %2</translation>
    </message>
    <message>
        <source>User&apos;s message</source>
        <translation>User&apos;s message</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Context</translation>
    </message>
    <message>
        <source>Prompt as the model saw it (this evaluation was run before tunebench kept the user&apos;s message)</source>
        <translation>Prompt as the model saw it (this evaluation was run before tunebench kept the user&apos;s message)</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Reference</translation>
    </message>
    <message>
        <source>Output %1: %2</source>
        <translation>Output %1: %2</translation>
    </message>
    <message>
        <source>%1 – %2</source>
        <translation>%1 – %2</translation>
    </message>
    <message>
        <source>Not scored: 1 (worst) to 5 (best); hover for the rubric</source>
        <translation>Not scored: 1 (worst) to 5 (best); hover for the rubric</translation>
    </message>
    <message>
        <source>Which output is better overall?</source>
        <translation>Which output is better overall?</translation>
    </message>
    <message>
        <source>%1 or %2: which is better overall?</source>
        <translation>%1 or %2: which is better overall?</translation>
    </message>
    <message>
        <source>The answer you would rather receive, all criteria together. Tie when neither is better. Keys: %1, %2, T.</source>
        <translation>The answer you would rather receive, all criteria together. Tie when neither is better. Keys: %1, %2, T.</translation>
    </message>
    <message>
        <source>%1 is better</source>
        <translation>%1 is better</translation>
    </message>
    <message>
        <source>Tie</source>
        <translation>Tie</translation>
    </message>
    <message>
        <source>Item %1 of %2 · %3 / %4 rated · %5</source>
        <translation>Item %1 of %2 · %3 / %4 rated · %5</translation>
    </message>
    <message>
        <source>blind</source>
        <translation>blind</translation>
    </message>
    <message>
        <source>models revealed</source>
        <translation>models revealed</translation>
    </message>
    <message>
        <source>Results stay hidden while you rate blind: a chart per model would tell which output is which.
Saved in this evaluation: %1 scored outputs and %2 preferences from you, %3 scored outputs from all raters. Press “Reveal models” when you have finished.</source>
        <translation>Results stay hidden while you rate blind: a chart per model would tell which output is which.
Saved in this evaluation: %1 scored outputs and %2 preferences from you, %3 scored outputs from all raters. Press “Reveal models” when you have finished.</translation>
    </message>
    <message>
        <source>%1 vs %2: %1 preferred %3, tie %4, %2 preferred %5 (sign test p = %6); output shown first preferred %7, second %8</source>
        <translation>%1 vs %2: %1 preferred %3, tie %4, %2 preferred %5 (sign test p = %6); output shown first preferred %7, second %8</translation>
    </message>
    <message>
        <source>n/a</source>
        <translation>n/a</translation>
    </message>
    <message>
        <source>No preferences yet.</source>
        <translation>No preferences yet.</translation>
    </message>
    <message>
        <source>Preferences (all raters):</source>
        <translation>Preferences (all raters):</translation>
    </message>
    <message>
        <source>Human ratings: mean score per criterion</source>
        <translation>Human ratings: mean score per criterion</translation>
    </message>
    <message>
        <source>criterion</source>
        <translation>criterion</translation>
    </message>
    <message>
        <source>mean score, 1-5 (95% CI)</source>
        <translation>mean score, 1-5 (95% CI)</translation>
    </message>
    <message>
        <source>No ratings yet.
Score outputs above; the means per model appear here.</source>
        <translation>No ratings yet.
Score outputs above; the means per model appear here.</translation>
    </message>
</context>
<context>
    <name>tbui::RecentWorkspacesModel</name>
    <message>
        <source>%1 (demo)</source>
        <translation>%1 (demo)</translation>
    </message>
    <message>
        <source>Model: %1
Dataset: %2</source>
        <translation>Model: %1
Dataset: %2</translation>
    </message>
</context>
<context>
    <name>tbui::ResultsPanel</name>
    <message>
        <source>No store open: choose a workspace.</source>
        <translation>No store open: choose a workspace.</translation>
    </message>
    <message>
        <source>Export ta&amp;ble…</source>
        <translation>Export ta&amp;ble…</translation>
    </message>
    <message>
        <source>Ex&amp;port chart…</source>
        <translation>Ex&amp;port chart…</translation>
    </message>
    <message>
        <source>Evaluation:</source>
        <translation>Evaluation:</translation>
    </message>
    <message>
        <source>Chart metric:</source>
        <translation>Chart metric:</translation>
    </message>
    <message>
        <source>No store is open.</source>
        <translation>No store is open.</translation>
    </message>
    <message>
        <source>No store in %1 yet.</source>
        <translation>No store in %1 yet.</translation>
    </message>
    <message>
        <source>The workspace has no store yet.</source>
        <translation>The workspace has no store yet.</translation>
    </message>
    <message>
        <source>Store: %1</source>
        <translation>Store: %1</translation>
    </message>
    <message>
        <source>#%1 %2</source>
        <translation>#%1 %2</translation>
    </message>
    <message>
        <source>The store has no evaluation results yet.</source>
        <translation>The store has no evaluation results yet.</translation>
    </message>
    <message>
        <source>Evaluation %1 has no metric results.</source>
        <translation>Evaluation %1 has no metric results.</translation>
    </message>
    <message>
        <source>%1 by category (95% CI)</source>
        <translation>%1 by category (95% CI)</translation>
    </message>
    <message>
        <source>%1 by category (95% CI; lower is better)</source>
        <translation>%1 by category (95% CI; lower is better)</translation>
    </message>
    <message>
        <source>base,&lt;adapter folder&gt;,…</source>
        <translation>base,&lt;adapter folder&gt;,…</translation>
    </message>
    <message>
        <source>Models to evaluate, comma-separated: &quot;base&quot; (the configured model) and adapter folders; p-values are computed against base</source>
        <translation>Models to evaluate, comma-separated: &quot;base&quot; (the configured model) and adapter folders; p-values are computed against base</translation>
    </message>
    <message>
        <source>Metrics, comma-separated: bleu, rouge, chrf, chrfpp, ter, bertscore, ppl (ter and ppl: lower is better)</source>
        <translation>Metrics, comma-separated: bleu, rouge, chrf, chrfpp, ter, bertscore, ppl (ter and ppl: lower is better)</translation>
    </message>
    <message>
        <source>all</source>
        <translation>all</translation>
    </message>
    <message>
        <source>Test items to evaluate (all: the whole test split)</source>
        <translation>Test items to evaluate (all: the whole test split)</translation>
    </message>
    <message>
        <source>Run e&amp;valuation</source>
        <translation>Run e&amp;valuation</translation>
    </message>
    <message>
        <source>Generate test-split answers for each model with the Hyperparameters tab&apos;s config, score them and store the results in the workspace</source>
        <translation>Generate test-split answers for each model with the Hyperparameters tab&apos;s config, score them and store the results in the workspace</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Models:</source>
        <translation>Models:</translation>
    </message>
    <message>
        <source>Metrics:</source>
        <translation>Metrics:</translation>
    </message>
    <message>
        <source>Items:</source>
        <translation>Items:</translation>
    </message>
    <message>
        <source>This window cannot run evaluations.</source>
        <translation>This window cannot run evaluations.</translation>
    </message>
    <message>
        <source>An evaluation is already running.</source>
        <translation>An evaluation is already running.</translation>
    </message>
    <message>
        <source>Choose a workspace first: results go to its store.</source>
        <translation>Choose a workspace first: results go to its store.</translation>
    </message>
    <message>
        <source>Enter at least one model (&quot;base&quot; or an adapter folder).</source>
        <translation>Enter at least one model (&quot;base&quot; or an adapter folder).</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>Queued</translation>
    </message>
    <message>
        <source>Cancelling after the current batch…</source>
        <translation>Cancelling after the current batch…</translation>
    </message>
    <message>
        <source>generating</source>
        <translation>generating</translation>
    </message>
    <message>
        <source>perplexity</source>
        <translation>perplexity</translation>
    </message>
    <message>
        <source>scoring</source>
        <translation>scoring</translation>
    </message>
    <message>
        <source>%1 %2: %3/%4</source>
        <translation>%1 %2: %3/%4</translation>
    </message>
    <message>
        <source>Evaluation #%1 cancelled; run it again to resume.</source>
        <translation>Evaluation #%1 cancelled; run it again to resume.</translation>
    </message>
    <message>
        <source>Evaluation #%1 finished.</source>
        <translation>Evaluation #%1 finished.</translation>
    </message>
    <message>
        <source>Evaluation failed: %1</source>
        <translation>Evaluation failed: %1</translation>
    </message>
    <message>
        <source>%1

Run an evaluation to see results here (&quot;Run evaluation&quot; above), or:

  tunebench-cli evaluate --config &lt;workspace&gt;/config.yaml --models base,&lt;workspace&gt;/outputs/&lt;adapter&gt; --store &lt;workspace&gt;/tunebench.sqlite

then choose the workspace again (or reopen this tab).</source>
        <translation>%1

Run an evaluation to see results here (&quot;Run evaluation&quot; above), or:

  tunebench-cli evaluate --config &lt;workspace&gt;/config.yaml --models base,&lt;workspace&gt;/outputs/&lt;adapter&gt; --store &lt;workspace&gt;/tunebench.sqlite

then choose the workspace again (or reopen this tab).</translation>
    </message>
    <message>
        <source>Include &amp;comparable evaluations</source>
        <translation>Include &amp;comparable evaluations</translation>
    </message>
    <message>
        <source>Also show the store&apos;s evaluations run on the same split with the same generation settings; others are never put beside this one</source>
        <translation>Also show the store&apos;s evaluations run on the same split with the same generation settings; others are never put beside this one</translation>
    </message>
    <message>
        <source>Blocked: fix the Hyperparameters tab first:
%1</source>
        <translation>Blocked: fix the Hyperparameters tab first:
%1</translation>
    </message>
    <message>
        <source>Run evaluation is blocked: invalid configuration (see the Hyperparameters tab)</source>
        <translation>Run evaluation is blocked: invalid configuration (see the Hyperparameters tab)</translation>
    </message>
    <message>
        <source>Not run: fix the Hyperparameters tab first: %1</source>
        <translation>Not run: fix the Hyperparameters tab first: %1</translation>
    </message>
    <message>
        <source>Cannot compare with the store&apos;s other evaluations: %1</source>
        <translation>Cannot compare with the store&apos;s other evaluations: %1</translation>
    </message>
    <message>
        <source>Evaluation #%1 was recorded without its split and generation settings: what it ran on cannot be checked, so no other evaluation is shown beside it.</source>
        <translation>Evaluation #%1 was recorded without its split and generation settings: what it ran on cannot be checked, so no other evaluation is shown beside it.</translation>
    </message>
    <message>
        <source>#%1 (%2)</source>
        <translation>#%1 (%2)</translation>
    </message>
    <message>
        <source>#%1</source>
        <translation>#%1</translation>
    </message>
    <message>
        <source>#%1: %2</source>
        <translation>#%1: %2</translation>
    </message>
    <message>
        <source>Showing evaluations %1 together: same split and generation settings.</source>
        <translation>Showing evaluations %1 together: same split and generation settings.</translation>
    </message>
    <message>
        <source>Differences that change numbers by rounding only: %1</source>
        <translation>Differences that change numbers by rounding only: %1</translation>
    </message>
    <message>
        <source>Comparable with this evaluation: %1 (tick &quot;Include comparable evaluations&quot; to show them together).</source>
        <translation>Comparable with this evaluation: %1 (tick &quot;Include comparable evaluations&quot; to show them together).</translation>
    </message>
    <message>
        <source>Not comparable with #%1, so never shown beside it: %2.</source>
        <translation>Not comparable with #%1, so never shown beside it: %2.</translation>
    </message>
    <message>
        <source>&amp;Log scale</source>
        <translation>&amp;Log scale</translation>
    </message>
    <message>
        <source>Logarithmic value axis (perplexity and loss span orders of magnitude)</source>
        <translation>Logarithmic value axis (perplexity and loss span orders of magnitude)</translation>
    </message>
    <message>
        <source>Results by category</source>
        <translation>Results by category</translation>
    </message>
    <message>
        <source>category</source>
        <translation>category</translation>
    </message>
    <message>
        <source>value</source>
        <translation>value</translation>
    </message>
    <message>
        <source>No per-category results for this metric.</source>
        <translation>No per-category results for this metric.</translation>
    </message>
    <message>
        <source>%1 is not the adapter of a training run in this store.</source>
        <translation>%1 is not the adapter of a training run in this store.</translation>
    </message>
    <message>
        <source>TER (edits per reference word)</source>
        <translation>TER (edits per reference word)</translation>
    </message>
    <message>
        <source>BERTScore F1</source>
        <translation>BERTScore F1</translation>
    </message>
    <message>
        <source>%1 score</source>
        <translation>%1 score</translation>
    </message>
    <message>
        <source>%1, lower is better</source>
        <translation>%1, lower is better</translation>
    </message>
</context>
<context>
    <name>tbui::ResultsTableModel</name>
    <message>
        <source>Metric</source>
        <translation>Metric</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Model</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Value</translation>
    </message>
    <message>
        <source>95% CI low</source>
        <translation>95% CI low</translation>
    </message>
    <message>
        <source>95% CI high</source>
        <translation>95% CI high</translation>
    </message>
    <message>
        <source>p vs base</source>
        <translation>p vs base</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>Items</translation>
    </message>
    <message>
        <source>%1
Double-click to rename the run</source>
        <translation>%1
Double-click to rename the run</translation>
    </message>
</context>
<context>
    <name>tbui::RunNames</name>
    <message>
        <source>run #%1</source>
        <translation>run #%1</translation>
    </message>
</context>
<context>
    <name>tbui::RunsPanel</name>
    <message>
        <source>Re&amp;fresh</source>
        <translation>Re&amp;fresh</translation>
    </message>
    <message>
        <source>Re&amp;name…</source>
        <translation>Re&amp;name…</translation>
    </message>
    <message>
        <source>&amp;Delete…</source>
        <translation>&amp;Delete…</translation>
    </message>
    <message>
        <source>Delete the selected runs from the store and their run folders</source>
        <translation>Delete the selected runs from the store and their run folders</translation>
    </message>
    <message>
        <source>Checkpoint to resume the selected run from</source>
        <translation>Checkpoint to resume the selected run from</translation>
    </message>
    <message>
        <source>Res&amp;ume</source>
        <translation>Res&amp;ume</translation>
    </message>
    <message>
        <source>Continue the selected run from the chosen checkpoint (shown in the Training tab)</source>
        <translation>Continue the selected run from the chosen checkpoint (shown in the Training tab)</translation>
    </message>
    <message>
        <source>Export &amp;adapter…</source>
        <translation>Export &amp;adapter…</translation>
    </message>
    <message>
        <source>Export &amp;merged model…</source>
        <translation>Export &amp;merged model…</translation>
    </message>
    <message>
        <source>Export ta&amp;ble…</source>
        <translation>Export ta&amp;ble…</translation>
    </message>
    <message>
        <source>&amp;Checkpoint:</source>
        <translation>&amp;Checkpoint:</translation>
    </message>
    <message>
        <source>No store open: choose a workspace.</source>
        <translation>No store open: choose a workspace.</translation>
    </message>
    <message>
        <source>Train loss</source>
        <translation>Train loss</translation>
    </message>
    <message>
        <source>Eval loss</source>
        <translation>Eval loss</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Learning rate</translation>
    </message>
    <message>
        <source>Gradient norm</source>
        <translation>Gradient norm</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>Tokens/s</translation>
    </message>
    <message>
        <source>Memory (MiB)</source>
        <translation>Memory (MiB)</translation>
    </message>
    <message>
        <source>&amp;Log scale</source>
        <translation>&amp;Log scale</translation>
    </message>
    <message>
        <source>&amp;Overlay:</source>
        <translation>&amp;Overlay:</translation>
    </message>
    <message>
        <source>Train loss of the selected runs</source>
        <translation>Train loss of the selected runs</translation>
    </message>
    <message>
        <source>optimizer step</source>
        <translation>optimizer step</translation>
    </message>
    <message>
        <source>cross-entropy (nats/token)</source>
        <translation>cross-entropy (nats/token)</translation>
    </message>
    <message>
        <source>Select one or more runs in the table to draw them here.</source>
        <translation>Select one or more runs in the table to draw them here.</translation>
    </message>
    <message>
        <source>Only &amp;differences</source>
        <translation>Only &amp;differences</translation>
    </message>
    <message>
        <source>Setting</source>
        <translation>Setting</translation>
    </message>
    <message>
        <source>Run A</source>
        <translation>Run A</translation>
    </message>
    <message>
        <source>Run B</source>
        <translation>Run B</translation>
    </message>
    <message>
        <source>Select one run to rename.</source>
        <translation>Select one run to rename.</translation>
    </message>
    <message>
        <source>Rename run</source>
        <translation>Rename run</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>No runs yet: the store is created by the first training run (Training tab).</source>
        <translation>No runs yet: the store is created by the first training run (Training tab).</translation>
    </message>
    <message>
        <source>The store has no training runs yet: start one in the Training tab.</source>
        <translation>The store has no training runs yet: start one in the Training tab.</translation>
    </message>
    <message numerus="yes">
        <source>%n training run(s) in %1. Select several to overlay them; two to compare their configs. Double-click a name to rename.</source>
        <translation>
            <numerusform>%n training run in %1. Select several to overlay them; two to compare their configs. Double-click a name to rename.</numerusform>
            <numerusform>%n training runs in %1. Select several to overlay them; two to compare their configs. Double-click a name to rename.</numerusform>
        </translation>
    </message>
    <message>
        <source>newest usable</source>
        <translation>newest usable</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>learning rate</translation>
    </message>
    <message>
        <source>L2 norm before clipping</source>
        <translation>L2 norm before clipping</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>tokens/s</translation>
    </message>
    <message>
        <source>MiB (GPU allocated or host RSS)</source>
        <translation>MiB (GPU allocated or host RSS)</translation>
    </message>
    <message>
        <source>%1 of the selected runs</source>
        <translation>%1 of the selected runs</translation>
    </message>
    <message>
        <source>Select two runs to compare their settings.</source>
        <translation>Select two runs to compare their settings.</translation>
    </message>
    <message>
        <source>#%1</source>
        <translation>#%1</translation>
    </message>
    <message>
        <source>A run&apos;s stored config does not parse.</source>
        <translation>A run&apos;s stored config does not parse.</translation>
    </message>
    <message>
        <source>Same settings.</source>
        <translation>Same settings.</translation>
    </message>
    <message>
        <source>No store is open.</source>
        <translation>No store is open.</translation>
    </message>
    <message>
        <source>The store has no training run #%1.</source>
        <translation>The store has no training run #%1.</translation>
    </message>
    <message>
        <source>Run #%1 is training: cancel it first.</source>
        <translation>Run #%1 is training: cancel it first.</translation>
    </message>
    <message>
        <source>Could not remove all of %1.</source>
        <translation>Could not remove all of %1.</translation>
    </message>
    <message>
        <source>%1 does not look like a run folder; left in place.</source>
        <translation>%1 does not look like a run folder; left in place.</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Delete runs</source>
        <translation>Delete runs</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n run(s) from the store together with their run folders (adapter, checkpoints, merged model)? This cannot be undone.

%1</source>
        <translation>
            <numerusform>Delete %n run from the store together with their run folders (adapter, checkpoints, merged model)? This cannot be undone.

%1</numerusform>
            <numerusform>Delete %n runs from the store together with their run folders (adapter, checkpoints, merged model)? This cannot be undone.

%1</numerusform>
        </translation>
    </message>
    <message>
        <source>Resuming run #%1: progress in the Training tab.</source>
        <translation>Resuming run #%1: progress in the Training tab.</translation>
    </message>
    <message>
        <source>Folder for the merged model</source>
        <translation>Folder for the merged model</translation>
    </message>
    <message>
        <source>Folder for the adapter</source>
        <translation>Folder for the adapter</translation>
    </message>
    <message>
        <source>Exporting run #%1 to %2 (progress in the Training tab&apos;s log).</source>
        <translation>Exporting run #%1 to %2 (progress in the Training tab&apos;s log).</translation>
    </message>
</context>
<context>
    <name>tbui::RunsTableModel</name>
    <message>
        <source>Run folder: %1
Double-click the name to rename</source>
        <translation>Run folder: %1
Double-click the name to rename</translation>
    </message>
    <message>
        <source>exp(best eval loss)</source>
        <translation>exp(best eval loss)</translation>
    </message>
    <message>
        <source>Highest memory logged (GPU allocated or host RSS)</source>
        <translation>Highest memory logged (GPU allocated or host RSS)</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>Last logged optimizer step</source>
        <translation>Last logged optimizer step</translation>
    </message>
    <message>
        <source>Training loss at the last logged step</source>
        <translation>Training loss at the last logged step</translation>
    </message>
    <message>
        <source>Validation loss of the last evaluation</source>
        <translation>Validation loss of the last evaluation</translation>
    </message>
    <message>
        <source>Lowest validation loss</source>
        <translation>Lowest validation loss</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Started</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>Steps</translation>
    </message>
    <message>
        <source>Final loss</source>
        <translation>Final loss</translation>
    </message>
    <message>
        <source>Eval loss</source>
        <translation>Eval loss</translation>
    </message>
    <message>
        <source>Best eval loss</source>
        <translation>Best eval loss</translation>
    </message>
    <message>
        <source>Best perplexity</source>
        <translation>Best perplexity</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>Tokens/s</translation>
    </message>
    <message>
        <source>Train time</source>
        <translation>Train time</translation>
    </message>
    <message>
        <source>Peak memory (MiB)</source>
        <translation>Peak memory (MiB)</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Learning rate</translation>
    </message>
    <message>
        <source>LoRA r</source>
        <translation>LoRA r</translation>
    </message>
    <message>
        <source>LoRA alpha</source>
        <translation>LoRA alpha</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>Epochs</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Batch size</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>Backend</translation>
    </message>
    <message>
        <source>running</source>
        <translation>running</translation>
    </message>
    <message>
        <source>completed</source>
        <translation>completed</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>failed</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>cancelled</translation>
    </message>
</context>
<context>
    <name>tbui::ServePanel</name>
    <message>
        <source>Hugging Face model folder (config.json + safetensors)</source>
        <translation>Hugging Face model folder (config.json + safetensors)</translation>
    </message>
    <message>
        <source>Browse...</source>
        <translation>Browse...</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>Model folder</translation>
    </message>
    <message>
        <source>&amp;Model:</source>
        <translation>&amp;Model:</translation>
    </message>
    <message>
        <source>LoRA adapters, one per line: NAME=FOLDER (or FOLDER, named after it). Clients choose one with the request&apos;s &quot;model&quot; field.</source>
        <translation>LoRA adapters, one per line: NAME=FOLDER (or FOLDER, named after it). Clients choose one with the request&apos;s &quot;model&quot; field.</translation>
    </message>
    <message>
        <source>&amp;Adapters:</source>
        <translation>&amp;Adapters:</translation>
    </message>
    <message>
        <source>127.0.0.1 serves this machine only; 0.0.0.0 serves every network interface (set an API key then)</source>
        <translation>127.0.0.1 serves this machine only; 0.0.0.0 serves every network interface (set an API key then)</translation>
    </message>
    <message>
        <source>0 picks a free port</source>
        <translation>0 picks a free port</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Port:</translation>
    </message>
    <message>
        <source>&amp;Host:</source>
        <translation>&amp;Host:</translation>
    </message>
    <message>
        <source>none: no key needed</source>
        <translation>none: no key needed</translation>
    </message>
    <message>
        <source>API &amp;key:</source>
        <translation>API &amp;key:</translation>
    </message>
    <message>
        <source>Precision:</source>
        <translation>Precision:</translation>
    </message>
    <message>
        <source>&amp;Device:</source>
        <translation>&amp;Device:</translation>
    </message>
    <message>
        <source>&amp;Start server</source>
        <translation>&amp;Start server</translation>
    </message>
    <message>
        <source>S&amp;top server</source>
        <translation>S&amp;top server</translation>
    </message>
    <message>
        <source>&amp;Copy URL</source>
        <translation>&amp;Copy URL</translation>
    </message>
    <message>
        <source>An OpenAI-compatible (/v1) and Ollama-compatible (/api) server on this model and its adapters, all requests batched together (the paged engine).</source>
        <translation>An OpenAI-compatible (/v1) and Ollama-compatible (/api) server on this model and its adapters, all requests batched together (the paged engine).</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; &amp;nbsp; models: %2&lt;br&gt;OpenAI base URL: %1/v1 &amp;nbsp; Ollama: %1&lt;br&gt;&lt;tt&gt;curl %1/v1/completions -H &apos;Content-Type: application/json&apos; -d &apos;{&quot;model&quot;: &quot;%3&quot;, &quot;prompt&quot;: &quot;Hello&quot;, &quot;max_tokens&quot;: 32}&apos;&lt;/tt&gt;</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; &amp;nbsp; models: %2&lt;br&gt;OpenAI base URL: %1/v1 &amp;nbsp; Ollama: %1&lt;br&gt;&lt;tt&gt;curl %1/v1/completions -H &apos;Content-Type: application/json&apos; -d &apos;{&quot;model&quot;: &quot;%3&quot;, &quot;prompt&quot;: &quot;Hello&quot;, &quot;max_tokens&quot;: 32}&apos;&lt;/tt&gt;</translation>
    </message>
    <message>
        <source>Serving.</source>
        <translation>Serving.</translation>
    </message>
    <message>
        <source>Could not start the server: %1</source>
        <translation>Could not start the server: %1</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Stopped.</translation>
    </message>
    <message>
        <source>Adapter line &quot;%1&quot;: expected NAME=FOLDER</source>
        <translation>Adapter line &quot;%1&quot;: expected NAME=FOLDER</translation>
    </message>
    <message>
        <source>Choose a model folder first.</source>
        <translation>Choose a model folder first.</translation>
    </message>
    <message>
        <source>Loading the model...</source>
        <translation>Loading the model...</translation>
    </message>
    <message>
        <source>Stopping: running requests get up to 10 s to finish...</source>
        <translation>Stopping: running requests get up to 10 s to finish...</translation>
    </message>
    <message>
        <source>Requests in flight: %1 · served: %2 · rejected: %3 · cancelled by clients: %4 · tokens: %5 · KV blocks used: %6 of %7</source>
        <translation>Requests in flight: %1 · served: %2 · rejected: %3 · cancelled by clients: %4 · tokens: %5 · KV blocks used: %6 of %7</translation>
    </message>
</context>
<context>
    <name>tbui::StoreRecovery</name>
    <message>
        <source>Restore newest backup</source>
        <translation>Restore newest backup</translation>
    </message>
    <message>
        <source>Experiment store damaged</source>
        <translation>Experiment store damaged</translation>
    </message>
    <message>
        <source>The experiment store %1 is damaged: %2</source>
        <translation>The experiment store %1 is damaged: %2</translation>
    </message>
    <message>
        <source>Newest good backup: %1 (%2).
Restoring puts it in place and keeps the damaged file beside it as tunebench.sqlite.damaged-&lt;time&gt;; nothing is deleted.</source>
        <translation>Newest good backup: %1 (%2).
Restoring puts it in place and keeps the damaged file beside it as tunebench.sqlite.damaged-&lt;time&gt;; nothing is deleted.</translation>
    </message>
    <message>
        <source>Keep as is</source>
        <translation>Keep as is</translation>
    </message>
    <message>
        <source>There is no good backup in %1.</source>
        <translation>There is no good backup in %1.</translation>
    </message>
    <message>
        <source>A job is running and may be using the store: stop it, then choose the workspace again to restore.</source>
        <translation>A job is running and may be using the store: stop it, then choose the workspace again to restore.</translation>
    </message>
    <message>
        <source>The backup was not restored: %1</source>
        <translation>The backup was not restored: %1</translation>
    </message>
</context>
<context>
    <name>tbui::TrainingPanel</name>
    <message>
        <source>&amp;Start training</source>
        <translation>&amp;Start training</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>&amp;Pause</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>&amp;Cancel</translation>
    </message>
    <message>
        <source>&amp;Log scale</source>
        <translation>&amp;Log scale</translation>
    </message>
    <message>
        <source>Train with the Hyperparameters tab&apos;s settings (Ctrl+R)</source>
        <translation>Train with the Hyperparameters tab&apos;s settings (Ctrl+R)</translation>
    </message>
    <message>
        <source>step %v / %m</source>
        <translation>step %v / %m</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>Idle</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>Loss</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Learning rate</translation>
    </message>
    <message>
        <source>Gradient norm</source>
        <translation>Gradient norm</translation>
    </message>
    <message>
        <source>train loss</source>
        <translation>train loss</translation>
    </message>
    <message>
        <source>smoothed</source>
        <translation>smoothed</translation>
    </message>
    <message>
        <source>eval loss</source>
        <translation>eval loss</translation>
    </message>
    <message>
        <source>earlier run</source>
        <translation>earlier run</translation>
    </message>
    <message>
        <source>Not started: %1</source>
        <translation>Not started: %1</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>Queued</translation>
    </message>
    <message>
        <source>Training %1 on %2</source>
        <translation>Training %1 on %2</translation>
    </message>
    <message>
        <source>Resumed</source>
        <translation>Resumed</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>&amp;Resume</translation>
    </message>
    <message>
        <source>Pausing after the current step</source>
        <translation>Pausing after the current step</translation>
    </message>
    <message>
        <source>Cancelling after the current step (a checkpoint is written)…</source>
        <translation>Cancelling after the current step (a checkpoint is written)…</translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation>ETA %1</translation>
    </message>
    <message>
        <source>step %1: eval loss %2, perplexity %3</source>
        <translation>step %1: eval loss %2, perplexity %3</translation>
    </message>
    <message>
        <source>step %1/%2: loss %3, lr %4, grad norm %5, %6 tokens/s</source>
        <translation>step %1/%2: loss %3, lr %4, grad norm %5, %6 tokens/s</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>Finished</translation>
    </message>
    <message>
        <source>Cancelled at step %1; checkpoint: %2</source>
        <translation>Cancelled at step %1; checkpoint: %2</translation>
    </message>
    <message>
        <source>Warning: %1</source>
        <translation>Warning: %1</translation>
    </message>
    <message>
        <source>Cancelled while loading; nothing was written</source>
        <translation>Cancelled while loading; nothing was written</translation>
    </message>
    <message>
        <source>Cancelled at step %1; no checkpoint was written (resuming restarts at step 0)</source>
        <translation>Cancelled at step %1; no checkpoint was written (resuming restarts at step 0)</translation>
    </message>
    <message>
        <source>Finished %1 steps in %2 s; adapter: %3</source>
        <translation>Finished %1 steps in %2 s; adapter: %3</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Failed</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Failed: %1</translation>
    </message>
    <message>
        <source>Training runs recorded in the workspace&apos;s store; the selected one is drawn in grey</source>
        <translation>Training runs recorded in the workspace&apos;s store; the selected one is drawn in grey</translation>
    </message>
    <message>
        <source>Export &amp;adapter…</source>
        <translation>Export &amp;adapter…</translation>
    </message>
    <message>
        <source>Copy the selected run&apos;s LoRA adapter (PEFT format) into a folder</source>
        <translation>Copy the selected run&apos;s LoRA adapter (PEFT format) into a folder</translation>
    </message>
    <message>
        <source>Export &amp;merged model…</source>
        <translation>Export &amp;merged model…</translation>
    </message>
    <message>
        <source>Write the selected run&apos;s merged model (full Hugging Face folder) into a folder</source>
        <translation>Write the selected run&apos;s merged model (full Hugging Face folder) into a folder</translation>
    </message>
    <message>
        <source>&amp;Earlier run:</source>
        <translation>&amp;Earlier run:</translation>
    </message>
    <message>
        <source>Export: %1</source>
        <translation>Export: %1</translation>
    </message>
    <message>
        <source>Merged model computed and exported to %1</source>
        <translation>Merged model computed and exported to %1</translation>
    </message>
    <message>
        <source>Merged model exported to %1</source>
        <translation>Merged model exported to %1</translation>
    </message>
    <message>
        <source>Adapter exported to %1</source>
        <translation>Adapter exported to %1</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(none)</translation>
    </message>
    <message>
        <source>#%1 %2 (%3)</source>
        <translation>#%1 %2 (%3)</translation>
    </message>
    <message>
        <source>No store is open: choose a workspace.</source>
        <translation>No store is open: choose a workspace.</translation>
    </message>
    <message>
        <source>The store has no training run #%1.</source>
        <translation>The store has no training run #%1.</translation>
    </message>
    <message>
        <source>Run #%1 has no logged steps.</source>
        <translation>Run #%1 has no logged steps.</translation>
    </message>
    <message>
        <source>run #%1</source>
        <translation>run #%1</translation>
    </message>
    <message>
        <source>An export is already queued or running.</source>
        <translation>An export is already queued or running.</translation>
    </message>
    <message>
        <source>Run #%1 has no final adapter (status: %2); export a completed run.</source>
        <translation>Run #%1 has no final adapter (status: %2); export a completed run.</translation>
    </message>
    <message>
        <source>Choose a destination folder.</source>
        <translation>Choose a destination folder.</translation>
    </message>
    <message>
        <source>The destination folder %1 is not empty.</source>
        <translation>The destination folder %1 is not empty.</translation>
    </message>
    <message>
        <source>Exporting the merged model of run #%1 to %2</source>
        <translation>Exporting the merged model of run #%1 to %2</translation>
    </message>
    <message>
        <source>Exporting the adapter of run #%1 to %2</source>
        <translation>Exporting the adapter of run #%1 to %2</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Export</translation>
    </message>
    <message>
        <source>Folder for the merged model</source>
        <translation>Folder for the merged model</translation>
    </message>
    <message>
        <source>Folder for the adapter</source>
        <translation>Folder for the adapter</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>Export failed: %1</translation>
    </message>
    <message>
        <source>no training running</source>
        <translation>no training running</translation>
    </message>
    <message>
        <source>Start training is blocked: fix the Hyperparameters tab first:
%1</source>
        <translation>Start training is blocked: fix the Hyperparameters tab first:
%1</translation>
    </message>
    <message>
        <source>The completed run that the export buttons write out</source>
        <translation>The completed run that the export buttons write out</translation>
    </message>
    <message>
        <source>E&amp;xport run:</source>
        <translation>E&amp;xport run:</translation>
    </message>
    <message>
        <source>optimizer step</source>
        <translation>optimizer step</translation>
    </message>
    <message>
        <source>cross-entropy (nats/token)</source>
        <translation>cross-entropy (nats/token)</translation>
    </message>
    <message>
        <source>No training running.
Press Start training to see the loss here.</source>
        <translation>No training running.
Press Start training to see the loss here.</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>learning rate</translation>
    </message>
    <message>
        <source>No training running.</source>
        <translation>No training running.</translation>
    </message>
    <message>
        <source>L2 norm before clipping</source>
        <translation>L2 norm before clipping</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>Throughput</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>tokens/s</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>Memory</translation>
    </message>
    <message>
        <source>MiB</source>
        <translation>MiB</translation>
    </message>
    <message>
        <source>Eval perplexity</source>
        <translation>Eval perplexity</translation>
    </message>
    <message>
        <source>perplexity (exp of eval loss)</source>
        <translation>perplexity (exp of eval loss)</translation>
    </message>
    <message>
        <source>No evaluation yet.
The trainer evaluates every eval_steps steps.</source>
        <translation>No evaluation yet.
The trainer evaluates every eval_steps steps.</translation>
    </message>
    <message>
        <source>Logarithmic y axis for the loss, gradient norm and perplexity</source>
        <translation>Logarithmic y axis for the loss, gradient norm and perplexity</translation>
    </message>
    <message>
        <source>GPU memory</source>
        <translation>GPU memory</translation>
    </message>
    <message>
        <source>Host memory</source>
        <translation>Host memory</translation>
    </message>
    <message>
        <source>MiB allocated on the GPU</source>
        <translation>MiB allocated on the GPU</translation>
    </message>
    <message>
        <source>MiB resident (host RSS)</source>
        <translation>MiB resident (host RSS)</translation>
    </message>
    <message>
        <source>#%1 %2</source>
        <translation>#%1 %2</translation>
    </message>
    <message>
        <source>The store has no completed training run to export.</source>
        <translation>The store has no completed training run to export.</translation>
    </message>
    <message>
        <source>A training run is already running.</source>
        <translation>A training run is already running.</translation>
    </message>
    <message>
        <source>Run #%1&apos;s stored config cannot be read: %2</source>
        <translation>Run #%1&apos;s stored config cannot be read: %2</translation>
    </message>
    <message>
        <source>Resuming run #%1 from %2</source>
        <translation>Resuming run #%1 from %2</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Training</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>Paused</translation>
    </message>
    <message>
        <source>Cancel training</source>
        <translation>Cancel training</translation>
    </message>
    <message>
        <source>Cancel the training run? It stops after the current step and writes a checkpoint that it can be resumed from (Runs tab).</source>
        <translation>Cancel the training run? It stops after the current step and writes a checkpoint that it can be resumed from (Runs tab).</translation>
    </message>
    <message>
        <source>Export m&amp;odel…</source>
        <translation>Export m&amp;odel…</translation>
    </message>
    <message>
        <source>Export the selected run as a merged Hugging Face folder, a GGUF file or a GGUF LoRA adapter, with an Ollama Modelfile</source>
        <translation>Export the selected run as a merged Hugging Face folder, a GGUF file or a GGUF LoRA adapter, with an Ollama Modelfile</translation>
    </message>
    <message>
        <source>Loading</source>
        <translation>Loading</translation>
    </message>
    <message>
        <source>Evaluating</source>
        <translation>Evaluating</translation>
    </message>
    <message>
        <source>Saving</source>
        <translation>Saving</translation>
    </message>
</context>
<context>
    <name>tbui::Worker</name>
    <message>
        <source>Internal error: %1</source>
        <translation>Internal error: %1</translation>
    </message>
    <message>
        <source>Internal error (unknown exception)</source>
        <translation>Internal error (unknown exception)</translation>
    </message>
    <message>
        <source>copying the adapter</source>
        <translation>copying the adapter</translation>
    </message>
    <message>
        <source>copying the merged model</source>
        <translation>copying the merged model</translation>
    </message>
    <message>
        <source>%1: no base model to merge the adapter into</source>
        <translation>%1: no base model to merge the adapter into</translation>
    </message>
    <message>
        <source>loading the base model</source>
        <translation>loading the base model</translation>
    </message>
    <message>
        <source>merging the adapter</source>
        <translation>merging the adapter</translation>
    </message>
    <message>
        <source>saving the merged model</source>
        <translation>saving the merged model</translation>
    </message>
</context>
<context>
    <name>tbui::WorkspacePanel</name>
    <message>
        <source>Workspace</source>
        <translation>Workspace</translation>
    </message>
    <message>
        <source>Hugging Face model folder (config.json, safetensors)</source>
        <translation>Hugging Face model folder (config.json, safetensors)</translation>
    </message>
    <message>
        <source>Dolly/Alpaca/chat JSONL or CSV file</source>
        <translation>Dolly/Alpaca/chat JSONL or CSV file</translation>
    </message>
    <message>
        <source>Folder for runs and results</source>
        <translation>Folder for runs and results</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <source>&amp;Model folder:</source>
        <translation>&amp;Model folder:</translation>
    </message>
    <message>
        <source>&amp;Dataset file:</source>
        <translation>&amp;Dataset file:</translation>
    </message>
    <message>
        <source>&amp;Workspace folder:</source>
        <translation>&amp;Workspace folder:</translation>
    </message>
    <message>
        <source>&amp;Use this workspace</source>
        <translation>&amp;Use this workspace</translation>
    </message>
    <message>
        <source>Demo</source>
        <translation>Demo</translation>
    </message>
    <message>
        <source>The demo workspace holds a tiny Llama model and a Dolly-format dataset written by tunebench itself; training it takes minutes on a laptop CPU.</source>
        <translation>The demo workspace holds a tiny Llama model and a Dolly-format dataset written by tunebench itself; training it takes minutes on a laptop CPU.</translation>
    </message>
    <message>
        <source>Open &amp;demo workspace</source>
        <translation>Open &amp;demo workspace</translation>
    </message>
    <message>
        <source>Recent workspaces</source>
        <translation>Recent workspaces</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>Model folder</translation>
    </message>
    <message>
        <source>Dataset file</source>
        <translation>Dataset file</translation>
    </message>
    <message>
        <source>Datasets (*.jsonl *.json *.csv);;All files (*)</source>
        <translation>Datasets (*.jsonl *.json *.csv);;All files (*)</translation>
    </message>
    <message>
        <source>Workspace folder</source>
        <translation>Workspace folder</translation>
    </message>
    <message>
        <source>Demo workspace failed: %1</source>
        <translation>Demo workspace failed: %1</translation>
    </message>
    <message>
        <source>no config.json in the model folder</source>
        <translation>no config.json in the model folder</translation>
    </message>
    <message>
        <source>the dataset file does not exist</source>
        <translation>the dataset file does not exist</translation>
    </message>
    <message>
        <source>no workspace folder</source>
        <translation>no workspace folder</translation>
    </message>
    <message>
        <source>Not usable: %1</source>
        <translation>Not usable: %1</translation>
    </message>
    <message>
        <source>; </source>
        <translation>; </translation>
    </message>
    <message>
        <source>Demo workspace: %1</source>
        <translation>Demo workspace: %1</translation>
    </message>
    <message>
        <source>Creating the demo workspace (about two minutes)…</source>
        <translation>Creating the demo workspace (about two minutes)…</translation>
    </message>
    <message>
        <source>Pretraining the tiny model: step %1/%2, loss %3</source>
        <translation>Pretraining the tiny model: step %1/%2, loss %3</translation>
    </message>
    <message>
        <source>Demo stage: %1</source>
        <translation>Demo stage: %1</translation>
    </message>
    <message>
        <source>Demo workspace created in %1 s: %2 records, loss %3 → %4</source>
        <translation>Demo workspace created in %1 s: %2 records, loss %3 → %4</translation>
    </message>
    <message>
        <source>Workspace in use. Configuration: %1</source>
        <translation>Workspace in use. Configuration: %1</translation>
    </message>
    <message>
        <source>Workspace in use. No %1 yet: the Hyperparameters tab starts from the defaults and Save writes it.</source>
        <translation>Workspace in use. No %1 yet: the Hyperparameters tab starts from the defaults and Save writes it.</translation>
    </message>
</context>
</TS>
