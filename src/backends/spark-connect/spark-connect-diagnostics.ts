/**
 * Finds where a FAILFAST CSV read failed. Spark's error names the record's parsed values but not
 * its file and line, which Quarry's errors promise; after such a failure (only then) two small
 * queries find them: the same read in PERMISSIVE mode keeps the first malformed record's raw text
 * and file, and the file read as text numbers its lines.
 */
import { ExecutionError, type QuarryError } from "../../errors.js";
import { AggregateNode, FilterNode, LimitNode, ProjectNode, ReadNode } from "../../plan/nodes/index.js";
import { BinaryExpr, ColumnExpr, FunctionExpr, LiteralExpr, SortOrderExpr, SqlExpr, WindowExpr, AliasExpr } from "../../plan/expr/index.js";
import { nodeChildren, type PlanNode } from "../../plan/visitor.js";
import { structType, type StructType } from "../../plan/types.js";
import type { Row } from "../backend.js";

const CORRUPT = "_quarry_corrupt_record";

function failfastCsvReads(plan: PlanNode, out: ReadNode[] = []): ReadNode[] {
  if (plan.kind === "ReadNode" && plan.format === "csv" && (plan.options["mode"] ?? "").toUpperCase() === "FAILFAST") out.push(plan);
  for (const c of nodeChildren(plan)) failfastCsvReads(c, out);
  return out;
}

/** What the diagnosis needs from the backend. */
export interface DiagnosisEnv {
  rows(plan: PlanNode): Promise<Row[]>;
  schema(plan: PlanNode): Promise<StructType>;
}

/**
 * Adds the file and line of the first malformed record to a FAILFAST CSV error.
 * @returns the enriched error, or `err` when the plan reads no FAILFAST CSV or nothing is found.
 */
export async function locateMalformedCsv(plan: PlanNode, err: QuarryError, env: DiagnosisEnv): Promise<QuarryError> {
  if (!(err instanceof ExecutionError) || !/MALFORMED_RECORD|FAILED_READ_FILE|Malformed/i.test(`${err.errorClass} ${err.message}`)) return err;
  for (const read of failfastCsvReads(plan)) {
    try {
      const permissive = { ...read.options, mode: "PERMISSIVE", columnNameOfCorruptRecord: CORRUPT };
      const schema = read.schema ?? await env.schema(ReadNode.create("csv", read.paths, { ...read.options, mode: "PERMISSIVE" }, null));
      const withCorrupt = structType([...schema.fields, { name: CORRUPT, type: "string", nullable: true }]);
      const bad = await env.rows(LimitNode.create(ProjectNode.create(
        FilterNode.create(ReadNode.create("csv", read.paths, permissive, withCorrupt), SqlExpr.create(`${CORRUPT} IS NOT NULL`)),
        // Spark refuses a query that reads only the corrupt-record column: keep the data columns too.
        [SqlExpr.create("_metadata.file_path AS file"), ...withCorrupt.fields.map((f) => ColumnExpr.create("`" + f.name.replace(/`/g, "``") + "`"))],
      ), 1));
      if (bad.length === 0) continue;
      const file = String(bad[0]["file"]);
      const raw = String(bad[0][CORRUPT]);
      const firstLine = raw.split(/\r?\n/)[0];
      const order = [SortOrderExpr.create(ColumnExpr.create("blk"), "asc"), SortOrderExpr.create(ColumnExpr.create("mid"), "asc")];
      const lines = ProjectNode.create(ReadNode.create("text", [file], {}, null), [
        SqlExpr.create("_metadata.file_block_start AS blk"),
        AliasExpr.create(FunctionExpr.create("monotonically_increasing_id", []), "mid"),
        ColumnExpr.create("value"),
      ]);
      const numbered = ProjectNode.create(lines, [
        ColumnExpr.create("value"),
        AliasExpr.create(WindowExpr.create(FunctionExpr.create("row_number", []), { partitionBy: [], orderBy: order, frame: null }), "line"),
      ]);
      const hit = await env.rows(AggregateNode.create(FilterNode.create(numbered, BinaryExpr.create("=", ColumnExpr.create("value"), LiteralExpr.create(firstLine))), [], [
        AliasExpr.create(FunctionExpr.create("min", [ColumnExpr.create("line")]), "line"),
      ]));
      const line = hit[0]?.["line"];
      const where = typeof line === "number" ? `line ${line} of ${file}` : file;
      return new ExecutionError(`Malformed CSV record at ${where}: ${JSON.stringify(raw)}. Fix the record, or read with mode PERMISSIVE (bad fields become null) or DROPMALFORMED (bad records are skipped).\n${err.message}`, err.errorClass, { cause: err });
    } catch {
      // The diagnosis is best effort: the original error stands.
    }
  }
  return err;
}
