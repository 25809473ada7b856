/**
 * The embedded engine: DuckDB in this process through `@duckdb/node-api`. Plans compile to one
 * SQL query (duckdb-compiler.ts); results stream back in chunks and decode column by column.
 */
import os from "node:os";
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import type { Backend, BackendOptions, Capabilities, Row, TableInfo, WriteSpec } from "../backend.js";
import type { PlanNode } from "../../plan/visitor.js";
import { planSome } from "../../plan/visitor.js";
import type { ReadNode } from "../../plan/nodes/read-node.js";
import { parseSchemaDDL, schemaToDDL, structType, type StructType } from "../../plan/types.js";
import { AnalysisError, ExecutionError, IllegalArgumentError, ParseError, closest, q } from "../../errors.js";
import { DuckDBCompiler, resolveName, type Attr, type CacheRef, type CatalogTableRef, type CompileEnv, type ParsedSqlExpr } from "./duckdb-compiler.js";
import { DUCKDB_MACROS } from "./duckdb-functions.js";
import { ident, str, strList } from "./duckdb-sql.js";
import { fromDuckType, toDuckType } from "./duckdb-types.js";
import { resultBatches, resultDoubleChunks, resultRows, type DoubleChunk, type Int64Mode } from "./duckdb-results.js";
import { commitStaging, copyOptions, expandPaths, pathExists, readSource, stagingDir, EXTENSIONS } from "./duckdb-files.js";
import { WarehouseCatalog, tableName, type CatalogEntry } from "./duckdb-catalog.js";
import { wrapDuckError } from "./duckdb-errors.js";
import { backticksToDoubleQuotes, rewriteStringCasts } from "./duckdb-dialect.js";
import { dropKafkaTable, kafkaEmptySource, loadKafkaTable } from "./duckdb-kafka.js";
import { loadLocalTable, localTablePlan } from "./duckdb-local.js";
import type { LocalRelationNode } from "../../plan/nodes/local-relation-node.js";

const SESSION_KEYS: Record<string, string> = { "spark.sql.session.timezone": "TimeZone" };

function threadsFor(master: string): number {
  const m = /^local(?:\[(\*|\d+)(?:,\s*\d+)?\])?$/.exec(master.trim());
  if (!m) throw new IllegalArgumentError(`Unknown master ${JSON.stringify(master)} for the embedded engine: use "local", "local[N]" or "local[*]"; for a Spark cluster use .remote("sc://host:15002").`);
  if (m[1] === undefined) return 1;
  if (m[1] === "*") return os.availableParallelism();
  return Math.max(1, Number(m[1]));
}

/** A serial queue: DuckDB connections run one statement at a time. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const r = this.tail.then(f, f);
    this.tail = r.catch(() => undefined);
    return r;
  }
}

export class DuckDBBackend implements Backend {
  readonly name = "duckdb";
  readonly capabilities: Capabilities = { supportsCache: true, supportsPersistentCatalog: true, supportsAtomicWrites: true };

  private readonly lock = new Lock();
  private readonly conf = new Map<string, string>();
  private readonly views = new Map<string, { name: string; plan: PlanNode }>();
  private readonly caches = new Map<PlanNode, CacheRef>();
  private readonly describeCache = new WeakMap<object, { name: string; type: string }[]>();
  private readonly readCache = new WeakMap<ReadNode, Map<boolean, { sql: string; schema: StructType }>>();
  private readonly parseCache = new Map<string, ParsedSqlExpr>();
  private int64Mode: Int64Mode = "number";
  private timeZone = "UTC";
  private catalog: WarehouseCatalog;
  private cacheCounter = 0;
  private syncedCatalog = "";
  /** Tables holding the records of Kafka reads of the running action (dropped when it ends). */
  private readonly kafkaTables: string[] = [];
  private kafkaCounter = 0;
  private localCounter = 0;
  private readonly localTables = new WeakMap<LocalRelationNode, string>();
  /** Tables of local relations no longer referenced, dropped before the next one is loaded. */
  private readonly localDrops: string[] = [];
  private readonly localRegistry = new FinalizationRegistry<string>((table) => this.localDrops.push(table));

  private constructor(private readonly instance: DuckDBInstance, private readonly conn: DuckDBConnection, options: BackendOptions) {
    this.catalog = new WarehouseCatalog(path.resolve(options.config.get("quarry.warehouse") ?? options.config.get("spark.sql.warehouse.dir") ?? "spark-warehouse"));
  }

  /** Starts an in-process DuckDB database for one session. */
  static async create(options: BackendOptions): Promise<DuckDBBackend> {
    const threads = threadsFor(options.master);
    const dbConfig: Record<string, string> = { threads: String(threads), autoinstall_known_extensions: "false", autoload_known_extensions: "true" };
    for (const [k, v] of options.config) if (!k.startsWith("quarry.") && !k.startsWith("spark.")) dbConfig[k] = v;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(":memory:", dbConfig);
    } catch (e) {
      const msg = (e as Error).message;
      throw new IllegalArgumentError(`The embedded engine refused its settings (${Object.entries(dbConfig).map(([k, v]) => `${k}=${v}`).join(", ")}): ${msg}. Check the .config(...) keys and values: non-Quarry keys go to DuckDB as database settings.`, "INVALID_CONFIG", { cause: e });
    }
    const conn = await instance.connect();
    const b = new DuckDBBackend(instance, conn, options);
    await conn.run([...DUCKDB_MACROS, "SET TimeZone = 'UTC'"].join(";\n"));
    for (const [k, v] of options.config) {
      b.conf.set(k, v);
      if (k.startsWith("quarry.") || k.startsWith("spark.")) await b.applySetting(k, v);
    }
    return b;
  }

  // ------------------------------------------------------------------ compile environment

  private env(tolerantCsv = false, schemaOnly = false): CompileEnv {
    return {
      tolerantCsv,
      describe: (sql, key) => this.describe(sql, key),
      parseSqlExpr: (text) => this.parseSqlExpr(text),
      view: (name) => this.views.get(name.toLowerCase())?.plan,
      catalogTable: (name) => this.catalogRef(name),
      knownTableNames: () => [...[...this.views.values()].map((v) => v.name), ...this.safeCatalogList().map((e) => e.name)],
      cached: (plan) => this.caches.get(plan),
      localTable: (node) => this.localTable(node),
      readSource: async (node, tolerant) => {
        if (node.format === "kafka") {
          if (schemaOnly) return kafkaEmptySource(node);
          const table = `__quarry_kafka_${++this.kafkaCounter}`;
          this.kafkaTables.push(table);
          return loadKafkaTable(this.conn, node, table);
        }
        let m = this.readCache.get(node);
        if (!m) { m = new Map(); this.readCache.set(node, m); }
        const hit = m.get(tolerant);
        if (hit) return hit;
        const src = await readSource(node, tolerant, (sql) => this.describe(sql), async (sql) => {
          try { return (await this.conn.runAndReadAll(sql)).getRowObjectsJS()[0] as Record<string, unknown>; } catch (e) { throw this.annotate(wrapDuckError(e, sql, "reading the CSV header")); }
        });
        m.set(tolerant, src);
        return src;
      },
    };
  }

  /**
   * The table a large `createDataFrame` relation was loaded into (once, on its first use), or null
   * to inline it; a table is dropped after its plan node is garbage collected.
   */
  private async localTable(node: LocalRelationNode): Promise<string | null> {
    const hit = this.localTables.get(node);
    if (hit) return hit;
    for (const t of this.localDrops.splice(0)) await this.conn.run(`DROP TABLE IF EXISTS ${ident(t)}`).catch(() => undefined);
    const puts = localTablePlan(node);
    if (!puts) return null;
    const table = `__quarry_local_${++this.localCounter}`;
    await loadLocalTable(this.conn, node, puts, table);
    this.localTables.set(node, table);
    this.localRegistry.register(node, table);
    return table;
  }

  private safeCatalogList(): CatalogEntry[] { try { return this.catalog.list(); } catch { return []; } }

  private async describe(sql: string, key?: object): Promise<{ name: string; type: string }[]> {
    if (key) { const hit = this.describeCache.get(key); if (hit) return hit; }
    let cols: { name: string; type: string }[];
    try {
      const r = await this.conn.runAndReadAll(`DESCRIBE ${sql}`);
      cols = r.getRowObjectsJS().map((row) => ({ name: String(row["column_name"]), type: String(row["column_type"]) }));
    } catch (e) {
      throw this.annotate(wrapDuckError(e, sql, "schema resolution"));
    }
    if (key) this.describeCache.set(key, cols);
    return cols;
  }

  /** Adds file and line context to CSV errors. */
  private annotate(e: Error): Error {
    const m = /CSV Error on Line: (\d+)/.exec(e.message);
    if (m && !/Malformed CSV record/.test(e.message)) {
      const file = /file[= ]+"?([^"\s,]+)/i.exec(e.message)?.[1];
      e.message = `Malformed CSV record at line ${m[1]}${file ? ` of ${file}` : ""}: ${e.message}\nFix the record, or read with mode PERMISSIVE (bad fields become null) or DROPMALFORMED (bad records are skipped).`;
    }
    return e;
  }

  private async parseSqlExpr(text: string): Promise<ParsedSqlExpr> {
    const hit = this.parseCache.get(text);
    if (hit) return hit;
    const fail = (why: string) => new ParseError(`Cannot use ${JSON.stringify(text)} as a SQL expression: ${why}. Write one expression, optionally with "AS name", e.g. "age + 1 AS next_age".`, "PARSE_SYNTAX_ERROR");
    const r = await this.conn.runAndReadAll("SELECT json_serialize_sql(CAST($1 AS VARCHAR)) AS j", ["SELECT " + backticksToDoubleQuotes(text)]);
    const rawJson = String(r.getRowObjectsJS()[0]["j"]);
    const json = JSON.parse(rawJson);
    if (json.error) throw fail(String(json.error_message ?? "it does not parse"));
    if (json.statements.length !== 1) throw fail("it contains more than one statement");
    const node = json.statements[0].node;
    if (node.type !== "SELECT_NODE" || node.from_table?.type !== "EMPTY" || node.where_clause || node.group_expressions.length || node.having || node.qualify || node.modifiers.length || node.select_list.length !== 1 || node.cte_map?.map?.length) {
      throw fail("it is not a single expression");
    }
    const item = node.select_list[0];
    const refs: string[][] = [];
    const walk = (x: unknown) => {
      if (Array.isArray(x)) { x.forEach(walk); return; }
      if (x && typeof x === "object") {
        const o = x as Record<string, unknown>;
        if (o["class"] === "COLUMN_REF" && Array.isArray(o["column_names"])) refs.push(o["column_names"] as string[]);
        if (o["class"] === "SUBQUERY") throw fail("subqueries are not allowed in expression strings");
        // Spark's subscript is 0-based, DuckDB's 1-based: shift constant integer indexes.
        if (o["type"] === "ARRAY_EXTRACT" && Array.isArray(o["children"])) {
          const idx = (o["children"] as Record<string, unknown>[])[1];
          const v = idx?.["value"] as Record<string, unknown> | undefined;
          const id = (v?.["type"] as Record<string, unknown> | undefined)?.["id"];
          if (idx?.["class"] === "CONSTANT" && v && !v["is_null"] && ["INTEGER", "BIGINT", "SMALLINT", "TINYINT"].includes(String(id)) && typeof v["value"] === "number") {
            v["value"] = (v["value"] as number) + 1;
          }
        }
        for (const v of Object.values(o)) walk(v);
      }
    };
    walk(item);
    let parsed: ParsedSqlExpr;
    if (item.class === "STAR") {
      parsed = { sql: "*", alias: null, star: { qualifier: item.relation_name || null }, columnRefs: [] };
    } else {
      const alias = item.alias ? String(item.alias) : null;
      item.alias = "";
      // query_location values are uint64s that JSON.parse cannot hold; they only place error carets.
      const edited = JSON.stringify(json, (k, v) => (k === "query_location" ? 0 : v));
      const hugeLiteral = /"value":-?\d{16,}/.test(rawJson);
      const back = await this.conn.runAndReadAll("SELECT json_deserialize_sql(CAST($1 AS JSON)) AS s", [hugeLiteral ? rawJson : edited]);
      let sql = rewriteStringCasts(String(back.getRowObjectsJS()[0]["s"]).replace(/^SELECT\s+/i, ""));
      if (hugeLiteral && alias !== null) sql = sql.replace(/\s+AS\s+("(?:[^"]|"")*"|[^\s"]+)\s*$/i, "");
      parsed = { sql, alias, star: null, columnRefs: refs };
    }
    this.parseCache.set(text, parsed);
    return parsed;
  }

  private catalogRef(name: string): CatalogTableRef | undefined {
    let bare: string;
    try { bare = tableName(name); } catch { return undefined; }
    const e = this.catalog.get(bare);
    if (!e) return undefined;
    const schema = parseSchemaDDL(e.schema);
    const loc = this.catalog.location(e);
    const { files, hive } = fs.existsSync(loc) ? expandPaths([loc]) : { files: [], hive: false };
    const parquet = files.filter((f) => f.endsWith(".parquet"));
    if (parquet.length === 0) {
      return { name: e.name, schema, sourceSql: `SELECT ${schema.fields.map((f) => `CAST(NULL AS ${toDuckType(f.type)}) AS ${ident(f.name)}`).join(", ")} WHERE FALSE` };
    }
    const src = `read_parquet(${strList(parquet)}, hive_partitioning = ${hive})`;
    return { name: e.name, schema, sourceSql: `SELECT ${schema.fields.map((f) => `CAST(${ident(f.name)} AS ${toDuckType(f.type)}) AS ${ident(f.name)}`).join(", ")} FROM ${src}` };
  }

  // ------------------------------------------------------------------ running

  private compiler(tolerant = false, schemaOnly = false): DuckDBCompiler { return new DuckDBCompiler(this.env(tolerant, schemaOnly)); }

  /** Drops the tables of the Kafka reads the last action made. */
  private async dropKafkaTables(tables = this.kafkaTables.splice(0)): Promise<void> {
    for (const t of tables) await dropKafkaTable(this.conn, t).catch(() => undefined);
  }

  /** Compiles and runs; retries a PERMISSIVE CSV read tolerantly when DuckDB's typed scan hits a malformed field. */
  private async withQuery<T>(plan: PlanNode, what: string, f: (sql: string, attrs: readonly Attr[]) => Promise<T>, opts: { allowDuplicateNames?: boolean; wrap?: (sql: string) => string } = {}): Promise<T> {
    return this.lock.run(async () => {
      await this.syncCatalogViews(plan);
      const attempt = async (tolerant: boolean): Promise<T> => {
        const c = this.compiler(tolerant);
        const { sql, attrs } = await c.query(plan, opts);
        const finalSql = opts.wrap ? opts.wrap(sql) : sql;
        try {
          return await f(finalSql, attrs);
        } catch (e) {
          throw this.annotate(wrapDuckError(e, finalSql, what, c.names));
        }
      };
      try {
        return await attempt(false);
      } catch (e) {
        const msg = (e as Error).message;
        const permissive = planSome(plan, (n) => n.kind === "ReadNode" && n.format === "csv" && ((n.options["mode"] ?? "PERMISSIVE").toUpperCase() === "PERMISSIVE"));
        if (permissive && /CSV Error|Could not convert/.test(msg)) return attempt(true);
        throw e;
      } finally {
        await this.dropKafkaTables();
      }
    });
  }

  async schema(plan: PlanNode): Promise<StructType> {
    return this.lock.run(async () => {
      await this.syncCatalogViews(plan);
      const { sql, attrs } = await this.compiler(false, true).query(plan, { allowDuplicateNames: true });
      const cols = await this.describe(sql);
      return structType(cols.map((c, i) => ({ name: c.name, type: fromDuckType(c.type), nullable: attrs[i]?.nullable !== false })));
    });
  }

  async collect(plan: PlanNode): Promise<Row[]> {
    return this.withQuery(plan, "collect()", async (sql) => resultRows(await this.conn.run(sql), this.int64Mode));
  }

  async toArrow(plan: PlanNode): Promise<Table> {
    const { resultToArrow } = await import("./duckdb-arrow.js");
    return this.withQuery(plan, "toArrow()", async (sql) => resultToArrow(await this.conn.run(sql), this.int64Mode, this.timeZone));
  }

  async *iterate(plan: PlanNode): AsyncGenerator<Row[]> {
    // The Kafka tables this compile loads belong to this iteration alone (other actions may run
    // while it streams).
    const { sql, kafkaTables } = await this.lock.run(async () => {
      await this.syncCatalogViews(plan);
      const q = await this.compiler().query(plan);
      return { sql: q.sql, kafkaTables: this.kafkaTables.splice(0) };
    });
    const conn = await this.instance.connect();
    try {
      let result;
      try { result = await conn.stream(sql); } catch (e) { throw wrapDuckError(e, sql, "toLocalIterator()"); }
      yield* resultBatches(result, this.int64Mode);
    } finally {
      conn.closeSync();
      await this.lock.run(() => this.dropKafkaTables(kafkaTables));
    }
  }

  /**
   * @internal For the ML kernels: streams a plan whose columns are all DOUBLE, chunk by chunk,
   * as typed arrays (see resultDoubleChunks), on a connection of its own like `iterate`.
   */
  async *scanDoubles(plan: PlanNode, action: string): AsyncGenerator<DoubleChunk> {
    const { sql } = await this.lock.run(async () => { await this.syncCatalogViews(plan); return this.compiler().query(plan); });
    const conn = await this.instance.connect();
    try {
      try {
        await conn.run(`SET TimeZone = ${str(this.timeZone)}`);
        yield* resultDoubleChunks(await conn.stream(sql));
      } catch (e) {
        throw this.annotate(wrapDuckError(e, sql, action));
      }
    } finally {
      conn.closeSync();
    }
  }

  async count(plan: PlanNode): Promise<number> {
    return this.withQuery(plan, "count()", async (sql) => {
      const r = await this.conn.runAndReadAll(sql);
      return Number(r.getRowObjectsJS()[0]["n"]);
    }, { allowDuplicateNames: true, wrap: (sql) => `SELECT count(*) AS n FROM (${sql})` });
  }

  async explain(plan: PlanNode, mode: "simple" | "extended"): Promise<string> {
    return this.lock.run(async () => {
      await this.syncCatalogViews(plan);
      const { sql } = await this.compiler(false, true).query(plan, { allowDuplicateNames: true });
      let physical = "";
      try {
        const r = await this.conn.runAndReadAll(`EXPLAIN ${sql}`);
        physical = r.getRowObjectsJS().map((row) => String(row["explain_value"])).join("\n");
      } catch (e) {
        throw wrapDuckError(e, sql, "explain()");
      }
      const pretty = sql.replace(/ FROM \(/g, "\n  FROM (").replace(/ WHERE /g, "\n  WHERE ").replace(/ GROUP BY /g, "\n  GROUP BY ");
      return `== DuckDB SQL ==\n${mode === "extended" ? pretty : sql}\n\n== DuckDB Physical Plan ==\n${physical}`;
    });
  }

  // ------------------------------------------------------------------ writing

  async write(plan: PlanNode, spec: WriteSpec): Promise<void> {
    if (spec.format === "kafka" && !spec.table) {
      if (spec.mode === "overwrite" || spec.mode === "ignore") {
        throw new AnalysisError(`Save mode ${spec.mode} is not allowed for Kafka. Allowed save modes are "append" and "error" (the default); both add the rows to the topic.`, "KAFKA_SAVE_MODE");
      }
      // The Kafka client loads on first use (importing it costs ~0.4 s of start-up).
      const { writeKafka } = await import("../../connectors/kafka/kafka-batch.js");
      await writeKafka(spec.options, await this.schema(plan), this.iterate(plan));
      return;
    }
    if (spec.table) return this.writeTable(plan, spec);
    return this.writePath(plan, spec.path!, spec.format, spec.mode, spec.options, spec.partitionBy);
  }

  private async writePath(plan: PlanNode, target: string, format: string, mode: WriteSpec["mode"], options: Readonly<Record<string, string>>, partitionBy: readonly string[], project?: (sql: string, attrs: readonly Attr[]) => string): Promise<void> {
    if (!EXTENSIONS[format]) copyOptions(format, options, []);
    const exists = pathExists(target);
    if (exists && mode === "error") {
      throw new AnalysisError(`[PATH_ALREADY_EXISTS] Path ${path.resolve(target)} already exists. Use .mode("overwrite") to replace it, .mode("append") to add to it, or .mode("ignore") to skip the write.`, "PATH_ALREADY_EXISTS");
    }
    if (exists && mode === "ignore") return;
    const staging = stagingDir(target);
    await this.withQuery(plan, `write.${format}(${JSON.stringify(target)})`, async (sql, attrs) => {
      const parts = partitionBy.map((p) => resolveName([p], p, attrs).attr.name);
      if (parts.length && parts.length === attrs.length) throw new AnalysisError("partitionBy() cannot use every column: no data columns would be left in the files.", "ALL_PARTITION_COLUMNS_NOT_ALLOWED");
      const body = project ? project(sql, attrs) : sql;
      fs.mkdirSync(staging, { recursive: true });
      const stamp = randomUUID();
      const ext = EXTENSIONS[format] + (format !== "parquet" && options["compression"] === "gzip" ? ".gz" : "");
      // Each engine thread writes its own part file (PER_THREAD_OUTPUT), as Spark writes one per task.
      const dest = staging;
      const opts = copyOptions(format, options, parts) + `, FILENAME_PATTERN ${str(`part-{i}-${stamp}`)}, FILE_EXTENSION ${str(ext)}, OVERWRITE_OR_IGNORE true` + (parts.length ? "" : ", PER_THREAD_OUTPUT true");
      try {
        await this.conn.run(`COPY (${body}) TO ${str(dest)} (${opts})`);
        commitStaging(staging, target, mode === "append" ? "append" : exists ? "overwrite" : "create");
      } catch (e) {
        fs.rmSync(staging, { recursive: true, force: true });
        throw e;
      }
    });
  }

  private async writeTable(plan: PlanNode, spec: WriteSpec): Promise<void> {
    const t = spec.table!;
    const name = tableName(t.name);
    const entry = this.catalog.get(name);
    if (t.insertInto) {
      if (!entry) {
        const sugg = closest(name, this.catalog.list().map((e) => e.name), 3);
        throw new AnalysisError(`[TABLE_OR_VIEW_NOT_FOUND] insertInto: table ${q(name)} does not exist in the warehouse ${this.catalog.dir}.${sugg.length ? ` Did you mean ${sugg.map(q).join(", ")}?` : ""} Create it with saveAsTable first.`, "TABLE_OR_VIEW_NOT_FOUND");
      }
      const schema = parseSchemaDDL(entry.schema);
      await this.writePath(plan, this.catalog.location(entry), "parquet", spec.mode === "overwrite" ? "overwrite" : "append", {}, entry.partitionBy, (sql, attrs) => {
        if (attrs.length !== schema.fields.length) {
          throw new AnalysisError(`[INSERT_COLUMN_ARITY_MISMATCH] Cannot insert into ${q(name)}: the table has ${schema.fields.length} columns (${schema.fields.map((f) => q(f.name)).join(", ")}) but the data has ${attrs.length} (${attrs.map((a) => q(a.name)).join(", ")}). insertInto matches columns by position.`, "INSERT_COLUMN_ARITY_MISMATCH");
        }
        return `SELECT ${schema.fields.map((f, i) => `CAST(#${i + 1} AS ${toDuckType(f.type)}) AS ${ident(f.name)}`).join(", ")} FROM (${sql})`;
      });
      return;
    }
    if (entry && spec.mode === "error") {
      throw new AnalysisError(`[TABLE_OR_VIEW_ALREADY_EXISTS] Table ${q(name)} already exists in the warehouse ${this.catalog.dir}. Use .mode("overwrite") to replace it or .mode("append") to add rows.`, "TABLE_OR_VIEW_ALREADY_EXISTS");
    }
    if (entry && spec.mode === "ignore") return;
    if (entry && spec.mode === "append") {
      const schema = parseSchemaDDL(entry.schema);
      await this.writePath(plan, this.catalog.location(entry), "parquet", "append", {}, entry.partitionBy, (sql, attrs) => {
        const items = schema.fields.map((f) => {
          const a = attrs.find((x) => x.name.toLowerCase() === f.name.toLowerCase());
          if (!a) throw new AnalysisError(`Cannot append to ${q(name)}: the data has no column ${q(f.name)} (it has ${attrs.map((x) => q(x.name)).join(", ")}). saveAsTable in append mode matches columns by name.`, "UNRESOLVED_COLUMN");
          return `CAST(${ident(a.name)} AS ${toDuckType(f.type)}) AS ${ident(f.name)}`;
        });
        return `SELECT ${items.join(", ")} FROM (${sql})`;
      });
      return;
    }
    // Create or overwrite: the schema comes from the data, partition columns last (as in Spark).
    const schema = await this.schema(plan);
    const parts = spec.partitionBy.map((p) => {
      const f = schema.fields.find((x) => x.name.toLowerCase() === p.toLowerCase());
      if (!f) throw new AnalysisError(`partitionBy: column ${q(p)} does not exist. Columns: [${schema.fields.map((x) => q(x.name)).join(", ")}].`, "UNRESOLVED_COLUMN");
      return f;
    });
    const ordered = structType([...schema.fields.filter((f) => !parts.includes(f)), ...parts]);
    const location = name.toLowerCase();
    await this.writePath(plan, path.join(this.catalog.dir, location), "parquet", "overwrite", spec.options, parts.map((p) => p.name));
    this.catalog.put({ name, location, format: "parquet", schema: schemaToDDL(ordered), partitionBy: parts.map((p) => p.name), createdAt: new Date().toISOString() });
    this.syncedCatalog = "";
  }

  /** Keeps DuckDB views for catalog tables and temp views, so `spark.sql` sees them. */
  private async syncCatalogViews(plan: PlanNode | null): Promise<void> {
    if (plan && !planSome(plan, (n) => n.kind === "SqlNode")) return;
    const entries = this.safeCatalogList();
    const key = JSON.stringify(entries.map((e) => [e.name, e.schema, e.createdAt])) + "|" + [...this.views.keys()].join(",");
    if (key === this.syncedCatalog) return;
    for (const e of entries) {
      if (this.views.has(e.name.toLowerCase())) continue;
      const ref = this.catalogRef(e.name);
      if (ref) await this.conn.run(`CREATE OR REPLACE VIEW ${ident(e.name)} AS ${ref.sourceSql}`);
    }
    this.syncedCatalog = key;
  }

  // ------------------------------------------------------------------ views, catalog, cache

  async createTempView(name: string, plan: PlanNode, replace: boolean, _global: boolean): Promise<void> {
    await this.lock.run(async () => {
      if (!replace && this.views.has(name.toLowerCase())) throw new AnalysisError(`[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Temp view ${q(name)} already exists.`, "TEMP_TABLE_OR_VIEW_ALREADY_EXISTS");
      const { sql } = await this.compiler().query(plan);
      try {
        await this.conn.run(`CREATE OR REPLACE VIEW ${ident(name)} AS ${sql}`);
      } catch (e) {
        throw wrapDuckError(e, sql, `createOrReplaceTempView(${JSON.stringify(name)})`);
      }
      this.views.set(name.toLowerCase(), { name, plan });
      this.syncedCatalog = "";
    });
  }

  async dropTempView(name: string): Promise<boolean> {
    return this.lock.run(async () => {
      const had = this.views.delete(name.toLowerCase());
      if (had) {
        await this.conn.run(`DROP VIEW IF EXISTS ${ident(name)}`);
        this.syncedCatalog = "";
      }
      return had;
    });
  }

  async listTables(): Promise<TableInfo[]> {
    const tables: TableInfo[] = this.catalog.list().map((e) => ({ name: e.name, database: "default", description: null, tableType: "MANAGED", isTemporary: false }));
    const views: TableInfo[] = [...this.views.values()].map((v) => ({ name: v.name, database: null, description: null, tableType: "TEMPORARY", isTemporary: true }));
    return [...tables, ...views].sort((a, b) => a.name.localeCompare(b.name));
  }

  async tableExists(name: string): Promise<boolean> {
    if (this.views.has(name.toLowerCase())) return true;
    try { return this.catalog.get(tableName(name)) !== undefined; } catch { return false; }
  }

  async dropTable(name: string, ifExists: boolean): Promise<void> {
    const bare = tableName(name);
    const e = this.catalog.get(bare);
    if (!e) {
      if (ifExists) return;
      throw new AnalysisError(`[TABLE_OR_VIEW_NOT_FOUND] Table ${q(bare)} does not exist in ${this.catalog.dir}.`, "TABLE_OR_VIEW_NOT_FOUND");
    }
    this.catalog.remove(bare);
    fs.rmSync(this.catalog.location(e), { recursive: true, force: true });
    await this.lock.run(() => this.conn.run(`DROP VIEW IF EXISTS ${ident(e.name)}`));
    this.syncedCatalog = "";
  }

  async persist(plan: PlanNode): Promise<void> {
    if (this.caches.has(plan)) return;
    await this.lock.run(async () => {
      const c = this.compiler();
      const rel = await c.withTypes(await c.relation(plan));
      const table = `__quarry_cache_${++this.cacheCounter}`;
      const cols = rel.attrs.map((a, i) => ({ ...a, id: `c${i}` }));
      const sql = `CREATE TABLE ${ident(table)} AS SELECT ${rel.attrs.map((a, i) => `${ident(a.id)} AS ${ident(cols[i].id)}`).join(", ")} FROM (${rel.sql})`;
      try { await this.conn.run(sql); } catch (e) { throw wrapDuckError(e, sql, "cache()"); } finally { await this.dropKafkaTables(); }
      this.caches.set(plan, { table, attrs: cols });
    });
  }

  async unpersist(plan: PlanNode): Promise<void> {
    const c = this.caches.get(plan);
    if (!c) return;
    this.caches.delete(plan);
    await this.lock.run(() => this.conn.run(`DROP TABLE IF EXISTS ${ident(c.table)}`));
  }

  isCached(plan: PlanNode): boolean { return this.caches.has(plan); }

  /** The engine table holding `plan`'s cached rows (a new name each time it is cached), or undefined. */
  cachedTable(plan: PlanNode): string | undefined { return this.caches.get(plan)?.table; }

  // ------------------------------------------------------------------ config

  private async applySetting(key: string, value: string): Promise<void> {
    const lower = key.toLowerCase();
    if (lower === "quarry.int64") {
      if (value !== "bigint" && value !== "number" && value !== "") throw new IllegalArgumentError(`quarry.int64 must be "number" (default) or "bigint", got ${JSON.stringify(value)}.`);
      this.int64Mode = value === "bigint" ? "bigint" : "number";
      return;
    }
    if (lower === "quarry.warehouse" || lower === "spark.sql.warehouse.dir") {
      this.catalog = new WarehouseCatalog(path.resolve(value || "spark-warehouse"));
      this.syncedCatalog = "";
      return;
    }
    const duck = SESSION_KEYS[lower];
    if (duck) {
      const v = value || "UTC";
      try { await this.conn.run(`SET ${duck} = ${str(v)}`); } catch (e) {
        throw new IllegalArgumentError(`Invalid value ${JSON.stringify(value)} for ${key}: ${(e as Error).message.split("\n")[0]}. Use an IANA time zone name such as "UTC" or "America/New_York".`, "INVALID_CONF_VALUE");
      }
      if (duck === "TimeZone") this.timeZone = v;
      return;
    }
    if (lower.startsWith("quarry.") || lower.startsWith("spark.")) return;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new IllegalArgumentError(`Invalid setting name ${JSON.stringify(key)}.`);
    try { await this.conn.run(`SET ${key} = ${str(value)}`); } catch (e) {
      throw new IllegalArgumentError(`DuckDB rejected the setting ${key} = ${JSON.stringify(value)}: ${(e as Error).message.split("\n")[0]}`, "INVALID_CONF_VALUE");
    }
  }

  async setConf(key: string, value: string): Promise<void> {
    await this.lock.run(async () => {
      await this.applySetting(key, value);
      if (value === "") this.conf.delete(key); else this.conf.set(key, value);
    });
  }

  async getConf(key: string): Promise<string | undefined> {
    const v = this.conf.get(key);
    if (v !== undefined) return v;
    const lower = key.toLowerCase();
    if (lower === "spark.sql.session.timezone") return this.timeZone;
    if (lower === "quarry.int64") return this.int64Mode;
    if (lower === "quarry.warehouse" || lower === "spark.sql.warehouse.dir") return this.catalog.dir;
    if (lower.startsWith("quarry.") || lower.startsWith("spark.") || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return undefined;
    return this.lock.run(async () => {
      try {
        const r = await this.conn.runAndReadAll("SELECT CAST(current_setting($1) AS VARCHAR) AS v", [key]);
        const x = r.getRowObjectsJS()[0]["v"];
        return x === null ? undefined : String(x);
      } catch { return undefined; }
    });
  }

  async interrupt(): Promise<void> { this.conn.interrupt(); }

  async stop(): Promise<void> {
    await this.lock.run(async () => {
      try { this.conn.closeSync(); } catch { /* already closed */ }
      try { this.instance.closeSync(); } catch { /* already closed */ }
    });
  }

  /** @internal For tests and benchmarks: the DuckDB SQL a plan compiles to. */
  async sqlFor(plan: PlanNode): Promise<string> {
    return this.lock.run(async () => (await this.compiler().query(plan, { allowDuplicateNames: true })).sql);
  }
}

export { ExecutionError };
