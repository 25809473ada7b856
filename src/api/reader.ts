/** `spark.read`: batch sources (CSV, newline-delimited JSON, Parquet, catalog tables). */
import { ReadNode } from "../plan/nodes/index.js";
import { parseSchemaDDL, type StructType } from "../plan/types.js";
import { IllegalArgumentError } from "../errors.js";
import { DataFrame } from "./dataframe.js";
import type { Session } from "../session/session.js";

/** Options as `spark.read.csv(path, { ... })` takes them. */
export interface CsvOptions {
  header?: boolean | string; inferSchema?: boolean | string; sep?: string; delimiter?: string; quote?: string; escape?: string;
  nullValue?: string; dateFormat?: string; timestampFormat?: string; mode?: "PERMISSIVE" | "DROPMALFORMED" | "FAILFAST";
  columnNameOfCorruptRecord?: string; schema?: string | StructType; comment?: string; encoding?: string;
  [key: string]: unknown;
}
export type ReadOptions = Record<string, unknown> & { schema?: string | StructType };

/**
 * Reads data into a DataFrame.
 * @example
 * const df = spark.read.format("csv").option("header", "true").option("inferSchema", "true").load("people.csv");
 */
export class DataFrameReader {
  private constructor(
    private readonly session: Session,
    private readonly fmt: string,
    private readonly opts: Readonly<Record<string, string>>,
    private readonly userSchema: StructType | null,
  ) { Object.freeze(this); }

  static create(session: Session): DataFrameReader { return new DataFrameReader(session, "parquet", {}, null); }

  /** The source format: csv, json, parquet (the default), or `kafka` where streaming is available. */
  format(source: string): DataFrameReader { return new DataFrameReader(this.session, source.toLowerCase(), this.opts, this.userSchema); }
  /** One option; values are strings as in Spark (booleans and numbers are converted). */
  option(key: string, value: string | number | boolean): DataFrameReader {
    return new DataFrameReader(this.session, this.fmt, { ...this.opts, [key]: String(value) }, this.userSchema);
  }
  /** Several options. */
  options(opts: Record<string, string | number | boolean>): DataFrameReader {
    return Object.entries(opts).reduce<DataFrameReader>((r, [k, v]) => (v === undefined ? r : r.option(k, v)), this);
  }
  /** The schema as a DDL string (`"name STRING, age INT"`) or a StructType; skips inference. */
  schema(schema: string | StructType): DataFrameReader {
    return new DataFrameReader(this.session, this.fmt, this.opts, typeof schema === "string" ? parseSchemaDDL(schema) : schema);
  }
  /**
   * Reads from one or more paths (files, directories or globs); a `kafka` read takes none.
   * @example
   * const events = spark.read.format("kafka").option("kafka.bootstrap.servers", "127.0.0.1:9092")
   *   .option("subscribe", "events").option("startingOffsets", "earliest").load();
   */
  load(...paths: (string | readonly string[])[]): DataFrame {
    const flat = paths.flat() as string[];
    const optPath = this.opts["path"];
    if (flat.length === 0 && optPath) flat.push(optPath);
    // Kafka reads name topics in options (subscribe / subscribePattern / assign), not paths.
    if (this.fmt === "kafka") return new DataFrame(this.session, ReadNode.create(this.fmt, Object.freeze([...flat]), this.opts, this.userSchema));
    if (flat.length === 0) throw new IllegalArgumentError(`read.load(): give a path (a file, a directory or a glob) for the ${this.fmt} source.`);
    for (const p of flat) if (typeof p !== "string" || p.length === 0) throw new IllegalArgumentError(`read.load(): every path must be a non-empty string, got ${JSON.stringify(p)}.`);
    return new DataFrame(this.session, ReadNode.create(this.fmt, Object.freeze([...flat]), this.opts, this.userSchema));
  }
  private withOpts(fmt: string, opts?: ReadOptions): DataFrameReader {
    let r = this.format(fmt);
    if (opts) {
      const { schema, ...rest } = opts;
      if (schema) r = r.schema(schema);
      for (const [k, v] of Object.entries(rest)) if (v !== undefined && v !== null) r = r.option(k, v as string);
    }
    return r;
  }
  /** Reads CSV files. */
  csv(path: string | readonly string[], opts?: CsvOptions): DataFrame { return this.withOpts("csv", opts).load(path); }
  /** Reads newline-delimited JSON files. */
  json(path: string | readonly string[], opts?: ReadOptions): DataFrame { return this.withOpts("json", opts).load(path); }
  /** Reads Parquet files. */
  parquet(...paths: (string | readonly string[])[]): DataFrame { return this.format("parquet").load(...paths); }
  /** A catalog table or temp view by name. */
  table(name: string): DataFrame { return this.session.table(name); }
}
