/** Registers the built-in streaming sources and sinks with the format registry. */
import { registerSink, registerSource } from "./formats.js";
import { createFileSource } from "./sources/file-source.js";
import { createRateSource } from "./sources/rate-source.js";
import { createMemorySource } from "./sources/memory-source.js";
import { createFileSink } from "./sinks/file-sink.js";
import { createConsoleSink, createForeachBatchSink, createMemorySink, createTableSink } from "./sinks/simple-sinks.js";

for (const f of ["csv", "json", "parquet"]) {
  registerSource(f, createFileSource);
  registerSink(f, { create: createFileSink, requiresCheckpoint: true, outputModes: ["append"] });
}
registerSource("rate", createRateSource);
registerSource("memory", createMemorySource);
registerSink("memory", { create: createMemorySink, requiresCheckpoint: false, outputModes: ["append", "update", "complete"] });
registerSink("console", { create: createConsoleSink, requiresCheckpoint: false, outputModes: ["append", "update", "complete"] });
registerSink("foreachbatch", { create: createForeachBatchSink, requiresCheckpoint: true, outputModes: ["append", "update", "complete"] });
registerSink("table", { create: createTableSink, requiresCheckpoint: true, outputModes: ["append"] });
// The Kafka client loads on first use (importing it costs ~0.4 s of start-up).
const kafka = () => import("../connectors/kafka/index.js");
registerSource("kafka", async (ctx, node) => (await kafka()).createKafkaSource(ctx, { ...node.options }));
// Each batch's rows and the source offsets in one Kafka transaction: exactly once.
registerSink("kafka", { create: async (ctx) => (await kafka()).createKafkaSink(ctx.session, { ...ctx.spec.options }), requiresCheckpoint: true, outputModes: ["append", "update", "complete"] });
