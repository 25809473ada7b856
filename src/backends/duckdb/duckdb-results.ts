/**
 * Turns DuckDB result chunks into rows and Arrow tables. Fixed-width columns are read straight
 * from the vectors' memory (typed-array views, validity bitmaps) instead of value by value:
 * that is what makes `collect()` and `toArrow()` fast.
 */
import duckdb from "@duckdb/node-bindings";
import {
  DuckDBDataChunk, DuckDBTypeId, DuckDBListValue, DuckDBStructValue, DuckDBMapValue, DuckDBBlobValue,
  DuckDBDateValue, DuckDBTimestampValue, DuckDBTimestampTZValue, DuckDBDecimalValue, DuckDBTimeValue,
  DuckDBIntervalValue, DuckDBUUIDValue, DuckDBArrayValue, DuckDBTimestampMillisecondsValue,
  DuckDBTimestampSecondsValue, DuckDBTimestampNanosecondsValue, DuckDBBitValue,
  type DuckDBResult, type DuckDBType,
} from "@duckdb/node-api";

import { int64Error, rowMaker, type Int64Mode } from "../values.js";
export type { Int64Mode };

const TWO32 = 4294967296;

/** Converts a nested DuckDB value object to the plain JS value DESIGN.md promises. */
function convertValue(v: unknown, column: string, mode: Int64Mode): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") {
    if (mode === "bigint") return v;
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    throw int64Error(column, v);
  }
  if (typeof v !== "object") return v;
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map((x) => convertValue(x, column, mode));
  if (v instanceof DuckDBStructValue) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v.entries)) o[k] = convertValue(x, column, mode);
    return o;
  }
  if (v instanceof DuckDBMapValue) {
    const o: Record<string, unknown> = {};
    for (const e of v.entries) o[String(convertValue(e.key, column, mode))] = convertValue(e.value, column, mode);
    return o;
  }
  if (v instanceof DuckDBBlobValue) return new Uint8Array(v.bytes);
  if (v instanceof DuckDBDateValue) return new Date(v.days * 86400000);
  if (v instanceof DuckDBTimestampTZValue || v instanceof DuckDBTimestampValue) return new Date(Number(v.micros / 1000n));
  if (v instanceof DuckDBTimestampMillisecondsValue) return new Date(Number(v.millis));
  if (v instanceof DuckDBTimestampSecondsValue) return new Date(Number(v.seconds) * 1000);
  if (v instanceof DuckDBTimestampNanosecondsValue) return new Date(Number(v.nanos / 1000000n));
  if (v instanceof DuckDBDecimalValue) return v.toDouble();
  if (v instanceof DuckDBTimeValue || v instanceof DuckDBUUIDValue || v instanceof DuckDBBitValue) return v.toString();
  if (v instanceof DuckDBIntervalValue) return { months: v.months, days: v.days, micros: convertValue(v.micros, column, mode) };
  return String(v);
}

/** Reads 64-bit integers from a vector as numbers (exact) or bigints. */
function readInt64(data: Uint8Array, n: number, valid: (i: number) => boolean, column: string, mode: Int64Mode, scale: number, unsigned: boolean): unknown[] {
  const out = new Array<unknown>(n);
  const i32 = new Int32Array(data.buffer, data.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    if (!valid(i)) { out[i] = null; continue; }
    const lo = i32[2 * i] >>> 0;
    const hi = unsigned ? i32[2 * i + 1] >>> 0 : i32[2 * i + 1];
    if (mode === "bigint" && scale === 1) { out[i] = (BigInt(hi) << 32n) | BigInt(lo); continue; }
    if (hi >= -2097152 && hi < 2097152) out[i] = hi * TWO32 + lo;
    else if (scale !== 1) out[i] = Number(((BigInt(hi) << 32n) | BigInt(lo)) / BigInt(scale)) * scale;
    else throw int64Error(column, (BigInt(hi) << 32n) | BigInt(lo));
  }
  return out;
}

/** One column of one chunk, decoded. */
export interface DecodedColumn { readonly values: ArrayLike<unknown>; }

/** Decodes a chunk column into plain JS values (null for nulls). */
export function decodeColumn(chunk: DuckDBDataChunk, j: number, type: DuckDBType, column: string, mode: Int64Mode): ArrayLike<unknown> {
  const n = chunk.rowCount;
  const raw = duckdb.data_chunk_get_vector(chunk.chunk, j);
  const vbytes = duckdb.vector_get_validity(raw, Math.ceil(n / 64) * 8);
  const valid = vbytes ? (i: number) => (vbytes[i >> 3] & (1 << (i & 7))) !== 0 : () => true;
  const anyNull = (() => { if (!vbytes) return false; for (let i = 0; i < n; i++) if (!valid(i)) return true; return false; })();
  const fixed = (bytes: number, make: (buf: ArrayBuffer, off: number, len: number) => ArrayLike<number>, map?: (x: number) => unknown): ArrayLike<unknown> => {
    const data = duckdb.vector_get_data(raw, n * bytes);
    const view = make(data.buffer as ArrayBuffer, data.byteOffset, n);
    if (!anyNull && !map) return view;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = valid(i) ? (map ? map(view[i]) : view[i]) : null;
    return out;
  };
  switch (type.typeId) {
    case DuckDBTypeId.DOUBLE: return fixed(8, (b, o, l) => new Float64Array(b, o, l));
    case DuckDBTypeId.FLOAT: return fixed(4, (b, o, l) => new Float32Array(b, o, l));
    case DuckDBTypeId.INTEGER: return fixed(4, (b, o, l) => new Int32Array(b, o, l));
    case DuckDBTypeId.SMALLINT: return fixed(2, (b, o, l) => new Int16Array(b, o, l));
    case DuckDBTypeId.TINYINT: return fixed(1, (b, o, l) => new Int8Array(b, o, l));
    case DuckDBTypeId.UINTEGER: return fixed(4, (b, o, l) => new Uint32Array(b, o, l));
    case DuckDBTypeId.USMALLINT: return fixed(2, (b, o, l) => new Uint16Array(b, o, l));
    case DuckDBTypeId.UTINYINT: return fixed(1, (b, o, l) => new Uint8Array(b, o, l));
    case DuckDBTypeId.BOOLEAN: return fixed(1, (b, o, l) => new Uint8Array(b, o, l), (x) => x !== 0);
    case DuckDBTypeId.DATE: return fixed(4, (b, o, l) => new Int32Array(b, o, l), (d) => new Date(d * 86400000));
    case DuckDBTypeId.BIGINT: return readInt64(duckdb.vector_get_data(raw, n * 8), n, valid, column, mode, 1, false);
    case DuckDBTypeId.UBIGINT: return readInt64(duckdb.vector_get_data(raw, n * 8), n, valid, column, mode, 1, true);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ: {
      const ms = readInt64(duckdb.vector_get_data(raw, n * 8), n, valid, column, "number", 1000, false);
      for (let i = 0; i < n; i++) if (ms[i] !== null) ms[i] = new Date(Math.floor((ms[i] as number) / 1000));
      return ms;
    }
    case DuckDBTypeId.TIMESTAMP_MS: {
      const ms = readInt64(duckdb.vector_get_data(raw, n * 8), n, valid, column, "number", 1, false);
      for (let i = 0; i < n; i++) if (ms[i] !== null) ms[i] = new Date(ms[i] as number);
      return ms;
    }
    default: {
      const vec = chunk.getColumnVector(j);
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = convertValue(vec.getItem(i), column, mode);
      return out;
    }
  }
}

/** One chunk of DOUBLE columns: each column's values and validity bytes (null: no nulls). */
export interface DoubleChunk {
  readonly rows: number;
  readonly columns: readonly Float64Array[];
  readonly validity: readonly (Uint8Array | null)[];
}

/**
 * Streams a result whose columns are all DOUBLE as typed arrays, chunk by chunk: one copy of
 * each vector's data (DuckDB hands out a copy), no per-value work. Null slots hold garbage:
 * read the validity bits (bit i of byte i >> 3) first.
 * @throws Error when a column is not DOUBLE
 */
export async function* resultDoubleChunks(result: DuckDBResult): AsyncGenerator<DoubleChunk> {
  const types = result.columnTypes();
  const names = result.columnNames();
  types.forEach((t, j) => {
    if (t.typeId !== DuckDBTypeId.DOUBLE) throw new Error(`column ${JSON.stringify(names[j])} has type ${t.toString()}, not DOUBLE`);
  });
  for (;;) {
    const fetched = await result.fetchChunk();
    if (!fetched || fetched.rowCount === 0) break;
    const chunk = fetched.chunk, rows = fetched.rowCount;
    const columns: Float64Array[] = [], validity: (Uint8Array | null)[] = [];
    for (let j = 0; j < types.length; j++) {
      const raw = duckdb.data_chunk_get_vector(chunk, j);
      const data = duckdb.vector_get_data(raw, rows * 8);
      columns.push(new Float64Array(data.buffer, data.byteOffset, rows));
      validity.push(duckdb.vector_get_validity(raw, Math.ceil(rows / 64) * 8) ?? null);
    }
    yield { rows, columns, validity };
  }
}

/** Reads every chunk of a result into row objects. */
export async function resultRows(result: DuckDBResult, mode: Int64Mode): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const batch of resultBatches(result, mode)) for (const r of batch) rows.push(r);
  return rows;
}

/** Streams row batches (one per chunk). */
export async function* resultBatches(result: DuckDBResult, mode: Int64Mode): AsyncGenerator<Record<string, unknown>[]> {
  const names = result.columnNames();
  const types = result.columnTypes();
  const make = rowMaker(names);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    const cols = types.map((t, j) => decodeColumn(chunk, j, t, names[j], mode));
    const out = new Array<Record<string, unknown>>(n);
    for (let i = 0; i < n; i++) out[i] = make(cols, i);
    yield out;
  }
}

