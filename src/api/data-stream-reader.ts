/** `spark.readStream`: unbounded sources (files arriving in a directory, `rate`, `kafka`, `memory`). */
import { StreamSourceNode } from "../plan/nodes/index.js";
import { parseSchemaDDL, type StructType } from "../plan/types.js";
import { IllegalArgumentError, UnsupportedOperationError } from "../errors.js";
import { DataFrame } from "./dataframe.js";
import type { Session } from "../session/session.js";

/** The row schema of the built-in sources that do not need one, by format. */
const FIXED_SCHEMAS: Record<string, string> = {
  rate: "timestamp TIMESTAMP, value BIGINT",
  kafka: "key BINARY, value BINARY, topic STRING, partition INT, offset BIGINT, timestamp TIMESTAMP, timestampType INT",
};

/**
 * Reads a stream into a streaming DataFrame; the query runs with `df.writeStream...start()`.
 * @example
 * const events = spark.readStream.format("json").schema("user STRING, amount DOUBLE, ts TIMESTAMP").load("in/events");
 */
export class DataStreamReader {
  private constructor(
    private readonly session: Session,
    private readonly fmt: string | null,
    private readonly opts: Readonly<Record<string, string>>,
    private readonly userSchema: StructType | null,
  ) { Object.freeze(this); }

  /** @internal */
  static create(session: Session): DataStreamReader { return new DataStreamReader(session, null, {}, null); }

  /** The source: `json`, `csv`, `parquet` (a directory new files arrive in), `rate`, `kafka`, `memory`. */
  format(source: string): DataStreamReader { return new DataStreamReader(this.session, source.toLowerCase(), this.opts, this.userSchema); }
  /** One option (values are strings as in Spark). */
  option(key: string, value: string | number | boolean): DataStreamReader {
    return new DataStreamReader(this.session, this.fmt, { ...this.opts, [key]: String(value) }, this.userSchema);
  }
  /** Several options. */
  options(opts: Record<string, string | number | boolean>): DataStreamReader {
    return Object.entries(opts).reduce<DataStreamReader>((r, [k, v]) => (v === undefined ? r : r.option(k, v)), this);
  }
  /** The schema of the rows (required for file sources unless `spark.sql.streaming.schemaInference` is true). */
  schema(schema: string | StructType): DataStreamReader {
    return new DataStreamReader(this.session, this.fmt, this.opts, typeof schema === "string" ? parseSchemaDDL(schema) : schema);
  }
  /** A streaming DataFrame over the source (files: the directory to watch). */
  load(path?: string): DataFrame {
    if (this.fmt === null) throw new IllegalArgumentError("readStream.load(): choose a source first with .format(\"json\" | \"csv\" | \"parquet\" | \"rate\" | \"kafka\").");
    const p = path ?? this.opts["path"];
    const paths = p ? [p] : [];
    if (typeof path === "string" && path.length === 0) throw new IllegalArgumentError("readStream.load(path): the path must not be empty.");
    const fixed = FIXED_SCHEMAS[this.fmt];
    if (fixed && this.userSchema) throw new IllegalArgumentError(`The ${this.fmt} source does not take a user schema; its rows are (${fixed}).`, "USER_SCHEMA_NOT_ALLOWED");
    const headers = this.fmt === "kafka" && Object.entries(this.opts).some(([k, v]) => k.toLowerCase() === "includeheaders" && v.toLowerCase() === "true");
    const schema = this.userSchema ?? (fixed ? parseSchemaDDL(headers ? `${fixed}, headers ARRAY<STRUCT<key: STRING, value: BINARY>>` : fixed) : null);
    return new DataFrame(this.session, StreamSourceNode.create(this.fmt, this.opts, paths, schema));
  }
  /** Watches a directory for new CSV files. */
  csv(path: string): DataFrame { return this.format("csv").load(path); }
  /** Watches a directory for new newline-delimited JSON files. */
  json(path: string): DataFrame { return this.format("json").load(path); }
  /** Watches a directory for new Parquet files. */
  parquet(path: string): DataFrame { return this.format("parquet").load(path); }
  /** Streaming reads of tables are not supported: tables have no change log in Quarry. */
  table(name: string): DataFrame {
    throw new UnsupportedOperationError(`readStream.table(${JSON.stringify(name)}) is not supported: Quarry tables have no change log. Stream the directory the table's files arrive in with readStream.parquet(path).`, "UNSUPPORTED_STREAMING_TABLE");
  }
}
