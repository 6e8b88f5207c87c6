<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es" sourcelanguage="en">
<context>
    <name>QObject</name>
    <message>
        <source>No store is open.</source>
        <translation>No hay ningún almacén abierto.</translation>
    </message>
    <message>
        <source>Enter the rater&apos;s name first.</source>
        <translation>Escriba primero el nombre del evaluador.</translation>
    </message>
    <message>
        <source>Evaluation %1 has outputs of %2 model(s); rating needs at least two.</source>
        <translation>La evaluación %1 tiene salidas de %2 modelo(s); puntuar requiere al menos dos.</translation>
    </message>
    <message>
        <source>No item of evaluation %1 has outputs of every model.</source>
        <translation>Ningún elemento de la evaluación %1 tiene salidas de todos los modelos.</translation>
    </message>
    <message>
        <source>Scores are 1 to 5.</source>
        <translation>Las puntuaciones van de 1 a 5.</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Open the demo workspace.</source>
        <translation>Abrir el espacio de trabajo de demostración.</translation>
    </message>
    <message>
        <source>Tab to show first.</source>
        <translation>Pestaña que se muestra primero.</translation>
    </message>
    <message>
        <source>Model folder.</source>
        <translation>Carpeta del modelo.</translation>
    </message>
    <message>
        <source>Dataset file.</source>
        <translation>Archivo de datos.</translation>
    </message>
    <message>
        <source>Workspace folder.</source>
        <translation>Carpeta del espacio de trabajo.</translation>
    </message>
    <message>
        <source>tunebench: fine-tune, compare, chat with and evaluate Llama-family models.</source>
        <translation>tunebench: ajusta, compara, conversa con y evalúa modelos de la familia Llama.</translation>
    </message>
</context>
<context>
    <name>tbui::AboutPanel</name>
    <message>
        <source>built in</source>
        <translation>incluidos</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>solo CPU</translation>
    </message>
    <message>
        <source>A desktop workbench for fine-tuning, comparing, chatting with and evaluating Llama-family language models.</source>
        <translation>Un banco de trabajo de escritorio para ajustar, comparar, conversar con y evaluar modelos de lenguaje de la familia Llama.</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>Versión</translation>
    </message>
    <message>
        <source>Licence</source>
        <translation>Licencia</translation>
    </message>
    <message>
        <source>libtorch</source>
        <translation>libtorch</translation>
    </message>
    <message>
        <source>CUDA kernels</source>
        <translation>Núcleos CUDA</translation>
    </message>
    <message>
        <source>Qt</source>
        <translation>Qt</translation>
    </message>
    <message>
        <source>Documentation</source>
        <translation>Documentación</translation>
    </message>
    <message>
        <source>No documentation folder was found beside this binary.</source>
        <translation>No se encontró ninguna carpeta de documentación junto a este ejecutable.</translation>
    </message>
    <message>
        <source>Documentation folder:</source>
        <translation>Carpeta de documentación:</translation>
    </message>
    <message>
        <source>Read me first:</source>
        <translation>Léeme primero:</translation>
    </message>
    <message>
        <source>Libraries</source>
        <translation>Bibliotecas</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>Biblioteca</translation>
    </message>
    <message>
        <source>Used for</source>
        <translation>Se usa para</translation>
    </message>
    <message>
        <source>tensors, autograd, CUDA</source>
        <translation>tensores, autograd, CUDA</translation>
    </message>
    <message>
        <source>the window and its widgets</source>
        <translation>la ventana y sus controles</translation>
    </message>
    <message>
        <source>charts</source>
        <translation>gráficos</translation>
    </message>
    <message>
        <source>public domain</source>
        <translation>dominio público</translation>
    </message>
    <message>
        <source>the experiment store</source>
        <translation>el almacén de experimentos</translation>
    </message>
    <message>
        <source>tokenizers</source>
        <translation>tokenizadores</translation>
    </message>
    <message>
        <source>configuration files</source>
        <translation>archivos de configuración</translation>
    </message>
    <message>
        <source>JSON files</source>
        <translation>archivos JSON</translation>
    </message>
    <message>
        <source>benchmarks against inference servers</source>
        <translation>pruebas de rendimiento contra servidores de inferencia</translation>
    </message>
    <message>
        <source>the command line (tunebench-cli)</source>
        <translation>la línea de órdenes (tunebench-cli)</translation>
    </message>
    <message>
        <source>NVIDIA CUDA EULA</source>
        <translation>EULA de NVIDIA CUDA</translation>
    </message>
    <message>
        <source>GPU kernels</source>
        <translation>núcleos de GPU</translation>
    </message>
    <message>
        <source>The versions are those this build was compiled against (SQLite and Qt: loaded at run time). Each library&apos;s licence text is in its Debian package (/usr/share/doc/&lt;package&gt;/copyright).</source>
        <translation>Las versiones son aquellas con las que se compiló esta versión (SQLite y Qt: las cargadas al ejecutar). El texto de la licencia de cada biblioteca está en su paquete de Debian (/usr/share/doc/&lt;paquete&gt;/copyright).</translation>
    </message>
</context>
<context>
    <name>tbui::AdapterMenuButton</name>
    <message>
        <source>No trained adapter in this workspace yet</source>
        <translation>Aún no hay adaptadores entrenados en este espacio de trabajo</translation>
    </message>
    <message>
        <source>%1  (%2)</source>
        <translation>%1  (%2)</translation>
    </message>
    <message>
        <source> — running</source>
        <translation> — en curso</translation>
    </message>
    <message>
        <source>Other folder…</source>
        <translation>Otra carpeta…</translation>
    </message>
    <message>
        <source>Adapter folder</source>
        <translation>Carpeta del adaptador</translation>
    </message>
    <message>
        <source>Add adapter</source>
        <translation>Añadir adaptador</translation>
    </message>
    <message>
        <source>A LoRA adapter trained in this workspace (by run name), or another folder</source>
        <translation>Un adaptador LoRA entrenado en este espacio de trabajo (por nombre del entrenamiento) u otra carpeta</translation>
    </message>
</context>
<context>
    <name>tbui::BenchmarkPanel</name>
    <message>
        <source>Benchmark</source>
        <translation>Rendimiento</translation>
    </message>
    <message>
        <source>tunebench inference engines to measure, one after the other</source>
        <translation>Motores de inferencia de tunebench que se miden, uno tras otro</translation>
    </message>
    <message>
        <source>Engines:</source>
        <translation>Motores:</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>Carpeta del modelo</translation>
    </message>
    <message>
        <source>Random weights</source>
        <translation>Pesos aleatorios</translation>
    </message>
    <message>
        <source>HF model folder (the workspace&apos;s model)</source>
        <translation>Carpeta de modelo HF (el modelo del espacio de trabajo)</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation>Elija una carpeta de modelo</translation>
    </message>
    <message>
        <source>%1 (%2 layers, hidden %3)</source>
        <translation>%1 (%2 capas, oculta %3)</translation>
    </message>
    <message>
        <source>Random weights of this shape, saved once as a model folder so that every engine (and HF) loads the same weights from disk</source>
        <translation>Pesos aleatorios de esta forma, guardados una vez como carpeta de modelo para que cada motor (y HF) cargue los mismos pesos desde el disco</translation>
    </message>
    <message>
        <source>Batch sizes, comma-separated; each is measured on every engine</source>
        <translation>Tamaños de lote, separados por comas; cada uno se mide en cada motor</translation>
    </message>
    <message>
        <source>Batch sizes:</source>
        <translation>Tamaños de lote:</translation>
    </message>
    <message>
        <source>largest batch</source>
        <translation>lote mayor</translation>
    </message>
    <message>
        <source>Distinct synthetic prompts; a larger batch cycles through them</source>
        <translation>Prompts sintéticos distintos; un lote mayor los recorre en ciclo</translation>
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
        <translation>Longitud del prompt:</translation>
    </message>
    <message>
        <source>New tokens per request, exactly (greedy; EOS does not stop)</source>
        <translation>Tokens nuevos por petición, exactamente (greedy; EOS no detiene)</translation>
    </message>
    <message>
        <source>Max new tokens:</source>
        <translation>Máx. tokens nuevos:</translation>
    </message>
    <message>
        <source>Untimed runs per engine and batch size</source>
        <translation>Ejecuciones sin cronometrar por motor y tamaño de lote</translation>
    </message>
    <message>
        <source>Timed runs per engine and batch size: figures are their median, minimum and maximum</source>
        <translation>Ejecuciones cronometradas por motor y tamaño de lote: las cifras son su mediana, mínimo y máximo</translation>
    </message>
    <message>
        <source>timed:</source>
        <translation>cronometradas:</translation>
    </message>
    <message>
        <source>Warm-up runs:</source>
        <translation>Calentamiento:</translation>
    </message>
    <message>
        <source>auto: the first GPU when there is one, else the CPU; cuda:N</source>
        <translation>auto: la primera GPU si la hay, si no la CPU; cuda:N</translation>
    </message>
    <message>
        <source>auto: bfloat16 on a GPU, float32 on the CPU</source>
        <translation>auto: bfloat16 en una GPU, float32 en la CPU</translation>
    </message>
    <message>
        <source>Device, dtype:</source>
        <translation>Dispositivo, dtype:</translation>
    </message>
    <message>
        <source>Compare with HF transformers</source>
        <translation>Comparar con HF transformers</translation>
    </message>
    <message>
        <source>The Python that has torch and transformers</source>
        <translation>El Python que tiene torch y transformers</translation>
    </message>
    <message>
        <source>hf_generate_bench.py was not found beside this program (share/tunebench/bench)</source>
        <translation>No se encontró hf_generate_bench.py junto a este programa (share/tunebench/bench)</translation>
    </message>
    <message>
        <source>Runs HF transformers&apos; generate on the same prompts and weights in the same run (%1); every figure is also given as a ratio to it. Needs a Python with torch and transformers.</source>
        <translation>Ejecuta generate de HF transformers con los mismos prompts y pesos en la misma ejecución (%1); cada cifra se da también como razón respecto a él. Necesita un Python con torch y transformers.</translation>
    </message>
    <message>
        <source>Python:</source>
        <translation>Python:</translation>
    </message>
    <message>
        <source>Ru&amp;n benchmark</source>
        <translation>E&amp;jecutar prueba</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>%v of %m measured</source>
        <translation>%v de %m medidos</translation>
    </message>
    <message>
        <source>Earlier benchmarks (workspace store)</source>
        <translation>Pruebas anteriores (almacén del espacio de trabajo)</translation>
    </message>
    <message>
        <source>No benchmark shown: run one, or pick an earlier one.</source>
        <translation>Ninguna prueba mostrada: ejecute una o elija una anterior.</translation>
    </message>
    <message>
        <source>Export ta&amp;ble…</source>
        <translation>Exportar ta&amp;bla…</translation>
    </message>
    <message>
        <source>Ex&amp;port chart…</source>
        <translation>Ex&amp;portar gráfico…</translation>
    </message>
    <message>
        <source>Charts appear here: time to first token, end-to-end latency, tokens/s per request and aggregate, peak memory and load time, per engine and batch size.

Choose engines and settings on the left and run a benchmark, or pick an earlier one from the workspace&apos;s store. The same benchmark from the command line:

  tunebench-cli bench infer --model &lt;folder&gt; --engines eager --batch 1,8 --store &lt;workspace&gt;/tunebench.sqlite --out &lt;workspace&gt;/results/benchmarks/run.json</source>
        <translation>Aquí aparecen los gráficos: tiempo hasta el primer token, latencia de extremo a extremo, tokens/s por petición y agregados, memoria máxima y tiempo de carga, por motor y tamaño de lote.

Elija motores y ajustes a la izquierda y ejecute una prueba, o elija una anterior del almacén del espacio de trabajo. La misma prueba desde la línea de órdenes:

  tunebench-cli bench infer --model &lt;carpeta&gt; --engines eager --batch 1,8 --store &lt;espacio&gt;/tunebench.sqlite --out &lt;espacio&gt;/results/benchmarks/run.json</translation>
    </message>
    <message>
        <source>Time to first token</source>
        <translation>Tiempo hasta el primer token</translation>
    </message>
    <message>
        <source>End-to-end latency</source>
        <translation>Latencia de extremo a extremo</translation>
    </message>
    <message>
        <source>Tokens/s per request</source>
        <translation>Tokens/s por petición</translation>
    </message>
    <message>
        <source>Tokens/s aggregate</source>
        <translation>Tokens/s agregados</translation>
    </message>
    <message>
        <source>Peak memory</source>
        <translation>Memoria máxima</translation>
    </message>
    <message>
        <source>Load time</source>
        <translation>Tiempo de carga</translation>
    </message>
    <message>
        <source>This window cannot run benchmarks.</source>
        <translation>Esta ventana no puede ejecutar pruebas.</translation>
    </message>
    <message>
        <source>A benchmark is already running.</source>
        <translation>Ya hay una prueba en ejecución.</translation>
    </message>
    <message>
        <source>Tick at least one engine.</source>
        <translation>Marque al menos un motor.</translation>
    </message>
    <message>
        <source>Batch sizes: &quot;%1&quot; is not a whole number &gt;= 1.</source>
        <translation>Tamaños de lote: «%1» no es un número entero &gt;= 1.</translation>
    </message>
    <message>
        <source>Enter at least one batch size.</source>
        <translation>Introduzca al menos un tamaño de lote.</translation>
    </message>
    <message>
        <source>Choose a model folder, or tick &quot;Random weights&quot;.</source>
        <translation>Elija una carpeta de modelo o marque «Pesos aleatorios».</translation>
    </message>
    <message>
        <source>%1 is not a model folder (no config.json).</source>
        <translation>%1 no es una carpeta de modelo (no hay config.json).</translation>
    </message>
    <message>
        <source>Queued (no workspace: the result will not be saved)</source>
        <translation>En cola (sin espacio de trabajo: el resultado no se guardará)</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>En cola</translation>
    </message>
    <message>
        <source>Cancelling after the current run…</source>
        <translation>Cancelando tras la ejecución en curso…</translation>
    </message>
    <message>
        <source>Benchmark cancelled: nothing was recorded.</source>
        <translation>Prueba cancelada: no se registró nada.</translation>
    </message>
    <message>
        <source>Benchmark finished: run #%1, %2 rows in the store.</source>
        <translation>Prueba terminada: ejecución #%1, %2 filas en el almacén.</translation>
    </message>
    <message>
        <source>Benchmark finished.</source>
        <translation>Prueba terminada.</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>Guardada en %1</translation>
    </message>
    <message>
        <source>Not saved: no workspace is open.</source>
        <translation>No guardada: no hay ningún espacio de trabajo abierto.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>No guardada: %1</translation>
    </message>
    <message>
        <source>Run #%1</source>
        <translation>Ejecución #%1</translation>
    </message>
    <message>
        <source>Latest run</source>
        <translation>Última ejecución</translation>
    </message>
    <message>
        <source>Benchmark failed: %1</source>
        <translation>La prueba falló: %1</translation>
    </message>
    <message>
        <source>Run #%1 (%2)</source>
        <translation>Ejecución #%1 (%2)</translation>
    </message>
    <message>
        <source>CLI run of %1</source>
        <translation>Ejecución de la CLI del %1</translation>
    </message>
    <message>
        <source>%1: %2 (%3 layers, hidden %4), %5 %6, prompt %7 tokens, %8 new tokens, greedy; %9 warm-up + %10 timed runs per batch: medians, bars from minimum to maximum.</source>
        <translation>%1: %2 (%3 capas, oculta %4), %5 %6, prompt de %7 tokens, %8 tokens nuevos, greedy; %9 de calentamiento + %10 cronometradas por lote: medianas, barras del mínimo al máximo.</translation>
    </message>
    <message>
        <source>HF transformers was not measured: %1</source>
        <translation>HF transformers no se midió: %1</translation>
    </message>
    <message>
        <source>transformers (HF)</source>
        <translation>transformers (HF)</translation>
    </message>
    <message>
        <source>batch %1</source>
        <translation>lote %1</translation>
    </message>
    <message>
        <source>engine</source>
        <translation>motor</translation>
    </message>
    <message>
        <source>batch size</source>
        <translation>tamaño de lote</translation>
    </message>
    <message>
        <source>No benchmark results yet.</source>
        <translation>Todavía no hay resultados de pruebas de rendimiento.</translation>
    </message>
    <message>
        <source>TTFT (ms)</source>
        <translation>TTFT (ms)</translation>
    </message>
    <message>
        <source>latency (s)</source>
        <translation>latencia (s)</translation>
    </message>
    <message>
        <source>tokens/s per request</source>
        <translation>tokens/s por petición</translation>
    </message>
    <message>
        <source>tokens/s, all requests</source>
        <translation>tokens/s, todas las peticiones</translation>
    </message>
    <message>
        <source>GPU GB (dark: allocated, light: reserved)</source>
        <translation>GB de GPU (oscuro: asignada, claro: reservada)</translation>
    </message>
    <message>
        <source>host GB (process peak RSS)</source>
        <translation>GB del equipo (pico de RSS del proceso)</translation>
    </message>
    <message>
        <source>load time (s)</source>
        <translation>tiempo de carga (s)</translation>
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
        <translation>Ejecución</translation>
    </message>
    <message>
        <source>Date (UTC)</source>
        <translation>Fecha (UTC)</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Dispositivo</translation>
    </message>
    <message>
        <source>Engines</source>
        <translation>Motores</translation>
    </message>
    <message>
        <source>Batches</source>
        <translation>Lotes</translation>
    </message>
</context>
<context>
    <name>tbui::BenchmarkTableModel</name>
    <message>
        <source>Inter-token latency p50 %1 ms, p99 %2 ms (median [minimum–maximum] over the timed runs)</source>
        <translation>Latencia entre tokens p50 %1 ms, p99 %2 ms (mediana [mínimo–máximo] de las ejecuciones cronometradas)</translation>
    </message>
    <message>
        <source>Greedy tokens equal to HF&apos;s before the first difference: %1</source>
        <translation>Tokens greedy iguales a los de HF antes de la primera diferencia: %1</translation>
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
        <translation>Latencia entre tokens, p50 / p99 sobre cada intervalo entre dos tokens (medianas de las ejecuciones cronometradas)</translation>
    </message>
    <message>
        <source>Median over the timed runs [minimum–maximum]</source>
        <translation>Mediana de las ejecuciones cronometradas [mínimo–máximo]</translation>
    </message>
    <message>
        <source>Aggregate tokens/s as a ratio to HF transformers in the same run (&gt; 1 is faster)</source>
        <translation>Tokens/s agregados como razón respecto a HF transformers en la misma ejecución (&gt; 1 es más rápido)</translation>
    </message>
    <message>
        <source>CUDA: peak allocated / reserved over the timed runs (weights included); CPU: the process&apos;s peak resident memory</source>
        <translation>CUDA: máximo asignado / reservado en las ejecuciones cronometradas (pesos incluidos); CPU: la memoria residente máxima del proceso</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>Motor</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>Lote</translation>
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
        <translation>Extremo a extremo s</translation>
    </message>
    <message>
        <source>tok/s per request</source>
        <translation>tok/s por petición</translation>
    </message>
    <message>
        <source>tok/s aggregate</source>
        <translation>tok/s agregados</translation>
    </message>
    <message>
        <source>vs HF</source>
        <translation>vs HF</translation>
    </message>
    <message>
        <source>Peak memory</source>
        <translation>Memoria máxima</translation>
    </message>
    <message>
        <source>Load s</source>
        <translation>Carga s</translation>
    </message>
</context>
<context>
    <name>tbui::ChatPanel</name>
    <message>
        <source>Delete conversation</source>
        <translation>Eliminar conversación</translation>
    </message>
    <message>
        <source>Delete the conversation &quot;%1&quot;?</source>
        <translation>¿Eliminar la conversación «%1»?</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Conversaciones</translation>
    </message>
    <message>
        <source>Saved in the workspace&apos;s store; click one to re-open it</source>
        <translation>Guardadas en el almacén del espacio de trabajo; haz clic en una para reabrirla</translation>
    </message>
    <message>
        <source>&amp;New</source>
        <translation>&amp;Nueva</translation>
    </message>
    <message>
        <source>Start a new conversation</source>
        <translation>Empezar una conversación nueva</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Eliminar</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>Indicación del sistema</translation>
    </message>
    <message>
        <source>Instructions every model receives before the conversation</source>
        <translation>Instrucciones que recibe cada modelo antes de la conversación</translation>
    </message>
    <message>
        <source>Adapters</source>
        <translation>Adaptadores</translation>
    </message>
    <message>
        <source>The base model always answers in the first column</source>
        <translation>El modelo base responde siempre en la primera columna</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Quitar</translation>
    </message>
    <message>
        <source>Sampling (same for every column)</source>
        <translation>Muestreo (igual para todas las columnas)</translation>
    </message>
    <message>
        <source>Greedy</source>
        <translation>Voraz</translation>
    </message>
    <message>
        <source>Temperature:</source>
        <translation>Temperatura:</translation>
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
        <translation>Máx. de tokens nuevos:</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>Semilla:</translation>
    </message>
    <message>
        <source>Engine:</source>
        <translation>Motor:</translation>
    </message>
    <message>
        <source>off</source>
        <translation>desactivado</translation>
    </message>
    <message>
        <source>Divides the logits before sampling; lower is more focused</source>
        <translation>Divide los logits antes de muestrear; cuanto más baja, más centrada</translation>
    </message>
    <message>
        <source>Samples from the smallest set of tokens whose probability reaches p</source>
        <translation>Muestrea del menor conjunto de tokens cuya probabilidad alcanza p</translation>
    </message>
    <message>
        <source>Samples from the k most likely tokens (0: no limit)</source>
        <translation>Muestrea de los k tokens más probables (0: sin límite)</translation>
    </message>
    <message>
        <source>Every column restarts its sampler from this seed</source>
        <translation>Cada columna reinicia su muestreador desde esta semilla</translation>
    </message>
    <message>
        <source>Inference engine that answers in every column</source>
        <translation>Motor de inferencia que responde en todas las columnas</translation>
    </message>
    <message>
        <source>Available in this build</source>
        <translation>Disponible en esta compilación</translation>
    </message>
    <message>
        <source>Not available: %1</source>
        <translation>No disponible: %1</translation>
    </message>
    <message>
        <source>Type a message (Ctrl+Enter sends)</source>
        <translation>Escribe un mensaje (Ctrl+Intro lo envía)</translation>
    </message>
    <message>
        <source>&amp;Send</source>
        <translation>&amp;Enviar</translation>
    </message>
    <message>
        <source>Send the message to every model (Ctrl+Enter)</source>
        <translation>Enviar el mensaje a todos los modelos (Ctrl+Intro)</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>&amp;Detener</translation>
    </message>
    <message>
        <source>Conversations are not saved: %1</source>
        <translation>Las conversaciones no se guardan: %1</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>Modelo base</translation>
    </message>
    <message>
        <source>%1 tokens in %2 s · %3 tokens/s · %4</source>
        <translation>%1 tokens en %2 s · %3 tokens/s · %4</translation>
    </message>
    <message numerus="yes">
        <source>%n oldest turn(s) left out to fit the context</source>
        <translation>
            <numerusform>%n turno más antiguo omitido para caber en el contexto</numerusform>
            <numerusform>%n turnos más antiguos omitidos para caber en el contexto</numerusform>
        </translation>
    </message>
    <message>
        <source>You</source>
        <translation>Tú</translation>
    </message>
    <message>
        <source>Fixed for this conversation: start a new one to change it</source>
        <translation>Fijo en esta conversación: empieza una nueva para cambiarlo</translation>
    </message>
    <message>
        <source>Choose a workspace with a model first.</source>
        <translation>Elige antes un espacio de trabajo con un modelo.</translation>
    </message>
    <message>
        <source>Generating…</source>
        <translation>Generando…</translation>
    </message>
    <message>
        <source>Stopped before any answer.</source>
        <translation>Detenido antes de cualquier respuesta.</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Error: %1</translation>
    </message>
    <message>
        <source>The conversation could not be saved: %1</source>
        <translation>No se pudo guardar la conversación: %1</translation>
    </message>
    <message>
        <source>(untitled)</source>
        <translation>(sin título)</translation>
    </message>
    <message numerus="yes">
        <source>%1
Last answered %2
%n adapter(s)</source>
        <translation>
            <numerusform>%1
Última respuesta: %2
%n adaptador</numerusform>
            <numerusform>%1
Última respuesta: %2
%n adaptadores</numerusform>
        </translation>
    </message>
    <message>
        <source>No conversation %1 in the store.</source>
        <translation>No hay ninguna conversación %1 en el almacén.</translation>
    </message>
    <message>
        <source>This conversation was held with %1; the workspace&apos;s model (%2) answers new turns.</source>
        <translation>Esta conversación se mantuvo con %1; el modelo del espacio de trabajo (%2) responde a los turnos nuevos.</translation>
    </message>
</context>
<context>
    <name>tbui::ComparePanel</name>
    <message>
        <source>Inference engine that generates every column</source>
        <translation>Motor de inferencia que genera todas las columnas</translation>
    </message>
    <message>
        <source>Available in this build</source>
        <translation>Disponible en esta compilación</translation>
    </message>
    <message>
        <source>Not available: %1</source>
        <translation>No disponible: %1</translation>
    </message>
    <message>
        <source>Engine:</source>
        <translation>Motor:</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>Instrucción</translation>
    </message>
    <message>
        <source>Type a prompt, or pick a test-split row below</source>
        <translation>Escribe una instrucción o elige abajo una fila del conjunto de prueba</translation>
    </message>
    <message>
        <source>Row of the test split (load a dataset first)</source>
        <translation>Fila del conjunto de prueba (carga antes un conjunto de datos)</translation>
    </message>
    <message>
        <source>Use test row</source>
        <translation>Usar fila de prueba</translation>
    </message>
    <message>
        <source>Test row:</source>
        <translation>Fila de prueba:</translation>
    </message>
    <message>
        <source>Reference answer of the chosen row</source>
        <translation>Respuesta de referencia de la fila elegida</translation>
    </message>
    <message>
        <source>Adapters</source>
        <translation>Adaptadores</translation>
    </message>
    <message>
        <source>The base model is always the first column</source>
        <translation>El modelo base es siempre la primera columna</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Quitar</translation>
    </message>
    <message>
        <source>Sampling (same for every column)</source>
        <translation>Muestreo (igual para todas las columnas)</translation>
    </message>
    <message>
        <source>Greedy</source>
        <translation>Voraz</translation>
    </message>
    <message>
        <source>off</source>
        <translation>desactivado</translation>
    </message>
    <message>
        <source>Temperature:</source>
        <translation>Temperatura:</translation>
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
        <translation>Semilla:</translation>
    </message>
    <message>
        <source>Max new tokens:</source>
        <translation>Máx. de tokens nuevos:</translation>
    </message>
    <message>
        <source>Highlight word differences from the base</source>
        <translation>Resaltar las palabras que difieren del modelo base</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>&amp;Generar</translation>
    </message>
    <message>
        <source>Generate with every model (Ctrl+Enter)</source>
        <translation>Generar con todos los modelos (Ctrl+Intro)</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>&amp;Detener</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Error: %1</translation>
    </message>
    <message>
        <source>Base model</source>
        <translation>Modelo base</translation>
    </message>
    <message>
        <source>Choose a workspace with a model first.</source>
        <translation>Elige antes un espacio de trabajo con un modelo.</translation>
    </message>
    <message>
        <source>%1 tokens in %2 s · %3 tokens/s · %4</source>
        <translation>%1 tokens en %2 s · %3 tokens/s · %4</translation>
    </message>
</context>
<context>
    <name>tbui::ConfigDiffModel</name>
    <message>
        <source>Field</source>
        <translation>Campo</translation>
    </message>
    <message>
        <source>Default</source>
        <translation>Predeterminado</translation>
    </message>
    <message>
        <source>Current</source>
        <translation>Actual</translation>
    </message>
</context>
<context>
    <name>tbui::ConfigText</name>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>LoRA</source>
        <translation>LoRA</translation>
    </message>
    <message>
        <source>Quantisation</source>
        <translation>Cuantización</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Entrenamiento</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>Datos</translation>
    </message>
    <message>
        <source>Evaluation</source>
        <translation>Evaluación</translation>
    </message>
    <message>
        <source>Inference</source>
        <translation>Inferencia</translation>
    </message>
    <message>
        <source>Max length (tokens)</source>
        <translation>Longitud máxima (tokens)</translation>
    </message>
    <message>
        <source>Data type</source>
        <translation>Tipo de datos</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Dispositivo</translation>
    </message>
    <message>
        <source>Rank (r)</source>
        <translation>Rango (r)</translation>
    </message>
    <message>
        <source>Alpha</source>
        <translation>Alfa</translation>
    </message>
    <message>
        <source>Dropout</source>
        <translation>Dropout</translation>
    </message>
    <message>
        <source>Target modules</source>
        <translation>Módulos destino</translation>
    </message>
    <message>
        <source>Use rsLoRA</source>
        <translation>Usar rsLoRA</translation>
    </message>
    <message>
        <source>Use DoRA</source>
        <translation>Usar DoRA</translation>
    </message>
    <message>
        <source>Initialisation</source>
        <translation>Inicialización</translation>
    </message>
    <message>
        <source>Load in 4 bits</source>
        <translation>Cargar en 4 bits</translation>
    </message>
    <message>
        <source>4-bit type</source>
        <translation>Tipo de 4 bits</translation>
    </message>
    <message>
        <source>Double quantisation</source>
        <translation>Doble cuantización</translation>
    </message>
    <message>
        <source>Block size</source>
        <translation>Tamaño de bloque</translation>
    </message>
    <message>
        <source>Compute data type</source>
        <translation>Tipo de datos de cálculo</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>Épocas</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Tamaño de lote</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Tasa de aprendizaje</translation>
    </message>
    <message>
        <source>Gradient accumulation steps</source>
        <translation>Pasos de acumulación del gradiente</translation>
    </message>
    <message>
        <source>Optimizer</source>
        <translation>Optimizador</translation>
    </message>
    <message>
        <source>Weight decay</source>
        <translation>Decaimiento de pesos</translation>
    </message>
    <message>
        <source>Max gradient norm</source>
        <translation>Norma máxima del gradiente</translation>
    </message>
    <message>
        <source>LR scheduler</source>
        <translation>Programación de la tasa de aprendizaje</translation>
    </message>
    <message>
        <source>Warmup steps</source>
        <translation>Pasos de calentamiento</translation>
    </message>
    <message>
        <source>Warmup ratio</source>
        <translation>Proporción de calentamiento</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>Semilla</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>Implementación</translation>
    </message>
    <message>
        <source>Gradient checkpointing</source>
        <translation>Recomputación de activaciones (checkpointing)</translation>
    </message>
    <message>
        <source>CUDA graphs</source>
        <translation>Grafos CUDA</translation>
    </message>
    <message>
        <source>bf16 autocast</source>
        <translation>Autocast bf16</translation>
    </message>
    <message>
        <source>Processes per node</source>
        <translation>Procesos por nodo</translation>
    </message>
    <message>
        <source>Eval every (steps)</source>
        <translation>Evaluar cada (pasos)</translation>
    </message>
    <message>
        <source>Save every (steps)</source>
        <translation>Guardar cada (pasos)</translation>
    </message>
    <message>
        <source>Log every (steps)</source>
        <translation>Registrar cada (pasos)</translation>
    </message>
    <message>
        <source>Max steps</source>
        <translation>Pasos máximos</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>Carpeta de salida</translation>
    </message>
    <message>
        <source>Dataset file</source>
        <translation>Archivo del conjunto de datos</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Formato</translation>
    </message>
    <message>
        <source>Instruction column</source>
        <translation>Columna de instrucción</translation>
    </message>
    <message>
        <source>Context column</source>
        <translation>Columna de contexto</translation>
    </message>
    <message>
        <source>Response column</source>
        <translation>Columna de respuesta</translation>
    </message>
    <message>
        <source>Category column</source>
        <translation>Columna de categoría</translation>
    </message>
    <message>
        <source>Train ratio</source>
        <translation>Proporción de entrenamiento</translation>
    </message>
    <message>
        <source>Validation ratio</source>
        <translation>Proporción de validación</translation>
    </message>
    <message>
        <source>Test ratio</source>
        <translation>Proporción de prueba</translation>
    </message>
    <message>
        <source>Split seed</source>
        <translation>Semilla de la partición</translation>
    </message>
    <message>
        <source>Stratify by category</source>
        <translation>Estratificar por categoría</translation>
    </message>
    <message>
        <source>Prompt template</source>
        <translation>Plantilla de indicación</translation>
    </message>
    <message>
        <source>Loss on</source>
        <translation>Pérdida sobre</translation>
    </message>
    <message>
        <source>Packing</source>
        <translation>Empaquetado</translation>
    </message>
    <message>
        <source>Skip bad rows</source>
        <translation>Omitir filas erróneas</translation>
    </message>
    <message>
        <source>Metrics</source>
        <translation>Métricas</translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation>Máx. de tokens nuevos</translation>
    </message>
    <message>
        <source>Test rows</source>
        <translation>Filas de prueba</translation>
    </message>
    <message>
        <source>BERTScore model</source>
        <translation>Modelo de BERTScore</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>Motor</translation>
    </message>
    <message>
        <source>Quant format</source>
        <translation>Formato de cuantización</translation>
    </message>
    <message>
        <source>Hugging Face model id or local model folder (relative to the config)</source>
        <translation>Id de modelo de Hugging Face o carpeta local del modelo (relativa a la configuración)</translation>
    </message>
    <message>
        <source>Maximum tokens per training sequence; longer rows are truncated</source>
        <translation>Máximo de tokens por secuencia de entrenamiento; las filas más largas se truncan</translation>
    </message>
    <message>
        <source>Weight dtype of the base model (auto: bfloat16 on CUDA, float32 on CPU)</source>
        <translation>Tipo de datos de los pesos del modelo base (auto: bfloat16 en CUDA, float32 en CPU)</translation>
    </message>
    <message>
        <source>Device to train and evaluate on</source>
        <translation>Dispositivo en el que entrenar y evaluar</translation>
    </message>
    <message>
        <source>LoRA rank</source>
        <translation>Rango de LoRA</translation>
    </message>
    <message>
        <source>LoRA alpha; the update is scaled by alpha / r (alpha / sqrt(r) with rsLoRA)</source>
        <translation>Alfa de LoRA; la actualización se escala por alfa / r (alfa / sqrt(r) con rsLoRA)</translation>
    </message>
    <message>
        <source>Dropout probability on the LoRA branch input</source>
        <translation>Probabilidad de dropout en la entrada de la rama LoRA</translation>
    </message>
    <message>
        <source>Projections that get LoRA adapters</source>
        <translation>Proyecciones que reciben adaptadores LoRA</translation>
    </message>
    <message>
        <source>Rank-stabilised LoRA: scale by alpha / sqrt(r)</source>
        <translation>LoRA de rango estabilizado: escala por alfa / sqrt(r)</translation>
    </message>
    <message>
        <source>DoRA: learn a magnitude vector per output besides the LoRA direction</source>
        <translation>DoRA: aprende un vector de magnitud por salida además de la dirección LoRA</translation>
    </message>
    <message>
        <source>LoRA init as in PEFT: default = Kaiming-uniform A, zero B; gaussian = normal A (std 1/r), zero B</source>
        <translation>Inicialización de LoRA como en PEFT: default = A Kaiming uniforme, B cero; gaussian = A normal (desv. 1/r), B cero</translation>
    </message>
    <message>
        <source>QLoRA: store the frozen base linears as 4-bit NF4</source>
        <translation>QLoRA: guarda las capas lineales congeladas del modelo base en NF4 de 4 bits</translation>
    </message>
    <message>
        <source>4-bit data type (NF4, the QLoRA paper&apos;s NormalFloat)</source>
        <translation>Tipo de datos de 4 bits (NF4, el NormalFloat del artículo de QLoRA)</translation>
    </message>
    <message>
        <source>Quantise the per-block absmax values again (8-bit, blocks of 256)</source>
        <translation>Cuantiza otra vez los máximos absolutos por bloque (8 bits, bloques de 256)</translation>
    </message>
    <message>
        <source>Weights per quantisation block</source>
        <translation>Pesos por bloque de cuantización</translation>
    </message>
    <message>
        <source>Dtype the 4-bit weights are dequantised to for matmuls (auto: bfloat16 on CUDA, float32 on CPU)</source>
        <translation>Tipo de datos al que se descuantizan los pesos de 4 bits para las multiplicaciones (auto: bfloat16 en CUDA, float32 en CPU)</translation>
    </message>
    <message>
        <source>Passes over the train split</source>
        <translation>Pasadas por la partición de entrenamiento</translation>
    </message>
    <message>
        <source>Sequences per micro-batch</source>
        <translation>Secuencias por microlote</translation>
    </message>
    <message>
        <source>Peak learning rate (after warmup)</source>
        <translation>Tasa de aprendizaje máxima (tras el calentamiento)</translation>
    </message>
    <message>
        <source>Micro-batches per optimizer step (effective batch = batch_size x this)</source>
        <translation>Microlotes por paso del optimizador (lote efectivo = batch_size x este valor)</translation>
    </message>
    <message>
        <source>AdamW, 8-bit AdamW (blockwise-quantised states) or 8-bit AdamW with states paged to host memory (CUDA)</source>
        <translation>AdamW, AdamW de 8 bits (estados cuantizados por bloques) o AdamW de 8 bits con los estados paginados a la memoria del host (CUDA)</translation>
    </message>
    <message>
        <source>Decoupled weight decay of AdamW</source>
        <translation>Decaimiento de pesos desacoplado de AdamW</translation>
    </message>
    <message>
        <source>Clip the total gradient norm to this value (0: no clipping)</source>
        <translation>Recorta la norma total del gradiente a este valor (0: sin recorte)</translation>
    </message>
    <message>
        <source>Learning-rate schedule after warmup</source>
        <translation>Programa de la tasa de aprendizaje tras el calentamiento</translation>
    </message>
    <message>
        <source>Linear warmup steps (takes precedence over warmup_ratio when &gt; 0)</source>
        <translation>Pasos de calentamiento lineal (prevalece sobre warmup_ratio cuando es &gt; 0)</translation>
    </message>
    <message>
        <source>Warmup as a fraction of the total optimizer steps</source>
        <translation>Calentamiento como fracción del total de pasos del optimizador</translation>
    </message>
    <message>
        <source>Seed for LoRA init, dropout and data order</source>
        <translation>Semilla de la inicialización de LoRA, el dropout y el orden de los datos</translation>
    </message>
    <message>
        <source>reference: plain libtorch autograd; fused: hand-written LoRA/RMSNorm/RoPE/SwiGLU kernels and chunked cross-entropy</source>
        <translation>reference: autograd de libtorch sin más; fused: kernels escritos a mano de LoRA/RMSNorm/RoPE/SwiGLU y entropía cruzada por bloques</translation>
    </message>
    <message>
        <source>Recompute decoder layers during backward to save memory</source>
        <translation>Recalcula las capas del decodificador durante la retropropagación para ahorrar memoria</translation>
    </message>
    <message>
        <source>fused backend on CUDA: record forward + backward once as a CUDA graph and replay it (micro-batches padded to batch_size x max_length)</source>
        <translation>Backend fused en CUDA: graba una vez la pasada hacia delante y hacia atrás como grafo CUDA y lo repite (microlotes rellenados a batch_size x max_length)</translation>
    </message>
    <message>
        <source>bf16 autocast on CUDA (ignored on CPU)</source>
        <translation>Autocast bf16 en CUDA (se ignora en CPU)</translation>
    </message>
    <message>
        <source>GPUs (data-parallel ranks) on this machine: one process per GPU over NCCL on CUDA, Gloo processes on CPU; the global batch is this x batch_size</source>
        <translation>GPU (rangos en paralelo de datos) de esta máquina: un proceso por GPU sobre NCCL en CUDA, procesos Gloo en CPU; el lote global es este valor x batch_size</translation>
    </message>
    <message>
        <source>Validation loss every N optimizer steps (0: at the end of each epoch)</source>
        <translation>Pérdida de validación cada N pasos del optimizador (0: al final de cada época)</translation>
    </message>
    <message>
        <source>Checkpoint every N optimizer steps (0: at the end of each epoch)</source>
        <translation>Punto de control cada N pasos del optimizador (0: al final de cada época)</translation>
    </message>
    <message>
        <source>Write a log record every N optimizer steps</source>
        <translation>Escribe un registro cada N pasos del optimizador</translation>
    </message>
    <message>
        <source>Stop after this many optimizer steps</source>
        <translation>Se detiene tras este número de pasos del optimizador</translation>
    </message>
    <message>
        <source>Runs are written to &lt;output_dir&gt;/&lt;backend&gt;/&lt;YYYYMMDD_HHMMSS&gt;/</source>
        <translation>Las ejecuciones se escriben en &lt;output_dir&gt;/&lt;backend&gt;/&lt;AAAAMMDD_HHMMSS&gt;/</translation>
    </message>
    <message>
        <source>Dataset file (relative paths resolve against the config&apos;s folder)</source>
        <translation>Archivo del conjunto de datos (las rutas relativas se resuelven respecto a la carpeta de la configuración)</translation>
    </message>
    <message>
        <source>Dataset format: Dolly JSONL, Alpaca JSON/JSONL, chat messages JSONL, ShareGPT conversations, CSV</source>
        <translation>Formato del conjunto de datos: Dolly JSONL, Alpaca JSON/JSONL, mensajes de chat JSONL, conversaciones ShareGPT, CSV</translation>
    </message>
    <message>
        <source>CSV: column with the instruction</source>
        <translation>CSV: columna con la instrucción</translation>
    </message>
    <message>
        <source>CSV: column with the context (optional; absent column = no context)</source>
        <translation>CSV: columna con el contexto (opcional; sin columna = sin contexto)</translation>
    </message>
    <message>
        <source>CSV: column with the response</source>
        <translation>CSV: columna con la respuesta</translation>
    </message>
    <message>
        <source>CSV: column with the category (optional)</source>
        <translation>CSV: columna con la categoría (opcional)</translation>
    </message>
    <message>
        <source>Fraction of rows in the train split</source>
        <translation>Fracción de filas en la partición de entrenamiento</translation>
    </message>
    <message>
        <source>Fraction of rows in the validation split</source>
        <translation>Fracción de filas en la partición de validación</translation>
    </message>
    <message>
        <source>Fraction of rows in the test split</source>
        <translation>Fracción de filas en la partición de prueba</translation>
    </message>
    <message>
        <source>Seed of the train/val/test split (same seed, same split everywhere)</source>
        <translation>Semilla de la partición entrenamiento/validación/prueba (misma semilla, misma partición en todas partes)</translation>
    </message>
    <message>
        <source>Keep each category&apos;s share the same in every split</source>
        <translation>Mantiene la proporción de cada categoría igual en todas las particiones</translation>
    </message>
    <message>
        <source>chat: the model&apos;s chat template; instruction: Alpaca-style ### Instruction / ### Response text (base models)</source>
        <translation>chat: la plantilla de chat del modelo; instruction: texto estilo Alpaca ### Instruction / ### Response (modelos base)</translation>
    </message>
    <message>
        <source>Tokens that contribute to the loss: the response only, or all</source>
        <translation>Tokens que cuentan en la pérdida: solo la respuesta, o todos</translation>
    </message>
    <message>
        <source>Pack several short rows into one max_length sequence (each attends only to itself; positions restart per row)</source>
        <translation>Empaqueta varias filas cortas en una secuencia de max_length (cada una solo se atiende a sí misma; las posiciones se reinician en cada fila)</translation>
    </message>
    <message>
        <source>Skip malformed rows and report them instead of stopping</source>
        <translation>Omite las filas mal formadas y las informa en lugar de detenerse</translation>
    </message>
    <message>
        <source>Generation metrics computed on the test split</source>
        <translation>Métricas de generación calculadas en la partición de prueba</translation>
    </message>
    <message>
        <source>Tokens generated per test prompt</source>
        <translation>Tokens generados por cada prompt de prueba</translation>
    </message>
    <message>
        <source>Number of test rows to evaluate</source>
        <translation>Número de filas de prueba que se evalúan</translation>
    </message>
    <message>
        <source>Prompts generated together</source>
        <translation>Prompts generados a la vez</translation>
    </message>
    <message>
        <source>Model folder or Hugging Face id used by BERTScore</source>
        <translation>Carpeta del modelo o id de Hugging Face que usa BERTScore</translation>
    </message>
    <message>
        <source>Inference engine of evaluate and the compare panel: eager (forward per token over a KV cache), graph (CUDA graphs, CUDA only), quant (weight-only quantized), paged (paged KV cache, continuous batching)</source>
        <translation>Motor de inferencia de evaluate y del panel de comparación: eager (una pasada por token sobre una caché KV), graph (grafos CUDA, solo CUDA), quant (pesos cuantizados), paged (caché KV paginada, lotes continuos)</translation>
    </message>
    <message>
        <source>Weight format of the quant engine: q8_0 (8.5 bits per weight, llama.cpp&apos;s Q8_0) or nf4 (4.13 bits, QLoRA&apos;s NF4)</source>
        <translation>Formato de pesos del motor quant: q8_0 (8,5 bits por peso, el Q8_0 de llama.cpp) o nf4 (4,13 bits, el NF4 de QLoRA)</translation>
    </message>
    <message>
        <source>derived from epochs</source>
        <translation>derivado de las épocas</translation>
    </message>
    <message>
        <source>the whole test split</source>
        <translation>toda la partición de prueba</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true o false</translation>
    </message>
    <message>
        <source>any text</source>
        <translation>cualquier texto</translation>
    </message>
    <message>
        <source>one of %1</source>
        <translation>uno de %1</translation>
    </message>
    <message>
        <source>list of texts</source>
        <translation>lista de textos</translation>
    </message>
    <message>
        <source>list of %1</source>
        <translation>lista de %1</translation>
    </message>
    <message>
        <source>%1 (%2) or %3</source>
        <translation>%1 (%2) o %3</translation>
    </message>
</context>
<context>
    <name>tbui::DatasetPanel</name>
    <message>
        <source>All splits</source>
        <translation>Todas las particiones</translation>
    </message>
    <message>
        <source>Search instruction, context and response…</source>
        <translation>Buscar en instrucción, contexto y respuesta…</translation>
    </message>
    <message>
        <source>Export table…</source>
        <translation>Exportar tabla…</translation>
    </message>
    <message>
        <source>Category:</source>
        <translation>Categoría:</translation>
    </message>
    <message>
        <source>Split:</source>
        <translation>Partición:</translation>
    </message>
    <message>
        <source>No dataset loaded. Choose a workspace first.</source>
        <translation>No hay datos cargados. Elige antes un espacio de trabajo.</translation>
    </message>
    <message>
        <source>Row</source>
        <translation>Fila</translation>
    </message>
    <message>
        <source>Length histogram</source>
        <translation>Histograma de longitudes</translation>
    </message>
    <message>
        <source>Categories</source>
        <translation>Categorías</translation>
    </message>
    <message>
        <source>Bad rows</source>
        <translation>Filas erróneas</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>Cargando %1…</translation>
    </message>
    <message>
        <source>All categories</source>
        <translation>Todas las categorías</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(ninguna)</translation>
    </message>
    <message>
        <source>%1: %2 rows (train %3, validation %4, test %5), %6 bad rows skipped</source>
        <translation>%1: %2 filas (entrenamiento %3, validación %4, prueba %5), %6 filas erróneas omitidas</translation>
    </message>
    <message>
        <source>Warning: %1</source>
        <translation>Aviso: %1</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>Instrucción</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Contexto</translation>
    </message>
    <message>
        <source>Response</source>
        <translation>Respuesta</translation>
    </message>
    <message>
        <source>Category: %1 · line %2</source>
        <translation>Categoría: %1 · línea %2</translation>
    </message>
    <message>
        <source>rows</source>
        <translation>filas</translation>
    </message>
    <message>
        <source>Could not load %1: %2</source>
        <translation>No se pudo cargar %1: %2</translation>
    </message>
    <message>
        <source>No row matches the filters: change the category, split or search text.</source>
        <translation>Ninguna fila cumple los filtros: cambia la categoría, la partición o el texto de búsqueda.</translation>
    </message>
    <message>
        <source>Length of the rows shown</source>
        <translation>Longitud de las filas mostradas</translation>
    </message>
    <message>
        <source>prompt + response (characters)</source>
        <translation>indicación + respuesta (caracteres)</translation>
    </message>
    <message>
        <source>No rows to measure.</source>
        <translation>No hay filas que medir.</translation>
    </message>
    <message>
        <source>Rows per category (whole dataset)</source>
        <translation>Filas por categoría (todo el conjunto de datos)</translation>
    </message>
    <message>
        <source>category</source>
        <translation>categoría</translation>
    </message>
    <message>
        <source>No dataset loaded.</source>
        <translation>No hay ningún conjunto de datos cargado.</translation>
    </message>
    <message>
        <source>None: every row of %1 was read.</source>
        <translation>Ninguna: se leyeron todas las filas de %1.</translation>
    </message>
    <message>
        <source>%1 of %2 rows shown</source>
        <translation>%1 de %2 filas mostradas</translation>
    </message>
    <message>
        <source>No row matches the filters.</source>
        <translation>Ninguna fila cumple los filtros.</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>tokens</translation>
    </message>
    <message>
        <source>characters</source>
        <translation>caracteres</translation>
    </message>
    <message>
        <source>Tokens: the config&apos;s model tokenizes every row as training does (prompt template, bos and eos). Characters: the instruction template&apos;s text.</source>
        <translation>Tokens: el modelo de la configuración tokeniza cada fila como lo hace el entrenamiento (plantilla de prompt, bos y eos). Caracteres: el texto de la plantilla de instrucciones.</translation>
    </message>
    <message>
        <source>&amp;Lengths in:</source>
        <translation>&amp;Longitudes en:</translation>
    </message>
    <message>
        <source>%1 tokens</source>
        <translation>%1 tokens</translation>
    </message>
    <message>
        <source>Token lengths need a model: open a workspace (showing characters).</source>
        <translation>Las longitudes en tokens necesitan un modelo: abra un espacio de trabajo (se muestran caracteres).</translation>
    </message>
    <message>
        <source>Counting tokens with the model&apos;s tokenizer: %1 of %2 rows…</source>
        <translation>Contando tokens con el tokenizador del modelo: %1 de %2 filas…</translation>
    </message>
    <message>
        <source>(characters shown until then)</source>
        <translation>(hasta entonces se muestran caracteres)</translation>
    </message>
    <message>
        <source>No token lengths: %1</source>
        <translation>Sin longitudes en tokens: %1</translation>
    </message>
    <message>
        <source>max_length %1: %2 of %3 rows shown are longer and would be truncated in training.</source>
        <translation>max_length %1: %2 de %3 filas mostradas son más largas y se truncarían al entrenar.</translation>
    </message>
    <message>
        <source>max_length (%1) counts tokens: choose tokens to see which rows are truncated.</source>
        <translation>max_length (%1) cuenta tokens: elija tokens para ver qué filas se truncan.</translation>
    </message>
    <message>
        <source>prompt + response (tokens, as training sees them)</source>
        <translation>prompt + respuesta (tokens, como los ve el entrenamiento)</translation>
    </message>
    <message>
        <source>max_length %1
%2 truncated</source>
        <translation>max_length %1
%2 truncadas</translation>
    </message>
</context>
<context>
    <name>tbui::DatasetTableModel</name>
    <message>
        <source>train</source>
        <translation>entrenamiento</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>validación</translation>
    </message>
    <message>
        <source>test</source>
        <translation>prueba</translation>
    </message>
    <message>
        <source>#</source>
        <translation>n.º</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>Partición</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>Categoría</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>Instrucción</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Contexto</translation>
    </message>
    <message>
        <source>Response</source>
        <translation>Respuesta</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>Línea</translation>
    </message>
</context>
<context>
    <name>tbui::Export</name>
    <message>
        <source>no chart</source>
        <translation>no hay gráfico</translation>
    </message>
    <message>
        <source>could not write %1</source>
        <translation>no se pudo escribir %1</translation>
    </message>
    <message>
        <source>unknown chart format &apos;%1&apos; (use .png, .pdf or .svg)</source>
        <translation>formato de gráfico desconocido «%1» (usa .png, .pdf o .svg)</translation>
    </message>
    <message>
        <source>could not open %1</source>
        <translation>no se pudo abrir %1</translation>
    </message>
    <message>
        <source>unknown table format &apos;%1&apos; (use .csv, .json or .md)</source>
        <translation>formato de tabla desconocido «%1» (usa .csv, .json o .md)</translation>
    </message>
    <message>
        <source>Export chart</source>
        <translation>Exportar gráfico</translation>
    </message>
    <message>
        <source>PNG image (*.png);;PDF document (*.pdf);;SVG image (*.svg)</source>
        <translation>Imagen PNG (*.png);;Documento PDF (*.pdf);;Imagen SVG (*.svg)</translation>
    </message>
    <message>
        <source>Export table</source>
        <translation>Exportar tabla</translation>
    </message>
    <message>
        <source>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</source>
        <translation>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</translation>
    </message>
    <message>
        <source>Export chart…</source>
        <translation>Exportar gráfico…</translation>
    </message>
</context>
<context>
    <name>tbui::ExportDialog</name>
    <message>
        <source>Model folder</source>
        <translation>Carpeta del modelo</translation>
    </message>
    <message>
        <source>LoRA adapter folder</source>
        <translation>Carpeta del adaptador LoRA</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>Carpeta de salida</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>Copiado</translation>
    </message>
    <message>
        <source>Export model</source>
        <translation>Exportar modelo</translation>
    </message>
    <message>
        <source>&amp;Model folder:</source>
        <translation>Carpeta del &amp;modelo:</translation>
    </message>
    <message>
        <source>LoRA &amp;adapter:</source>
        <translation>&amp;Adaptador LoRA:</translation>
    </message>
    <message>
        <source>&amp;Format:</source>
        <translation>&amp;Formato:</translation>
    </message>
    <message>
        <source>GGUF &amp;type:</source>
        <translation>&amp;Tipo GGUF:</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Nombre:</translation>
    </message>
    <message>
        <source>&amp;Output folder:</source>
        <translation>Carpeta de &amp;salida:</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Examinar…</translation>
    </message>
    <message>
        <source>Hugging Face Llama folder (config.json, safetensors)</source>
        <translation>Carpeta Llama de Hugging Face (config.json, safetensors)</translation>
    </message>
    <message>
        <source>none: the model alone</source>
        <translation>ninguno: solo el modelo</translation>
    </message>
    <message>
        <source>PEFT LoRA adapter folder: merged into the model (Hugging Face folder, GGUF) or converted on its own (GGUF LoRA adapter)</source>
        <translation>Carpeta del adaptador LoRA de PEFT: se fusiona con el modelo (carpeta de Hugging Face, GGUF) o se convierte por separado (adaptador LoRA GGUF)</translation>
    </message>
    <message>
        <source>Hugging Face folder (adapter merged)</source>
        <translation>Carpeta de Hugging Face (adaptador fusionado)</translation>
    </message>
    <message>
        <source>GGUF, one file (llama.cpp, Ollama)</source>
        <translation>GGUF, un archivo (llama.cpp, Ollama)</translation>
    </message>
    <message>
        <source>GGUF base + GGUF LoRA adapter</source>
        <translation>GGUF base + adaptador LoRA GGUF</translation>
    </message>
    <message>
        <source>GGUF writes an Ollama Modelfile beside the model; the LoRA adapter format keeps the adapter apart (llama.cpp --lora, Ollama ADAPTER)</source>
        <translation>GGUF escribe un Modelfile de Ollama junto al modelo; el formato de adaptador LoRA mantiene el adaptador aparte (llama.cpp --lora, ADAPTER de Ollama)</translation>
    </message>
    <message>
        <source>F16 (16-bit)</source>
        <translation>F16 (16 bits)</translation>
    </message>
    <message>
        <source>BF16 (16-bit, bfloat)</source>
        <translation>BF16 (16 bits, bfloat)</translation>
    </message>
    <message>
        <source>Q8_0 (8-bit)</source>
        <translation>Q8_0 (8 bits)</translation>
    </message>
    <message>
        <source>Q4_K_M (4-bit, smallest)</source>
        <translation>Q4_K_M (4 bits, el más pequeño)</translation>
    </message>
    <message>
        <source>Weight type of the GGUF model, as llama-quantize names it</source>
        <translation>Tipo de los pesos del modelo GGUF, con el nombre que le da llama-quantize</translation>
    </message>
    <message>
        <source>from the model and adapter folder names</source>
        <translation>a partir de los nombres de las carpetas del modelo y del adaptador</translation>
    </message>
    <message>
        <source>File name of the GGUF and the name for `ollama create`</source>
        <translation>Nombre del archivo GGUF y nombre para `ollama create`</translation>
    </message>
    <message>
        <source>folder for the exported files</source>
        <translation>carpeta para los archivos exportados</translation>
    </message>
    <message>
        <source>&amp;Written files:</source>
        <translation>Arc&amp;hivos escritos:</translation>
    </message>
    <message>
        <source>Create the Ollama model with:</source>
        <translation>Cree el modelo de Ollama con:</translation>
    </message>
    <message>
        <source>Cop&amp;y</source>
        <translation>Co&amp;piar</translation>
    </message>
    <message>
        <source>Copy the command to the clipboard</source>
        <translation>Copia la orden al portapapeles</translation>
    </message>
    <message>
        <source>&amp;Export</source>
        <translation>&amp;Exportar</translation>
    </message>
    <message>
        <source>&amp;Cancel export</source>
        <translation>&amp;Cancelar exportación</translation>
    </message>
    <message>
        <source>Stop the export; none of its files are kept</source>
        <translation>Detiene la exportación; no se conserva ninguno de sus archivos</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Cerrar</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>Cargando el modelo…</translation>
    </message>
    <message>
        <source>Merging the adapter into the model…</source>
        <translation>Fusionando el adaptador con el modelo…</translation>
    </message>
    <message>
        <source>Wrote %1 of %2 tensors</source>
        <translation>Escritos %1 de %2 tensores</translation>
    </message>
    <message>
        <source>Writing tensor %1 of %2: %3</source>
        <translation>Escribiendo el tensor %1 de %2: %3</translation>
    </message>
    <message>
        <source>Writing the GGUF LoRA adapter…</source>
        <translation>Escribiendo el adaptador LoRA GGUF…</translation>
    </message>
    <message>
        <source>Writing the Ollama Modelfile…</source>
        <translation>Escribiendo el Modelfile de Ollama…</translation>
    </message>
    <message>
        <source>Saving the merged model…</source>
        <translation>Guardando el modelo fusionado…</translation>
    </message>
    <message>
        <source>not started</source>
        <translation>sin iniciar</translation>
    </message>
    <message>
        <source>Waiting for the running job to finish: %1</source>
        <translation>Esperando a que termine el trabajo en curso: %1</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Iniciando…</translation>
    </message>
    <message>
        <source>done</source>
        <translation>terminado</translation>
    </message>
    <message>
        <source>Export finished in %1 s.</source>
        <translation>Exportación terminada en %1 s.</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>Nota: %1</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>error</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>Error en la exportación: %1</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>cancelado</translation>
    </message>
    <message>
        <source>Export cancelled; none of its files were kept.</source>
        <translation>Exportación cancelada; no se conservó ninguno de sus archivos.</translation>
    </message>
    <message>
        <source>An export is already running.</source>
        <translation>Ya hay una exportación en curso.</translation>
    </message>
    <message>
        <source>No worker to run the export.</source>
        <translation>No hay ningún proceso de trabajo para la exportación.</translation>
    </message>
    <message>
        <source>Choose the model folder.</source>
        <translation>Elija la carpeta del modelo.</translation>
    </message>
    <message>
        <source>The GGUF LoRA adapter format needs an adapter folder.</source>
        <translation>El formato de adaptador LoRA GGUF necesita una carpeta de adaptador.</translation>
    </message>
    <message>
        <source>Choose the output folder.</source>
        <translation>Elija la carpeta de salida.</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Cancelando…</translation>
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
        <translation>Archivo</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Tamaño</translation>
    </message>
</context>
<context>
    <name>tbui::HyperparamPanel</name>
    <message>
        <source>Defaults</source>
        <translation>Valores predeterminados</translation>
    </message>
    <message>
        <source>Study: TinyLlama QLoRA on Dolly</source>
        <translation>Estudio: TinyLlama QLoRA con Dolly</translation>
    </message>
    <message>
        <source>Demo workspace</source>
        <translation>Espacio de demostración</translation>
    </message>
    <message>
        <source>Apply preset</source>
        <translation>Aplicar preajuste</translation>
    </message>
    <message>
        <source>&amp;Load YAML…</source>
        <translation>&amp;Cargar YAML…</translation>
    </message>
    <message>
        <source>Preset:</source>
        <translation>Preajuste:</translation>
    </message>
    <message>
        <source>Export diff…</source>
        <translation>Exportar diferencias…</translation>
    </message>
    <message>
        <source>&lt;b&gt;Validation&lt;/b&gt;</source>
        <translation>&lt;b&gt;Validación&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;Estimate before launching&lt;/b&gt;</source>
        <translation>&lt;b&gt;Estimación antes de lanzar&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;Changed from the defaults&lt;/b&gt;</source>
        <translation>&lt;b&gt;Cambios respecto a los valores predeterminados&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Allowed: %1</source>
        <translation>Permitido: %1</translation>
    </message>
    <message>
        <source>Default: %1</source>
        <translation>Predeterminado: %1</translation>
    </message>
    <message>
        <source>The configuration is valid.</source>
        <translation>La configuración es válida.</translation>
    </message>
    <message>
        <source>No estimate: the model folder&apos;s config.json is not readable (%1).</source>
        <translation>Sin estimación: no se puede leer el config.json de la carpeta del modelo (%1).</translation>
    </message>
    <message>
        <source>Base parameters: %1 M; LoRA parameters: %2 M&lt;br&gt;Memory (rough): %3 GiB = weights %4 + LoRA training state %5 + activations %6</source>
        <translation>Parámetros base: %1 M; parámetros LoRA: %2 M&lt;br&gt;Memoria (aprox.): %3 GiB = pesos %4 + estado de entrenamiento LoRA %5 + activaciones %6</translation>
    </message>
    <message>
        <source>Time (rough, %1 optimizer steps at an assumed %2 GFLOP/s): %3 h</source>
        <translation>Tiempo (aprox., %1 pasos del optimizador a unos supuestos %2 GFLOP/s): %3 h</translation>
    </message>
    <message>
        <source>Time: load the dataset to estimate the number of steps.</source>
        <translation>Tiempo: carga el conjunto de datos para estimar el número de pasos.</translation>
    </message>
    <message>
        <source>Load configuration</source>
        <translation>Cargar configuración</translation>
    </message>
    <message>
        <source>YAML (*.yaml *.yml)</source>
        <translation>YAML (*.yaml *.yml)</translation>
    </message>
    <message>
        <source>Save configuration</source>
        <translation>Guardar configuración</translation>
    </message>
    <message>
        <source>Could not write %1</source>
        <translation>No se pudo escribir %1</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Guardar</translation>
    </message>
    <message>
        <source>Save &amp;as…</source>
        <translation>Guardar &amp;como…</translation>
    </message>
    <message>
        <source>%1 could not be loaded (the form shows defaults; fix the file and load it, or save the form over it): %2</source>
        <translation>No se pudo cargar %1 (el formulario muestra los valores por defecto; corrija el archivo y cárguelo, o guarde el formulario encima): %2</translation>
    </message>
    <message>
        <source>No configuration file (Save as… writes one)</source>
        <translation>Sin archivo de configuración (Guardar como… crea uno)</translation>
    </message>
    <message>
        <source>%1 — could not be loaded</source>
        <translation>%1 — no se pudo cargar</translation>
    </message>
    <message>
        <source>%1 — not saved yet</source>
        <translation>%1 — aún sin guardar</translation>
    </message>
    <message>
        <source>%1 — modified (%2)</source>
        <translation>%1 — modificado (%2)</translation>
    </message>
    <message>
        <source>%1 — modified</source>
        <translation>%1 — modificado</translation>
    </message>
    <message>
        <source>Training and evaluation are blocked until these are fixed:</source>
        <translation>El entrenamiento y la evaluación están bloqueados hasta que se corrija esto:</translation>
    </message>
    <message>
        <source>The form is not tied to a file</source>
        <translation>El formulario no está asociado a ningún archivo</translation>
    </message>
    <message>
        <source>Active configuration file: %1</source>
        <translation>Archivo de configuración activo: %1</translation>
    </message>
    <message>
        <source>%1 from the workspace</source>
        <translation>%1 tomado del espacio de trabajo</translation>
    </message>
    <message>
        <source>Not saved: fix these first: %1</source>
        <translation>No se guardó: corrija primero esto: %1</translation>
    </message>
    <message>
        <source>%1 could not be loaded. Replace it with the settings shown?</source>
        <translation>No se pudo cargar %1. ¿Reemplazarlo por la configuración mostrada?</translation>
    </message>
    <message>
        <source>No preset applied</source>
        <translation>Ningún preajuste aplicado</translation>
    </message>
    <message>
        <source>Applied: </source>
        <translation>Aplicado: </translation>
    </message>
    <message>
        <source>Preset edited</source>
        <translation>Preajuste modificado</translation>
    </message>
    <message>
        <source>YAML key: %1</source>
        <translation>Clave YAML: %1</translation>
    </message>
    <message>
        <source>Applied: %1</source>
        <translation>Aplicado: %1</translation>
    </message>
    <message>
        <source>Per rank, for %1 data-parallel ranks (gradient all-reduce buckets %2 GiB included)</source>
        <translation>Por proceso, para %1 procesos de paralelismo de datos (incluidos %2 GiB de cubos de all-reduce de gradientes)</translation>
    </message>
</context>
<context>
    <name>tbui::JobQueue</name>
    <message>
        <source>Create demo workspace</source>
        <translation>Crear espacio de demostración</translation>
    </message>
    <message>
        <source>Load dataset</source>
        <translation>Cargar conjunto de datos</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Entrenamiento</translation>
    </message>
    <message>
        <source>Compare generations</source>
        <translation>Comparar generaciones</translation>
    </message>
    <message>
        <source>Export merged model</source>
        <translation>Exportar modelo fusionado</translation>
    </message>
    <message>
        <source>Export adapter</source>
        <translation>Exportar adaptador</translation>
    </message>
    <message>
        <source>Evaluation</source>
        <translation>Evaluación</translation>
    </message>
    <message>
        <source>Inference benchmark</source>
        <translation>Prueba de rendimiento de inferencia</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Chat</translation>
    </message>
    <message>
        <source>Export model</source>
        <translation>Exportar modelo</translation>
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
        <translation>Espacio de &amp;trabajo</translation>
    </message>
    <message>
        <source>&amp;Dataset</source>
        <translation>&amp;Datos</translation>
    </message>
    <message>
        <source>&amp;Hyperparameters</source>
        <translation>&amp;Hiperparámetros</translation>
    </message>
    <message>
        <source>&amp;Training</source>
        <translation>&amp;Entrenamiento</translation>
    </message>
    <message>
        <source>&amp;Compare</source>
        <translation>&amp;Comparar</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>&amp;Acerca de</translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation>Error: %1</translation>
    </message>
    <message>
        <source>Workspace: %1</source>
        <translation>Espacio de trabajo: %1</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>Open &amp;demo workspace</source>
        <translation>Abrir espacio de &amp;demostración</translation>
    </message>
    <message>
        <source>&amp;Load configuration…</source>
        <translation>&amp;Cargar configuración…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ver</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Idioma</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Idioma del sistema</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Ay&amp;uda</translation>
    </message>
    <message>
        <source>&amp;About tunebench</source>
        <translation>&amp;Acerca de tunebench</translation>
    </message>
    <message>
        <source>Closing…</source>
        <translation>Cerrando…</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>En espera</translation>
    </message>
    <message>
        <source>Running: %1</source>
        <translation>En curso: %1</translation>
    </message>
    <message>
        <source>Queued: %1</source>
        <translation>En cola: %1</translation>
    </message>
    <message>
        <source>Stopping the running job before closing…</source>
        <translation>Deteniendo la tarea en curso antes de cerrar…</translation>
    </message>
    <message>
        <source>H&amp;uman evaluation</source>
        <translation>Eva&amp;luación humana</translation>
    </message>
    <message>
        <source>&amp;Results</source>
        <translation>&amp;Resultados</translation>
    </message>
    <message>
        <source>Export &amp;adapter…</source>
        <translation>Exportar &amp;adaptador…</translation>
    </message>
    <message>
        <source>Export &amp;merged model…</source>
        <translation>Exportar modelo &amp;fusionado…</translation>
    </message>
    <message>
        <source>Workspace: %1; its configuration could not be loaded: %2</source>
        <translation>Espacio de trabajo: %1; no se pudo cargar su configuración: %2</translation>
    </message>
    <message>
        <source>&amp;Save configuration</source>
        <translation>&amp;Guardar configuración</translation>
    </message>
    <message>
        <source>Save configuration &amp;as…</source>
        <translation>Guardar configuración &amp;como…</translation>
    </message>
    <message>
        <source>Bench&amp;mark</source>
        <translation>Rendi&amp;miento</translation>
    </message>
    <message>
        <source>Ru&amp;ns</source>
        <translation>Ejecucio&amp;nes</translation>
    </message>
    <message>
        <source>Chat &amp;playground</source>
        <translation>&amp;Zona de chat</translation>
    </message>
    <message>
        <source>Ser&amp;ve</source>
        <translation>&amp;Servir</translation>
    </message>
    <message>
        <source>Export m&amp;odel…</source>
        <translation>Exportar m&amp;odelo…</translation>
    </message>
</context>
<context>
    <name>tbui::RatingPanel</name>
    <message>
        <source>Relevance</source>
        <translation>Relevancia</translation>
    </message>
    <message>
        <source>Coherence</source>
        <translation>Coherencia</translation>
    </message>
    <message>
        <source>Fluency</source>
        <translation>Fluidez</translation>
    </message>
    <message>
        <source>Completeness</source>
        <translation>Completitud</translation>
    </message>
    <message>
        <source>No store open: choose a workspace.</source>
        <translation>Ningún almacén abierto: elija un espacio de trabajo.</translation>
    </message>
    <message>
        <source>Evaluation whose generations are rated</source>
        <translation>Evaluación cuyas generaciones se puntúan</translation>
    </message>
    <message>
        <source>Rater name</source>
        <translation>Nombre del evaluador</translation>
    </message>
    <message>
        <source>Number of test items to rate</source>
        <translation>Número de elementos de prueba a puntuar</translation>
    </message>
    <message>
        <source>Blind (A/B)</source>
        <translation>A ciegas (A/B)</translation>
    </message>
    <message>
        <source>Show model names</source>
        <translation>Mostrar nombres de modelos</translation>
    </message>
    <message>
        <source>&amp;Start rating</source>
        <translation>&amp;Empezar a puntuar</translation>
    </message>
    <message>
        <source>Evaluation:</source>
        <translation>Evaluación:</translation>
    </message>
    <message>
        <source>Rater:</source>
        <translation>Evaluador:</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>Semilla:</translation>
    </message>
    <message>
        <source>Items:</source>
        <translation>Elementos:</translation>
    </message>
    <message>
        <source>&amp;Previous</source>
        <translation>A&amp;nterior</translation>
    </message>
    <message>
        <source>&amp;Next</source>
        <translation>Si&amp;guiente</translation>
    </message>
    <message>
        <source>No store in %1 yet: run an evaluation first.</source>
        <translation>Aún no hay almacén en %1: ejecute primero una evaluación.</translation>
    </message>
    <message>
        <source>Store: %1</source>
        <translation>Almacén: %1</translation>
    </message>
    <message>
        <source>#%1 %2</source>
        <translation>#%1 %2</translation>
    </message>
    <message>
        <source>Store: %1 (no generations yet: run `tunebench-cli evaluate`)</source>
        <translation>Almacén: %1 (aún sin generaciones: ejecute `tunebench-cli evaluate`)</translation>
    </message>
    <message>
        <source>No evaluation with generations selected.</source>
        <translation>No hay ninguna evaluación con generaciones seleccionada.</translation>
    </message>
    <message>
        <source>Output %1</source>
        <translation>Salida %1</translation>
    </message>
    <message>
        <source>–</source>
        <translation>–</translation>
    </message>
    <message>
        <source>Keys 1-5 set the score, Tab moves on, Enter saves and goes to the next item</source>
        <translation>Las teclas 1-5 fijan la puntuación, Tab avanza, Intro guarda y pasa al siguiente elemento</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Notas</translation>
    </message>
    <message>
        <source>Not started</source>
        <translation>Sin empezar</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>%1 undefined</source>
        <translation>%1 indefinido</translation>
    </message>
    <message>
        <source>Krippendorff&apos;s alpha (interval, %1 raters): %2</source>
        <translation>Alfa de Krippendorff (intervalo, %1 evaluadores): %2</translation>
    </message>
    <message>
        <source>, </source>
        <translation>, </translation>
    </message>
    <message>
        <source>Inter-rater agreement needs ratings from at least two raters.</source>
        <translation>El acuerdo entre evaluadores requiere puntuaciones de al menos dos evaluadores.</translation>
    </message>
    <message>
        <source>The stored order of item %1 (%2) does not match the models of evaluation %3.</source>
        <translation>El orden guardado del elemento %1 (%2) no coincide con los modelos de la evaluación %3.</translation>
    </message>
    <message>
        <source>No rating session is running.</source>
        <translation>No hay ninguna sesión de puntuación en curso.</translation>
    </message>
    <message>
        <source>A preference is A, B or tie.</source>
        <translation>Una preferencia es A, B o empate.</translation>
    </message>
    <message>
        <source>No such pair of outputs.</source>
        <translation>No existe ese par de salidas.</translation>
    </message>
    <message>
        <source>Off-topic: does not address the user&apos;s request.</source>
        <translation>Fuera de tema: no responde a la petición del usuario.</translation>
    </message>
    <message>
        <source>Touches the topic but misses what was asked.</source>
        <translation>Toca el tema pero no responde a lo que se pidió.</translation>
    </message>
    <message>
        <source>Partly addresses the request; a main part is ignored or misread.</source>
        <translation>Responde en parte; una parte principal se ignora o se malinterpreta.</translation>
    </message>
    <message>
        <source>Addresses the request, with minor drift or a small part left aside.</source>
        <translation>Responde a la petición, con pequeñas desviaciones o una parte menor omitida.</translation>
    </message>
    <message>
        <source>Fully on point: everything in it answers what was asked.</source>
        <translation>Totalmente pertinente: todo responde a lo que se pidió.</translation>
    </message>
    <message>
        <source>Incoherent: contradictory or unrelated statements.</source>
        <translation>Incoherente: afirmaciones contradictorias o inconexas.</translation>
    </message>
    <message>
        <source>Hard to follow: ideas jump or contradict each other.</source>
        <translation>Difícil de seguir: las ideas saltan o se contradicen.</translation>
    </message>
    <message>
        <source>Understandable, with gaps or a weak order of ideas.</source>
        <translation>Comprensible, con lagunas o un orden de ideas flojo.</translation>
    </message>
    <message>
        <source>Logically ordered, with small lapses.</source>
        <translation>Ordenada con lógica, con pequeños fallos.</translation>
    </message>
    <message>
        <source>Clear and consistent from start to end.</source>
        <translation>Clara y coherente de principio a fin.</translation>
    </message>
    <message>
        <source>Unreadable: broken words, loops of repeated text or stray tokens.</source>
        <translation>Ilegible: palabras rotas, texto repetido en bucle o tokens sueltos.</translation>
    </message>
    <message>
        <source>Many grammar errors or repetitions that get in the way of reading.</source>
        <translation>Muchos errores gramaticales o repeticiones que dificultan la lectura.</translation>
    </message>
    <message>
        <source>Readable, with noticeable errors or awkward phrasing.</source>
        <translation>Legible, con errores visibles o expresiones torpes.</translation>
    </message>
    <message>
        <source>Natural, with at most a few minor slips.</source>
        <translation>Natural, con como mucho algunos fallos menores.</translation>
    </message>
    <message>
        <source>Flawless, natural language.</source>
        <translation>Lenguaje natural e impecable.</translation>
    </message>
    <message>
        <source>Nothing of what the task needs (empty or cut off at once).</source>
        <translation>Nada de lo que la tarea necesita (vacía o cortada de inmediato).</translation>
    </message>
    <message>
        <source>A small part; most of what is needed is missing.</source>
        <translation>Una parte pequeña; falta la mayor parte de lo necesario.</translation>
    </message>
    <message>
        <source>About half; key points are missing.</source>
        <translation>Más o menos la mitad; faltan puntos clave.</translation>
    </message>
    <message>
        <source>Most of it; a minor point is missing.</source>
        <translation>Casi todo; falta un punto menor.</translation>
    </message>
    <message>
        <source>Everything the task needs (compare with the reference).</source>
        <translation>Todo lo que la tarea necesita (compárela con la referencia).</translation>
    </message>
    <message>
        <source>Does the answer address what the user asked?</source>
        <translation>¿Responde la respuesta a lo que preguntó el usuario?</translation>
    </message>
    <message>
        <source>Is the answer logically consistent and well ordered?</source>
        <translation>¿Es la respuesta lógicamente coherente y está bien ordenada?</translation>
    </message>
    <message>
        <source>Is the language correct and natural?</source>
        <translation>¿Es el lenguaje correcto y natural?</translation>
    </message>
    <message>
        <source>Does the answer contain everything the task needs?</source>
        <translation>¿Contiene la respuesta todo lo que la tarea necesita?</translation>
    </message>
    <message>
        <source>Seed of the item sample (raters with the same seed rate the same items; the A/B order is drawn at random per rater and stored)</source>
        <translation>Semilla de la muestra de elementos (los evaluadores con la misma semilla puntúan los mismos elementos; el orden A/B se sortea por evaluador y se guarda)</translation>
    </message>
    <message>
        <source>Blind: no name, colour, position or result gives a model away until you press Reveal models. Showing the names counts as revealing.</source>
        <translation>A ciegas: ningún nombre, color, posición ni resultado delata un modelo hasta que pulse Revelar modelos. Mostrar los nombres cuenta como revelar.</translation>
    </message>
    <message>
        <source>Reveal &amp;models…</source>
        <translation>Revelar &amp;modelos…</translation>
    </message>
    <message>
        <source>Show which model wrote each output and the results. Cannot be undone: later answers of this rater on this evaluation are stored as not blind.</source>
        <translation>Muestra qué modelo escribió cada salida y los resultados. No se puede deshacer: las respuestas posteriores de este evaluador en esta evaluación se guardan como no ciegas.</translation>
    </message>
    <message>
        <source>Show which model wrote each output, and the results, to %1 for this evaluation? This cannot be undone.</source>
        <translation>¿Mostrar a %1 qué modelo escribió cada salida, y los resultados, en esta evaluación? No se puede deshacer.</translation>
    </message>
    <message>
        <source>%1 of %2 items are not finished; answers given after revealing are stored as not blind.</source>
        <translation>%1 de %2 elementos no están terminados; las respuestas dadas después de revelar se guardan como no ciegas.</translation>
    </message>
    <message>
        <source>Reveal models</source>
        <translation>Revelar modelos</translation>
    </message>
    <message>
        <source>#%1 (%2 models, %3 items, %4)</source>
        <translation>#%1 (%2 modelos, %3 elementos, %4)</translation>
    </message>
    <message>
        <source>Item %1 · %2</source>
        <translation>Elemento %1 · %2</translation>
    </message>
    <message>
        <source>User&apos;s message</source>
        <translation>Mensaje del usuario</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Contexto</translation>
    </message>
    <message>
        <source>Prompt as the model saw it (this evaluation was run before tunebench kept the user&apos;s message)</source>
        <translation>Prompt tal como lo vio el modelo (esta evaluación se ejecutó antes de que tunebench guardara el mensaje del usuario)</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Referencia</translation>
    </message>
    <message>
        <source>Output %1: %2</source>
        <translation>Salida %1: %2</translation>
    </message>
    <message>
        <source>%1 – %2</source>
        <translation>%1 – %2</translation>
    </message>
    <message>
        <source>Not scored: 1 (worst) to 5 (best); hover for the rubric</source>
        <translation>Sin puntuar: 1 (peor) a 5 (mejor); pase el ratón para ver la rúbrica</translation>
    </message>
    <message>
        <source>Which output is better overall?</source>
        <translation>¿Qué salida es mejor en conjunto?</translation>
    </message>
    <message>
        <source>%1 or %2: which is better overall?</source>
        <translation>%1 o %2: ¿cuál es mejor en conjunto?</translation>
    </message>
    <message>
        <source>The answer you would rather receive, all criteria together. Tie when neither is better. Keys: %1, %2, T.</source>
        <translation>La respuesta que preferiría recibir, con todos los criterios a la vez. Empate si ninguna es mejor. Teclas: %1, %2, T.</translation>
    </message>
    <message>
        <source>%1 is better</source>
        <translation>%1 es mejor</translation>
    </message>
    <message>
        <source>Tie</source>
        <translation>Empate</translation>
    </message>
    <message>
        <source>Item %1 of %2 · %3 / %4 rated · %5</source>
        <translation>Elemento %1 de %2 · %3 / %4 puntuados · %5</translation>
    </message>
    <message>
        <source>blind</source>
        <translation>a ciegas</translation>
    </message>
    <message>
        <source>models revealed</source>
        <translation>modelos revelados</translation>
    </message>
    <message>
        <source>Results stay hidden while you rate blind: a chart per model would tell which output is which.
Saved in this evaluation: %1 scored outputs and %2 preferences from you, %3 scored outputs from all raters. Press “Reveal models” when you have finished.</source>
        <translation>Los resultados siguen ocultos mientras puntúa a ciegas: un gráfico por modelo delataría qué salida es cuál.
Guardado en esta evaluación: %1 salidas puntuadas y %2 preferencias suyas, %3 salidas puntuadas por todos los evaluadores. Pulse «Revelar modelos» cuando haya terminado.</translation>
    </message>
    <message>
        <source>%1 vs %2: %1 preferred %3, tie %4, %2 preferred %5 (sign test p = %6); output shown first preferred %7, second %8</source>
        <translation>%1 frente a %2: %1 preferido %3, empate %4, %2 preferido %5 (prueba de signos p = %6); salida mostrada primero preferida %7, segunda %8</translation>
    </message>
    <message>
        <source>n/a</source>
        <translation>n/d</translation>
    </message>
    <message>
        <source>No preferences yet.</source>
        <translation>Aún no hay preferencias.</translation>
    </message>
    <message>
        <source>Preferences (all raters):</source>
        <translation>Preferencias (todos los evaluadores):</translation>
    </message>
    <message>
        <source>Human ratings: mean score per criterion</source>
        <translation>Puntuaciones humanas: media por criterio</translation>
    </message>
    <message>
        <source>criterion</source>
        <translation>criterio</translation>
    </message>
    <message>
        <source>mean score, 1-5 (95% CI)</source>
        <translation>puntuación media, 1-5 (IC del 95 %)</translation>
    </message>
    <message>
        <source>No ratings yet.
Score outputs above; the means per model appear here.</source>
        <translation>Todavía no hay puntuaciones.
Puntúa las salidas de arriba; aquí aparecen las medias por modelo.</translation>
    </message>
</context>
<context>
    <name>tbui::RecentWorkspacesModel</name>
    <message>
        <source>%1 (demo)</source>
        <translation>%1 (demostración)</translation>
    </message>
    <message>
        <source>Model: %1
Dataset: %2</source>
        <translation>Modelo: %1
Datos: %2</translation>
    </message>
</context>
<context>
    <name>tbui::ResultsPanel</name>
    <message>
        <source>No store open: choose a workspace.</source>
        <translation>Ningún almacén abierto: elija un espacio de trabajo.</translation>
    </message>
    <message>
        <source>Export ta&amp;ble…</source>
        <translation>Exportar ta&amp;bla…</translation>
    </message>
    <message>
        <source>Ex&amp;port chart…</source>
        <translation>Ex&amp;portar gráfico…</translation>
    </message>
    <message>
        <source>Evaluation:</source>
        <translation>Evaluación:</translation>
    </message>
    <message>
        <source>Chart metric:</source>
        <translation>Métrica del gráfico:</translation>
    </message>
    <message>
        <source>No store is open.</source>
        <translation>No hay ningún almacén abierto.</translation>
    </message>
    <message>
        <source>No store in %1 yet.</source>
        <translation>Aún no hay almacén en %1.</translation>
    </message>
    <message>
        <source>The workspace has no store yet.</source>
        <translation>El espacio de trabajo aún no tiene almacén.</translation>
    </message>
    <message>
        <source>Store: %1</source>
        <translation>Almacén: %1</translation>
    </message>
    <message>
        <source>#%1 %2</source>
        <translation>#%1 %2</translation>
    </message>
    <message>
        <source>The store has no evaluation results yet.</source>
        <translation>El almacén aún no tiene resultados de evaluación.</translation>
    </message>
    <message>
        <source>Evaluation %1 has no metric results.</source>
        <translation>La evaluación %1 no tiene resultados de métricas.</translation>
    </message>
    <message>
        <source>%1 by category (95% CI)</source>
        <translation>%1 por categoría (IC 95 %)</translation>
    </message>
    <message>
        <source>%1 by category (95% CI; lower is better)</source>
        <translation>%1 por categoría (IC 95 %; cuanto más bajo, mejor)</translation>
    </message>
    <message>
        <source>base,&lt;adapter folder&gt;,…</source>
        <translation>base,&lt;carpeta del adaptador&gt;,…</translation>
    </message>
    <message>
        <source>Models to evaluate, comma-separated: &quot;base&quot; (the configured model) and adapter folders; p-values are computed against base</source>
        <translation>Modelos a evaluar, separados por comas: &quot;base&quot; (el modelo configurado) y carpetas de adaptadores; los valores p se calculan frente a base</translation>
    </message>
    <message>
        <source>Metrics, comma-separated: bleu, rouge, chrf, chrfpp, ter, bertscore, ppl (ter and ppl: lower is better)</source>
        <translation>Métricas, separadas por comas: bleu, rouge, chrf, chrfpp, ter, bertscore, ppl (ter y ppl: cuanto más bajo, mejor)</translation>
    </message>
    <message>
        <source>all</source>
        <translation>todos</translation>
    </message>
    <message>
        <source>Test items to evaluate (all: the whole test split)</source>
        <translation>Elementos de prueba a evaluar (todos: toda la partición de prueba)</translation>
    </message>
    <message>
        <source>Run e&amp;valuation</source>
        <translation>E&amp;jecutar evaluación</translation>
    </message>
    <message>
        <source>Generate test-split answers for each model with the Hyperparameters tab&apos;s config, score them and store the results in the workspace</source>
        <translation>Genera respuestas de la partición de prueba para cada modelo con la configuración de la pestaña Hiperparámetros, las puntúa y guarda los resultados en el espacio de trabajo</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>Models:</source>
        <translation>Modelos:</translation>
    </message>
    <message>
        <source>Metrics:</source>
        <translation>Métricas:</translation>
    </message>
    <message>
        <source>Items:</source>
        <translation>Elementos:</translation>
    </message>
    <message>
        <source>This window cannot run evaluations.</source>
        <translation>Esta ventana no puede ejecutar evaluaciones.</translation>
    </message>
    <message>
        <source>An evaluation is already running.</source>
        <translation>Ya hay una evaluación en curso.</translation>
    </message>
    <message>
        <source>Choose a workspace first: results go to its store.</source>
        <translation>Elija primero un espacio de trabajo: los resultados van a su almacén.</translation>
    </message>
    <message>
        <source>Enter at least one model (&quot;base&quot; or an adapter folder).</source>
        <translation>Introduzca al menos un modelo (&quot;base&quot; o una carpeta de adaptador).</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>En cola</translation>
    </message>
    <message>
        <source>Cancelling after the current batch…</source>
        <translation>Cancelando tras el lote actual…</translation>
    </message>
    <message>
        <source>generating</source>
        <translation>generando</translation>
    </message>
    <message>
        <source>perplexity</source>
        <translation>perplejidad</translation>
    </message>
    <message>
        <source>scoring</source>
        <translation>puntuando</translation>
    </message>
    <message>
        <source>%1 %2: %3/%4</source>
        <translation>%1 %2: %3/%4</translation>
    </message>
    <message>
        <source>Evaluation #%1 cancelled; run it again to resume.</source>
        <translation>Evaluación n.º %1 cancelada; ejecútela de nuevo para reanudarla.</translation>
    </message>
    <message>
        <source>Evaluation #%1 finished.</source>
        <translation>Evaluación n.º %1 terminada.</translation>
    </message>
    <message>
        <source>Evaluation failed: %1</source>
        <translation>La evaluación falló: %1</translation>
    </message>
    <message>
        <source>%1

Run an evaluation to see results here (&quot;Run evaluation&quot; above), or:

  tunebench-cli evaluate --config &lt;workspace&gt;/config.yaml --models base,&lt;workspace&gt;/outputs/&lt;adapter&gt; --store &lt;workspace&gt;/tunebench.sqlite

then choose the workspace again (or reopen this tab).</source>
        <translation>%1

Ejecute una evaluación para ver resultados aquí (&quot;Ejecutar evaluación&quot; arriba), o bien:

  tunebench-cli evaluate --config &lt;workspace&gt;/config.yaml --models base,&lt;workspace&gt;/outputs/&lt;adapter&gt; --store &lt;workspace&gt;/tunebench.sqlite

y después elija de nuevo el espacio de trabajo (o vuelva a abrir esta pestaña).</translation>
    </message>
    <message>
        <source>Include &amp;comparable evaluations</source>
        <translation>Incluir evaluaciones &amp;comparables</translation>
    </message>
    <message>
        <source>Also show the store&apos;s evaluations run on the same split with the same generation settings; others are never put beside this one</source>
        <translation>Mostrar también las evaluaciones del almacén hechas con la misma partición y la misma configuración de generación; las demás nunca se ponen junto a esta</translation>
    </message>
    <message>
        <source>Blocked: fix the Hyperparameters tab first:
%1</source>
        <translation>Bloqueado: corrija primero la pestaña Hiperparámetros:
%1</translation>
    </message>
    <message>
        <source>Run evaluation is blocked: invalid configuration (see the Hyperparameters tab)</source>
        <translation>Ejecutar evaluación está bloqueado: configuración no válida (vea la pestaña Hiperparámetros)</translation>
    </message>
    <message>
        <source>Not run: fix the Hyperparameters tab first: %1</source>
        <translation>No se ejecutó: corrija primero la pestaña Hiperparámetros: %1</translation>
    </message>
    <message>
        <source>Cannot compare with the store&apos;s other evaluations: %1</source>
        <translation>No se puede comparar con las demás evaluaciones del almacén: %1</translation>
    </message>
    <message>
        <source>Evaluation #%1 was recorded without its split and generation settings: what it ran on cannot be checked, so no other evaluation is shown beside it.</source>
        <translation>La evaluación n.º %1 se registró sin su partición ni su configuración de generación: no se puede comprobar sobre qué se hizo, así que no se muestra ninguna otra junto a ella.</translation>
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
        <translation>Se muestran juntas las evaluaciones %1: misma partición y misma configuración de generación.</translation>
    </message>
    <message>
        <source>Differences that change numbers by rounding only: %1</source>
        <translation>Diferencias que solo cambian los números por redondeo: %1</translation>
    </message>
    <message>
        <source>Comparable with this evaluation: %1 (tick &quot;Include comparable evaluations&quot; to show them together).</source>
        <translation>Comparables con esta evaluación: %1 (marque «Incluir evaluaciones comparables» para mostrarlas juntas).</translation>
    </message>
    <message>
        <source>Not comparable with #%1, so never shown beside it: %2.</source>
        <translation>No comparables con n.º %1, por eso nunca se muestran junto a ella: %2.</translation>
    </message>
    <message>
        <source>&amp;Log scale</source>
        <translation>Escala &amp;logarítmica</translation>
    </message>
    <message>
        <source>Logarithmic value axis (perplexity and loss span orders of magnitude)</source>
        <translation>Eje de valores logarítmico (la perplejidad y la pérdida abarcan órdenes de magnitud)</translation>
    </message>
    <message>
        <source>Results by category</source>
        <translation>Resultados por categoría</translation>
    </message>
    <message>
        <source>category</source>
        <translation>categoría</translation>
    </message>
    <message>
        <source>value</source>
        <translation>valor</translation>
    </message>
    <message>
        <source>No per-category results for this metric.</source>
        <translation>No hay resultados por categoría para esta métrica.</translation>
    </message>
    <message>
        <source>%1 is not the adapter of a training run in this store.</source>
        <translation>%1 no es el adaptador de un entrenamiento de este almacén.</translation>
    </message>
    <message>
        <source>TER (edits per reference word)</source>
        <translation>TER (ediciones por palabra de la referencia)</translation>
    </message>
    <message>
        <source>BERTScore F1</source>
        <translation>BERTScore F1</translation>
    </message>
    <message>
        <source>%1 score</source>
        <translation>puntuación %1</translation>
    </message>
    <message>
        <source>%1, lower is better</source>
        <translation>%1, cuanto más bajo, mejor</translation>
    </message>
</context>
<context>
    <name>tbui::ResultsTableModel</name>
    <message>
        <source>Metric</source>
        <translation>Métrica</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modelo</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valor</translation>
    </message>
    <message>
        <source>95% CI low</source>
        <translation>IC 95 % inferior</translation>
    </message>
    <message>
        <source>95% CI high</source>
        <translation>IC 95 % superior</translation>
    </message>
    <message>
        <source>p vs base</source>
        <translation>p frente a la base</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>Elementos</translation>
    </message>
    <message>
        <source>%1
Double-click to rename the run</source>
        <translation>%1
Doble clic para renombrar el entrenamiento</translation>
    </message>
</context>
<context>
    <name>tbui::RunNames</name>
    <message>
        <source>run #%1</source>
        <translation>entrenamiento n.º %1</translation>
    </message>
</context>
<context>
    <name>tbui::RunsPanel</name>
    <message>
        <source>Re&amp;fresh</source>
        <translation>&amp;Actualizar</translation>
    </message>
    <message>
        <source>Re&amp;name…</source>
        <translation>Re&amp;nombrar…</translation>
    </message>
    <message>
        <source>&amp;Delete…</source>
        <translation>&amp;Eliminar…</translation>
    </message>
    <message>
        <source>Delete the selected runs from the store and their run folders</source>
        <translation>Eliminar los entrenamientos seleccionados del almacén y sus carpetas</translation>
    </message>
    <message>
        <source>Checkpoint to resume the selected run from</source>
        <translation>Punto de control desde el que reanudar el entrenamiento seleccionado</translation>
    </message>
    <message>
        <source>Res&amp;ume</source>
        <translation>Re&amp;anudar</translation>
    </message>
    <message>
        <source>Continue the selected run from the chosen checkpoint (shown in the Training tab)</source>
        <translation>Continuar el entrenamiento seleccionado desde el punto de control elegido (se muestra en la pestaña Entrenamiento)</translation>
    </message>
    <message>
        <source>Export &amp;adapter…</source>
        <translation>Exportar &amp;adaptador…</translation>
    </message>
    <message>
        <source>Export &amp;merged model…</source>
        <translation>Exportar modelo &amp;fusionado…</translation>
    </message>
    <message>
        <source>Export ta&amp;ble…</source>
        <translation>Exportar ta&amp;bla…</translation>
    </message>
    <message>
        <source>&amp;Checkpoint:</source>
        <translation>&amp;Punto de control:</translation>
    </message>
    <message>
        <source>No store open: choose a workspace.</source>
        <translation>No hay ningún almacén abierto: elige un espacio de trabajo.</translation>
    </message>
    <message>
        <source>Train loss</source>
        <translation>Pérdida de entrenamiento</translation>
    </message>
    <message>
        <source>Eval loss</source>
        <translation>Pérdida de evaluación</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Tasa de aprendizaje</translation>
    </message>
    <message>
        <source>Gradient norm</source>
        <translation>Norma del gradiente</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>Tokens/s</translation>
    </message>
    <message>
        <source>Memory (MiB)</source>
        <translation>Memoria (MiB)</translation>
    </message>
    <message>
        <source>&amp;Log scale</source>
        <translation>Escala &amp;logarítmica</translation>
    </message>
    <message>
        <source>&amp;Overlay:</source>
        <translation>&amp;Superponer:</translation>
    </message>
    <message>
        <source>Train loss of the selected runs</source>
        <translation>Pérdida de entrenamiento de los entrenamientos seleccionados</translation>
    </message>
    <message>
        <source>optimizer step</source>
        <translation>paso del optimizador</translation>
    </message>
    <message>
        <source>cross-entropy (nats/token)</source>
        <translation>entropía cruzada (nats/token)</translation>
    </message>
    <message>
        <source>Select one or more runs in the table to draw them here.</source>
        <translation>Selecciona uno o más entrenamientos en la tabla para dibujarlos aquí.</translation>
    </message>
    <message>
        <source>Only &amp;differences</source>
        <translation>Solo &amp;diferencias</translation>
    </message>
    <message>
        <source>Setting</source>
        <translation>Ajuste</translation>
    </message>
    <message>
        <source>Run A</source>
        <translation>Entrenamiento A</translation>
    </message>
    <message>
        <source>Run B</source>
        <translation>Entrenamiento B</translation>
    </message>
    <message>
        <source>Select one run to rename.</source>
        <translation>Selecciona un entrenamiento para renombrarlo.</translation>
    </message>
    <message>
        <source>Rename run</source>
        <translation>Renombrar entrenamiento</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nombre:</translation>
    </message>
    <message>
        <source>No runs yet: the store is created by the first training run (Training tab).</source>
        <translation>Todavía no hay entrenamientos: el almacén se crea con el primero (pestaña Entrenamiento).</translation>
    </message>
    <message>
        <source>The store has no training runs yet: start one in the Training tab.</source>
        <translation>El almacén aún no tiene entrenamientos: inicia uno en la pestaña Entrenamiento.</translation>
    </message>
    <message numerus="yes">
        <source>%n training run(s) in %1. Select several to overlay them; two to compare their configs. Double-click a name to rename.</source>
        <translation>
            <numerusform>%n entrenamiento en %1. Selecciona varios para superponerlos; dos para comparar su configuración. Doble clic en un nombre para renombrarlo.</numerusform>
            <numerusform>%n entrenamientos en %1. Selecciona varios para superponerlos; dos para comparar su configuración. Doble clic en un nombre para renombrarlo.</numerusform>
        </translation>
    </message>
    <message>
        <source>newest usable</source>
        <translation>el más reciente utilizable</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>tasa de aprendizaje</translation>
    </message>
    <message>
        <source>L2 norm before clipping</source>
        <translation>norma L2 antes del recorte</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>tokens/s</translation>
    </message>
    <message>
        <source>MiB (GPU allocated or host RSS)</source>
        <translation>MiB (asignada en la GPU o RSS del equipo)</translation>
    </message>
    <message>
        <source>%1 of the selected runs</source>
        <translation>%1 de los entrenamientos seleccionados</translation>
    </message>
    <message>
        <source>Select two runs to compare their settings.</source>
        <translation>Selecciona dos entrenamientos para comparar sus ajustes.</translation>
    </message>
    <message>
        <source>#%1</source>
        <translation>n.º %1</translation>
    </message>
    <message>
        <source>A run&apos;s stored config does not parse.</source>
        <translation>La configuración guardada de un entrenamiento no se puede leer.</translation>
    </message>
    <message>
        <source>Same settings.</source>
        <translation>Mismos ajustes.</translation>
    </message>
    <message>
        <source>No store is open.</source>
        <translation>No hay ningún almacén abierto.</translation>
    </message>
    <message>
        <source>The store has no training run #%1.</source>
        <translation>El almacén no tiene el entrenamiento n.º %1.</translation>
    </message>
    <message>
        <source>Run #%1 is training: cancel it first.</source>
        <translation>El entrenamiento n.º %1 está en curso: cancélalo antes.</translation>
    </message>
    <message>
        <source>Could not remove all of %1.</source>
        <translation>No se pudo eliminar todo %1.</translation>
    </message>
    <message>
        <source>%1 does not look like a run folder; left in place.</source>
        <translation>%1 no parece la carpeta de un entrenamiento; se deja donde está.</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Delete runs</source>
        <translation>Eliminar entrenamientos</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n run(s) from the store together with their run folders (adapter, checkpoints, merged model)? This cannot be undone.

%1</source>
        <translation>
            <numerusform>¿Eliminar %n entrenamiento del almacén junto con su carpeta (adaptador, puntos de control, modelo fusionado)? No se puede deshacer.

%1</numerusform>
            <numerusform>¿Eliminar %n entrenamientos del almacén junto con sus carpetas (adaptador, puntos de control, modelo fusionado)? No se puede deshacer.

%1</numerusform>
        </translation>
    </message>
    <message>
        <source>Resuming run #%1: progress in the Training tab.</source>
        <translation>Reanudando el entrenamiento n.º %1: progreso en la pestaña Entrenamiento.</translation>
    </message>
    <message>
        <source>Folder for the merged model</source>
        <translation>Carpeta para el modelo fusionado</translation>
    </message>
    <message>
        <source>Folder for the adapter</source>
        <translation>Carpeta para el adaptador</translation>
    </message>
    <message>
        <source>Exporting run #%1 to %2 (progress in the Training tab&apos;s log).</source>
        <translation>Exportando el entrenamiento n.º %1 a %2 (progreso en el registro de la pestaña Entrenamiento).</translation>
    </message>
</context>
<context>
    <name>tbui::RunsTableModel</name>
    <message>
        <source>Run folder: %1
Double-click the name to rename</source>
        <translation>Carpeta del entrenamiento: %1
Doble clic en el nombre para renombrarlo</translation>
    </message>
    <message>
        <source>exp(best eval loss)</source>
        <translation>exp(mejor pérdida de evaluación)</translation>
    </message>
    <message>
        <source>Highest memory logged (GPU allocated or host RSS)</source>
        <translation>Memoria máxima registrada (asignada en la GPU o RSS del equipo)</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>Last logged optimizer step</source>
        <translation>Último paso del optimizador registrado</translation>
    </message>
    <message>
        <source>Training loss at the last logged step</source>
        <translation>Pérdida de entrenamiento en el último paso registrado</translation>
    </message>
    <message>
        <source>Validation loss of the last evaluation</source>
        <translation>Pérdida de validación de la última evaluación</translation>
    </message>
    <message>
        <source>Lowest validation loss</source>
        <translation>Menor pérdida de validación</translation>
    </message>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Inicio</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>Pasos</translation>
    </message>
    <message>
        <source>Final loss</source>
        <translation>Pérdida final</translation>
    </message>
    <message>
        <source>Eval loss</source>
        <translation>Pérdida de evaluación</translation>
    </message>
    <message>
        <source>Best eval loss</source>
        <translation>Mejor pérdida de evaluación</translation>
    </message>
    <message>
        <source>Best perplexity</source>
        <translation>Mejor perplejidad</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>Tokens/s</translation>
    </message>
    <message>
        <source>Train time</source>
        <translation>Tiempo de entrenamiento</translation>
    </message>
    <message>
        <source>Peak memory (MiB)</source>
        <translation>Memoria máxima (MiB)</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Tasa de aprendizaje</translation>
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
        <translation>Épocas</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Tamaño de lote</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>Implementación</translation>
    </message>
    <message>
        <source>running</source>
        <translation>en curso</translation>
    </message>
    <message>
        <source>completed</source>
        <translation>completado</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fallido</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>cancelado</translation>
    </message>
</context>
<context>
    <name>tbui::ServePanel</name>
    <message>
        <source>Hugging Face model folder (config.json + safetensors)</source>
        <translation>Carpeta de modelo de Hugging Face (config.json + safetensors)</translation>
    </message>
    <message>
        <source>Browse...</source>
        <translation>Examinar...</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>Carpeta del modelo</translation>
    </message>
    <message>
        <source>&amp;Model:</source>
        <translation>&amp;Modelo:</translation>
    </message>
    <message>
        <source>LoRA adapters, one per line: NAME=FOLDER (or FOLDER, named after it). Clients choose one with the request&apos;s &quot;model&quot; field.</source>
        <translation>Adaptadores LoRA, uno por línea: NOMBRE=CARPETA (o CARPETA, que le da nombre). Los clientes eligen uno con el campo «model» de la petición.</translation>
    </message>
    <message>
        <source>&amp;Adapters:</source>
        <translation>&amp;Adaptadores:</translation>
    </message>
    <message>
        <source>127.0.0.1 serves this machine only; 0.0.0.0 serves every network interface (set an API key then)</source>
        <translation>127.0.0.1 sirve solo a este equipo; 0.0.0.0 sirve a todas las interfaces de red (pon entonces una clave de API)</translation>
    </message>
    <message>
        <source>0 picks a free port</source>
        <translation>0 elige un puerto libre</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Puerto:</translation>
    </message>
    <message>
        <source>&amp;Host:</source>
        <translation>&amp;Anfitrión:</translation>
    </message>
    <message>
        <source>none: no key needed</source>
        <translation>ninguna: no hace falta clave</translation>
    </message>
    <message>
        <source>API &amp;key:</source>
        <translation>&amp;Clave de API:</translation>
    </message>
    <message>
        <source>Precision:</source>
        <translation>Precisión:</translation>
    </message>
    <message>
        <source>&amp;Device:</source>
        <translation>&amp;Dispositivo:</translation>
    </message>
    <message>
        <source>&amp;Start server</source>
        <translation>&amp;Iniciar servidor</translation>
    </message>
    <message>
        <source>S&amp;top server</source>
        <translation>&amp;Detener servidor</translation>
    </message>
    <message>
        <source>&amp;Copy URL</source>
        <translation>&amp;Copiar URL</translation>
    </message>
    <message>
        <source>An OpenAI-compatible (/v1) and Ollama-compatible (/api) server on this model and its adapters, all requests batched together (the paged engine).</source>
        <translation>Un servidor compatible con OpenAI (/v1) y con Ollama (/api) para este modelo y sus adaptadores, con todas las peticiones agrupadas en lotes (el motor paginado).</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; &amp;nbsp; models: %2&lt;br&gt;OpenAI base URL: %1/v1 &amp;nbsp; Ollama: %1&lt;br&gt;&lt;tt&gt;curl %1/v1/completions -H &apos;Content-Type: application/json&apos; -d &apos;{&quot;model&quot;: &quot;%3&quot;, &quot;prompt&quot;: &quot;Hello&quot;, &quot;max_tokens&quot;: 32}&apos;&lt;/tt&gt;</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; &amp;nbsp; modelos: %2&lt;br&gt;URL base de OpenAI: %1/v1 &amp;nbsp; Ollama: %1&lt;br&gt;&lt;tt&gt;curl %1/v1/completions -H &apos;Content-Type: application/json&apos; -d &apos;{&quot;model&quot;: &quot;%3&quot;, &quot;prompt&quot;: &quot;Hello&quot;, &quot;max_tokens&quot;: 32}&apos;&lt;/tt&gt;</translation>
    </message>
    <message>
        <source>Serving.</source>
        <translation>Sirviendo.</translation>
    </message>
    <message>
        <source>Could not start the server: %1</source>
        <translation>No se pudo iniciar el servidor: %1</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Detenido.</translation>
    </message>
    <message>
        <source>Adapter line &quot;%1&quot;: expected NAME=FOLDER</source>
        <translation>Línea de adaptador «%1»: se esperaba NOMBRE=CARPETA</translation>
    </message>
    <message>
        <source>Choose a model folder first.</source>
        <translation>Elige antes una carpeta de modelo.</translation>
    </message>
    <message>
        <source>Loading the model...</source>
        <translation>Cargando el modelo...</translation>
    </message>
    <message>
        <source>Stopping: running requests get up to 10 s to finish...</source>
        <translation>Deteniendo: las peticiones en curso tienen hasta 10 s para terminar...</translation>
    </message>
    <message>
        <source>Requests in flight: %1 · served: %2 · rejected: %3 · cancelled by clients: %4 · tokens: %5 · KV blocks used: %6 of %7</source>
        <translation>Peticiones en curso: %1 · servidas: %2 · rechazadas: %3 · canceladas por los clientes: %4 · tokens: %5 · bloques KV usados: %6 de %7</translation>
    </message>
</context>
<context>
    <name>tbui::StoreRecovery</name>
    <message>
        <source>Restore newest backup</source>
        <translation>Restaurar la copia de seguridad más reciente</translation>
    </message>
    <message>
        <source>Experiment store damaged</source>
        <translation>Almacén de experimentos dañado</translation>
    </message>
    <message>
        <source>The experiment store %1 is damaged: %2</source>
        <translation>El almacén de experimentos %1 está dañado: %2</translation>
    </message>
    <message>
        <source>Newest good backup: %1 (%2).
Restoring puts it in place and keeps the damaged file beside it as tunebench.sqlite.damaged-&lt;time&gt;; nothing is deleted.</source>
        <translation>Copia de seguridad buena más reciente: %1 (%2).
Restaurarla la pone en su lugar y conserva el archivo dañado a su lado como tunebench.sqlite.damaged-&lt;hora&gt;; no se borra nada.</translation>
    </message>
    <message>
        <source>Keep as is</source>
        <translation>Dejar como está</translation>
    </message>
    <message>
        <source>There is no good backup in %1.</source>
        <translation>No hay ninguna copia de seguridad buena en %1.</translation>
    </message>
    <message>
        <source>A job is running and may be using the store: stop it, then choose the workspace again to restore.</source>
        <translation>Hay un trabajo en curso que puede estar usando el almacén: detenlo y vuelve a elegir el espacio de trabajo para restaurar.</translation>
    </message>
    <message>
        <source>The backup was not restored: %1</source>
        <translation>No se restauró la copia de seguridad: %1</translation>
    </message>
</context>
<context>
    <name>tbui::TrainingPanel</name>
    <message>
        <source>&amp;Start training</source>
        <translation>&amp;Iniciar entrenamiento</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>&amp;Pausar</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>&amp;Cancelar</translation>
    </message>
    <message>
        <source>&amp;Log scale</source>
        <translation>Escala &amp;logarítmica</translation>
    </message>
    <message>
        <source>Train with the Hyperparameters tab&apos;s settings (Ctrl+R)</source>
        <translation>Entrenar con los ajustes de la pestaña Hiperparámetros (Ctrl+R)</translation>
    </message>
    <message>
        <source>step %v / %m</source>
        <translation>paso %v / %m</translation>
    </message>
    <message>
        <source>Idle</source>
        <translation>En espera</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>Pérdida</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Tasa de aprendizaje</translation>
    </message>
    <message>
        <source>Gradient norm</source>
        <translation>Norma del gradiente</translation>
    </message>
    <message>
        <source>train loss</source>
        <translation>pérdida de entrenamiento</translation>
    </message>
    <message>
        <source>smoothed</source>
        <translation>suavizada</translation>
    </message>
    <message>
        <source>eval loss</source>
        <translation>pérdida de evaluación</translation>
    </message>
    <message>
        <source>earlier run</source>
        <translation>ejecución anterior</translation>
    </message>
    <message>
        <source>Not started: %1</source>
        <translation>No iniciado: %1</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>En cola</translation>
    </message>
    <message>
        <source>Training %1 on %2</source>
        <translation>Entrenando %1 con %2</translation>
    </message>
    <message>
        <source>Resumed</source>
        <translation>Reanudado</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>&amp;Reanudar</translation>
    </message>
    <message>
        <source>Pausing after the current step</source>
        <translation>Pausando tras el paso actual</translation>
    </message>
    <message>
        <source>Cancelling after the current step (a checkpoint is written)…</source>
        <translation>Cancelando tras el paso actual (se guarda un punto de control)…</translation>
    </message>
    <message>
        <source>ETA %1</source>
        <translation>Tiempo restante %1</translation>
    </message>
    <message>
        <source>step %1: eval loss %2, perplexity %3</source>
        <translation>paso %1: pérdida de evaluación %2, perplejidad %3</translation>
    </message>
    <message>
        <source>step %1/%2: loss %3, lr %4, grad norm %5, %6 tokens/s</source>
        <translation>paso %1/%2: pérdida %3, tasa %4, norma del gradiente %5, %6 tokens/s</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Cancelado</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>Terminado</translation>
    </message>
    <message>
        <source>Cancelled at step %1; checkpoint: %2</source>
        <translation>Cancelado en el paso %1; punto de control: %2</translation>
    </message>
    <message>
        <source>Warning: %1</source>
        <translation>Aviso: %1</translation>
    </message>
    <message>
        <source>Cancelled while loading; nothing was written</source>
        <translation>Cancelado durante la carga; no se escribió nada</translation>
    </message>
    <message>
        <source>Cancelled at step %1; no checkpoint was written (resuming restarts at step 0)</source>
        <translation>Cancelado en el paso %1; no se escribió ningún punto de control (al reanudar se empieza en el paso 0)</translation>
    </message>
    <message>
        <source>Finished %1 steps in %2 s; adapter: %3</source>
        <translation>%1 pasos terminados en %2 s; adaptador: %3</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Fallido</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Error: %1</translation>
    </message>
    <message>
        <source>Training runs recorded in the workspace&apos;s store; the selected one is drawn in grey</source>
        <translation>Entrenamientos registrados en el almacén del espacio de trabajo; el seleccionado se dibuja en gris</translation>
    </message>
    <message>
        <source>Export &amp;adapter…</source>
        <translation>Exportar &amp;adaptador…</translation>
    </message>
    <message>
        <source>Copy the selected run&apos;s LoRA adapter (PEFT format) into a folder</source>
        <translation>Copia el adaptador LoRA (formato PEFT) del entrenamiento seleccionado en una carpeta</translation>
    </message>
    <message>
        <source>Export &amp;merged model…</source>
        <translation>Exportar modelo &amp;fusionado…</translation>
    </message>
    <message>
        <source>Write the selected run&apos;s merged model (full Hugging Face folder) into a folder</source>
        <translation>Escribe el modelo fusionado del entrenamiento seleccionado (carpeta completa de Hugging Face) en una carpeta</translation>
    </message>
    <message>
        <source>&amp;Earlier run:</source>
        <translation>Entrenamiento &amp;anterior:</translation>
    </message>
    <message>
        <source>Export: %1</source>
        <translation>Exportación: %1</translation>
    </message>
    <message>
        <source>Merged model computed and exported to %1</source>
        <translation>Modelo fusionado calculado y exportado a %1</translation>
    </message>
    <message>
        <source>Merged model exported to %1</source>
        <translation>Modelo fusionado exportado a %1</translation>
    </message>
    <message>
        <source>Adapter exported to %1</source>
        <translation>Adaptador exportado a %1</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(ninguno)</translation>
    </message>
    <message>
        <source>#%1 %2 (%3)</source>
        <translation>n.º %1 %2 (%3)</translation>
    </message>
    <message>
        <source>No store is open: choose a workspace.</source>
        <translation>No hay ningún almacén abierto: elija un espacio de trabajo.</translation>
    </message>
    <message>
        <source>The store has no training run #%1.</source>
        <translation>El almacén no tiene el entrenamiento n.º %1.</translation>
    </message>
    <message>
        <source>Run #%1 has no logged steps.</source>
        <translation>El entrenamiento n.º %1 no tiene pasos registrados.</translation>
    </message>
    <message>
        <source>run #%1</source>
        <translation>entrenamiento n.º %1</translation>
    </message>
    <message>
        <source>An export is already queued or running.</source>
        <translation>Ya hay una exportación en cola o en curso.</translation>
    </message>
    <message>
        <source>Run #%1 has no final adapter (status: %2); export a completed run.</source>
        <translation>El entrenamiento n.º %1 no tiene adaptador final (estado: %2); exporte un entrenamiento completado.</translation>
    </message>
    <message>
        <source>Choose a destination folder.</source>
        <translation>Elija una carpeta de destino.</translation>
    </message>
    <message>
        <source>The destination folder %1 is not empty.</source>
        <translation>La carpeta de destino %1 no está vacía.</translation>
    </message>
    <message>
        <source>Exporting the merged model of run #%1 to %2</source>
        <translation>Exportando el modelo fusionado del entrenamiento n.º %1 a %2</translation>
    </message>
    <message>
        <source>Exporting the adapter of run #%1 to %2</source>
        <translation>Exportando el adaptador del entrenamiento n.º %1 a %2</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exportar</translation>
    </message>
    <message>
        <source>Folder for the merged model</source>
        <translation>Carpeta para el modelo fusionado</translation>
    </message>
    <message>
        <source>Folder for the adapter</source>
        <translation>Carpeta para el adaptador</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>La exportación falló: %1</translation>
    </message>
    <message>
        <source>no training running</source>
        <translation>ningún entrenamiento en curso</translation>
    </message>
    <message>
        <source>Start training is blocked: fix the Hyperparameters tab first:
%1</source>
        <translation>Iniciar entrenamiento está bloqueado: corrija primero la pestaña Hiperparámetros:
%1</translation>
    </message>
    <message>
        <source>The completed run that the export buttons write out</source>
        <translation>El entrenamiento completado que escriben los botones de exportación</translation>
    </message>
    <message>
        <source>E&amp;xport run:</source>
        <translation>E&amp;xportar entrenamiento:</translation>
    </message>
    <message>
        <source>optimizer step</source>
        <translation>paso del optimizador</translation>
    </message>
    <message>
        <source>cross-entropy (nats/token)</source>
        <translation>entropía cruzada (nats/token)</translation>
    </message>
    <message>
        <source>No training running.
Press Start training to see the loss here.</source>
        <translation>No hay ningún entrenamiento en curso.
Pulsa Iniciar entrenamiento para ver aquí la pérdida.</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>tasa de aprendizaje</translation>
    </message>
    <message>
        <source>No training running.</source>
        <translation>No hay ningún entrenamiento en curso.</translation>
    </message>
    <message>
        <source>L2 norm before clipping</source>
        <translation>norma L2 antes del recorte</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>Rendimiento</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>tokens/s</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>Memoria</translation>
    </message>
    <message>
        <source>MiB</source>
        <translation>MiB</translation>
    </message>
    <message>
        <source>Eval perplexity</source>
        <translation>Perplejidad de evaluación</translation>
    </message>
    <message>
        <source>perplexity (exp of eval loss)</source>
        <translation>perplejidad (exp de la pérdida de evaluación)</translation>
    </message>
    <message>
        <source>No evaluation yet.
The trainer evaluates every eval_steps steps.</source>
        <translation>Todavía no hay evaluación.
El entrenador evalúa cada eval_steps pasos.</translation>
    </message>
    <message>
        <source>Logarithmic y axis for the loss, gradient norm and perplexity</source>
        <translation>Eje y logarítmico para la pérdida, la norma del gradiente y la perplejidad</translation>
    </message>
    <message>
        <source>GPU memory</source>
        <translation>Memoria de GPU</translation>
    </message>
    <message>
        <source>Host memory</source>
        <translation>Memoria del equipo</translation>
    </message>
    <message>
        <source>MiB allocated on the GPU</source>
        <translation>MiB asignados en la GPU</translation>
    </message>
    <message>
        <source>MiB resident (host RSS)</source>
        <translation>MiB residentes (RSS del equipo)</translation>
    </message>
    <message>
        <source>#%1 %2</source>
        <translation>n.º %1 %2</translation>
    </message>
    <message>
        <source>The store has no completed training run to export.</source>
        <translation>El almacén no tiene ningún entrenamiento completado que exportar.</translation>
    </message>
    <message>
        <source>A training run is already running.</source>
        <translation>Ya hay un entrenamiento en curso.</translation>
    </message>
    <message>
        <source>Run #%1&apos;s stored config cannot be read: %2</source>
        <translation>La configuración guardada del entrenamiento n.º %1 no se puede leer: %2</translation>
    </message>
    <message>
        <source>Resuming run #%1 from %2</source>
        <translation>Reanudando el entrenamiento n.º %1 desde %2</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Entrenamiento</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>En pausa</translation>
    </message>
    <message>
        <source>Cancel training</source>
        <translation>Cancelar el entrenamiento</translation>
    </message>
    <message>
        <source>Cancel the training run? It stops after the current step and writes a checkpoint that it can be resumed from (Runs tab).</source>
        <translation>¿Cancelar el entrenamiento? Se detiene tras el paso en curso y escribe un punto de control desde el que se puede reanudar (pestaña Ejecuciones).</translation>
    </message>
    <message>
        <source>Export m&amp;odel…</source>
        <translation>Exportar m&amp;odelo…</translation>
    </message>
    <message>
        <source>Export the selected run as a merged Hugging Face folder, a GGUF file or a GGUF LoRA adapter, with an Ollama Modelfile</source>
        <translation>Exporta el entrenamiento seleccionado como carpeta de Hugging Face fusionada, archivo GGUF o adaptador LoRA GGUF, con un Modelfile de Ollama</translation>
    </message>
    <message>
        <source>Loading</source>
        <translation>Cargando</translation>
    </message>
    <message>
        <source>Evaluating</source>
        <translation>Evaluando</translation>
    </message>
    <message>
        <source>Saving</source>
        <translation>Guardando</translation>
    </message>
</context>
<context>
    <name>tbui::Worker</name>
    <message>
        <source>Internal error: %1</source>
        <translation>Error interno: %1</translation>
    </message>
    <message>
        <source>Internal error (unknown exception)</source>
        <translation>Error interno (excepción desconocida)</translation>
    </message>
    <message>
        <source>copying the adapter</source>
        <translation>copiando el adaptador</translation>
    </message>
    <message>
        <source>copying the merged model</source>
        <translation>copiando el modelo fusionado</translation>
    </message>
    <message>
        <source>%1: no base model to merge the adapter into</source>
        <translation>%1: no hay modelo base en el que fusionar el adaptador</translation>
    </message>
    <message>
        <source>loading the base model</source>
        <translation>cargando el modelo base</translation>
    </message>
    <message>
        <source>merging the adapter</source>
        <translation>fusionando el adaptador</translation>
    </message>
    <message>
        <source>saving the merged model</source>
        <translation>guardando el modelo fusionado</translation>
    </message>
</context>
<context>
    <name>tbui::WorkspacePanel</name>
    <message>
        <source>Workspace</source>
        <translation>Espacio de trabajo</translation>
    </message>
    <message>
        <source>Hugging Face model folder (config.json, safetensors)</source>
        <translation>Carpeta de modelo de Hugging Face (config.json, safetensors)</translation>
    </message>
    <message>
        <source>Dolly/Alpaca/chat JSONL or CSV file</source>
        <translation>Archivo JSONL (Dolly/Alpaca/chat) o CSV</translation>
    </message>
    <message>
        <source>Folder for runs and results</source>
        <translation>Carpeta para ejecuciones y resultados</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Examinar…</translation>
    </message>
    <message>
        <source>&amp;Model folder:</source>
        <translation>Carpeta del &amp;modelo:</translation>
    </message>
    <message>
        <source>&amp;Dataset file:</source>
        <translation>Archivo de &amp;datos:</translation>
    </message>
    <message>
        <source>&amp;Workspace folder:</source>
        <translation>Carpeta del espacio de &amp;trabajo:</translation>
    </message>
    <message>
        <source>&amp;Use this workspace</source>
        <translation>&amp;Usar este espacio de trabajo</translation>
    </message>
    <message>
        <source>Demo</source>
        <translation>Demostración</translation>
    </message>
    <message>
        <source>The demo workspace holds a tiny Llama model and a Dolly-format dataset written by tunebench itself; training it takes minutes on a laptop CPU.</source>
        <translation>El espacio de demostración contiene un modelo Llama diminuto y un conjunto de datos en formato Dolly creados por el propio tunebench; entrenarlo lleva minutos en la CPU de un portátil.</translation>
    </message>
    <message>
        <source>Open &amp;demo workspace</source>
        <translation>Abrir espacio de &amp;demostración</translation>
    </message>
    <message>
        <source>Recent workspaces</source>
        <translation>Espacios de trabajo recientes</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>Carpeta del modelo</translation>
    </message>
    <message>
        <source>Dataset file</source>
        <translation>Archivo de datos</translation>
    </message>
    <message>
        <source>Datasets (*.jsonl *.json *.csv);;All files (*)</source>
        <translation>Conjuntos de datos (*.jsonl *.json *.csv);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Workspace folder</source>
        <translation>Carpeta del espacio de trabajo</translation>
    </message>
    <message>
        <source>Demo workspace failed: %1</source>
        <translation>Falló el espacio de demostración: %1</translation>
    </message>
    <message>
        <source>no config.json in the model folder</source>
        <translation>no hay config.json en la carpeta del modelo</translation>
    </message>
    <message>
        <source>the dataset file does not exist</source>
        <translation>el archivo de datos no existe</translation>
    </message>
    <message>
        <source>no workspace folder</source>
        <translation>no hay carpeta de espacio de trabajo</translation>
    </message>
    <message>
        <source>Not usable: %1</source>
        <translation>No utilizable: %1</translation>
    </message>
    <message>
        <source>; </source>
        <translation>; </translation>
    </message>
    <message>
        <source>Demo workspace: %1</source>
        <translation>Espacio de demostración: %1</translation>
    </message>
    <message>
        <source>Creating the demo workspace (about two minutes)…</source>
        <translation>Creando el espacio de demostración (unos dos minutos)…</translation>
    </message>
    <message>
        <source>Pretraining the tiny model: step %1/%2, loss %3</source>
        <translation>Preentrenando el modelo diminuto: paso %1/%2, pérdida %3</translation>
    </message>
    <message>
        <source>Demo stage: %1</source>
        <translation>Etapa de la demostración: %1</translation>
    </message>
    <message>
        <source>Demo workspace created in %1 s: %2 records, loss %3 → %4</source>
        <translation>Espacio de demostración creado en %1 s: %2 registros, pérdida %3 → %4</translation>
    </message>
    <message>
        <source>Workspace in use. Configuration: %1</source>
        <translation>Espacio de trabajo en uso. Configuración: %1</translation>
    </message>
    <message>
        <source>Workspace in use. No %1 yet: the Hyperparameters tab starts from the defaults and Save writes it.</source>
        <translation>Espacio de trabajo en uso. Aún no existe %1: la pestaña Hiperparámetros parte de los valores por defecto y Guardar lo crea.</translation>
    </message>
</context>
</TS>
