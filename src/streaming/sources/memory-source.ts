/**
 * `MemoryStream`: rows a program (usually a test) adds while a query runs, like Spark's
 * `MemoryStream`. The offset is the number of rows added; batches replay exactly while the
 * session lives (the rows are not persisted; they, and on Spark their files, go when it stops).
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { IllegalArgumentError } from "../../errors.js";
import { LocalRelationNode, StreamSourceNode } from "../../plan/nodes/index.js";
import { parseSchemaDDL, type StructType } from "../../plan/types.js";
import { DataFrame } from "../../api/dataframe.js";
import type { Session } from "../../session/session.js";
import type { JsonValue, SourceContext, StreamSource } from "../contracts.js";

const STREAMS = new Map<string, MemoryStream>();

/**
 * An in-memory stream for tests and examples.
 * @example
 * const input = new MemoryStream(spark, "k STRING, v INT");
 * const q = await input.toDF().groupBy("k").count().writeStream.outputMode("complete").format("memory").queryName("c").start();
 * input.addData([{ k: "a", v: 1 }]); await q.processAllAvailable();
 */
export class MemoryStream {
  readonly id = randomUUID();
  readonly schema: StructType;
  private readonly rows: Readonly<Record<string, unknown>>[] = [];

  /**
   * On an engine that runs streams itself (Spark), the rows go to newline-delimited JSON files in
   * this directory, one per `addData`, and the stream is a file stream over it: the server must
   * see the same local file system (a local Spark server does).
   */
  private readonly fileDir: string | null;
  private files = 0;

  constructor(private readonly session: Session, schema: string | StructType) {
    this.schema = typeof schema === "string" ? parseSchemaDDL(schema) : schema;
    STREAMS.set(this.id, this);
    this.fileDir = session.backend.startStream ? fs.mkdtempSync(path.join(os.tmpdir(), "quarry-memory-stream-")) : null;
    // The session's queries stop before its stop hooks run: then nothing reads the rows or files.
    session.onStop(async () => {
      STREAMS.delete(this.id);
      if (this.fileDir) fs.rmSync(this.fileDir, { recursive: true, force: true });
    });
  }
  /** Appends rows (objects by column name); returns the offset after them. */
  addData(rows: readonly Readonly<Record<string, unknown>>[]): number {
    if (!Array.isArray(rows)) throw new IllegalArgumentError("MemoryStream.addData(rows): give an array of row objects.");
    for (const r of rows) this.rows.push(Object.freeze({ ...r }));
    if (this.fileDir && rows.length > 0) {
      // Written under a hidden name, then renamed: the file source never sees half a file.
      const name = `part-${String(this.files++).padStart(6, "0")}.json`;
      const tmp = path.join(this.fileDir, `.${name}`);
      fs.writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
      fs.renameSync(tmp, path.join(this.fileDir, name));
    }
    return this.rows.length;
  }
  /** The streaming DataFrame over this stream. */
  toDF(): DataFrame {
    if (this.fileDir) return new DataFrame(this.session, StreamSourceNode.create("json", {}, [this.fileDir], this.schema));
    return new DataFrame(this.session, StreamSourceNode.create("memory", { id: this.id }, [], this.schema));
  }
  /** @internal */ get size(): number { return this.rows.length; }
  /** @internal */ slice(start: number, end: number): Readonly<Record<string, unknown>>[] { return this.rows.slice(start, end); }
}

/** The source side of a MemoryStream, for the engine. */
export function createMemorySource(_ctx: SourceContext, node: { options: Readonly<Record<string, string>> }): StreamSource {
  const stream = STREAMS.get(node.options["id"] ?? "");
  if (!stream) throw new IllegalArgumentError("readStream.format(\"memory\") reads a MemoryStream: create one with new MemoryStream(spark, schema) and use its toDF().", "UNKNOWN_MEMORY_STREAM");
  let fixedEnd: number | null = null;
  return {
    description: `MemoryStream[${stream.schema.fields.map((f) => f.name).join(",")}]`,
    schema: stream.schema,
    async initialOffset() { return 0; },
    async latestOffset(start: JsonValue) { const end = fixedEnd ?? stream.size; return end > Number(start) ? end : null; },
    async prepareForTriggerAvailableNow() { fixedEnd = stream.size; },
    async getBatch(start: JsonValue, end: JsonValue) { return LocalRelationNode.create(stream.slice(Number(start), Number(end)), stream.schema); },
    async commit() { /* rows stay for replays within the process */ },
    async metrics() { return {}; },
    async stop() { /* nothing held */ },
  };
}
