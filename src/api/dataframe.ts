/**
 * DataFrame: an immutable, lazy query. Transformations return new DataFrames that share the
 * frozen plan underneath; actions (`collect`, `count`, `show`, `write`...) run it on the
 * session's backend.
 */
import type { Table } from "apache-arrow";
import {
  AggregateNode, DeduplicateNode, DescribeNode, DistinctNode, DropNode, FilterNode, JoinNode, LimitNode,
  LocalRelationNode, ProjectNode, RenameNode, SampleNode, SetOpNode, SortNode, SubqueryAliasNode, WatermarkNode, WithColumnsNode,
  type JoinOn, type JoinType,
} from "../plan/nodes/index.js";
import { SortOrderExpr, SqlExpr, type Expr } from "../plan/expr/index.js";
import { isStreamingPlan, type PlanNode } from "../plan/visitor.js";
import { substituteStreamSources } from "../plan/substitute.js";
import { parseDurationMs } from "../plan/interval.js";
import { schemaTreeString, type StructType } from "../plan/types.js";
import { explainPlan } from "../plan/explain.js";
import { AnalysisError, IllegalArgumentError } from "../errors.js";
import type { Row } from "../backends/backend.js";
import type { Session } from "../session/session.js";
import { Column, toColumnExpr } from "./column.js";
import { columnList } from "./functions.js";
import { GroupedData } from "./grouped-data.js";
import { DataFrameNaFunctions } from "./na-functions.js";
import { DataFrameWriter } from "./writer.js";
import { DataStreamWriter } from "./data-stream-writer.js";
import { formatShow } from "./show.js";

type Col = string | Column;

const JOIN_TYPES: Record<string, JoinType> = {
  inner: "inner", cross: "cross",
  outer: "full", full: "full", fullouter: "full", full_outer: "full",
  left: "left", leftouter: "left", left_outer: "left",
  right: "right", rightouter: "right", right_outer: "right",
  semi: "left_semi", leftsemi: "left_semi", left_semi: "left_semi",
  anti: "left_anti", leftanti: "left_anti", left_anti: "left_anti",
};

function sortKey(c: Col): SortOrderExpr {
  const e = toColumnExpr(c);
  return e.kind === "SortOrderExpr" ? e : SortOrderExpr.create(e, "asc");
}

/**
 * A distributed collection of rows with named columns.
 * @example
 * const adults = df.filter(F.col("age").gt(30)).select("name", "country");
 * const rows = await adults.collect(); // [{ name: "Ann", country: "FR" }, ...]
 */
export class DataFrame {
  /** The frozen logical plan. */
  readonly plan: PlanNode;
  /** The session this frame belongs to. */
  readonly session: Session;

  constructor(session: Session, plan: PlanNode) {
    this.session = session;
    this.plan = plan;
    Object.freeze(this);
  }

  private with(plan: PlanNode): DataFrame { return new DataFrame(this.session, plan); }

  // ---------------------------------------------------------------- transformations

  /** Columns by name or expression. `select("*")` keeps everything. */
  select(...cols: (Col | readonly Col[])[]): DataFrame {
    return this.with(ProjectNode.create(this.plan, columnList(cols)));
  }
  /** Columns as SQL expressions: `selectExpr("a + 1 AS b", "upper(name)")`. */
  selectExpr(...exprs: string[]): DataFrame {
    return this.with(ProjectNode.create(this.plan, exprs.flat().map((t) => SqlExpr.create(t))));
  }
  /** Keeps rows where the condition holds; a string is a SQL condition. */
  filter(condition: Column | string): DataFrame {
    const e: Expr = typeof condition === "string" ? SqlExpr.create(condition) : condition.expr;
    return this.with(FilterNode.create(this.plan, e));
  }
  /** Same as `filter`. */
  where(condition: Column | string): DataFrame { return this.filter(condition); }
  /** Adds a column, or replaces the one with that name. */
  withColumn(name: string, col: Column): DataFrame {
    if (!(col instanceof Column)) throw new IllegalArgumentError(`withColumn(${JSON.stringify(name)}, ...) needs a Column as its second argument (use F.lit(value) for a constant).`);
    return this.with(WithColumnsNode.create(this.plan, [{ name, expr: col.expr }]));
  }
  /** Adds or replaces several columns at once. */
  withColumns(cols: Record<string, Column>): DataFrame {
    return this.with(WithColumnsNode.create(this.plan, Object.entries(cols).map(([name, c]) => ({ name, expr: c.expr }))));
  }
  /** Renames a column; no-op when it does not exist (as in Spark). */
  withColumnRenamed(existing: string, newName: string): DataFrame {
    return this.with(RenameNode.create(this.plan, [[existing, newName]]));
  }
  /** Renames all columns by position. */
  toDF(...names: string[]): DataFrame {
    return this.with(this.toDFPlan(names));
  }
  private toDFPlan(names: string[]): PlanNode {
    return RenameNode.create(this.plan, names.map((n, i) => [`#${i}`, n] as const));
  }
  /** Removes columns; names that do not exist are ignored (as in Spark). */
  drop(...cols: (Col | readonly Col[])[]): DataFrame {
    const names = (cols.flat() as Col[]).map((c) => {
      if (typeof c === "string") return c;
      if (c.expr.kind === "ColumnExpr") return c.expr.text;
      throw new IllegalArgumentError("drop() takes column names or F.col(...) references.");
    });
    return this.with(DropNode.create(this.plan, names));
  }
  /** Groups rows for aggregation: `groupBy("k").agg(F.sum("v"))`. */
  groupBy(...cols: (Col | readonly Col[])[]): GroupedData {
    return new GroupedData(this, columnList(cols));
  }
  /** Same as `groupBy`. */
  groupby(...cols: (Col | readonly Col[])[]): GroupedData { return this.groupBy(...cols); }
  /** Aggregates over the whole frame: `df.agg(F.max("age"))`. */
  agg(...exprs: (Column | readonly Column[])[]): DataFrame {
    return this.with(AggregateNode.create(this.plan, [], (exprs.flat() as Column[]).map((c) => c.expr)));
  }
  /**
   * Joins with another frame. `on` is a column name, a list of names (one output column per key),
   * or a boolean Column; `how` is inner (default), left, right, full/outer, semi, anti or cross.
   */
  join(other: DataFrame, on?: string | readonly string[] | Column, how = "inner"): DataFrame {
    const jt = JOIN_TYPES[how.toLowerCase().replace(/\s+/g, "")];
    if (!jt) throw new IllegalArgumentError(`Unknown join type ${JSON.stringify(how)}. Use one of: inner, left, right, full (outer), semi (left_semi), anti (left_anti), cross.`);
    let joinOn: JoinOn = null;
    if (typeof on === "string") joinOn = { type: "using", columns: [on] };
    else if (Array.isArray(on)) joinOn = { type: "using", columns: [...(on as string[])] };
    else if (on instanceof Column) joinOn = { type: "condition", expr: on.expr };
    if (joinOn === null && jt !== "cross" && on !== undefined) throw new IllegalArgumentError("join() `on` must be a column name, a list of names, or a Column condition.");
    return this.with(JoinNode.create(this.plan, other.plan, joinOn, joinOn === null && jt === "inner" ? "cross" : jt));
  }
  /** Cartesian product. */
  crossJoin(other: DataFrame): DataFrame { return this.with(JoinNode.create(this.plan, other.plan, null, "cross")); }
  /** Sorts by columns or sort keys (`F.col("x").desc()`); ascending puts nulls first. */
  orderBy(...cols: (Col | readonly Col[])[]): DataFrame {
    const keys = (cols.flat() as Col[]).map(sortKey);
    if (keys.length === 0) throw new IllegalArgumentError("orderBy() needs at least one column.");
    return this.with(SortNode.create(this.plan, keys));
  }
  /** Same as `orderBy`. */
  sort(...cols: (Col | readonly Col[])[]): DataFrame { return this.orderBy(...cols); }
  /** The first `n` rows. */
  limit(n: number): DataFrame {
    if (!Number.isInteger(n) || n < 0) throw new IllegalArgumentError(`limit(${n}): the limit must be a non-negative integer.`);
    return this.with(LimitNode.create(this.plan, n));
  }
  /** Removes duplicate rows. */
  distinct(): DataFrame { return this.with(DistinctNode.create(this.plan)); }
  /** Removes duplicates, considering only `subset` columns when given. */
  dropDuplicates(subset?: readonly string[]): DataFrame {
    return this.with(subset && subset.length ? DeduplicateNode.create(this.plan, [...subset]) : DistinctNode.create(this.plan));
  }
  /** Same as `dropDuplicates`. */
  drop_duplicates(subset?: readonly string[]): DataFrame { return this.dropDuplicates(subset); }
  /** Rows of both frames, matched by position (duplicates kept, like SQL UNION ALL). */
  union(other: DataFrame): DataFrame { return this.with(SetOpNode.create(this.plan, other.plan, "union", true, false, false)); }
  /** Same as `union`. */
  unionAll(other: DataFrame): DataFrame { return this.union(other); }
  /** Rows of both frames, matched by column name; missing columns become null when allowed. */
  unionByName(other: DataFrame, allowMissingColumns = false): DataFrame {
    return this.with(SetOpNode.create(this.plan, other.plan, "union", true, true, allowMissingColumns));
  }
  /** Rows in both frames (distinct). */
  intersect(other: DataFrame): DataFrame { return this.with(SetOpNode.create(this.plan, other.plan, "intersect", false, false, false)); }
  /** Rows in this frame but not the other (distinct). */
  exceptAll(other: DataFrame): DataFrame { return this.with(SetOpNode.create(this.plan, other.plan, "except", true, false, false)); }
  subtract(other: DataFrame): DataFrame { return this.with(SetOpNode.create(this.plan, other.plan, "except", false, false, false)); }
  /**
   * A random sample of about `fraction` of the rows, deterministic for a given seed and input.
   * Spark's forms are accepted: `sample(fraction, seed?)` and `sample(withReplacement, fraction, seed?)`.
   */
  sample(a: number | boolean, b?: number, c?: number): DataFrame {
    let withReplacement = false, fraction: number, seed: number | undefined;
    if (typeof a === "boolean") { withReplacement = a; fraction = b as number; seed = c; } else { fraction = a; seed = b; }
    if (typeof fraction !== "number" || !(fraction >= 0) || (!withReplacement && fraction > 1)) {
      throw new IllegalArgumentError(`sample(): fraction must be in [0, 1] without replacement (got ${fraction}).`);
    }
    if (withReplacement) throw new IllegalArgumentError("sample(withReplacement = true) is not supported yet; sample without replacement instead.");
    return this.with(SampleNode.create(this.plan, 0, fraction, false, seed ?? Math.floor(Math.random() * 2 ** 31)));
  }
  /**
   * Splits the rows randomly by `weights` (normalised to sum 1); each row lands in exactly one part,
   * the same one for the same seed and input.
   */
  randomSplit(weights: readonly number[], seed?: number): DataFrame[] {
    if (weights.length < 2 || weights.some((w) => !(w >= 0))) throw new IllegalArgumentError(`randomSplit(): give at least two non-negative weights (got ${JSON.stringify(weights)}).`);
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new IllegalArgumentError("randomSplit(): the weights must not all be zero.");
    const s = seed ?? Math.floor(Math.random() * 2 ** 31);
    const out: DataFrame[] = [];
    let lower = 0;
    for (let i = 0; i < weights.length; i++) {
      const upper = i === weights.length - 1 ? 1 : lower + weights[i] / total;
      out.push(this.with(SampleNode.create(this.plan, lower, upper, false, s)));
      lower = upper;
    }
    return out;
  }
  /**
   * Marks `eventTime` as this stream's event-time column, with rows up to `delayThreshold` late
   * accepted: watermark = max event time seen - delay. Stateful operators (window aggregations,
   * dropDuplicates) drop and count rows older than the watermark and evict state with it. No effect
   * on batch DataFrames.
   * @example events.withWatermark("ts", "10 seconds").groupBy(F.window("ts", "1 minute")).count()
   */
  withWatermark(eventTime: string, delayThreshold: string): DataFrame {
    if (typeof eventTime !== "string" || !eventTime) throw new IllegalArgumentError("withWatermark(eventTime, delay): give the event-time column's name.");
    const ms = parseDurationMs(delayThreshold, "withWatermark delay");
    return this.with(WatermarkNode.create(this.plan, eventTime, String(delayThreshold), ms));
  }
  /** True when this frame reads a stream (`spark.readStream`); run it with `writeStream.start()`. */
  get isStreaming(): boolean { return isStreamingPlan(this.plan); }
  /** Starts a streaming query from this frame: `df.writeStream.format("parquet").start(path)`. */
  get writeStream(): DataStreamWriter {
    if (!this.isStreaming) throw new AnalysisError("'writeStream' can be called only on a streaming DataFrame (one read with spark.readStream); use df.write for a batch DataFrame.", "WRITE_STREAM_NOT_ALLOWED");
    return new DataStreamWriter(this);
  }
  private checkBatch(action: string): void {
    if (isStreamingPlan(this.plan)) {
      throw new AnalysisError(`[NON_STREAMING_ACTION] Queries with streaming sources must be executed with writeStream.start(); ${action} is a batch action. Start the query with df.writeStream...start() (the memory sink makes its results queryable with spark.sql).`, "QUERY_NEEDS_WRITESTREAM_START");
    }
  }
  /** Names this frame so its columns can be referred to as `alias.column`. */
  alias(alias: string): DataFrame { return this.with(SubqueryAliasNode.create(this.plan, alias)); }
  /** Functions for missing values: `df.na.drop()`, `df.na.fill(0)`. */
  get na(): DataFrameNaFunctions { return new DataFrameNaFunctions(this); }
  /** Drops rows with nulls (same as `na.drop`). */
  dropna(how: "any" | "all" = "any", thresh?: number, subset?: readonly string[]): DataFrame { return this.na.drop(how, thresh, subset); }
  /** Replaces nulls (same as `na.fill`). */
  fillna(value: unknown, subset?: readonly string[]): DataFrame { return this.na.fill(value as never, subset); }
  /**
   * Summary statistics (count, mean, stddev, min, max) for numeric and string columns, as strings,
   * with a `summary` column, like Spark's `describe`.
   */
  describe(...cols: (string | readonly string[])[]): DataFrame {
    return this.with(DescribeNode.create(this.plan, cols.flat() as string[]));
  }

  // ---------------------------------------------------------------- caching and views

  /** Keeps the result in memory (a temp table on DuckDB) for later actions. Returns this frame. */
  cache(): DataFrame { this.session.markCached(this.plan); return this; }
  /** Same as `cache`. */
  persist(): DataFrame { return this.cache(); }
  /** Drops the cached result. */
  async unpersist(): Promise<DataFrame> { await this.session.backend.unpersist(this.plan); this.session.unmarkCached(this.plan); return this; }
  /** Whether this frame is cached. */
  get isCached(): boolean { return this.session.isMarkedCached(this.plan); }

  /** Registers this frame as a temp view for `spark.sql`, replacing any view of that name. */
  createOrReplaceTempView(name: string): void { this.session.registerTempView(name, this.plan, true); }
  /** Registers a temp view; fails if one with that name exists. */
  async createTempView(name: string): Promise<void> { await this.session.registerTempViewChecked(name, this.plan); }
  /** Same as createOrReplaceTempView (Quarry has one view namespace per session). */
  createOrReplaceGlobalTempView(name: string): void { this.session.registerTempView(name, this.plan, true); }

  // ---------------------------------------------------------------- actions

  private async run<T>(action: string, f: () => Promise<T>): Promise<T> {
    this.checkBatch(action);
    await this.session.beforeAction();
    return this.session.wrapAction(action, f);
  }
  /** All rows as plain objects. */
  collect(): Promise<Row[]> { return this.run("collect()", () => this.session.backend.collect(this.plan)); }
  /** Alias of collect, spelled as in JavaScript. */
  toArray(): Promise<Row[]> { return this.collect(); }
  /** Rows in batches, without holding all of them in memory. */
  async *toLocalIterator(): AsyncGenerator<Row> {
    this.checkBatch("toLocalIterator()");
    await this.session.beforeAction();
    for await (const batch of this.session.backend.iterate(this.plan)) yield* batch;
  }
  /** The number of rows. */
  count(): Promise<number> { return this.run("count()", () => this.session.backend.count(this.plan)); }
  /** The first `n` rows. */
  async take(n: number): Promise<Row[]> { return this.limit(n).collect(); }
  /** The first `n` rows (same as take). */
  async head(n = 1): Promise<Row[]> { return this.take(n); }
  /** The first row, or null for an empty frame. */
  async first(): Promise<Row | null> { return (await this.take(1))[0] ?? null; }
  /** True when the frame has no rows. */
  async isEmpty(): Promise<boolean> { return (await this.take(1)).length === 0; }
  /** The result as an `apache-arrow` Table. */
  toArrow(): Promise<Table> { return this.run("toArrow()", () => this.session.backend.toArrow(this.plan)); }
  /** The schema: `{ type: "struct", fields: [{ name, type, nullable }] }`. */
  schema(): Promise<StructType> {
    if (isStreamingPlan(this.plan)) {
      // A stream's schema is the batch schema of the same plan over no rows.
      const empty = substituteStreamSources(this.plan, (n) => {
        if (!n.schema) throw new AnalysisError(`The schema of the ${n.format} stream is known only once the query starts; give it with readStream.schema(...).`, "STREAM_SCHEMA_UNKNOWN");
        return LocalRelationNode.create([], n.schema);
      });
      return this.session.beforeAction().then(() => this.session.wrapAction("schema()", () => this.session.backend.schema(empty)));
    }
    return this.run("schema()", () => this.session.backend.schema(this.plan));
  }
  /** The column names. */
  async columns(): Promise<string[]> { return (await this.schema()).fields.map((f) => f.name); }
  /** Column names and Spark type names: `[["age", "int"], ...]`. */
  async dtypes(): Promise<[string, string][]> {
    const { typeToString } = await import("../plan/types.js");
    return (await this.schema()).fields.map((f) => [f.name, typeToString(f.type)]);
  }
  /** Prints the schema as a tree, like Spark. */
  async printSchema(): Promise<void> { process.stdout.write(schemaTreeString(await this.schema()) + "\n\n"); }
  /**
   * Prints the first `n` rows as a table, like Spark: strings longer than 20 characters are cut
   * unless `truncate` is false (or a number gives the width).
   * @example
   * await df.show(2);
   * // +----+---+
   * // |name|age|
   * // +----+---+
   * // | Ann| 34|
   * // | Bob| 41|
   * // +----+---+
   * // only showing top 2 rows
   */
  async show(n = 20, truncate: boolean | number = true, vertical = false): Promise<void> {
    process.stdout.write(await this.showString(n, truncate, vertical));
  }
  /** The text `show` prints. */
  async showString(n = 20, truncate: boolean | number = true, vertical = false): Promise<string> {
    const [rows, schema] = await Promise.all([this.limit(n + 1).collect(), this.schema()]);
    return formatShow(schema, rows, n, truncate, vertical);
  }
  /** Prints the logical plan and what the engine runs. */
  async explain(extended: boolean | "simple" | "extended" = false): Promise<void> {
    process.stdout.write(await this.explainString(extended) + "\n");
  }
  /** The text `explain` prints. */
  async explainString(extended: boolean | "simple" | "extended" = false): Promise<string> {
    const mode = extended === true || extended === "extended" ? "extended" : "simple";
    if (isStreamingPlan(this.plan)) return `== Logical Plan (streaming) ==\n${explainPlan(this.plan)}\n\nEach micro-batch runs this plan with the stream replaced by the batch's rows (see query.explain() once started).`;
    await this.session.beforeAction();
    const engine = await this.session.wrapAction("explain()", () => this.session.backend.explain(this.plan, mode));
    return `== Logical Plan ==\n${explainPlan(this.plan)}\n\n${engine}`;
  }
  /** Writes the frame: `df.write.mode("overwrite").parquet(path)`. */
  get write(): DataFrameWriter { return new DataFrameWriter(this); }

  /** Rows in a fixed key order, for printing. */
  toString(): string { return `DataFrame[${this.plan.kind}]`; }
}
