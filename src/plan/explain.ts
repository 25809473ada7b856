/** A readable tree of the logical plan, for `explain()`. */
import { exprName } from "./expr/naming.js";
import type { Expr } from "./expr/expr.js";
import { nodeChildren, type PlanNode } from "./visitor.js";
import { schemaToDDL } from "./types.js";

const list = (es: readonly Expr[]) => es.map(exprName).join(", ");

function describe(n: PlanNode): string {
  switch (n.kind) {
    case "ReadNode": return `Read ${n.format} [${n.paths.join(", ")}]${Object.keys(n.options).length ? " " + JSON.stringify(n.options) : ""}${n.schema ? ` schema=(${schemaToDDL(n.schema)})` : ""}`;
    case "RangeNode": return `Range (${n.start}, ${n.end}, step=${n.step})`;
    case "LocalRelationNode": return `LocalRelation [${schemaToDDL(n.schema)}], ${n.rows.length} rows`;
    case "SqlNode": return `Sql ${JSON.stringify(n.query.length > 200 ? n.query.slice(0, 200) + "..." : n.query)}`;
    case "TableNode": return `Table ${n.name}`;
    case "ProjectNode": return `Project [${list(n.exprs)}]`;
    case "FilterNode": return `Filter ${exprName(n.condition)}`;
    case "AggregateNode": return `Aggregate [${list(n.groupBy)}], [${list(n.aggs)}]`;
    case "JoinNode": return `Join ${n.how}${n.on === null ? "" : n.on.type === "using" ? ` using [${n.on.columns.join(", ")}]` : ` on ${exprName(n.on.expr)}`}`;
    case "SortNode": return `Sort [${list(n.orders)}]`;
    case "LimitNode": return `Limit ${n.n}`;
    case "DistinctNode": return "Distinct";
    case "DeduplicateNode": return `Deduplicate [${n.columns.join(", ")}]`;
    case "SetOpNode": return `${n.op}${n.all ? " all" : ""}${n.byName ? " by name" : ""}`;
    case "SampleNode": return `Sample [${n.lowerBound}, ${n.upperBound}) seed=${n.seed}`;
    case "WithColumnsNode": return `WithColumns [${n.columns.map((c) => `${exprName(c.expr)} AS ${c.name}`).join(", ")}]`;
    case "RenameNode": return `Rename [${n.renames.map(([a, b]) => `${a} -> ${b}`).join(", ")}]`;
    case "DropNode": return `Drop [${n.columns.join(", ")}]`;
    case "NaDropNode": return `NaDrop how=${n.how}${n.thresh !== null ? ` thresh=${n.thresh}` : ""}${n.subset ? ` [${n.subset.join(", ")}]` : ""}`;
    case "NaFillNode": return `NaFill ${JSON.stringify(n.perColumn ?? n.value)}${n.subset ? ` [${n.subset.join(", ")}]` : ""}`;
    case "DescribeNode": return `Describe [${n.columns.join(", ")}]`;
    case "SubqueryAliasNode": return `SubqueryAlias ${n.alias}`;
    case "StreamSourceNode": return `StreamingRelation ${n.format}${n.paths.length ? ` [${n.paths.join(", ")}]` : ""}${Object.keys(n.options).length ? " " + JSON.stringify(n.options) : ""}${n.schema ? ` schema=(${schemaToDDL(n.schema)})` : ""}`;
    case "WatermarkNode": return `EventTimeWatermark ${n.column}, ${n.delay}`;
  }
}

/** The plan as an indented tree, root first. */
export function explainPlan(root: PlanNode): string {
  const lines: string[] = [];
  const walk = (n: PlanNode, depth: number) => {
    lines.push((depth === 0 ? "" : "   ".repeat(depth - 1) + "+- ") + describe(n));
    for (const c of nodeChildren(n)) walk(c, depth + 1);
  };
  walk(root, 0);
  return lines.join("\n");
}
