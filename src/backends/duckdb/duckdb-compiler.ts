/**
 * Compiles a Quarry plan to one DuckDB SQL query. Every relation becomes a subquery whose
 * columns carry unique internal names (`_q1`, `_q2`...), so duplicate or oddly-spelled user
 * names never collide; the outermost SELECT gives the user's names back. Name resolution
 * happens here, per node, against the input's columns, so a wrong name fails with the closest
 * existing names before DuckDB runs anything.
 */
import { AnalysisError, UnsupportedOperationError, closest, q } from "../../errors.js";
import { exprName } from "../../plan/expr/naming.js";
import { exprSome, unalias, type Expr, type ExprOfKind, type ExprKind } from "../../plan/expr/expr.js";
import { ColumnExpr } from "../../plan/expr/column-expr.js";
import { parseDurationMs } from "../../plan/interval.js";
import { functionKind } from "../../plan/functions.js";
import type { SortOrderExpr } from "../../plan/expr/sort-order-expr.js";
import type { WindowFrame, FrameBound } from "../../plan/expr/window-expr.js";
import { isIntegralType, isNumericType, parseSchemaDDL, type DataType, type StructType } from "../../plan/types.js";
import type { NodeVisitor, PlanNode } from "../../plan/visitor.js";
import type { ReadNode } from "../../plan/nodes/read-node.js";
import type { LocalRelationNode } from "../../plan/nodes/local-relation-node.js";
import { DUCKDB_FUNCTIONS } from "./duckdb-functions.js";
import { doubleLit, ident, intLit, str } from "./duckdb-sql.js";
import { fromDuckType, toDuckType } from "./duckdb-types.js";
import { backticksToDoubleQuotes, rewriteStringCasts } from "./duckdb-dialect.js";

/** One output column of a compiled relation. */
export interface Attr {
  readonly id: string;
  readonly name: string;
  readonly qualifiers: readonly string[];
  readonly type: DataType | null;
  /** False when the column can never be null (Spark's `nullable`); unknown counts as nullable. */
  readonly nullable?: boolean;
}
/** A compiled relation: a SELECT whose columns are `attrs` (by id). */
export interface Rel { readonly sql: string; readonly attrs: readonly Attr[] }

/** A SQL expression string after DuckDB parsed it. */
export interface ParsedSqlExpr {
  readonly sql: string;
  readonly alias: string | null;
  readonly star: { readonly qualifier: string | null } | null;
  readonly columnRefs: readonly (readonly string[])[];
}

/** A catalog table as the compiler needs it. */
export interface CatalogTableRef { readonly name: string; readonly sourceSql: string; readonly schema: StructType }
/** A cached plan's materialized table. */
export interface CacheRef { readonly table: string; readonly attrs: readonly Attr[] }

/** What the compiler asks of the backend. */
export interface CompileEnv {
  /** DuckDB's DESCRIBE of a query: column names and DuckDB type strings; `key` caches per plan node. */
  describe(sql: string, key?: object): Promise<{ name: string; type: string }[]>;
  parseSqlExpr(text: string): Promise<ParsedSqlExpr>;
  view(name: string): PlanNode | undefined;
  catalogTable(name: string): CatalogTableRef | undefined;
  knownTableNames(): string[];
  cached(plan: PlanNode): CacheRef | undefined;
  readSource(node: ReadNode, tolerant: boolean): Promise<{ sql: string; schema: StructType | null }>;
  /** The engine table holding a large local relation's rows (columns c0, c1, ...), or null to inline them. */
  localTable(node: LocalRelationNode): Promise<string | null>;
  /** Compile-time options: tolerant CSV parsing (PERMISSIVE retry). */
  readonly tolerantCsv: boolean;
}

const eqi = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
/** Spark's type of an event-time window column. */
const WINDOW_TYPE: DataType = { type: "struct", fields: [{ name: "start", type: "timestamp", nullable: true }, { name: "end", type: "timestamp", nullable: true }] };

interface Scope {
  readonly attrs: readonly Attr[];
  /** SQL to reference an attribute. */
  ref(a: Attr): string;
  /** The input relation's SQL, to ask DuckDB for an expression's type when it is not known. */
  readonly fromSql?: string;
}
interface CExpr {
  readonly sql: string; readonly name: string; readonly type: DataType | null; readonly qualifiers?: readonly string[]; readonly isStar?: readonly Attr[]; readonly nullable?: boolean;
  /** A struct column's fields (`s.*`), in place of input columns. */
  readonly starItems?: readonly { sql: string; name: string; type: DataType | null }[];
}

function unresolved(text: string, attrs: readonly Attr[]): AnalysisError {
  const names = attrs.flatMap((a) => [a.name, ...a.qualifiers.map((qq) => `${qq}.${a.name}`)]);
  const sugg = closest(text, names, 5);
  return new AnalysisError(
    `[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name ${q(text)} cannot be resolved. ` +
    `Did you mean one of the following? [${sugg.map(q).join(", ")}]. Check the spelling, or look at df.columns().`,
    "UNRESOLVED_COLUMN",
  );
}

/** Finds the attribute a (possibly qualified, possibly struct-field) name refers to. */
export function resolveName(parts: readonly string[], text: string, attrs: readonly Attr[]): { attr: Attr; fields: string[] } {
  const pick = (cands: Attr[], label: string): Attr | null => {
    const uniq = [...new Map(cands.map((a) => [a.id, a])).values()];
    if (uniq.length === 1) return uniq[0];
    if (uniq.length > 1) {
      throw new AnalysisError(
        `[AMBIGUOUS_REFERENCE] Reference ${q(label)} is ambiguous, could be: [${uniq.map((a) => q(a.qualifiers[0] ? `${a.qualifiers[0]}.${a.name}` : a.name)).join(", ")}]. ` +
        `Give the inputs aliases (df.alias("l")) and refer to ${q("l." + label)}, or rename one of the columns.`,
        "AMBIGUOUS_REFERENCE",
      );
    }
    return null;
  };
  const whole = pick(attrs.filter((a) => eqi(a.name, text)), text);
  if (whole) return { attr: whole, fields: [] };
  if (parts.length >= 2) {
    const qualified = pick(attrs.filter((a) => a.qualifiers.some((qq) => eqi(qq, parts[0])) && eqi(a.name, parts[1])), `${parts[0]}.${parts[1]}`);
    if (qualified) return { attr: qualified, fields: parts.slice(2) as string[] };
  }
  const first = pick(attrs.filter((a) => eqi(a.name, parts[0])), parts[0]);
  if (first && parts.length > 1) return { attr: first, fields: parts.slice(1) as string[] };
  if (first) return { attr: first, fields: [] };
  throw unresolved(text, attrs);
}

function literalSql(value: unknown, type: DataType): string {
  if (value === null || value === undefined) return type === "void" ? "NULL" : `CAST(NULL AS ${toDuckType(type)})`;
  if (typeof value === "number") {
    if (type === "double" || type === "float" || !Number.isInteger(value)) return doubleLit(value);
    if (type === "bigint") return `CAST(${intLit(value)} AS BIGINT)`;
    if (type === "int") return `CAST(${intLit(value)} AS INTEGER)`;
    return `CAST(${intLit(value)} AS ${toDuckType(type)})`;
  }
  if (typeof value === "bigint") return `CAST(${value.toString()} AS ${type === "bigint" || type === "void" ? "BIGINT" : toDuckType(type)})`;
  if (typeof value === "string") return type === "string" ? str(value) : `CAST(${str(value)} AS ${toDuckType(type)})`;
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new AnalysisError("An Invalid Date cannot be used as a literal.", "INVALID_LITERAL");
    if (type === "date") return `CAST(${str(value.toISOString().slice(0, 10))} AS DATE)`;
    return `CAST(${str(value.toISOString())} AS TIMESTAMPTZ)`;
  }
  if (value instanceof Uint8Array) return `from_hex(${str(Buffer.from(value).toString("hex"))})`;
  if (Array.isArray(value)) {
    const et = typeof type === "object" && type.type === "array" ? type.elementType : "string";
    return `[${value.map((v) => literalSql(v, et)).join(", ")}]`;
  }
  if (typeof value === "object") {
    const fields = typeof type === "object" && type.type === "struct" ? type.fields : null;
    const entries = Object.entries(value as Record<string, unknown>);
    return `struct_pack(${entries.map(([k, v]) => `${ident(k)} := ${literalSql(v, fields?.find((f) => f.name === k)?.type ?? "string")}`).join(", ")})`;
  }
  throw new AnalysisError(`Cannot use ${typeof value} as a literal.`, "INVALID_LITERAL");
}

function numericResult(a: DataType | null, b: DataType | null): DataType | null {
  if (!a || !b) return null;
  if (a === "double" || b === "double" || a === "float" || b === "float") return "double";
  if (a === "bigint" || b === "bigint") return "bigint";
  if (isIntegralType(a) && isIntegralType(b)) return "int";
  return null;
}

/** The type all branches share after Spark's widening (int < bigint < double), or null when unknown or mixed. */
function commonType(types: readonly (DataType | null)[]): DataType | null {
  const known = types.filter((t) => t !== "void");
  if (known.length === 0) return "void";
  if (known.some((t) => t === null)) return null;
  let acc: DataType | null = known[0];
  for (const t of known.slice(1)) {
    if (JSON.stringify(t) === JSON.stringify(acc)) continue;
    if (acc !== null && t !== null && isNumericType(acc) && isNumericType(t)) acc = numericResult(acc, t);
    else return null;
  }
  return acc;
}

function frameBound(b: FrameBound, start: boolean): string {
  if (b === "unboundedPreceding") return "UNBOUNDED PRECEDING";
  if (b === "unboundedFollowing") return "UNBOUNDED FOLLOWING";
  if (b === "currentRow") return "CURRENT ROW";
  if (b < 0) return `${-b} PRECEDING`;
  if (b > 0) return `${b} FOLLOWING`;
  return start ? "CURRENT ROW" : "CURRENT ROW";
}
function frameSql(f: WindowFrame | null): string {
  if (!f) return "";
  return ` ${f.type.toUpperCase()} BETWEEN ${frameBound(f.start, true)} AND ${frameBound(f.end, false)}`;
}

const SIMPLE_BIN: Record<string, string> = { "+": "+", "-": "-", "*": "*", "=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=", AND: "AND", OR: "OR", "<=>": "IS NOT DISTINCT FROM" };

/** Compiles plans for one query; ids are unique within it. */
export class DuckDBCompiler {
  private counter = 0;
  /** Internal id -> user name, to translate DuckDB's error messages back. */
  readonly names = new Map<string, string>();
  /** Expressions already computed as a column of the input (event-time windows expanded before an aggregate). */
  private readonly overrides = new Map<Expr, CExpr>();
  constructor(private readonly env: CompileEnv) {}

  private fresh(): string { return `_q${++this.counter}`; }
  /** Records the user-facing names of a relation's columns. */
  private note(rel: Rel): Rel { for (const a of rel.attrs) this.names.set(a.id, a.name); return rel; }
  private alias(): string { return `_t${++this.counter}`; }

  /** Compiles `plan` to a relation with internal column ids. */
  async relation(plan: PlanNode): Promise<Rel> {
    const cached = this.env.cached(plan);
    if (cached) {
      const attrs = cached.attrs.map((a) => ({ ...a, id: this.fresh() }));
      return { sql: `SELECT ${cached.attrs.map((c, i) => `${ident(c.id)} AS ${ident(attrs[i].id)}`).join(", ")} FROM ${ident(cached.table)}`, attrs };
    }
    return this.note(await (this.visitor[plan.kind] as (n: PlanNode) => Promise<Rel>)(plan));
  }

  /** The final SELECT with the user's column names, and the schema it returns. */
  async query(plan: PlanNode, opts: { allowDuplicateNames?: boolean } = {}): Promise<{ sql: string; attrs: readonly Attr[]; rel: Rel }> {
    const rel = await this.relation(plan);
    if (!opts.allowDuplicateNames) {
      const seen = new Map<string, string>();
      for (const a of rel.attrs) {
        const k = a.name.toLowerCase();
        if (seen.has(k)) {
          throw new AnalysisError(
            `[COLUMN_ALREADY_EXISTS] The result has two columns named ${q(a.name)} (typically from a join on a condition). ` +
            `Rows are plain objects, so each name must be unique: drop one (df.drop(...)), rename it (withColumnRenamed), or select with aliases.`,
            "COLUMN_ALREADY_EXISTS",
          );
        }
        seen.set(k, a.name);
      }
    }
    const t = this.alias();
    const sql = `SELECT ${rel.attrs.map((a) => `${t}.${ident(a.id)} AS ${ident(a.name)}`).join(", ") || "*"} FROM (${rel.sql}) AS ${t}`;
    return { sql, attrs: rel.attrs, rel };
  }

  /** Fills in unknown column types by asking DuckDB. */
  async withTypes(rel: Rel): Promise<Rel> {
    if (rel.attrs.every((a) => a.type !== null)) return rel;
    const cols = await this.env.describe(rel.sql);
    return { sql: rel.sql, attrs: rel.attrs.map((a, i) => ({ ...a, type: a.type ?? fromDuckType(cols[i].type) })) };
  }

  private wrapLeaf(sourceSql: string, cols: { name: string; type: DataType }[], qualifiers: readonly string[] = []): Rel {
    const t = this.alias();
    const attrs = cols.map((c) => ({ id: this.fresh(), name: c.name, qualifiers, type: c.type }));
    return { sql: `SELECT ${attrs.map((a, i) => `#${i + 1} AS ${ident(a.id)}`).join(", ")} FROM (${sourceSql}) AS ${t}`, attrs };
  }

  private select(child: Rel, items: { sql: string; attr: Attr }[], tail = "", t?: string): Rel {
    return { sql: `SELECT ${items.map((i) => `${i.sql} AS ${ident(i.attr.id)}`).join(", ")} FROM (${child.sql}) AS ${t ?? this.alias()}${tail}`, attrs: items.map((i) => i.attr) };
  }
  private passthrough(child: Rel, tail: string, distinct = false, prefix = ""): Rel {
    const t = this.alias();
    return { sql: `SELECT ${distinct ? "DISTINCT " : ""}${prefix}${child.attrs.map((a) => `${t}.${ident(a.id)}`).join(", ")} FROM (${child.sql}) AS ${t}${tail}`, attrs: child.attrs };
  }

  /** A scope over `child`; when exprs contain SQL strings, the child is exposed by user names. */
  private async scopeFor(child: Rel, exprs: readonly Expr[]): Promise<{ scope: Scope; from: Rel }> {
    const needsNames = exprs.some((e) => exprSome(e, (x) => x.kind === "SqlExpr"));
    if (!needsNames) return { scope: { attrs: child.attrs, ref: (a) => ident(a.id), fromSql: child.sql }, from: child };
    const seen = new Set<string>();
    for (const a of child.attrs) {
      const k = a.name.toLowerCase();
      if (seen.has(k)) throw new AnalysisError(`A SQL expression string cannot be used here because two input columns are named ${q(a.name)}; rename one first (withColumnRenamed) or use F.col(...) expressions.`, "AMBIGUOUS_REFERENCE");
      seen.add(k);
    }
    const t = this.alias();
    const from: Rel = { sql: `SELECT ${child.attrs.map((a) => `${t}.${ident(a.id)} AS ${ident(a.name)}`).join(", ")} FROM (${child.sql}) AS ${t}`, attrs: child.attrs };
    return { scope: { attrs: child.attrs, ref: (a) => ident(a.name), fromSql: from.sql }, from };
  }

  // ------------------------------------------------------------------ expressions

  private async expr(e: Expr, s: Scope): Promise<CExpr> {
    const o = this.overrides.get(e);
    if (o) return o;
    return (this.exprVisitor[e.kind] as (x: Expr, s: Scope) => Promise<CExpr>)(e, s);
  }
  private async exprs(es: readonly Expr[], s: Scope): Promise<CExpr[]> {
    const out: CExpr[] = [];
    for (const e of es) out.push(await this.expr(e, s));
    return out;
  }
  /** Expands stars; returns one entry per output column. */
  private async projectList(es: readonly Expr[], s: Scope): Promise<{ sql: string; name: string; type: DataType | null; qualifiers: readonly string[]; nullable?: boolean }[]> {
    const out: { sql: string; name: string; type: DataType | null; qualifiers: readonly string[]; nullable?: boolean }[] = [];
    for (const e of es) {
      const c = await this.expr(e, s);
      if (c.starItems) for (const f of c.starItems) out.push({ ...f, qualifiers: [] });
      else if (c.isStar) for (const a of c.isStar) out.push({ sql: s.ref(a), name: a.name, type: a.type, qualifiers: a.qualifiers, nullable: a.nullable });
      else out.push({ sql: c.sql, name: c.name, type: c.type, qualifiers: c.qualifiers ?? [], nullable: c.nullable });
    }
    return out;
  }

  private readonly exprVisitor: { readonly [K in ExprKind]: (e: ExprOfKind<K>, s: Scope) => Promise<CExpr> } = {
    ColumnExpr: async (e, s) => {
      const { attr, fields } = resolveName(e.nameParts, e.text, s.attrs);
      let sql = s.ref(attr);
      let type = attr.type;
      for (const f of fields) {
        sql = `struct_extract(${sql}, ${str(f)})`;
        type = type && typeof type === "object" && type.type === "struct" ? type.fields.find((x) => eqi(x.name, f))?.type ?? null : null;
      }
      return { sql, name: fields.length ? fields[fields.length - 1] : attr.name, type, qualifiers: fields.length ? [] : attr.qualifiers, nullable: fields.length ? undefined : attr.nullable };
    },
    StarExpr: async (e, s) => {
      const attrs = e.qualifier === null ? s.attrs : s.attrs.filter((a) => a.qualifiers.some((qq) => eqi(qq, e.qualifier!)));
      if (e.qualifier !== null && attrs.length === 0 && s.attrs.some((a) => eqi(a.name, e.qualifier!.split(".")[0]))) {
        // `s.*` on a struct column expands its fields, as Spark does.
        const st = await this.expr(ColumnExpr.create(e.qualifier), s);
        const type = st.type ?? await this.probeType(st.sql, s);
        if (!type || typeof type !== "object" || type.type !== "struct") {
          throw new AnalysisError(`[CANNOT_RESOLVE_STAR_EXPAND] Cannot expand ${q(e.qualifier + ".*")}: ${q(e.qualifier)} is not a struct column.`, "CANNOT_RESOLVE_STAR_EXPAND");
        }
        return { sql: "*", name: "*", type: null, isStar: [], starItems: type.fields.map((f) => ({ sql: `struct_extract(${st.sql}, ${str(f.name)})`, name: f.name, type: f.type })) };
      }
      if (e.qualifier !== null && attrs.length === 0) {
        throw new AnalysisError(`[CANNOT_RESOLVE_STAR_EXPAND] Cannot resolve ${q(e.qualifier + ".*")}: no input is aliased ${q(e.qualifier)}. Known aliases: [${[...new Set(s.attrs.flatMap((a) => a.qualifiers))].map(q).join(", ")}].`, "CANNOT_RESOLVE_STAR_EXPAND");
      }
      return { sql: "*", name: "*", type: null, isStar: attrs };
    },
    LiteralExpr: async (e) => ({ sql: literalSql(e.value, e.dataType), name: exprName(e), type: e.dataType, nullable: e.value !== null }),
    AliasExpr: async (e, s) => {
      const c = await this.expr(e.child, s);
      if (c.isStar) throw new AnalysisError("Cannot alias `*`; select the columns by name instead.", "INVALID_ALIAS");
      return { sql: c.sql, name: e.name, type: c.type, nullable: c.nullable };
    },
    BinaryExpr: async (e, s) => {
      const [l, r] = await this.exprs([e.left, e.right], s);
      const name = exprName(e);
      if (e.op === "/") return { sql: `quarry_div(CAST(${l.sql} AS DOUBLE), ${r.sql})`, name, type: "double" };
      if (e.op === "%") return { sql: `quarry_mod(${l.sql}, ${r.sql})`, name, type: numericResult(l.type, r.type) };
      const op = SIMPLE_BIN[e.op];
      const type = ["+", "-", "*"].includes(e.op) ? numericResult(l.type, r.type) : "boolean";
      return { sql: `(${l.sql} ${op} ${r.sql})`, name, type };
    },
    UnaryExpr: async (e, s) => {
      const c = await this.expr(e.child, s);
      const name = exprName(e);
      switch (e.op) {
        case "NOT": return { sql: `(NOT ${c.sql})`, name, type: "boolean" };
        case "NEGATE": return { sql: `(- ${c.sql})`, name, type: c.type };
        case "IS NULL": return { sql: `(${c.sql} IS NULL)`, name, type: "boolean" };
        case "IS NOT NULL": return { sql: `(${c.sql} IS NOT NULL)`, name, type: "boolean" };
        case "IS NAN": return { sql: `coalesce(isnan(${c.sql}), FALSE)`, name, type: "boolean" };
      }
    },
    FunctionExpr: async (e, s) => this.call(e, s, null),
    CastExpr: async (e, s) => {
      const c = await this.expr(e.child, s);
      const kw = e.safe ? "TRY_CAST" : "CAST";
      let inner = c.sql;
      const from = c.type ?? (isIntegralType(e.to) ? await this.probeType(c.sql, s) : null);
      if (isIntegralType(e.to) && from && (from === "double" || from === "float" || (typeof from === "object" && from.type === "decimal"))) inner = `trunc(${inner})`;
      // Spark's binary <-> string casts are UTF-8 decoding and encoding; DuckDB's CASTs escape
      // bytes (`\x22`) and parse escapes instead. Invalid UTF-8 falls back to the escaped text.
      if (e.to === "string" && c.type === "binary") return { sql: `coalesce(try(decode(${inner})), CAST(${inner} AS VARCHAR))`, name: exprName(e), type: "string", nullable: c.nullable };
      if (e.to === "binary" && c.type === "string") return { sql: `encode(${inner})`, name: exprName(e), type: "binary", nullable: c.nullable };
      if (e.to === "string" && c.type === "timestamp") {
        return { sql: `strftime(${inner}, '%Y-%m-%d %H:%M:%S')`, name: exprName(e), type: "string" };
      }
      return { sql: `${kw}(${inner} AS ${toDuckType(e.to)})`, name: exprName(e), type: e.to, nullable: e.safe ? undefined : c.nullable };
    },
    CaseWhenExpr: async (e, s) => {
      const parts: string[] = [];
      const types: (DataType | null)[] = [];
      for (const [cond, val] of e.branches) {
        const [c, v] = await this.exprs([cond, val], s);
        parts.push(`WHEN ${c.sql} THEN ${v.sql}`);
        types.push(v.type);
      }
      let other = "";
      if (e.otherwise) { const o = await this.expr(e.otherwise, s); other = ` ELSE ${o.sql}`; types.push(o.type); }
      return { sql: `(CASE ${parts.join(" ")}${other} END)`, name: exprName(e), type: commonType(types) };
    },
    InExpr: async (e, s) => {
      const c = await this.expr(e.child, s);
      if (e.values.length === 0) return { sql: "FALSE", name: exprName(e), type: "boolean" };
      const vs = await this.exprs(e.values, s);
      return { sql: `(${c.sql} IN (${vs.map((v) => v.sql).join(", ")}))`, name: exprName(e), type: "boolean" };
    },
    SortOrderExpr: async (e, s) => {
      const c = await this.expr(e.child, s);
      return { sql: `${c.sql} ${e.direction.toUpperCase()} NULLS ${e.nulls.toUpperCase()}`, name: exprName(e), type: c.type };
    },
    WindowExpr: async (e, s) => {
      if (e.func.kind !== "FunctionExpr" || !functionKind(e.func.name) || functionKind(e.func.name) === "scalar") {
        throw new AnalysisError(`[UNSUPPORTED_EXPR_FOR_WINDOW] ${q(exprName(e.func))} is not an aggregate or window function, so it cannot be used with over(). Use row_number, rank, dense_rank, lag, lead or an aggregate such as sum.`, "UNSUPPORTED_EXPR_FOR_WINDOW");
      }
      const parts = await this.exprs(e.spec.partitionBy, s);
      const orders = await this.exprs(e.spec.orderBy, s);
      const needsOrder = ["row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead"].includes(e.func.name);
      if (needsOrder && orders.length === 0) {
        throw new AnalysisError(`[WINDOW_FUNCTION_WITHOUT_ORDER] ${e.func.name}() needs an ordered window: Window.partitionBy(...).orderBy(...).`, "WINDOW_FUNCTION_WITHOUT_ORDER");
      }
      const spec = [
        parts.length ? `PARTITION BY ${parts.map((p) => p.sql).join(", ")}` : "",
        orders.length ? `ORDER BY ${orders.map((o) => o.sql).join(", ")}` : "",
      ].filter(Boolean).join(" ") + (needsOrder ? "" : frameSql(e.spec.frame));
      const f = await this.call(e.func, s, spec);
      return { sql: `(${f.sql})`, name: exprName(e), type: f.type };
    },
    SqlExpr: async (e, s) => {
      const parsed = await this.env.parseSqlExpr(e.text);
      for (const ref of parsed.columnRefs) resolveName(ref, ref.join("."), s.attrs);
      if (parsed.star) {
        const attrs = parsed.star.qualifier === null ? s.attrs : s.attrs.filter((a) => a.qualifiers.some((qq) => eqi(qq, parsed.star!.qualifier!)));
        return { sql: "*", name: "*", type: null, isStar: attrs };
      }
      let name = parsed.alias ?? e.text.trim();
      if (!parsed.alias && parsed.columnRefs.length === 1 && /^[\w.`"]+$/.test(e.text.trim())) {
        name = resolveName(parsed.columnRefs[0], parsed.columnRefs[0].join("."), s.attrs).attr.name;
      }
      return { sql: `(${parsed.sql})`, name, type: null };
    },
    FieldExpr: async (e, s) => {
      const c = await this.expr(e.child, s);
      if (typeof e.field === "number") {
        const et = c.type && typeof c.type === "object" && c.type.type === "array" ? c.type.elementType : null;
        return { sql: `${c.sql}[${intLit(e.field + 1)}]`, name: exprName(e), type: et };
      }
      const ft = c.type && typeof c.type === "object" && c.type.type === "struct" ? c.type.fields.find((f) => eqi(f.name, e.field as string))?.type ?? null : null;
      if (c.type && typeof c.type === "object" && c.type.type === "map") return { sql: `${c.sql}[${str(e.field)}]`, name: e.field, type: c.type.valueType };
      return { sql: `struct_extract(${c.sql}, ${str(e.field)})`, name: e.field, type: ft };
    },
  };

  /** DuckDB's type for an expression over the scope's input, when the compiler cannot tell. */
  private async probeType(sql: string, s: Scope): Promise<DataType | null> {
    if (!s.fromSql) return null;
    try {
      const cols = await this.env.describe(`SELECT ${sql} AS x FROM (${s.fromSql}) AS ${this.alias()}`);
      return fromDuckType(cols[0].type);
    } catch {
      return null;
    }
  }

  /** A function call, evaluated over the window `over` when given. */
  private async call(e: ExprOfKind<"FunctionExpr">, s: Scope, over: string | null): Promise<CExpr> {
    if (e.name === "window") {
      const w = await this.windowSpec(e, s);
      if (w.slideUs !== w.sizeUs) throw new AnalysisError(`A sliding window(${exprName(e.args[0])}, ...) yields several windows per row, so it can only be a groupBy key: df.groupBy(F.window(...)).agg(...).`, "UNSUPPORTED_SLIDING_WINDOW");
      const start = `make_timestamptz(${w.lastStart})`;
      return { sql: `CASE WHEN (${w.ts}) IS NULL THEN NULL ELSE struct_pack("start" := ${start}, "end" := make_timestamptz(${w.lastStart} + ${w.sizeUs})) END`, name: "window", type: WINDOW_TYPE };
    }
    if (e.name === "session_window") {
      throw new AnalysisError("session_window(...) groups rows into sessions, so it can only be a groupBy key: df.groupBy(F.session_window(\"ts\", \"5 minutes\"), \"user\").agg(...).", "SESSION_WINDOW_NOT_A_KEY");
    }
    if (e.name === "struct") {
      const args = await this.exprs(e.args, s);
      const type: DataType | null = args.every((a) => a.type !== null) ? { type: "struct", fields: args.map((a) => ({ name: a.name, type: a.type!, nullable: true })) } : null;
      return { sql: `struct_pack(${args.map((a) => `${ident(a.name)} := ${a.sql}`).join(", ")})`, name: exprName(e), type };
    }
    const tmpl = DUCKDB_FUNCTIONS[e.name];
    if (!tmpl) throw new UnsupportedOperationError(`Function ${q(e.name)} is not supported on the DuckDB backend.`, "UNSUPPORTED_FUNCTION");
    const args = e.args.length === 1 && e.args[0].kind === "StarExpr" ? [{ sql: "*", name: "*", type: null } as CExpr] : await this.exprs(e.args, s);
    const literals = e.args.map((a) => (a.kind === "LiteralExpr" ? a.value : undefined));
    const types = args.map((a) => a.type);
    // Result types of sum and round depend on the argument's type: ask DuckDB when unknown.
    if ((e.name === "sum" || e.name === "round") && types[0] === null && args[0].sql !== "*") types[0] = await this.probeType(args[0].sql, s);
    let sql: string;
    try {
      sql = tmpl({ sql: args.map((a) => a.sql), types, literals, distinct: e.distinct, over });
    } catch (err) {
      throw new AnalysisError(`${e.name}(): ${(err as Error).message}`, "INVALID_ARGUMENT");
    }
    if (over === null && functionKind(e.name) === "window") {
      throw new AnalysisError(`[WINDOW_FUNCTION_WITHOUT_OVER] ${e.name}() is a window function: use it with .over(Window.partitionBy(...).orderBy(...)).`, "WINDOW_FUNCTION_WITHOUT_OVER");
    }
    if (e.name === "from_json") return { sql, name: exprName(e), type: parseSchemaDDL(String(literals[1])) };
    return { sql, name: exprName(e), type: inferFnType(e.name, types), nullable: e.name === "count" || e.name === "row_number" || e.name === "rank" || e.name === "dense_rank" ? false : undefined };
  }

  /** The pieces of `window(ts, size, slide, start)` in microseconds; `lastStart` is the latest window start containing `ts`. */
  private async windowSpec(e: ExprOfKind<"FunctionExpr">, s: Scope): Promise<{ ts: string; sizeUs: number; slideUs: number; lastStart: string; type: DataType | null }> {
    const ts = await this.expr(e.args[0], s);
    if (ts.type !== null && ts.type !== "timestamp" && ts.type !== "timestamp_ntz" && ts.type !== "date") {
      throw new AnalysisError(`[DATATYPE_MISMATCH] window(${q(exprName(e.args[0]))}, ...) needs a timestamp column, but it is ${JSON.stringify(ts.type)}. Convert it with F.to_timestamp(...) first.`, "DATATYPE_MISMATCH");
    }
    const lit = (i: number) => { const a = e.args[i]; return a && a.kind === "LiteralExpr" ? a.value : undefined; };
    const sizeUs = Math.round(parseDurationMs(lit(1) as string, "window duration") * 1000);
    const slideUs = Math.round(parseDurationMs((lit(2) ?? lit(1)) as string, "window slide duration") * 1000);
    const startUs = Math.round(parseDurationMs((lit(3) ?? "0 seconds") as string, "window start time") * 1000);
    if (sizeUs <= 0 || slideUs <= 0) throw new AnalysisError("window(): the window and slide durations must be positive.", "INVALID_WINDOW");
    if (slideUs > sizeUs) throw new AnalysisError(`window(): the slide (${lit(2)}) must not be longer than the window (${lit(1)}).`, "INVALID_WINDOW");
    const us = `epoch_us(CAST(${ts.sql} AS TIMESTAMPTZ))`;
    const lastStart = `(${us} - (((${us} - ${startUs}) % ${slideUs}) + ${slideUs}) % ${slideUs})`;
    return { ts: ts.sql, sizeUs, slideUs, lastStart, type: ts.type };
  }

  /**
   * Expands the event-time windows among an aggregate's keys into a column of the input: a row
   * joins every window that contains it (one for a tumbling window, size/slide for a sliding one),
   * and rows without an event time join none, as in Spark.
   */
  private async expandWindowKeys(child: Rel, keys: readonly Expr[]): Promise<{ rel: Rel; windows: [Expr, Attr][] }> {
    const wins = keys.map(unalias).filter((k): k is ExprOfKind<"FunctionExpr"> => k.kind === "FunctionExpr" && k.name === "window");
    let rel = child;
    const windows: [Expr, Attr][] = [];
    for (const w of wins) {
      const t = this.alias();
      const scope: Scope = { attrs: rel.attrs, ref: (a) => `${t}.${ident(a.id)}`, fromSql: rel.sql };
      const spec = await this.windowSpec(w, scope);
      const n = Math.ceil(spec.sizeUs / spec.slideUs);
      const attr: Attr = { id: this.fresh(), name: `__window_${this.counter}`, qualifiers: [], type: WINDOW_TYPE };
      const cols = `${rel.attrs.map((a) => `${t}.${ident(a.id)}`).join(", ")}${rel.attrs.length ? ", " : ""}`;
      let expanded: string;
      if (n === 1) {
        // A tumbling window: the one window starting at lastStart holds the row; a row without an
        // event time joins none. A plain projection and filter cost a third of the list expansion.
        expanded = `SELECT ${cols}struct_pack("start" := make_timestamptz(${spec.lastStart}), "end" := make_timestamptz(${spec.lastStart} + ${spec.sizeUs})) AS ${ident(attr.id)} FROM (${rel.sql}) AS ${t} WHERE (${spec.ts}) IS NOT NULL`;
      } else {
        const list = `list_filter(list_transform(range(0, ${n}), i -> struct_pack("start" := make_timestamptz(${spec.lastStart} - i * ${spec.slideUs}), "end" := make_timestamptz(${spec.lastStart} - i * ${spec.slideUs} + ${spec.sizeUs}))), w -> CAST(${spec.ts} AS TIMESTAMPTZ) >= w."start" AND CAST(${spec.ts} AS TIMESTAMPTZ) < w."end")`;
        expanded = `SELECT ${cols}unnest(CASE WHEN (${spec.ts}) IS NULL THEN [] ELSE ${list} END) AS ${ident(attr.id)} FROM (${rel.sql}) AS ${t}`;
      }
      rel = { sql: expanded, attrs: [...rel.attrs, attr] };
      windows.push([w, attr]);
    }
    const sessions = keys.map(unalias).filter((k): k is ExprOfKind<"FunctionExpr"> => k.kind === "FunctionExpr" && k.name === "session_window");
    if (sessions.length > 1) throw new AnalysisError("A groupBy can have at most one session_window(...) key.", "MULTIPLE_SESSION_WINDOWS");
    for (const w of sessions) {
      // Per value of the other keys, in event-time order, a row more than `gap` after the previous
      // one starts a new session; a session spans [first event, last event + gap), and a row at
      // exactly the end still joins it (Spark merges touching sessions).
      const t = this.alias();
      const scope: Scope = { attrs: rel.attrs, ref: (a) => `${t}.${ident(a.id)}`, fromSql: rel.sql };
      const ts = await this.expr(w.args[0], scope);
      if (ts.type !== null && ts.type !== "timestamp" && ts.type !== "timestamp_ntz" && ts.type !== "date") {
        throw new AnalysisError(`[DATATYPE_MISMATCH] session_window(${q(exprName(w.args[0]))}, ...) needs a timestamp column, but it is ${JSON.stringify(ts.type)}.`, "DATATYPE_MISMATCH");
      }
      const gapArg = w.args[1];
      const gapUs = Math.round(parseDurationMs((gapArg && gapArg.kind === "LiteralExpr" ? gapArg.value : undefined) as string, "session_window gap duration") * 1000);
      if (gapUs <= 0) throw new AnalysisError("session_window(): the gap duration must be positive.", "INVALID_WINDOW");
      const others: string[] = [];
      for (const k of keys.map(unalias)) if (k !== w && !(k.kind === "FunctionExpr" && k.name === "window")) others.push((await this.expr(k, scope)).sql);
      const cols = rel.attrs.map((a) => ident(a.id));
      const part = others.map((_, i) => `__p${i}`);
      const by = part.length ? `PARTITION BY ${part.join(", ")} ` : "";
      const s1 = `SELECT ${[...rel.attrs.map((a) => `${t}.${ident(a.id)}`), `epoch_us(CAST(${ts.sql} AS TIMESTAMPTZ)) AS __us`, ...others.map((o, i) => `${o} AS __p${i}`)].join(", ")} FROM (${rel.sql}) AS ${t} WHERE (${ts.sql}) IS NOT NULL`;
      const s2 = `SELECT *, CASE WHEN __us - lag(__us) OVER (${by}ORDER BY __us) <= ${gapUs} THEN 0 ELSE 1 END AS __new FROM (${s1})`;
      const s3 = `SELECT *, sum(__new) OVER (${by}ORDER BY __us ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS __sid FROM (${s2})`;
      const attr: Attr = { id: this.fresh(), name: `__session_${this.counter}`, qualifiers: [], type: WINDOW_TYPE };
      const over = `OVER (PARTITION BY ${[...part, "__sid"].join(", ")})`;
      const s4 = `SELECT ${[...cols, `struct_pack("start" := make_timestamptz(min(__us) ${over}), "end" := make_timestamptz(max(__us) ${over} + ${gapUs})) AS ${ident(attr.id)}`].join(", ")} FROM (${s3})`;
      rel = { sql: s4, attrs: [...rel.attrs, attr] };
      windows.push([w, attr]);
    }
    return { rel, windows };
  }

  // ------------------------------------------------------------------ relations

  private readonly visitor: NodeVisitor<Promise<Rel>> = {
    ReadNode: async (n) => {
      const src = await this.env.readSource(n, this.env.tolerantCsv);
      if (src.schema) return this.wrapLeaf(src.sql, src.schema.fields.map((f) => ({ name: f.name, type: f.type })));
      const cols = await this.env.describe(src.sql, n);
      return this.wrapLeaf(src.sql, cols.map((c) => ({ name: c.name, type: fromDuckType(c.type) })));
    },
    RangeNode: async (n) => {
      const id = this.fresh();
      return { sql: `SELECT range AS ${ident(id)} FROM range(${intLit(n.start)}, ${intLit(n.end)}, ${intLit(n.step)})`, attrs: [{ id, name: "id", qualifiers: [], type: "bigint", nullable: false }] };
    },
    LocalRelationNode: async (n) => {
      const attrs = n.schema.fields.map((f) => ({ id: this.fresh(), name: f.name, qualifiers: [] as string[], type: f.type }));
      if (n.rows.length === 0) {
        return { sql: `SELECT ${attrs.map((a) => `${literalSql(null, a.type)} AS ${ident(a.id)}`).join(", ")} WHERE FALSE`, attrs };
      }
      const table = await this.env.localTable(n);
      if (table) return { sql: `SELECT ${attrs.map((a, j) => `${ident(`c${j}`)} AS ${ident(a.id)}`).join(", ")} FROM ${ident(table)}`, attrs };
      const rows = n.rows.map((r) => "(" + n.schema.fields.map((f) => {
        const v = r[f.name];
        return literalSql(v === undefined ? null : v, f.type) + (v === null || v === undefined ? "" : "");
      }).join(", ") + ")");
      const typed = attrs.map((a) => `CAST(${ident(a.id)} AS ${toDuckType(a.type)}) AS ${ident(a.id)}`);
      return { sql: `SELECT ${typed.join(", ")} FROM (VALUES ${rows.join(", ")}) AS ${this.alias()}(${attrs.map((a) => ident(a.id)).join(", ")})`, attrs };
    },
    SqlNode: async (n) => {
      const query = rewriteStringCasts(backticksToDoubleQuotes(n.query));
      const cols = await this.env.describe(query, n);
      return this.wrapLeaf(query, cols.map((c) => ({ name: c.name, type: fromDuckType(c.type) })));
    },
    TableNode: async (n) => {
      const view = this.env.view(n.name);
      if (view) {
        const rel = await this.relation(view);
        return { sql: rel.sql, attrs: rel.attrs.map((a) => ({ ...a, qualifiers: [n.name] })) };
      }
      const table = this.env.catalogTable(n.name);
      if (table) return this.wrapLeaf(table.sourceSql, table.schema.fields.map((f) => ({ name: f.name, type: f.type })), [table.name]);
      const sugg = closest(n.name, this.env.knownTableNames(), 5);
      throw new AnalysisError(
        `[TABLE_OR_VIEW_NOT_FOUND] The table or view ${q(n.name)} cannot be found.${sugg.length ? ` Did you mean one of [${sugg.map(q).join(", ")}]?` : ""} ` +
        `Register it with df.createOrReplaceTempView(name) or df.write.saveAsTable(name).`,
        "TABLE_OR_VIEW_NOT_FOUND",
      );
    },
    ProjectNode: async (n) => {
      const child = await this.relation(n.child);
      const { scope, from } = await this.scopeFor(child, n.exprs);
      const items = await this.projectList(n.exprs, scope);
      if (items.length === 0) throw new AnalysisError("select() needs at least one column.", "EMPTY_SELECT");
      return this.select(from, items.map((i) => ({ sql: i.sql, attr: { id: this.fresh(), name: i.name, qualifiers: i.qualifiers, type: i.type, nullable: i.nullable } })));
    },
    FilterNode: async (n) => {
      const child = await this.relation(n.child);
      const { scope, from } = await this.scopeFor(child, [n.condition]);
      const c = await this.expr(n.condition, scope);
      if (c.type !== null && c.type !== "boolean" && c.type !== "void") {
        throw new AnalysisError(`[DATATYPE_MISMATCH.FILTER_NOT_BOOLEAN] The filter condition ${q(exprName(n.condition))} has type ${JSON.stringify(c.type)}, not boolean. Compare it to something, e.g. F.col("x").gt(0).`, "DATATYPE_MISMATCH");
      }
      const t = this.alias();
      return { sql: `SELECT ${child.attrs.map((a) => `${t}.${scope.ref(a)} AS ${ident(a.id)}`).join(", ")} FROM (${from.sql}) AS ${t} WHERE ${c.sql}`, attrs: child.attrs };
    },
    AggregateNode: async (n) => {
      const { rel: child, windows } = await this.expandWindowKeys(await this.relation(n.child), n.groupBy);
      const { scope, from } = await this.scopeFor(child, [...n.groupBy, ...n.aggs]);
      for (const [e, attr] of windows) this.overrides.set(e, { sql: scope.ref(attr), name: (e as ExprOfKind<"FunctionExpr">).name, type: WINDOW_TYPE });
      const keys = await this.projectList(n.groupBy, scope);
      const aggs = await this.projectList(n.aggs, scope);
      const items = [...keys, ...aggs].map((i) => ({ sql: i.sql, attr: { id: this.fresh(), name: i.name, qualifiers: i.qualifiers, type: i.type, nullable: i.nullable } as Attr }));
      const tail = keys.length ? ` GROUP BY ${keys.map((k) => k.sql).join(", ")}` : "";
      if (items.length === 0) return this.select(from, [{ sql: "count(*)", attr: { id: this.fresh(), name: "count", qualifiers: [], type: "bigint" } }], tail);
      return this.select(from, items, tail);
    },
    JoinNode: async (n) => {
      const left = await this.relation(n.left);
      const right = await this.relation(n.right);
      const lt = this.alias(), rt = this.alias();
      const jt = { inner: "INNER JOIN", left: "LEFT JOIN", right: "RIGHT JOIN", full: "FULL OUTER JOIN", left_semi: "SEMI JOIN", left_anti: "ANTI JOIN", cross: "CROSS JOIN" }[n.how];
      const leftOnly = n.how === "left_semi" || n.how === "left_anti";
      if (n.on === null) {
        const attrs = leftOnly ? left.attrs : [...left.attrs, ...right.attrs];
        const on = n.how === "cross" ? "" : " ON TRUE";
        return { sql: `SELECT ${attrs.map((a) => ident(a.id)).join(", ")} FROM (${left.sql}) AS ${lt} ${jt} (${right.sql}) AS ${rt}${on}`, attrs };
      }
      if (n.on.type === "using") {
        const keys = n.on.columns.map((k) => {
          const find = (attrs: readonly Attr[], side: string) => {
            const m = attrs.filter((a) => eqi(a.name, k));
            if (m.length === 0) {
              throw new AnalysisError(`[UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column ${q(k)} cannot be resolved on the ${side} side of the join. The ${side}-side columns: [${attrs.map((a) => q(a.name)).join(", ")}]${closest(k, attrs.map((a) => a.name), 1).length ? `; did you mean ${q(closest(k, attrs.map((a) => a.name), 1)[0])}?` : ""}`, "UNRESOLVED_USING_COLUMN_FOR_JOIN");
            }
            if (m.length > 1) throw new AnalysisError(`USING column ${q(k)} is ambiguous on the ${side} side of the join (it appears ${m.length} times).`, "AMBIGUOUS_REFERENCE");
            return m[0];
          };
          return { l: find(left.attrs, "left"), r: find(right.attrs, "right") };
        });
        const cond = keys.map((k) => `${lt}.${ident(k.l.id)} = ${rt}.${ident(k.r.id)}`).join(" AND ");
        const keyIds = new Set(keys.flatMap((k) => [k.l.id, k.r.id]));
        const items: { sql: string; attr: Attr }[] = [];
        for (const k of keys) {
          const quals = [...k.l.qualifiers, ...k.r.qualifiers];
          const sql = n.how === "full" ? `coalesce(${lt}.${ident(k.l.id)}, ${rt}.${ident(k.r.id)})` : n.how === "right" ? `${rt}.${ident(k.r.id)}` : `${lt}.${ident(k.l.id)}`;
          items.push({ sql, attr: { id: this.fresh(), name: k.l.name, qualifiers: quals, type: k.l.type ?? k.r.type } });
        }
        for (const a of left.attrs) if (!keyIds.has(a.id)) items.push({ sql: `${lt}.${ident(a.id)}`, attr: a });
        if (!leftOnly) for (const a of right.attrs) if (!keyIds.has(a.id)) items.push({ sql: `${rt}.${ident(a.id)}`, attr: a });
        return { sql: `SELECT ${items.map((i) => `${i.sql} AS ${ident(i.attr.id)}`).join(", ")} FROM (${left.sql}) AS ${lt} ${jt} (${right.sql}) AS ${rt} ON ${cond}`, attrs: items.map((i) => i.attr) };
      }
      const both = [...left.attrs, ...right.attrs];
      const scope: Scope = { attrs: both, ref: (a) => ident(a.id) };
      if (exprSome(n.on.expr, (x) => x.kind === "SqlExpr")) throw new AnalysisError("A join condition cannot be a SQL string; use F.col(\"l.k\").eq(F.col(\"r.k\")) with df.alias(...) on each side.", "UNSUPPORTED_JOIN_CONDITION");
      const c = await this.expr(n.on.expr, scope);
      const attrs = leftOnly ? left.attrs : both;
      return { sql: `SELECT ${attrs.map((a) => ident(a.id)).join(", ")} FROM (${left.sql}) AS ${lt} ${jt} (${right.sql}) AS ${rt} ON ${c.sql}`, attrs };
    },
    SortNode: async (n) => {
      const child = await this.relation(n.child);
      const { scope, from } = await this.scopeFor(child, n.orders);
      const keys = await this.exprs(n.orders as readonly SortOrderExpr[], scope);
      const t = this.alias();
      return { sql: `SELECT ${child.attrs.map((a) => `${t}.${scope.ref(a)} AS ${ident(a.id)}`).join(", ")} FROM (${from.sql}) AS ${t} ORDER BY ${keys.map((k) => k.sql).join(", ")}`, attrs: child.attrs };
    },
    LimitNode: async (n) => this.passthrough(await this.relation(n.child), ` LIMIT ${intLit(n.n)}`),
    DistinctNode: async (n) => this.passthrough(await this.relation(n.child), "", true),
    DeduplicateNode: async (n) => {
      const child = await this.relation(n.child);
      const keys = n.columns.map((c) => resolveName([c], c, child.attrs).attr);
      return this.passthrough(child, "", false, `DISTINCT ON (${keys.map((k) => ident(k.id)).join(", ")}) `);
    },
    SetOpNode: async (n) => {
      const left = await this.relation(n.left);
      const right = await this.relation(n.right);
      let rightCols: string[];
      let leftCols = left.attrs.map((a) => ident(a.id));
      let attrs: Attr[] = [...left.attrs];
      if (n.byName) {
        const missingInRight = left.attrs.filter((a) => !right.attrs.some((b) => eqi(a.name, b.name)));
        const extraInRight = right.attrs.filter((b) => !left.attrs.some((a) => eqi(a.name, b.name)));
        if ((missingInRight.length || extraInRight.length) && !n.allowMissingColumns) {
          const name = (missingInRight[0] ?? extraInRight[0]).name;
          throw new AnalysisError(`[UNRESOLVED_COLUMN] unionByName: column ${q(name)} is in only one of the two frames (left: [${left.attrs.map((a) => q(a.name)).join(", ")}], right: [${right.attrs.map((a) => q(a.name)).join(", ")}]). Pass allowMissingColumns = true to fill it with nulls.`, "UNRESOLVED_COLUMN");
        }
        rightCols = left.attrs.map((a) => {
          const b = right.attrs.find((x) => eqi(x.name, a.name));
          return b ? ident(b.id) : "NULL";
        });
        for (const b of extraInRight) {
          const id = this.fresh();
          leftCols = [...leftCols, "NULL"];
          rightCols.push(ident(b.id));
          attrs.push({ ...b, id });
        }
      } else {
        if (left.attrs.length !== right.attrs.length) {
          throw new AnalysisError(`[NUM_COLUMNS_MISMATCH] ${n.op.toUpperCase()} can only be performed on inputs with the same number of columns, but the first input has ${left.attrs.length} columns and the second input has ${right.attrs.length} columns. Use unionByName to match by name.`, "NUM_COLUMNS_MISMATCH");
        }
        rightCols = right.attrs.map((b) => ident(b.id));
      }
      attrs = attrs.map((a) => ({ ...a, id: this.fresh(), qualifiers: [] }));
      const op = `${n.op.toUpperCase()}${n.all ? " ALL" : ""}`;
      const lt = this.alias(), rt = this.alias();
      const lsql = `SELECT ${leftCols.map((c, i) => `${c} AS ${ident(attrs[i].id)}`).join(", ")} FROM (${left.sql}) AS ${lt}`;
      const rsql = `SELECT ${rightCols.join(", ")} FROM (${right.sql}) AS ${rt}`;
      return { sql: `SELECT * FROM ((${lsql}) ${op} (${rsql})) AS ${this.alias()}`, attrs };
    },
    SampleNode: async (n) => {
      const child = await this.relation(n.child);
      const t = this.alias();
      const cols = child.attrs.map((a) => `${t}.${ident(a.id)}`);
      const u = this.fresh();
      // The draw is a hash of the row, its index among identical rows, and the seed: deterministic
      // for the same input and seed, so randomSplit's parts are disjoint and complete.
      const dup = `row_number() OVER (PARTITION BY ${cols.join(", ") || "1"})`;
      const draw = `(hash(${[...cols, dup, intLit(Math.trunc(n.seed))].join(", ")}) / 18446744073709551616.0)`;
      const inner = `SELECT ${cols.map((c, i) => `${c} AS ${ident(child.attrs[i].id)}`).join(", ")}, ${draw} AS ${ident(u)} FROM (${child.sql}) AS ${t}`;
      const t2 = this.alias();
      const lower = n.lowerBound <= 0 ? "" : `${t2}.${ident(u)} >= ${doubleLit(n.lowerBound)} AND `;
      const upper = n.upperBound >= 1 ? "TRUE" : `${t2}.${ident(u)} < ${doubleLit(n.upperBound)}`;
      return { sql: `SELECT ${child.attrs.map((a) => `${t2}.${ident(a.id)}`).join(", ")} FROM (${inner}) AS ${t2} WHERE ${lower}${upper}`, attrs: child.attrs };
    },
    WithColumnsNode: async (n) => {
      const child = await this.relation(n.child);
      const { scope, from } = await this.scopeFor(child, n.columns.map((c) => c.expr));
      const items: { sql: string; attr: Attr }[] = child.attrs.map((a) => ({ sql: scope.ref(a), attr: { ...a, id: this.fresh() } }));
      for (const c of n.columns) {
        const ce = await this.expr(c.expr, scope);
        if (ce.isStar) throw new AnalysisError(`withColumn(${JSON.stringify(c.name)}): the expression cannot be \`*\`.`, "INVALID_EXPRESSION");
        const idx = items.findIndex((i) => eqi(i.attr.name, c.name));
        const attr: Attr = { id: this.fresh(), name: c.name, qualifiers: [], type: ce.type };
        if (idx >= 0) items[idx] = { sql: ce.sql, attr };
        else items.push({ sql: ce.sql, attr });
      }
      return this.select(from, items);
    },
    RenameNode: async (n) => {
      const child = await this.relation(n.child);
      let attrs = [...child.attrs];
      const positional = n.renames.length > 0 && n.renames.every(([from]) => /^#\d+$/.test(from));
      if (positional) {
        if (n.renames.length !== attrs.length) {
          throw new AnalysisError(`toDF() got ${n.renames.length} names but the frame has ${attrs.length} columns ([${attrs.map((a) => q(a.name)).join(", ")}]).`, "NUM_COLUMNS_MISMATCH");
        }
        attrs = attrs.map((a, i) => ({ ...a, name: n.renames[i][1] }));
      } else {
        for (const [from, to] of n.renames) attrs = attrs.map((a) => (eqi(a.name, from) ? { ...a, name: to } : a));
      }
      return { sql: child.sql, attrs };
    },
    DropNode: async (n) => {
      const child = await this.relation(n.child);
      const drop = new Set<string>();
      for (const c of n.columns) {
        const parts = c.split(".");
        for (const a of child.attrs) {
          if (eqi(a.name, c) || (parts.length === 2 && a.qualifiers.some((qq) => eqi(qq, parts[0])) && eqi(a.name, parts[1]))) drop.add(a.id);
        }
      }
      const keep = child.attrs.filter((a) => !drop.has(a.id));
      if (keep.length === 0) return { sql: `SELECT 1 AS ${ident(this.fresh())} FROM (${child.sql}) AS ${this.alias()} WHERE FALSE`, attrs: [] };
      return this.passthrough({ sql: child.sql, attrs: keep }, "");
    },
    NaDropNode: async (n) => {
      const child = await this.withTypes(await this.relation(n.child));
      const cols = n.subset ? n.subset.map((c) => resolveName([c], c, child.attrs).attr) : child.attrs;
      const valid = cols.map((a) => (a.type === "double" || a.type === "float" ? `(${ident(a.id)} IS NOT NULL AND NOT isnan(${ident(a.id)}))` : `(${ident(a.id)} IS NOT NULL)`));
      let cond: string;
      if (valid.length === 0) cond = "TRUE";
      else if (n.thresh !== null) cond = `(${valid.map((v) => `CAST(${v} AS INTEGER)`).join(" + ")}) >= ${intLit(n.thresh)}`;
      else if (n.how === "all") cond = `(${valid.join(" OR ")})`;
      else cond = `(${valid.join(" AND ")})`;
      return this.passthrough(child, ` WHERE ${cond}`);
    },
    NaFillNode: async (n) => {
      const child = await this.withTypes(await this.relation(n.child));
      const fills = new Map<string, unknown>();
      if (n.perColumn) {
        for (const [c, v] of Object.entries(n.perColumn)) fills.set(resolveName([c], c, child.attrs).attr.id, v);
      } else {
        const cols = n.subset ? n.subset.map((c) => resolveName([c], c, child.attrs).attr) : child.attrs;
        for (const a of cols) {
          const t = a.type;
          if (t === null) continue;
          const ok = typeof n.value === "number" ? isNumericType(t) : typeof n.value === "string" ? t === "string" : typeof n.value === "boolean" ? t === "boolean" : false;
          if (ok) fills.set(a.id, n.value);
        }
      }
      const items = child.attrs.map((a) => {
        if (!fills.has(a.id)) return { sql: ident(a.id), attr: { ...a, id: this.fresh() } };
        const v = fills.get(a.id);
        const t = a.type ?? "string";
        let lit: string;
        if (typeof v === "number" && isIntegralType(t)) lit = `CAST(trunc(${doubleLit(v)}) AS ${toDuckType(t)})`;
        else lit = `CAST(${literalSql(v, typeof v === "number" ? "double" : typeof v === "boolean" ? "boolean" : "string")} AS ${toDuckType(t)})`;
        const nan = a.type === "double" || a.type === "float" ? `CASE WHEN isnan(${ident(a.id)}) THEN ${lit} ELSE ${ident(a.id)} END` : ident(a.id);
        return { sql: `coalesce(${nan}, ${lit})`, attr: { ...a, id: this.fresh() } };
      });
      return this.select(child, items);
    },
    DescribeNode: async (n) => {
      const child = await this.withTypes(await this.relation(n.child));
      const cols = n.columns.length
        ? n.columns.map((c) => resolveName([c], c, child.attrs).attr)
        : child.attrs.filter((a) => a.type !== null && (isNumericType(a.type) || a.type === "string"));
      const t = this.alias();
      const stats: string[] = [];
      cols.forEach((a, i) => {
        const r = `${t}.${ident(a.id)}`;
        const numeric = a.type !== null && isNumericType(a.type);
        stats.push(`count(${r}) AS c${i}`);
        stats.push(numeric ? `avg(${r}) AS m${i}` : `CAST(NULL AS DOUBLE) AS m${i}`);
        stats.push(numeric ? `stddev_samp(${r}) AS s${i}` : `CAST(NULL AS DOUBLE) AS s${i}`);
        stats.push(`min(${r}) AS lo${i}`, `max(${r}) AS hi${i}`);
      });
      const summaryId = this.fresh();
      const attrs: Attr[] = [{ id: summaryId, name: "summary", qualifiers: [], type: "string" }, ...cols.map((a) => ({ id: this.fresh(), name: a.name, qualifiers: [], type: "string" as DataType }))];
      const rows = [["count", "c"], ["mean", "m"], ["stddev", "s"], ["min", "lo"], ["max", "hi"]].map(([label, p], k) =>
        `SELECT ${k} AS ord, ${str(label)} AS ${ident(summaryId)}${cols.map((_, i) => `, CAST(${p}${i} AS VARCHAR) AS ${ident(attrs[i + 1].id)}`).join("")} FROM stats`);
      const sql = `SELECT ${attrs.map((a) => ident(a.id)).join(", ")} FROM (WITH stats AS (SELECT ${stats.join(", ") || "1 AS dummy"} FROM (${child.sql}) AS ${t}) ${rows.join(" UNION ALL ")}) ORDER BY ord`;
      return { sql, attrs };
    },
    SubqueryAliasNode: async (n) => {
      const child = await this.relation(n.child);
      return { sql: child.sql, attrs: child.attrs.map((a) => ({ ...a, qualifiers: [n.alias] })) };
    },
    StreamSourceNode: async (n) => {
      throw new AnalysisError(`[NON_STREAMING_ACTION] Queries with streaming sources must be executed with writeStream.start(): this plan reads the ${q(n.format)} stream, so run it as a streaming query (df.writeStream...start()) instead of a batch action.`, "QUERY_NEEDS_WRITESTREAM_START");
    },
    // Outside the streaming engine a watermark changes nothing, as in Spark's batch queries.
    WatermarkNode: async (n) => this.relation(n.child),
  };
}

function inferFnType(name: string, args: (DataType | null)[]): DataType | null {
  const a0 = args[0] ?? null;
  switch (name) {
    case "count": case "approx_count_distinct": return "bigint";
    case "row_number": case "rank": case "dense_rank": case "ntile": case "length": case "size":
    case "year": case "month": case "dayofmonth": case "hour": case "minute": case "second": case "datediff": case "hash": return "int";
    case "avg": case "stddev": case "stddev_samp": case "stddev_pop": case "variance": case "var_samp": case "var_pop": case "corr":
    case "covar_samp": case "covar_pop": case "sqrt": case "exp": case "log": case "log10": case "log2": case "pow": case "signum":
    case "percent_rank": case "cume_dist": case "rand": case "sin": case "cos": case "tanh": return "double";
    case "sum": return a0 && isIntegralType(a0) ? "bigint" : a0 === "float" ? "double" : a0;
    case "min": case "max": case "first": case "last": case "lag": case "lead": case "abs": case "round": case "coalesce": case "greatest": case "least": case "nanvl": return a0;
    case "floor": case "ceil": case "monotonically_increasing_id": return "bigint";
    case "upper": case "lower": case "concat": case "concat_ws": case "substring": case "trim": case "ltrim": case "rtrim": case "regexp_replace": case "date_format": case "to_json": return "string";
    case "like": case "rlike": case "isnan": case "startswith": case "endswith": case "contains": case "array_contains": return "boolean";
    case "to_date": case "date_add": case "current_date": return "date";
    case "to_timestamp": case "current_timestamp": return "timestamp";
    case "collect_list": case "collect_set": return a0 ? { type: "array", elementType: a0, containsNull: false } : null;
    case "split": return { type: "array", elementType: "string", containsNull: true };
  }
  return null;
}
