/**
 * DuckDB results as Arrow tables. Loaded only when a program calls `toArrow()`, so programs
 * that never do skip apache-arrow's start-up cost.
 */
import duckdb from "@duckdb/node-bindings";
import { DuckDBTypeId, type DuckDBType, type DuckDBMaterializedResult } from "@duckdb/node-api";
import * as arrow from "apache-arrow";
import { decodeColumn, type Int64Mode } from "./duckdb-results.js";


type ArrowKind = "f64" | "f32" | "i32" | "i16" | "i8" | "i64" | "date" | "ts" | "bool" | "generic";

function arrowKind(t: DuckDBType): ArrowKind {
  switch (t.typeId) {
    case DuckDBTypeId.DOUBLE: return "f64";
    case DuckDBTypeId.FLOAT: return "f32";
    case DuckDBTypeId.INTEGER: return "i32";
    case DuckDBTypeId.SMALLINT: return "i16";
    case DuckDBTypeId.TINYINT: return "i8";
    case DuckDBTypeId.BIGINT: return "i64";
    case DuckDBTypeId.DATE: return "date";
    case DuckDBTypeId.TIMESTAMP_TZ: case DuckDBTypeId.TIMESTAMP: return "ts";
    case DuckDBTypeId.BOOLEAN: return "bool";
    default: return "generic";
  }
}
const WIDTH: Record<string, number> = { f64: 8, f32: 4, i32: 4, i16: 2, i8: 1, i64: 8, date: 4, ts: 8, bool: 1 };

function arrowFor(kind: ArrowKind, timeZone: string): arrow.DataType {
  switch (kind) {
    case "f64": return new arrow.Float64();
    case "f32": return new arrow.Float32();
    case "i32": return new arrow.Int32();
    case "i16": return new arrow.Int16();
    case "i8": return new arrow.Int8();
    case "i64": return new arrow.Int64();
    case "date": return new arrow.DateDay();
    case "ts": return new arrow.TimestampMicrosecond(timeZone);
    case "bool": return new arrow.Bool();
    default: return new arrow.Utf8();
  }
}

/** One output column being filled: fixed-width data copied chunk by chunk into one buffer. */
class ArrowColumn {
  data: Uint8Array;
  valid: Uint8Array | null = null;
  nulls = 0;
  readonly generic: unknown[] = [];
  constructor(readonly name: string, readonly kind: ArrowKind, readonly total: number) {
    this.data = kind === "generic" ? new Uint8Array(0) : new Uint8Array(total * WIDTH[kind]);
  }
  /** Copies `n` values from a DuckDB vector at row offset `off`. */
  copy(raw: duckdb.Vector, off: number, n: number): void {
    const w = WIDTH[this.kind];
    this.data.set(duckdb.vector_get_data(raw, n * w), off * w);
    const v = duckdb.vector_get_validity(raw, Math.ceil(n / 64) * 8);
    if (!v) { if (this.valid) this.markValid(off, n); return; }
    if (!this.valid) { this.valid = new Uint8Array(Math.ceil(this.total / 8)); this.markValid(0, off); }
    for (let i = 0; i < n; i++) {
      const k = off + i;
      if (v[i >> 3] & (1 << (i & 7))) this.valid[k >> 3] |= 1 << (k & 7); else this.nulls++;
    }
  }
  private markValid(from: number, n: number): void {
    const valid = this.valid!;
    let k = from;
    const end = from + n;
    while (k < end && (k & 7)) { valid[k >> 3] |= 1 << (k & 7); k++; }
    while (k + 8 <= end) { valid[k >> 3] = 0xff; k += 8; }
    while (k < end) { valid[k >> 3] |= 1 << (k & 7); k++; }
  }
  vector(timeZone: string): arrow.Vector {
    if (this.kind === "generic") {
      const sample = this.generic.find((x) => x !== null);
      if (sample === undefined || typeof sample === "string") return arrow.vectorFromArray(this.generic.map((x) => (x === null ? null : String(x))), new arrow.Utf8());
      return arrow.vectorFromArray(this.generic);
    }
    const n = this.total;
    const buf = this.data.buffer;
    let values: ArrayBufferView;
    switch (this.kind) {
      case "f64": values = new Float64Array(buf, 0, n); break;
      case "f32": values = new Float32Array(buf, 0, n); break;
      case "i32": case "date": values = new Int32Array(buf, 0, n); break;
      case "i16": values = new Int16Array(buf, 0, n); break;
      case "i8": values = new Int8Array(buf, 0, n); break;
      case "i64": case "ts": values = new BigInt64Array(buf, 0, n); break;
      case "bool": {
        const bits = new Uint8Array(Math.ceil(n / 8));
        for (let i = 0; i < n; i++) if (this.data[i]) bits[i >> 3] |= 1 << (i & 7);
        values = bits;
        break;
      }
    }
    const type = arrowFor(this.kind, timeZone);
    return arrow.makeVector(arrow.makeData({ type: type as arrow.Float64, length: n, nullCount: this.nulls, nullBitmap: this.valid ?? undefined, data: values as Float64Array }));
  }
}

/**
 * Reads a materialized result into an Arrow table. Its row count is known, so each fixed-width
 * column is one preallocated buffer that chunks are copied into: one copy, no per-value work.
 */
export async function resultToArrow(result: DuckDBMaterializedResult, mode: Int64Mode, timeZone: string): Promise<arrow.Table> {
  const names = result.columnNames();
  const types = result.columnTypes();
  const total = result.rowCount;
  const cols = names.map((name, j) => new ArrowColumn(name, arrowKind(types[j]), total));
  let off = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j];
      if (c.kind === "generic") {
        const vals = decodeColumn(chunk, j, types[j], c.name, mode);
        for (let i = 0; i < n; i++) c.generic.push(vals[i]);
      } else {
        c.copy(duckdb.data_chunk_get_vector(chunk.chunk, j), off, n);
      }
    }
    off += n;
  }
  const vectors: Record<string, arrow.Vector> = {};
  for (const c of cols) vectors[c.name] = c.vector(timeZone);
  return new arrow.Table(vectors);
}
