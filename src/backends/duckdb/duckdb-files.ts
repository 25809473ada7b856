/**
 * File sources and sinks on DuckDB: path expansion (files, directories, globs, Hive
 * partitions), reader options in Spark's names mapped to DuckDB's table functions, and
 * atomic writes (stage in a hidden sibling directory, then rename into place).
 */
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { AnalysisError, IllegalArgumentError, UnsupportedOperationError, q } from "../../errors.js";
import type { ReadNode } from "../../plan/nodes/read-node.js";
import { structType, type StructType, type DataType } from "../../plan/types.js";
import { ident, str, strList } from "./duckdb-sql.js";
import { fromDuckType, toDuckType } from "./duckdb-types.js";
import { sparkToStrftime } from "./duckdb-datetime.js";
import { manifestFiles } from "../file-manifest.js";

const GLOB = /[*?[{]/;
/** Files Spark (and Quarry) skip when reading a directory. */
export function isHiddenName(name: string): boolean { return name.startsWith("_") || name.startsWith("."); }

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (isHiddenName(e.name)) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !e.name.endsWith(".crc")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Expands user paths into files (or globs DuckDB expands). Missing paths are an AnalysisError. */
export function expandPaths(paths: readonly string[]): { files: string[]; hive: boolean } {
  const files: string[] = [];
  for (const p of paths) {
    if (GLOB.test(p)) { files.push(path.resolve(p)); continue; }
    let st: fs.Stats;
    try { st = fs.statSync(p); } catch {
      throw new AnalysisError(`[PATH_NOT_FOUND] Path does not exist: ${path.resolve(p)}. Check the path (relative paths start at ${process.cwd()}).`, "PATH_NOT_FOUND");
    }
    if (st.isDirectory()) files.push(...(manifestFiles(p) ?? listFiles(p)).map((f) => path.resolve(f)));
    else files.push(path.resolve(p));
  }
  const hive = files.some((f) => f.split(path.sep).slice(0, -1).some((part) => /^[^=]+=[^=]*$/.test(part)));
  return { files, hive };
}

function bool(v: string | undefined, dflt: boolean, option: string): boolean {
  if (v === undefined) return dflt;
  const s = v.toLowerCase();
  if (s === "true") return true;
  if (s === "false") return false;
  throw new IllegalArgumentError(`Option ${q(option)} must be "true" or "false", got ${JSON.stringify(v)}.`);
}
function char(v: string | undefined, option: string): string | undefined {
  if (v === undefined) return undefined;
  const s = v === "\\t" ? "\t" : v;
  if (s.length === 0 && option !== "escape" && option !== "quote") throw new IllegalArgumentError(`Option ${q(option)} must not be empty.`);
  return s;
}
function opt(o: Readonly<Record<string, string>>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const hit = Object.keys(o).find((x) => x.toLowerCase() === k.toLowerCase());
    if (hit !== undefined) return o[hit];
  }
  return undefined;
}

const CSV_OPTIONS = new Set(["header", "inferschema", "sep", "delimiter", "quote", "escape", "nullvalue", "dateformat", "timestampformat", "mode", "columnnameofcorruptrecord", "comment", "encoding", "charset", "path", "multiline", "ignoreleadingwhitespace", "ignoretrailingwhitespace", "samplingratio", "enforceschema", "emptyvalue", "lineSep".toLowerCase(), "recursivefilelookup", "pathglobfilter"]);
const JSON_OPTIONS = new Set(["mode", "path", "multiline", "columnnameofcorruptrecord", "dateformat", "timestampformat", "samplingratio", "primitivesasstring", "recursivefilelookup", "encoding"]);
const PARQUET_OPTIONS = new Set(["path", "mergeschema", "recursivefilelookup", "datetimerebasemode", "int96rebasemode"]);

function checkOptions(format: string, o: Readonly<Record<string, string>>, known: Set<string>): void {
  for (const k of Object.keys(o)) {
    if (!known.has(k.toLowerCase())) {
      const list = [...known].sort();
      throw new IllegalArgumentError(`Unknown ${format} read option ${q(k)}. Known options: ${list.join(", ")}.`, "UNKNOWN_OPTION");
    }
  }
}

export type Describer = (sql: string) => Promise<{ name: string; type: string }[]>;
/** Runs a query and returns its first row (for sniff_csv). */
export type OneRow = (sql: string) => Promise<Record<string, unknown>>;

/** Spark's JSON inference orders struct fields by name at every level. */
function sortStructFields(t: DataType): DataType {
  if (typeof t === "string") return t;
  if (t.type === "struct") return structType([...t.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => ({ ...f, type: sortStructFields(f.type) })));
  if (t.type === "array") return { ...t, elementType: sortStructFields(t.elementType) };
  return t;
}

/** The mode option, validated. */
function readMode(o: Readonly<Record<string, string>>): "PERMISSIVE" | "DROPMALFORMED" | "FAILFAST" {
  const m = (opt(o, "mode") ?? "PERMISSIVE").toUpperCase();
  if (m !== "PERMISSIVE" && m !== "DROPMALFORMED" && m !== "FAILFAST") throw new IllegalArgumentError(`Option ${q("mode")} must be PERMISSIVE, DROPMALFORMED or FAILFAST, got ${JSON.stringify(opt(o, "mode"))}.`);
  return m;
}

function emptySource(schema: StructType): { sql: string; schema: StructType } {
  return { sql: `SELECT ${schema.fields.map((f) => `CAST(NULL AS ${toDuckType(f.type)}) AS ${ident(f.name)}`).join(", ")} WHERE FALSE`, schema };
}

/** Turns DuckDB's naive TIMESTAMP columns (text sources) into Spark's instants in the session time zone. */
function liftTimestamps(sql: string, cols: { name: string; type: DataType }[]): { sql: string; schema: StructType } {
  if (!cols.some((c) => c.type === "timestamp_ntz")) return { sql, schema: structType(cols.map((c) => ({ ...c, nullable: true }))) };
  const t = "_src";
  const items = cols.map((c, i) => (c.type === "timestamp_ntz" ? `CAST(#${i + 1} AS TIMESTAMPTZ) AS ${ident(c.name)}` : `#${i + 1} AS ${ident(c.name)}`));
  return { sql: `SELECT ${items.join(", ")} FROM (${sql}) AS ${t}`, schema: structType(cols.map((c) => ({ name: c.name, type: c.type === "timestamp_ntz" ? "timestamp" : c.type, nullable: true }))) };
}

/** Builds the source query of a ReadNode. `tolerant` reads CSV text fields and converts with TRY_CAST (PERMISSIVE). */
export async function readSource(node: ReadNode, tolerant: boolean, describe: Describer, sniff?: OneRow): Promise<{ sql: string; schema: StructType }> {
  const o = node.options;
  const { files, hive } = expandPaths(node.paths);
  const fmt = node.format;
  if (fmt !== "csv" && fmt !== "json" && fmt !== "parquet") {
    throw new UnsupportedOperationError(`Unknown or unsupported source format ${q(fmt)} on the DuckDB backend. Use csv, json or parquet.`, "UNSUPPORTED_DATA_SOURCE");
  }
  if (files.length === 0) {
    if (node.schema) return emptySource(node.schema);
    throw new AnalysisError(`[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for ${fmt.toUpperCase()} at ${node.paths.map((p) => path.resolve(p)).join(", ")}: the directory has no data files. It must be specified manually with .schema("name STRING, ...").`, "UNABLE_TO_INFER_SCHEMA");
  }
  const fileList = strList(files);
  const hiveOpt = `hive_partitioning = ${hive ? "true" : "false"}`;
  if (fmt === "parquet") {
    checkOptions("parquet", o, PARQUET_OPTIONS);
    const merge = bool(opt(o, "mergeSchema"), false, "mergeSchema");
    const sql = `SELECT * FROM read_parquet(${fileList}, ${hiveOpt}${merge ? ", union_by_name = true" : ""})`;
    if (node.schema) return castToSchema(sql, node.schema, await describe(sql), files);
    const cols = await describe(sql);
    return { sql, schema: structType(cols.map((c) => ({ name: c.name, type: fromDuckType(c.type), nullable: true }))) };
  }
  if (fmt === "json") {
    checkOptions("json", o, JSON_OPTIONS);
    const mode = readMode(o);
    if (bool(opt(o, "multiLine"), false, "multiLine")) throw new UnsupportedOperationError("JSON option multiLine=true is not supported on DuckDB yet: write one JSON object per line.", "UNSUPPORTED_OPTION");
    const parts = [fileList, "format = 'newline_delimited'", hiveOpt, `ignore_errors = ${mode === "FAILFAST" ? "false" : "true"}`];
    const df = opt(o, "dateFormat"); if (df) parts.push(`dateformat = ${str(sparkToStrftime(df))}`);
    const tf = opt(o, "timestampFormat"); if (tf) parts.push(`timestampformat = ${str(sparkToStrftime(tf))}`);
    if (node.schema) {
      const corrupt = opt(o, "columnNameOfCorruptRecord");
      const fields = node.schema.fields.filter((f) => f.name !== corrupt);
      parts.push(`columns = {${fields.map((f) => `${str(f.name)}: ${str(toDuckType(f.type))}`).join(", ")}}`);
      const sql = `SELECT * FROM read_json(${parts.join(", ")})`;
      const items = node.schema.fields.map((f) => (f.name === corrupt ? `CAST(NULL AS VARCHAR) AS ${ident(f.name)}` : `${ident(f.name)}`));
      return liftTimestamps(`SELECT ${items.join(", ")} FROM (${sql})`, node.schema.fields.map((f) => ({ name: f.name, type: f.type === "timestamp" ? "timestamp_ntz" as DataType : f.type })));
    }
    const sql = `SELECT * FROM read_json(${parts.join(", ")})`;
    const cols = (await describe(sql)).map((c) => ({ name: c.name, type: fromDuckType(c.type) }));
    // Spark's JSON schema inference lists fields alphabetically.
    const sorted = [...cols].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((c) => ({ name: c.name, type: sortStructFields(c.type) }));
    const items = sorted.map((c, i) => (JSON.stringify(c.type) === JSON.stringify(cols.find((x) => x.name === c.name)!.type) ? ident(c.name) : `CAST(${ident(c.name)} AS ${toDuckType(sorted[i].type)}) AS ${ident(c.name)}`));
    return liftTimestamps(`SELECT ${items.join(", ")} FROM (${sql})`, sorted);
  }
  // CSV
  checkOptions("csv", o, CSV_OPTIONS);
  const mode = readMode(o);
  const header = bool(opt(o, "header"), false, "header");
  const infer = bool(opt(o, "inferSchema"), false, "inferSchema");
  const delim = char(opt(o, "sep", "delimiter"), "sep") ?? ",";
  const quote = char(opt(o, "quote"), "quote");
  const escape = char(opt(o, "escape"), "escape");
  const nullValue = opt(o, "nullValue");
  const comment = char(opt(o, "comment"), "comment");
  const dateFormat = opt(o, "dateFormat");
  const tsFormat = opt(o, "timestampFormat");
  const corrupt = opt(o, "columnNameOfCorruptRecord");
  const enc = opt(o, "encoding", "charset");
  const dialect = [`header = ${header}`, `delim = ${str(delim)}`];
  if (quote !== undefined) dialect.push(`quote = ${str(quote)}`);
  if (escape !== undefined) dialect.push(`escape = ${str(escape)}`);
  if (comment !== undefined) dialect.push(`comment = ${str(comment)}`);
  const extra: string[] = [];
  if (nullValue !== undefined) extra.push(`nullstr = ${str(nullValue)}`);
  if (enc !== undefined) extra.push(`encoding = ${str(enc.toLowerCase().replace("-", ""))}`);
  const formats: string[] = [];
  if (dateFormat) formats.push(`dateformat = ${str(sparkToStrftime(dateFormat))}`);
  if (tsFormat) formats.push(`timestampformat = ${str(sparkToStrftime(tsFormat))}`);
  // Spark infers int before bigint; DuckDB picks the first candidate that fits its sample.
  const candidates = "auto_type_candidates = ['BOOLEAN', 'INTEGER', 'BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'VARCHAR']";
  const inferTypes = infer && !node.schema;
  const hiveKeys = new Set(hive ? files.flatMap((f) => f.split(path.sep).slice(0, -1).filter((part) => /^[^=]+=[^=]*$/.test(part)).map((part) => part.split("=")[0].toLowerCase())) : []);

  // One sniff of the first file gives the dialect and the columns; the scan then runs with
  // auto-detection off, so the file is sniffed once per read, as a plain DuckDB query does.
  let base: string[];
  let fileCols: { name: string; type: DataType }[];
  if (!GLOB.test(files[0]) && sniff) {
    const args = [str(files[0]), ...dialect, ...extra, ...formats, inferTypes ? candidates : "all_varchar = true"];
    const row = await sniff(`SELECT * FROM sniff_csv(${args.join(", ")})`);
    const sq = String(row["Quote"]), se = String(row["Escape"]);
    const qch = sq === "(empty)" ? "" : sq;
    const ech = se === "(empty)" ? qch : se;
    base = [fileList, hiveOpt, "auto_detect = false", `header = ${header}`, `delim = ${str(String(row["Delimiter"]))}`, `quote = ${str(qch)}`, `escape = ${str(ech)}`,
      `new_line = ${str(String(row["NewLineDelimiter"]))}`, `skip = ${Number(row["SkipRows"]) || 0}`, ...(comment !== undefined ? [`comment = ${str(comment)}`] : []), ...extra];
    fileCols = (row["Columns"] as { name: string; type: string }[]).map((c) => ({ name: c.name, type: inferTypes ? fromDuckType(c.type) : "string" as DataType }));
  } else {
    base = [fileList, hiveOpt, ...dialect, ...extra];
    const cols = await describe(`SELECT * FROM read_csv(${[...base, ...formats, inferTypes ? candidates : "all_varchar = true", "null_padding = true"].join(", ")})`);
    fileCols = cols.filter((c) => !hiveKeys.has(c.name.toLowerCase())).map((c) => ({ name: c.name, type: inferTypes ? fromDuckType(c.type) : "string" as DataType }));
  }
  let hiveCols: { name: string; type: DataType }[] = [];
  if (hive) {
    const cols = await describe(`SELECT * FROM read_csv(${[...base, "all_varchar = true", `columns = {${fileCols.map((c, i) => `${str(`c${i}`)}: 'VARCHAR'`).join(", ")}}`].join(", ")})`);
    hiveCols = cols.filter((c) => hiveKeys.has(c.name.toLowerCase())).map((c) => ({ name: c.name, type: fromDuckType(c.type) }));
  }
  const typed = [...base, ...formats];

  // Column names and target types: the user's schema, or the header / _c0.. names with
  // sniffed (inferSchema) or string types, then the Hive partition columns.
  let target: { name: string; type: DataType }[];
  if (node.schema) target = node.schema.fields.map((f) => ({ name: f.name, type: f.type }));
  else target = [...fileCols.map((c, i) => ({ name: header ? c.name : `_c${i}`, type: c.type })), ...hiveCols];
  const dataCols = target.filter((c) => c.name !== corrupt && !hiveKeys.has(c.name.toLowerCase()));
  if (node.schema && dataCols.length !== fileCols.length && mode === "FAILFAST") {
    throw new AnalysisError(`The schema has ${dataCols.length} data columns but ${files[0]} has ${fileCols.length} (${fileCols.map((c) => q(c.name)).join(", ")}). Make the schema match the file's columns in order, or read with mode PERMISSIVE (missing columns become null, extra ones are dropped).`, "SCHEMA_MISMATCH");
  }
  // Columns as the file has them: the schema's names by position, placeholders for extra file
  // columns (dropped), and schema columns beyond the file's width become nulls (PERMISSIVE).
  const readCols = fileCols.map((c, i) => (i < dataCols.length ? dataCols[i] : { name: `__quarry_extra_${i}`, type: "string" as DataType }));
  const missing = new Set(dataCols.slice(fileCols.length).map((c) => c.name));
  const pick = (c: { name: string; type: DataType }, expr: string) => (missing.has(c.name) ? `CAST(NULL AS ${toDuckType(c.type === "timestamp" ? "timestamp_ntz" : c.type)}) AS ${ident(c.name)}` : `${expr} AS ${ident(c.name)}`);
  const useTolerant = tolerant || (corrupt !== undefined && target.some((c) => c.name === corrupt) && mode === "PERMISSIVE");
  const columnsOpt = (typeOf: (c: { name: string; type: DataType }) => string) => `columns = {${readCols.map((c) => `${str(c.name)}: ${str(typeOf(c))}`).join(", ")}}`;
  if (!useTolerant) {
    const params = [...typed, columnsOpt((c) => toDuckType(c.type === "timestamp" ? "timestamp_ntz" : c.type))];
    if (mode === "DROPMALFORMED") params.push("ignore_errors = true");
    if (mode === "FAILFAST") params.push("strict_mode = true");
    if (mode === "PERMISSIVE") params.push("null_padding = true");
    const sql = `SELECT ${target.map((c) => (c.name === corrupt ? `CAST(NULL AS VARCHAR) AS ${ident(c.name)}` : pick(c, ident(c.name)))).join(", ")} FROM read_csv(${params.join(", ")})`;
    return liftTimestamps(sql, target.map((c) => ({ name: c.name, type: c.type === "timestamp" ? "timestamp_ntz" : c.type })));
  }
  // Tolerant PERMISSIVE read: every field as text, converted with TRY_CAST so a malformed field
  // becomes null (and the raw record is kept in the corrupt-record column when asked).
  const params = [...base, "null_padding = true", "strict_mode = false", columnsOpt(() => "VARCHAR")];
  const conv = (c: { name: string; type: DataType }) => {
    const col = ident(c.name);
    if (c.type === "string") return col;
    if (c.type === "date" && dateFormat) return `CAST(try_strptime(${col}, ${str(sparkToStrftime(dateFormat))}) AS DATE)`;
    if ((c.type === "timestamp" || c.type === "timestamp_ntz") && tsFormat) return `try_strptime(${col}, ${str(sparkToStrftime(tsFormat))})`;
    return `TRY_CAST(${col} AS ${toDuckType(c.type === "timestamp" ? "timestamp_ntz" : c.type)})`;
  };
  const present = dataCols.filter((c) => !missing.has(c.name));
  const bad = present.filter((c) => c.type !== "string").map((c) => `(${ident(c.name)} IS NOT NULL AND ${conv(c)} IS NULL)`);
  const items = target.map((c) => {
    if (c.name === corrupt) return `CASE WHEN ${bad.length ? bad.join(" OR ") : "FALSE"} THEN concat_ws(${str(delim)}, ${readCols.map((d) => `coalesce(${ident(d.name)}, '')`).join(", ")}) END AS ${ident(c.name)}`;
    return pick(c, conv(c));
  });
  const sql = `SELECT ${items.join(", ")} FROM read_csv(${params.join(", ")})`;
  return liftTimestamps(sql, target.map((c) => ({ name: c.name, type: c.type === "timestamp" ? "timestamp_ntz" : c.type })));
}

/** Projects a self-describing source (Parquet) onto the user's schema by name. */
function castToSchema(sql: string, schema: StructType, cols: { name: string; type: string }[], files: string[]): { sql: string; schema: StructType } {
  const items = schema.fields.map((f) => {
    const hit = cols.find((c) => c.name.toLowerCase() === f.name.toLowerCase());
    if (!hit) {
      throw new AnalysisError(`The schema names column ${q(f.name)}, which the files (${files[0]}${files.length > 1 ? ` and ${files.length - 1} more` : ""}) do not have. Their columns: [${cols.map((c) => q(c.name)).join(", ")}].`, "UNRESOLVED_COLUMN");
    }
    return `CAST(${ident(hit.name)} AS ${toDuckType(f.type)}) AS ${ident(f.name)}`;
  });
  return { sql: `SELECT ${items.join(", ")} FROM (${sql})`, schema };
}

// ------------------------------------------------------------------------------------ writes

/** A staging directory beside `target` (same file system, so the final rename is atomic). */
export function stagingDir(target: string): string {
  const abs = path.resolve(target);
  return path.join(path.dirname(abs), `.quarry-staging-${path.basename(abs)}-${randomUUID()}`);
}

/** COPY options in DuckDB syntax for a write format. */
export function copyOptions(format: string, options: Readonly<Record<string, string>>, partitionBy: readonly string[]): string {
  const parts: string[] = [];
  const o = options;
  if (format === "parquet") {
    parts.push("FORMAT parquet");
    const c = opt(o, "compression");
    if (c) parts.push(`COMPRESSION ${str(c === "none" || c === "uncompressed" ? "uncompressed" : c)}`);
  } else if (format === "csv") {
    parts.push("FORMAT csv", `HEADER ${bool(opt(o, "header"), false, "header")}`, `DELIMITER ${str(char(opt(o, "sep", "delimiter"), "sep") ?? ",")}`);
    const qch = opt(o, "quote"); if (qch !== undefined) parts.push(`QUOTE ${str(qch)}`);
    const e = opt(o, "escape"); if (e !== undefined) parts.push(`ESCAPE ${str(e)}`);
    const nv = opt(o, "nullValue"); if (nv !== undefined) parts.push(`NULLSTR ${str(nv)}`);
    const df = opt(o, "dateFormat"); if (df) parts.push(`DATEFORMAT ${str(sparkToStrftime(df))}`);
    const tf = opt(o, "timestampFormat");
    // ISO 8601 with the offset by default, as Spark writes it, so the instant reads back exactly.
    parts.push(`TIMESTAMPFORMAT ${str(tf ? sparkToStrftime(tf) : "%Y-%m-%dT%H:%M:%S.%g%z")}`);
    const c = opt(o, "compression"); if (c) parts.push(`COMPRESSION ${str(c)}`);
  } else if (format === "json") {
    parts.push("FORMAT json", `TIMESTAMPFORMAT ${str("%Y-%m-%dT%H:%M:%S.%g%z")}`);
    const c = opt(o, "compression"); if (c) parts.push(`COMPRESSION ${str(c)}`);
  } else {
    throw new UnsupportedOperationError(`Unknown or unsupported output format ${q(format)} on the DuckDB backend. Use parquet, csv or json.`, "UNSUPPORTED_DATA_SOURCE");
  }
  if (partitionBy.length) parts.push(`PARTITION_BY (${partitionBy.map(ident).join(", ")})`);
  return parts.join(", ");
}

export const EXTENSIONS: Record<string, string> = { parquet: "parquet", csv: "csv", json: "json" };

/** Whether `p` exists as a non-empty file or directory. */
export function pathExists(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.isDirectory() ? fs.readdirSync(p).length > 0 : true;
  } catch { return false; }
}

/**
 * Moves a finished staging directory into place. Overwrite swaps directories with two renames
 * (the old data is kept until the new data is in place); append moves the new files in.
 */
export function commitStaging(staging: string, target: string, mode: "overwrite" | "append" | "create"): void {
  const abs = path.resolve(target);
  fs.writeFileSync(path.join(staging, "_SUCCESS"), "");
  if (mode === "append" && fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
    const moveTree = (from: string, to: string) => {
      fs.mkdirSync(to, { recursive: true });
      for (const e of fs.readdirSync(from, { withFileTypes: true })) {
        const src = path.join(from, e.name), dst = path.join(to, e.name);
        if (e.isDirectory()) moveTree(src, dst);
        else if (e.name !== "_SUCCESS" || !fs.existsSync(dst)) fs.renameSync(src, dst);
      }
    };
    moveTree(staging, abs);
    fs.rmSync(staging, { recursive: true, force: true });
    return;
  }
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  if (fs.existsSync(abs)) {
    const trash = path.join(path.dirname(abs), `.quarry-trash-${path.basename(abs)}-${randomUUID()}`);
    fs.renameSync(abs, trash);
    try {
      fs.renameSync(staging, abs);
    } catch (e) {
      fs.renameSync(trash, abs);
      throw e;
    }
    fs.rmSync(trash, { recursive: true, force: true });
  } else {
    fs.renameSync(staging, abs);
  }
}
