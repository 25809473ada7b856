/** `df.write`: saving a DataFrame to files or catalog tables, atomically. */
import { IllegalArgumentError } from "../errors.js";
import type { WriteSpec } from "../backends/backend.js";
import type { DataFrame } from "./dataframe.js";

const MODES: Record<string, WriteSpec["mode"]> = {
  error: "error", errorifexists: "error", default: "error", overwrite: "overwrite", append: "append", ignore: "ignore",
};

/**
 * Writes a DataFrame. Output goes to a temporary location and is moved into place only when
 * complete, so a failed write leaves the previous data untouched.
 * @example
 * await df.write.mode("overwrite").partitionBy("country").parquet("out/by_country");
 */
export class DataFrameWriter {
  constructor(
    private readonly df: DataFrame,
    private readonly spec: Omit<WriteSpec, "path" | "table"> = { format: "parquet", mode: "error", options: {}, partitionBy: [] },
  ) { Object.freeze(this); }

  private with(p: Partial<Omit<WriteSpec, "path" | "table">>): DataFrameWriter { return new DataFrameWriter(this.df, { ...this.spec, ...p }); }

  /** "error" (default: fail if the target exists), "overwrite", "append" or "ignore". */
  mode(mode: string): DataFrameWriter {
    const m = MODES[mode.toLowerCase()];
    if (!m) throw new IllegalArgumentError(`Unknown save mode ${JSON.stringify(mode)}. Use "error" (or "errorifexists"), "overwrite", "append" or "ignore".`);
    return this.with({ mode: m });
  }
  /** The output format: parquet (default), csv, json. */
  format(source: string): DataFrameWriter { return this.with({ format: source.toLowerCase() }); }
  /** One option (e.g. `header`, `sep`, `compression`). */
  option(key: string, value: string | number | boolean): DataFrameWriter { return this.with({ options: { ...this.spec.options, [key]: String(value) } }); }
  /** Several options. */
  options(opts: Record<string, string | number | boolean>): DataFrameWriter {
    return Object.entries(opts).reduce<DataFrameWriter>((w, [k, v]) => w.option(k, v), this);
  }
  /** Hive-style partition directories (`col=value/`) by these columns. */
  partitionBy(...cols: (string | readonly string[])[]): DataFrameWriter { return this.with({ partitionBy: cols.flat() as string[] }); }

  private async run(spec: WriteSpec): Promise<void> {
    await this.df.session.beforeAction();
    await this.df.session.wrapAction(spec.table ? `write.saveAsTable(${JSON.stringify(spec.table.name)})` : `write.save(${JSON.stringify(spec.path)})`,
      () => this.df.session.backend.write(this.df.plan, spec));
  }
  /**
   * Writes to a path in the chosen format; `kafka` writes the rows to a topic instead.
   * @example
   * await df.select(F.col("id").cast("string").alias("value")).write.format("kafka")
   *   .option("kafka.bootstrap.servers", "127.0.0.1:9092").option("topic", "events").save();
   */
  async save(path?: string): Promise<void> {
    const p = path ?? this.spec.options["path"];
    // A Kafka write names its topic in options (topic) or a `topic` column, not a path.
    if (!p && this.spec.format !== "kafka") throw new IllegalArgumentError("write.save(): give an output path.");
    await this.run({ ...this.spec, path: p ?? null, table: null });
  }
  /** Writes Parquet files. */ parquet(path: string): Promise<void> { return this.format("parquet").save(path); }
  /** Writes CSV files (no header unless `option("header", true)`, as in Spark). */ csv(path: string): Promise<void> { return this.format("csv").save(path); }
  /** Writes newline-delimited JSON files. */ json(path: string): Promise<void> { return this.format("json").save(path); }
  /** Saves as a persistent catalog table (Parquet under the warehouse directory). */
  async saveAsTable(name: string): Promise<void> { await this.run({ ...this.spec, path: null, table: { name, insertInto: false } }); }
  /** Inserts into an existing table, matching columns by position. */
  async insertInto(name: string, overwrite = false): Promise<void> {
    await this.run({ ...this.spec, mode: overwrite ? "overwrite" : this.spec.mode === "overwrite" ? "overwrite" : "append", path: null, table: { name, insertInto: true } });
  }
}
