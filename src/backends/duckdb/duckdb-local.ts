/**
 * Rows given by the program (`createDataFrame`) loaded once into an engine table through DuckDB's
 * appender. Inlined as a VALUES list, every action re-parses and re-binds each value (~13 µs a
 * value: 10,000 rows x 40 columns took 5 s per action); from a table, an action costs what a
 * scan does. Only frames of plain values take this path: every value a JS boolean, number
 * (integral and in range for integer columns) or string matching its column's type; others, and
 * small frames, stay as VALUES (their literals convert the rest, with the usual errors).
 */
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
import type { LocalRelationNode } from "../../plan/nodes/local-relation-node.js";
import type { DataType } from "../../plan/types.js";
import { ident } from "./duckdb-sql.js";
import { toDuckType } from "./duckdb-types.js";

/** Frames with fewer cells (rows x columns) stay inline: a table is not worth its round trips. */
export const LOCAL_TABLE_MIN_CELLS = 4096;

const INT_RANGE: Partial<Record<string, [number, number]>> = {
  tinyint: [-128, 127], smallint: [-32768, 32767], int: [-2147483648, 2147483647], bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

type Put = (a: DuckDBAppender, v: unknown) => void;

/** How to append one value of a column of type `t`, and which values it takes; null for other types. */
function putter(t: DataType): { ok: (v: unknown) => boolean; put: Put } | null {
  switch (t) {
    case "double": return { ok: (v) => typeof v === "number", put: (a, v) => a.appendDouble(v as number) };
    case "float": return { ok: (v) => typeof v === "number", put: (a, v) => a.appendFloat(v as number) };
    case "string": return { ok: (v) => typeof v === "string", put: (a, v) => a.appendVarchar(v as string) };
    case "boolean": return { ok: (v) => typeof v === "boolean", put: (a, v) => a.appendBoolean(v as boolean) };
    case "tinyint": case "smallint": case "int": case "bigint": {
      const [lo, hi] = INT_RANGE[t]!;
      const ok = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi) || (t === "bigint" && typeof v === "bigint" && BigInt.asIntN(64, v) === v);
      const put: Put = t === "tinyint" ? (a, v) => a.appendTinyInt(v as number)
        : t === "smallint" ? (a, v) => a.appendSmallInt(v as number)
        : t === "int" ? (a, v) => a.appendInteger(v as number)
        : (a, v) => a.appendBigInt(BigInt(v as number | bigint));
      return { ok, put };
    }
    default: return null;
  }
}

/** The column writers for `node`, or null when it should stay inline (small, or a value needing a literal). */
export function localTablePlan(node: LocalRelationNode): Put[] | null {
  const fields = node.schema.fields;
  if (fields.length === 0 || node.rows.length * fields.length < LOCAL_TABLE_MIN_CELLS) return null;
  const cols = fields.map((f) => putter(f.type));
  if (cols.some((c) => c === null)) return null;
  for (const row of node.rows) {
    for (let j = 0; j < fields.length; j++) {
      const v = row[fields[j].name];
      if (v !== null && v !== undefined && !cols[j]!.ok(v)) return null;
    }
  }
  return cols.map((c) => c!.put);
}

/** Creates `table` (columns c0, c1, ... of the node's types) and appends the node's rows. */
export async function loadLocalTable(conn: DuckDBConnection, node: LocalRelationNode, puts: readonly Put[], table: string): Promise<void> {
  const fields = node.schema.fields;
  await conn.run(`CREATE TABLE ${ident(table)} (${fields.map((f, j) => `${ident(`c${j}`)} ${toDuckType(f.type)}`).join(", ")})`);
  try {
    const appender = await conn.createAppender(table);
    try {
      for (const row of node.rows) {
        for (let j = 0; j < fields.length; j++) {
          const v = row[fields[j].name];
          if (v === null || v === undefined) appender.appendNull();
          else puts[j](appender, v);
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  } catch (e) {
    await conn.run(`DROP TABLE IF EXISTS ${ident(table)}`).catch(() => undefined);
    throw e;
  }
}
