/** Mapping between DuckDB's types and Quarry's Spark-named types. */
import { structType, type DataType } from "../../plan/types.js";
import { UnsupportedOperationError } from "../../errors.js";
import { ident } from "./duckdb-sql.js";

/** DuckDB's type for a Quarry type. Spark's `timestamp` is an instant: TIMESTAMPTZ. */
export function toDuckType(t: DataType): string {
  if (typeof t === "string") {
    switch (t) {
      case "string": return "VARCHAR";
      case "boolean": return "BOOLEAN";
      case "tinyint": return "TINYINT";
      case "smallint": return "SMALLINT";
      case "int": return "INTEGER";
      case "bigint": return "BIGINT";
      case "float": return "FLOAT";
      case "double": return "DOUBLE";
      case "date": return "DATE";
      case "timestamp": return "TIMESTAMPTZ";
      case "timestamp_ntz": return "TIMESTAMP";
      case "binary": return "BLOB";
      case "void": return "INTEGER";
      case "interval": return "INTERVAL";
    }
  }
  switch (t.type) {
    case "decimal": return `DECIMAL(${t.precision},${t.scale})`;
    case "array": return `${toDuckType(t.elementType)}[]`;
    case "map": return `MAP(${toDuckType(t.keyType)}, ${toDuckType(t.valueType)})`;
    case "struct": return `STRUCT(${t.fields.map((f) => `${ident(f.name)} ${toDuckType(f.type)}`).join(", ")})`;
  }
  throw new UnsupportedOperationError(`Type ${JSON.stringify(t)} has no DuckDB equivalent.`);
}

/** Splits a DuckDB type string's top-level comma-separated parts. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = "", inQ = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') { inQ = !inQ; cur += c; continue; }
    if (!inQ) {
      if (c === "(" || c === "[" || c === "<") depth++;
      if (c === ")" || c === "]" || c === ">") depth--;
      if (c === "," && depth === 0) { out.push(cur.trim()); cur = ""; continue; }
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Quarry's type for a DuckDB type string as DESCRIBE prints it (`INTEGER`, `VARCHAR[]`, `STRUCT("a" INTEGER)`). */
export function fromDuckType(raw: string): DataType {
  const s = raw.trim();
  if (s.endsWith("[]")) return { type: "array", elementType: fromDuckType(s.slice(0, -2)), containsNull: true };
  const arr = /^(.*)\[\d+\]$/.exec(s);
  if (arr) return { type: "array", elementType: fromDuckType(arr[1]), containsNull: true };
  const upper = s.toUpperCase();
  if (upper.startsWith("STRUCT(")) {
    const inner = s.slice(7, -1);
    return structType(splitTop(inner).map((part) => {
      const m = /^("(?:[^"]|"")*"|\S+)\s+(.*)$/s.exec(part);
      if (!m) return { name: part, type: "string" as DataType, nullable: true };
      const name = m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1];
      return { name, type: fromDuckType(m[2]), nullable: true };
    }));
  }
  if (upper.startsWith("MAP(")) {
    const [k, v] = splitTop(s.slice(4, -1));
    return { type: "map", keyType: fromDuckType(k), valueType: fromDuckType(v), valueContainsNull: true };
  }
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/i.exec(s);
  if (dec) return { type: "decimal", precision: Number(dec[1]), scale: Number(dec[2]) };
  if (upper.startsWith("ENUM(")) return "string";
  if (upper.startsWith("UNION(")) return "string";
  switch (upper) {
    case "VARCHAR": case "UUID": case "JSON": case "TIME": case "TIME WITH TIME ZONE": case "BIT": case "TIME_NS": return "string";
    case "BOOLEAN": return "boolean";
    case "TINYINT": return "tinyint";
    case "SMALLINT": case "UTINYINT": return "smallint";
    case "INTEGER": case "USMALLINT": return "int";
    case "BIGINT": case "UINTEGER": return "bigint";
    case "UBIGINT": case "HUGEINT": case "UHUGEINT": case "BIGNUM": case "VARINT": return { type: "decimal", precision: 38, scale: 0 };
    case "FLOAT": return "float";
    case "DOUBLE": return "double";
    case "DATE": return "date";
    case "TIMESTAMP WITH TIME ZONE": case "TIMESTAMPTZ": return "timestamp";
    case "TIMESTAMP": case "TIMESTAMP_S": case "TIMESTAMP_MS": case "TIMESTAMP_NS": return "timestamp_ntz";
    case "BLOB": return "binary";
    case "INTERVAL": return "interval";
    case '"NULL"': case "NULL": return "void";
  }
  return "string";
}
