/**
 * Compiles a Quarry plan to a Spark Connect Relation. Quarry's plan nodes are DataFrame verbs and
 * Spark Connect speaks the same verbs, so each node becomes one relation and name resolution, type
 * checking and column naming happen on the server, as for any Spark client. The compiler only
 * chooses encodings that keep Quarry's documented semantics (e.g. `count(*)` as `count(1)`, a
 * deterministic sample, positional `toDF`).
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { IllegalArgumentError, UnsupportedOperationError } from "../../errors.js";
import type { Expr, ExprKind, ExprOfKind } from "../../plan/expr/expr.js";
import type { FrameBound } from "../../plan/expr/window-expr.js";
import type { SortOrderExpr } from "../../plan/expr/sort-order-expr.js";
import { literalType } from "../../plan/expr/literal-expr.js";
import { schemaToDDL, type DataType } from "../../plan/types.js";
import type { NodeVisitor, PlanNode } from "../../plan/visitor.js";
import type { JoinType } from "../../plan/nodes/join-node.js";
import {
  ExpressionSchema, Expression_CastSchema, Expression_Cast_EvalMode, Expression_LiteralSchema, Expression_SortOrderSchema,
  Expression_SortOrder_NullOrdering, Expression_SortOrder_SortDirection, Expression_Window_WindowFrame_FrameType,
  Expression_Window_WindowFrame_FrameBoundarySchema, type Expression, type Expression_Literal, type Expression_SortOrder,
} from "./gen/spark/connect/expressions_pb.js";
import {
  Aggregate_GroupType, Join_JoinType, RelationSchema, SetOperation_SetOpType, type Relation,
} from "./gen/spark/connect/relations_pb.js";
import { SPARK_BINARY_OPS, SPARK_UNARY_OPS, sparkFunctionName } from "./spark-connect-functions.js";
import { toProtoType } from "./spark-connect-types.js";
import { encodeRows } from "./spark-connect-arrow.js";

type RelInit = MessageInitShape<typeof RelationSchema>["relType"];

/** A relation message from its variant. */
export function rel(relType: RelInit): Relation {
  return create(RelationSchema, { relType });
}

/** Quotes one name part for Spark's identifier parser: `a`, `a.b` as one part, backticks doubled. */
export function quoteIdent(part: string): string {
  return "`" + part.replace(/`/g, "``") + "`";
}

function expr(e: MessageInitShape<typeof ExpressionSchema>["exprType"]): Expression {
  return create(ExpressionSchema, { exprType: e });
}

/** A call of a Spark function by name. */
export function call(name: string, args: readonly Expression[], distinct = false): Expression {
  return create(ExpressionSchema, { exprType: { case: "unresolvedFunction", value: { functionName: name, arguments: [...args], isDistinct: distinct } } });
}

function lit(l: Expression_Literal["literalType"]): Expression {
  return create(ExpressionSchema, { exprType: { case: "literal", value: create(Expression_LiteralSchema, { literalType: l } as MessageInitShape<typeof Expression_LiteralSchema>) } });
}

const MS_PER_DAY = 86400000;

/**
 * A literal of Quarry's value and type. Arrays and structs become `array(...)` and
 * `named_struct(...)` calls; a value whose JS type differs from its declared type is cast.
 */
export function literal(value: unknown, type: DataType): Expression {
  if (value === null || value === undefined) return lit({ case: "null", value: toProtoType(type) });
  if (typeof value === "number") {
    switch (type) {
      case "int": return lit({ case: "integer", value });
      case "bigint": return lit({ case: "long", value: BigInt(value) });
      case "tinyint": return lit({ case: "byte", value });
      case "smallint": return lit({ case: "short", value });
      case "float": return lit({ case: "float", value });
      case "double": return lit({ case: "double", value });
    }
    const natural = literal(value, literalType(value));
    return type === literalType(value) ? natural : cast(natural, type, false);
  }
  if (typeof value === "bigint") return type === "bigint" || type === "void" ? lit({ case: "long", value }) : cast(lit({ case: "long", value }), type, false);
  if (typeof value === "string") return type === "string" ? lit({ case: "string", value }) : cast(lit({ case: "string", value }), type, false);
  if (typeof value === "boolean") return type === "boolean" ? lit({ case: "boolean", value }) : cast(lit({ case: "boolean", value }), type, false);
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new IllegalArgumentError("An Invalid Date cannot be used as a literal.", "INVALID_LITERAL");
    if (type === "date") return lit({ case: "date", value: Math.floor(ms / MS_PER_DAY) });
    if (type === "timestamp_ntz") return lit({ case: "timestampNtz", value: BigInt(ms) * 1000n });
    return lit({ case: "timestamp", value: BigInt(ms) * 1000n });
  }
  if (value instanceof Uint8Array) return lit({ case: "binary", value });
  if (Array.isArray(value)) {
    const et = typeof type === "object" && type.type === "array" ? type.elementType : "string";
    const arr = call("array", value.map((v) => literal(v, et === "void" && v !== null ? literalType(v) : et)));
    return value.length === 0 || et === "void" ? cast(arr, typeof type === "object" ? type : { type: "array", elementType: "string", containsNull: true }, false) : arr;
  }
  if (typeof value === "object") {
    const fields = typeof type === "object" && type.type === "struct" ? type.fields : null;
    const args: Expression[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      args.push(lit({ case: "string", value: k }), literal(v, fields?.find((f) => f.name === k)?.type ?? literalType(v)));
    }
    return call("named_struct", args);
  }
  throw new IllegalArgumentError(`Cannot use ${typeof value} as a literal.`, "INVALID_LITERAL");
}

function cast(child: Expression, to: DataType, safe: boolean): Expression {
  return expr({
    case: "cast",
    value: create(Expression_CastSchema, {
      expr: child,
      castToType: { case: "type", value: toProtoType(to) },
      evalMode: safe ? Expression_Cast_EvalMode.TRY : Expression_Cast_EvalMode.UNSPECIFIED,
    }),
  });
}

function sortOrder(e: SortOrderExpr, child: Expression): Expression_SortOrder {
  return create(Expression_SortOrderSchema, {
    child,
    direction: e.direction === "asc" ? Expression_SortOrder_SortDirection.ASCENDING : Expression_SortOrder_SortDirection.DESCENDING,
    nullOrdering: e.nulls === "first" ? Expression_SortOrder_NullOrdering.SORT_NULLS_FIRST : Expression_SortOrder_NullOrdering.SORT_NULLS_LAST,
  });
}

/** A window frame boundary: the current row, unbounded, or an offset (negative: preceding). */
function bound(b: FrameBound): MessageInitShape<typeof Expression_Window_WindowFrame_FrameBoundarySchema> {
  if (b === "currentRow" || b === 0) return { boundary: { case: "currentRow", value: true } };
  if (b === "unboundedPreceding" || b === "unboundedFollowing") return { boundary: { case: "unbounded", value: true } };
  return { boundary: { case: "value", value: literal(b, Math.abs(b) <= 2147483647 ? "int" : "bigint") } };
}

const JOIN_TYPES: Readonly<Record<JoinType, Join_JoinType>> = {
  inner: Join_JoinType.INNER, left: Join_JoinType.LEFT_OUTER, right: Join_JoinType.RIGHT_OUTER, full: Join_JoinType.FULL_OUTER,
  left_semi: Join_JoinType.LEFT_SEMI, left_anti: Join_JoinType.LEFT_ANTI, cross: Join_JoinType.CROSS,
};

const SET_OPS = { union: SetOperation_SetOpType.UNION, intersect: SetOperation_SetOpType.INTERSECT, except: SetOperation_SetOpType.EXCEPT } as const;

/**
 * Compiles plans and expressions to Spark Connect messages.
 * @example
 * const relation = new SparkConnectCompiler().relation(df.plan);
 */
export class SparkConnectCompiler {
  /** Compiles a plan. */
  relation(plan: PlanNode): Relation {
    return (this.visitor[plan.kind] as (n: PlanNode) => Relation)(plan);
  }

  /** Compiles an expression. */
  expr(e: Expr): Expression {
    return (this.exprVisitor[e.kind] as (x: Expr) => Expression)(e);
  }

  private exprs(es: readonly Expr[]): Expression[] { return es.map((e) => this.expr(e)); }

  private readonly exprVisitor: { readonly [K in ExprKind]: (e: ExprOfKind<K>) => Expression } = {
    ColumnExpr: (e) => expr({ case: "unresolvedAttribute", value: { unparsedIdentifier: e.nameParts.map(quoteIdent).join(".") } }),
    StarExpr: (e) => expr({ case: "unresolvedStar", value: (e.qualifier === null ? {} : { unparsedTarget: `${quoteIdent(e.qualifier)}.*` }) }),
    LiteralExpr: (e) => literal(e.value, e.dataType),
    AliasExpr: (e) => expr({ case: "alias", value: { expr: this.expr(e.child), name: [e.name] } }),
    BinaryExpr: (e) => {
      const c = call(SPARK_BINARY_OPS[e.op], [this.expr(e.left), this.expr(e.right)]);
      return e.op === "!=" ? call("not", [c]) : c;
    },
    UnaryExpr: (e) => call(SPARK_UNARY_OPS[e.op], [this.expr(e.child)]),
    FunctionExpr: (e) => {
      const name = sparkFunctionName(e.name);
      // count(*) counts rows: Spark's own clients send it as count(1), which is also its column name.
      if (e.name === "count" && e.args.length === 1 && e.args[0].kind === "StarExpr" && e.args[0].qualifier === null && !e.distinct) {
        return call("count", [literal(1, "int")]);
      }
      return call(name, this.exprs(e.args), e.distinct || e.name === "sum_distinct");
    },
    CastExpr: (e) => cast(this.expr(e.child), e.to, e.safe),
    CaseWhenExpr: (e) => call("when", [...e.branches.flatMap(([c, v]) => [this.expr(c), this.expr(v)]), ...(e.otherwise ? [this.expr(e.otherwise)] : [])]),
    InExpr: (e) => (e.values.length === 0 ? literal(false, "boolean") : call("in", [this.expr(e.child), ...this.exprs(e.values)])),
    SortOrderExpr: (e) => expr({ case: "sortOrder", value: sortOrder(e, this.expr(e.child)) }),
    WindowExpr: (e) => {
      const f = e.spec.frame;
      return expr({
        case: "window",
        value: {
          windowFunction: this.expr(e.func),
          partitionSpec: this.exprs(e.spec.partitionBy),
          orderSpec: e.spec.orderBy.map((o) => sortOrder(o, this.expr(o.child))),
          ...(f ? {
            frameSpec: {
              frameType: f.type === "rows" ? Expression_Window_WindowFrame_FrameType.ROW : Expression_Window_WindowFrame_FrameType.RANGE,
              lower: bound(f.start),
              upper: bound(f.end),
            },
          } : {}),
        },
      });
    },
    SqlExpr: (e) => expr({ case: "expressionString", value: { expression: e.text } }),
    FieldExpr: (e) => expr({
      case: "unresolvedExtractValue",
      value: { child: this.expr(e.child), extraction: typeof e.field === "number" ? literal(e.field, "int") : literal(e.field, "string") },
    }),
  };

  private readonly visitor: NodeVisitor<Relation> = {
    ReadNode: (n) => rel({
      case: "read",
      value: {
        readType: {
          case: "dataSource",
          value: { format: n.format, ...(n.schema ? { schema: schemaToDDL(n.schema, true) } : {}), options: { ...n.options }, paths: [...n.paths] },
        },
      },
    }),
    RangeNode: (n) => rel({ case: "range", value: { start: BigInt(n.start), end: BigInt(n.end), step: BigInt(n.step) } }),
    LocalRelationNode: (n) => rel({
      case: "localRelation",
      // The Arrow stream carries names, types and nullability; an empty frame sends only its schema.
      value: n.rows.length ? { data: encodeRows(n.rows, n.schema) } : { schema: schemaToDDL(n.schema, true) },
    }),
    SqlNode: (n) => rel({ case: "sql", value: { query: n.query } }),
    TableNode: (n) => rel({ case: "read", value: { readType: { case: "namedTable", value: { unparsedIdentifier: n.name } } } }),
    ProjectNode: (n) => rel({ case: "project", value: { input: this.relation(n.child), expressions: this.exprs(n.exprs) } }),
    FilterNode: (n) => rel({ case: "filter", value: { input: this.relation(n.child), condition: this.expr(n.condition) } }),
    AggregateNode: (n) => rel({
      case: "aggregate",
      value: { input: this.relation(n.child), groupType: Aggregate_GroupType.GROUPBY, groupingExpressions: this.exprs(n.groupBy), aggregateExpressions: this.exprs(n.aggs) },
    }),
    JoinNode: (n) => rel({
      case: "join",
      value: {
        left: this.relation(n.left),
        right: this.relation(n.right),
        joinType: JOIN_TYPES[n.how],
        ...(n.on?.type === "using" ? { usingColumns: [...n.on.columns] } : {}),
        ...(n.on?.type === "condition" ? { joinCondition: this.expr(n.on.expr) } : {}),
      },
    }),
    SortNode: (n) => rel({ case: "sort", value: { input: this.relation(n.child), order: n.orders.map((o) => sortOrder(o, this.expr(o.child))), isGlobal: true } }),
    LimitNode: (n) => {
      if (n.n > 2147483647) throw new UnsupportedOperationError(`limit(${n.n}): Spark limits take at most 2147483647 rows.`, "LIMIT_TOO_LARGE");
      return rel({ case: "limit", value: { input: this.relation(n.child), limit: n.n } });
    },
    DistinctNode: (n) => rel({ case: "deduplicate", value: { input: this.relation(n.child), allColumnsAsKeys: true } }),
    DeduplicateNode: (n) => rel({ case: "deduplicate", value: { input: this.relation(n.child), columnNames: [...n.columns] } }),
    SetOpNode: (n) => rel({
      case: "setOp",
      value: {
        leftInput: this.relation(n.left),
        rightInput: this.relation(n.right),
        setOpType: SET_OPS[n.op],
        isAll: n.all,
        byName: n.byName,
        allowMissingColumns: n.allowMissingColumns,
      },
    }),
    SampleNode: (n) => {
      if (n.withReplacement) throw new UnsupportedOperationError("sample(withReplacement = true) is not supported.", "UNSUPPORTED_SAMPLE");
      // Sorting each partition first makes the draw a function of the rows and the seed, as Quarry's
      // SampleNode promises: randomSplit's parts are then disjoint and complete.
      return rel({ case: "sample", value: { input: this.relation(n.child), lowerBound: n.lowerBound, upperBound: n.upperBound, withReplacement: false, seed: BigInt(Math.trunc(n.seed)), deterministicOrder: true } });
    },
    WithColumnsNode: (n) => rel({
      case: "withColumns",
      value: { input: this.relation(n.child), aliases: n.columns.map((c) => ({ expr: this.expr(c.expr), name: [c.name] })) },
    }),
    RenameNode: (n) => {
      const positional = n.renames.length > 0 && n.renames.every(([from]) => /^#\d+$/.test(from));
      if (positional) return rel({ case: "toDf", value: { input: this.relation(n.child), columnNames: n.renames.map(([, to]) => to) } });
      return rel({ case: "withColumnsRenamed", value: { input: this.relation(n.child), renames: n.renames.map(([from, to]) => ({ colName: from, newColName: to })) } });
    },
    DropNode: (n) => rel({ case: "drop", value: { input: this.relation(n.child), columnNames: [...n.columns] } }),
    NaDropNode: (n) => rel({
      case: "dropNa",
      value: {
        input: this.relation(n.child),
        cols: n.subset ? [...n.subset] : [],
        ...(n.thresh !== null ? { minNonNulls: n.thresh } : n.how === "all" ? { minNonNulls: 1 } : {}),
      },
    }),
    NaFillNode: (n) => {
      const fillLiteral = (v: unknown): Expression_Literal => {
        const type: DataType = typeof v === "number" ? (Number.isInteger(v) ? "bigint" : "double") : typeof v === "boolean" ? "boolean" : "string";
        const l = literal(v, type);
        if (l.exprType.case !== "literal") throw new IllegalArgumentError(`na.fill: cannot fill with ${String(v)}; use a number, string or boolean.`);
        return l.exprType.value;
      };
      const entries = n.perColumn ? Object.entries(n.perColumn) : null;
      return rel({
        case: "fillNa",
        value: {
          input: this.relation(n.child),
          cols: entries ? entries.map(([c]) => c) : n.subset ? [...n.subset] : [],
          values: entries ? entries.map(([, v]) => fillLiteral(v)) : [fillLiteral(n.value)],
        },
      });
    },
    DescribeNode: (n) => rel({ case: "describe", value: { input: this.relation(n.child), cols: [...n.columns] } }),
    SubqueryAliasNode: (n) => rel({ case: "subqueryAlias", value: { input: this.relation(n.child), alias: n.alias } }),
    StreamSourceNode: (n) => {
      if (n.format === "memory") throw new UnsupportedOperationError("MemoryStream lives in this process, so a Spark server cannot read it; use a file source or rate on the Spark backend.", "UNSUPPORTED_STREAMING");
      // Sources with a fixed row schema (rate, kafka) refuse a user schema on Spark.
      const withSchema = n.schema && !["rate", "kafka"].includes(n.format);
      return rel({
        case: "read",
        value: {
          isStreaming: true,
          readType: { case: "dataSource", value: { format: n.format, ...(withSchema ? { schema: schemaToDDL(n.schema!, true) } : {}), options: { ...n.options }, paths: [...n.paths] } },
        },
      });
    },
    WatermarkNode: (n) => rel({ case: "withWatermark", value: { input: this.relation(n.child), eventTime: n.column, delayThreshold: n.delay } }),
  };
}
