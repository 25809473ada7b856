/**
 * Arrow on the wire: result batches from the server decode into the row values DESIGN.md promises
 * (exact 64-bit numbers or an error naming the column, Dates for dates and timestamps, plain
 * objects for structs), and `createDataFrame` rows encode into the Arrow IPC stream a
 * LocalRelation carries. Fixed-width columns are read straight from the batch's buffers.
 */
import * as arrow from "apache-arrow";
import { IllegalArgumentError, UnsupportedOperationError, q } from "../../errors.js";
import { typeToString, type DataType, type StructType } from "../../plan/types.js";

import { int64Error, rowMaker, type Int64Mode } from "../values.js";
export type { Int64Mode };

const TWO32 = 4294967296;
const MS_PER_DAY = 86400000;

/** Reads the 64-bit integers of `data` as [hi, lo] 32-bit halves; calls `put` with each row's value. */
function forEachInt64(data: arrow.Data, put: (i: number, hi: number, lo: number) => void, valid: (i: number) => boolean): void {
  const v = data.values as BigInt64Array;
  const words = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
  const base = data.offset * 2;
  for (let i = 0; i < data.length; i++) {
    if (!valid(i)) continue;
    put(i, words[base + 2 * i + 1], words[base + 2 * i] >>> 0);
  }
}

function validity(data: arrow.Data): (i: number) => boolean {
  const bits = data.nullBitmap;
  if (!data.nullCount || !bits || bits.length === 0) return () => true;
  const off = data.offset;
  return (i) => (bits[(off + i) >> 3] & (1 << ((off + i) & 7))) !== 0;
}

/** The decimal value `unscaled / 10^scale` as the nearest double (through its decimal string). */
function decimalToNumber(unscaled: bigint, scale: number): number {
  if (scale === 0) return Number(unscaled);
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  return Number(`${neg ? "-" : ""}${digits.slice(0, -scale)}.${digits.slice(-scale)}`);
}

/**
 * Decodes one column of a record batch into plain JS values (null for nulls).
 * @param data the column's Arrow data.
 * @param column the column name, for the 64-bit error.
 * @param mode how 64-bit integers come back.
 */
export function decodeColumn(data: arrow.Data, column: string, mode: Int64Mode): ArrayLike<unknown> {
  const n = data.length;
  const valid = validity(data);
  const anyNull = data.nullCount > 0;
  const t = data.type;
  const off = data.offset;
  const out = (): unknown[] => new Array<unknown>(n).fill(null);

  if (arrow.DataType.isNull(t)) return out();
  if (arrow.DataType.isFloat(t) && t.precision !== arrow.Precision.HALF) {
    const v = (data.values as Float64Array | Float32Array).subarray(off, off + n);
    if (!anyNull) return v;
    const o = out();
    for (let i = 0; i < n; i++) if (valid(i)) o[i] = v[i];
    return o;
  }
  if (arrow.DataType.isInt(t)) {
    if (t.bitWidth === 64) {
      const o = out();
      if (mode === "bigint") {
        const v = data.values as BigInt64Array | BigUint64Array;
        for (let i = 0; i < n; i++) if (valid(i)) o[i] = BigInt(v[off + i]);
        return o;
      }
      forEachInt64(data, (i, hi, lo) => {
        if (hi >= -2097152 && hi < 2097152 && (t.isSigned || hi >= 0)) o[i] = hi * TWO32 + lo;
        else throw int64Error(column, t.isSigned ? (BigInt(hi) << 32n) | BigInt(lo) : (BigInt(hi >>> 0) << 32n) | BigInt(lo));
      }, valid);
      return o;
    }
    const v = (data.values as Int32Array).subarray(off, off + n);
    if (!anyNull) return v;
    const o = out();
    for (let i = 0; i < n; i++) if (valid(i)) o[i] = v[i];
    return o;
  }
  if (arrow.DataType.isBool(t)) {
    const bits = data.values as Uint8Array;
    const o = out();
    for (let i = 0; i < n; i++) if (valid(i)) o[i] = (bits[(off + i) >> 3] & (1 << ((off + i) & 7))) !== 0;
    return o;
  }
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t)) {
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const bytes = data.values as Uint8Array;
    // Node's UTF-8 decoder on a Buffer view of the batch: no copy per value.
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const o = out();
    for (let i = 0; i < n; i++) if (valid(i)) o[i] = buf.toString("utf8", Number(offsets[off + i]), Number(offsets[off + i + 1]));
    return o;
  }
  if (arrow.DataType.isBinary(t) || arrow.DataType.isLargeBinary(t)) {
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const bytes = data.values as Uint8Array;
    const o = out();
    for (let i = 0; i < n; i++) if (valid(i)) o[i] = bytes.slice(Number(offsets[off + i]), Number(offsets[off + i + 1]));
    return o;
  }
  if (arrow.DataType.isDate(t)) {
    const o = out();
    if (t.unit === arrow.DateUnit.DAY) {
      const v = data.values as Int32Array;
      for (let i = 0; i < n; i++) if (valid(i)) o[i] = new Date(v[off + i] * MS_PER_DAY);
    } else {
      forEachInt64(data, (i, hi, lo) => { o[i] = new Date(hi * TWO32 + lo); }, valid);
    }
    return o;
  }
  if (arrow.DataType.isTimestamp(t)) {
    const per = t.unit === arrow.TimeUnit.SECOND ? 1e-3 : t.unit === arrow.TimeUnit.MILLISECOND ? 1 : t.unit === arrow.TimeUnit.MICROSECOND ? 1e3 : 1e6;
    const o = out();
    forEachInt64(data, (i, hi, lo) => {
      // Exact below 2^53 microseconds (year 2255); beyond that the millisecond is still right.
      o[i] = new Date(Math.floor((hi * TWO32 + lo) / per));
    }, valid);
    return o;
  }
  if (arrow.DataType.isDecimal(t)) {
    const words = data.values as Uint32Array;
    const stride = t.bitWidth / 32;
    const o = out();
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue;
      let x = 0n;
      for (let w = stride - 1; w >= 0; w--) x = (x << 32n) | BigInt(words[(off + i) * stride + w]);
      if (x >= 1n << BigInt(t.bitWidth - 1)) x -= 1n << BigInt(t.bitWidth);
      o[i] = decimalToNumber(x, t.scale);
    }
    return o;
  }
  if (arrow.DataType.isList(t) || arrow.DataType.isFixedSizeList(t)) {
    const child = data.children[0];
    const values = decodeColumn(child, column, mode);
    const o = out();
    if (arrow.DataType.isFixedSizeList(t)) {
      for (let i = 0; i < n; i++) if (valid(i)) o[i] = Array.prototype.slice.call(values, (off + i) * t.listSize, (off + i + 1) * t.listSize);
      return o;
    }
    const offsets = data.valueOffsets as Int32Array;
    for (let i = 0; i < n; i++) if (valid(i)) o[i] = Array.prototype.slice.call(values, offsets[off + i], offsets[off + i + 1]);
    return o;
  }
  if (arrow.DataType.isStruct(t)) {
    const names = t.children.map((f) => f.name);
    const cols = data.children.map((c) => decodeColumn(c, column, mode));
    const make = rowMaker(names);
    const o = out();
    for (let i = 0; i < n; i++) if (valid(i)) o[i] = make(cols, off + i);
    return o;
  }
  if (arrow.DataType.isMap(t)) {
    const entries = data.children[0];
    const keys = decodeColumn(entries.children[0], column, mode);
    const vals = decodeColumn(entries.children[1], column, mode);
    const offsets = data.valueOffsets as Int32Array;
    const o = out();
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue;
      const m: Record<string, unknown> = {};
      for (let j = offsets[off + i]; j < offsets[off + i + 1]; j++) m[String(keys[j])] = vals[j];
      o[i] = m;
    }
    return o;
  }
  // Rare kinds (time of day, intervals, unions): Arrow's own accessor, as a plain value.
  const vec = arrow.makeVector(data);
  const o = out();
  for (let i = 0; i < n; i++) {
    const x = vec.get(i) as unknown;
    o[i] = x === null || x === undefined ? null : typeof x === "bigint" ? (mode === "bigint" ? x : Number(x)) : typeof x === "object" && "toJSON" in (x as object) ? (x as { toJSON(): unknown }).toJSON() : x;
  }
  return o;
}

/** The rows of one record batch. */
export function batchRows(batch: arrow.RecordBatch, mode: Int64Mode): Record<string, unknown>[] {
  const names = batch.schema.fields.map((f) => f.name);
  const cols = batch.data.children.map((c, j) => decodeColumn(c, names[j], mode));
  const make = rowMaker(names);
  const rows = new Array<Record<string, unknown>>(batch.numRows);
  for (let i = 0; i < batch.numRows; i++) rows[i] = make(cols, i);
  return rows;
}

// ---------------------------------------------------------------------------------------------
// createDataFrame rows -> Arrow IPC

/** The Arrow type Spark reads back as `t` (a timestamp carries a time zone, a timestamp_ntz none). */
export function arrowType(t: DataType): arrow.DataType {
  if (typeof t === "string") {
    switch (t) {
      case "string": return new arrow.Utf8();
      case "boolean": return new arrow.Bool();
      case "tinyint": return new arrow.Int8();
      case "smallint": return new arrow.Int16();
      case "int": return new arrow.Int32();
      case "bigint": return new arrow.Int64();
      case "float": return new arrow.Float32();
      case "double": return new arrow.Float64();
      case "date": return new arrow.DateDay();
      case "timestamp": return new arrow.TimestampMicrosecond("UTC");
      case "timestamp_ntz": return new arrow.TimestampMicrosecond();
      case "binary": return new arrow.Binary();
      case "void": return new arrow.Null();
      case "interval": throw new UnsupportedOperationError("createDataFrame cannot send interval values to Spark Connect; compute them on the server instead.", "UNSUPPORTED_DATATYPE");
    }
  }
  switch (t.type) {
    case "decimal": return new arrow.Decimal(t.scale, t.precision, 128);
    case "array": return new arrow.List(new arrow.Field("element", arrowType(t.elementType), t.containsNull));
    case "map": {
      const entries = new arrow.Struct([new arrow.Field("key", arrowType(t.keyType), false), new arrow.Field("value", arrowType(t.valueType), t.valueContainsNull)] as arrow.Field[]);
      return new arrow.Map_(new arrow.Field("entries", entries, false) as never);
    }
    case "struct": return new arrow.Struct(t.fields.map((f) => new arrow.Field(f.name, arrowType(f.type), f.nullable)));
  }
  throw new UnsupportedOperationError(`createDataFrame: no Arrow type for ${typeToString(t)}.`, "UNSUPPORTED_DATATYPE");
}

type Where = () => string;

function reject(where: Where, v: unknown, t: DataType): never {
  const shown = typeof v === "bigint" ? `${v}n` : v instanceof Date ? v.toISOString() : JSON.stringify(v) ?? String(v);
  throw new IllegalArgumentError(`createDataFrame: ${where()} holds ${shown} (${v instanceof Date ? "Date" : typeof v}), which is not a valid ${typeToString(t)}. Fix the value or the schema.`, "INVALID_VALUE_FOR_SCHEMA");
}

const INT_RANGE: Record<string, [number, number]> = { tinyint: [-128, 127], smallint: [-32768, 32767], int: [-2147483648, 2147483647] };

function toInteger(v: unknown, t: DataType, where: Where): number {
  let x: number;
  if (typeof v === "number") x = v;
  else if (typeof v === "bigint") x = Number(v);
  else if (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v)) x = Number(v);
  else return reject(where, v, t);
  const [lo, hi] = INT_RANGE[t as string];
  if (!Number.isInteger(x) || x < lo || x > hi) reject(where, v, t);
  return x;
}
function toBigInt(v: unknown, t: DataType, where: Where): bigint {
  if (typeof v === "bigint") { if (v >= -(2n ** 63n) && v < 2n ** 63n) return v; return reject(where, v, t); }
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v)) return toBigInt(BigInt(v.trim()), t, where);
  return reject(where, v, t);
}
function toDouble(v: unknown, t: DataType, where: Where): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  if (typeof v === "string" && /^\s*[-+]?(nan|infinity|inf)\s*$/i.test(v)) return /nan/i.test(v) ? NaN : /^\s*-/.test(v) ? -Infinity : Infinity;
  return reject(where, v, t);
}
function toDateValue(v: unknown, t: DataType, where: Where, whole: boolean): number {
  let ms: number;
  if (v instanceof Date) ms = v.getTime();
  else if (typeof v === "string") {
    const s = v.trim();
    ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s.replace(" ", "T") : `${s.replace(" ", "T")}Z`);
  } else return reject(where, v, t);
  if (Number.isNaN(ms)) reject(where, v, t);
  return whole ? Math.floor(ms / MS_PER_DAY) : ms;
}
function toDecimal(v: unknown, t: { precision: number; scale: number }, where: Where): bigint {
  const text = typeof v === "number" ? (Number.isFinite(v) ? v.toFixed(Math.min(t.scale + 1, 100)) : "") : typeof v === "bigint" ? v.toString() : typeof v === "string" ? v.trim() : "";
  const m = /^([-+]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === "" && !m[3])) return reject(where, v, { type: "decimal", ...t });
  const frac = (m[3] ?? "").padEnd(t.scale + 1, "0");
  let unscaled = BigInt((m[2] || "0") + frac.slice(0, t.scale));
  if (Number(frac[t.scale]) >= 5) unscaled += 1n; // half up, as Spark rounds
  if (unscaled.toString().length > t.precision) reject(where, v, { type: "decimal", ...t });
  return m[1] === "-" ? -unscaled : unscaled;
}

/** Builds the Arrow data of one column of values (already in row order). */
function buildData(t: DataType, values: readonly unknown[], where: (i: number) => string): arrow.Data {
  const n = values.length;
  const type = arrowType(t);
  const bitmap = new Uint8Array(Math.ceil(n / 8));
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] === null || values[i] === undefined) nulls++;
    else bitmap[i >> 3] |= 1 << (i & 7);
  }
  const base = { type, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined };
  const each = <T>(arr: { [i: number]: T }, f: (v: unknown, w: Where) => T) => {
    for (let i = 0; i < n; i++) if (values[i] !== null && values[i] !== undefined) arr[i] = f(values[i], () => where(i));
  };
  if (typeof t === "string") {
    switch (t) {
      case "void":
        for (let i = 0; i < n; i++) if (values[i] !== null && values[i] !== undefined) reject(() => where(i), values[i], t);
        return arrow.makeData({ type: new arrow.Null(), length: n });
      case "tinyint": { const a = new Int8Array(n); each(a, (v, w) => toInteger(v, t, w)); return arrow.makeData({ ...base, type: type as arrow.Int8, data: a }); }
      case "smallint": { const a = new Int16Array(n); each(a, (v, w) => toInteger(v, t, w)); return arrow.makeData({ ...base, type: type as arrow.Int16, data: a }); }
      case "int": { const a = new Int32Array(n); each(a, (v, w) => toInteger(v, t, w)); return arrow.makeData({ ...base, type: type as arrow.Int32, data: a }); }
      case "bigint": { const a = new BigInt64Array(n); each(a, (v, w) => toBigInt(v, t, w)); return arrow.makeData({ ...base, type: type as arrow.Int64, data: a }); }
      case "float": { const a = new Float32Array(n); each(a, (v, w) => toDouble(v, t, w)); return arrow.makeData({ ...base, type: type as arrow.Float32, data: a }); }
      case "double": { const a = new Float64Array(n); each(a, (v, w) => toDouble(v, t, w)); return arrow.makeData({ ...base, type: type as arrow.Float64, data: a }); }
      case "boolean": {
        const bits = new Uint8Array(Math.ceil(n / 8));
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (v === null || v === undefined) continue;
          const b = typeof v === "boolean" ? v : v === "true" ? true : v === "false" ? false : reject(() => where(i), v, t);
          if (b) bits[i >> 3] |= 1 << (i & 7);
        }
        return arrow.makeData({ ...base, type: type as arrow.Bool, data: bits });
      }
      case "date": { const a = new Int32Array(n); each(a, (v, w) => toDateValue(v, t, w, true)); return arrow.makeData({ ...base, type: type as arrow.DateDay, data: a }); }
      case "timestamp": case "timestamp_ntz": {
        const a = new BigInt64Array(n);
        each(a, (v, w) => BigInt(toDateValue(v, t, w, false)) * 1000n);
        return arrow.makeData({ ...base, type: type as arrow.TimestampMicrosecond, data: a });
      }
      case "string": case "binary": {
        const enc = new TextEncoder();
        const parts: Uint8Array[] = [];
        const offsets = new Int32Array(n + 1);
        let total = 0;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (v !== null && v !== undefined) {
            let bytes: Uint8Array;
            if (t === "binary") bytes = v instanceof Uint8Array ? v : typeof v === "string" ? enc.encode(v) : reject(() => where(i), v, t);
            else bytes = enc.encode(typeof v === "string" ? v : v instanceof Date ? v.toISOString() : typeof v === "object" ? reject(() => where(i), v, t) : String(v));
            parts.push(bytes);
            total += bytes.length;
          }
          offsets[i + 1] = total;
        }
        const data = new Uint8Array(total);
        let p = 0;
        for (const b of parts) { data.set(b, p); p += b.length; }
        return arrow.makeData({ ...base, type: type as arrow.Utf8, valueOffsets: offsets, data });
      }
    }
    return reject(() => where(0), values[0], t);
  }
  switch (t.type) {
    case "decimal": {
      const words = new Uint32Array(n * 4);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        let x = toDecimal(v, t, () => where(i));
        if (x < 0n) x += 1n << 128n;
        for (let w = 0; w < 4; w++) { words[i * 4 + w] = Number(x & 0xffffffffn); x >>= 32n; }
      }
      return arrow.makeData({ ...base, type: type as arrow.Decimal, data: words });
    }
    case "array": {
      const offsets = new Int32Array(n + 1);
      const flat: unknown[] = [];
      const owner: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) {
          if (!Array.isArray(v)) reject(() => where(i), v, t);
          for (const x of v as unknown[]) { flat.push(x); owner.push(i); }
        }
        offsets[i + 1] = flat.length;
      }
      const child = buildData(t.elementType, flat, (j) => `${where(owner[j])} (an element)`);
      return arrow.makeData({ ...base, type: type as arrow.List, valueOffsets: offsets, child });
    }
    case "struct": {
      const children = t.fields.map((f) => buildData(f.type, values.map((v, i) => {
        if (v === null || v === undefined) return null;
        if (typeof v !== "object" || Array.isArray(v) || v instanceof Date) reject(() => where(i), v, t);
        return (v as Record<string, unknown>)[f.name] ?? null;
      }), (i) => `${where(i)} (field ${q(f.name)})`));
      return arrow.makeData({ ...base, type: type as arrow.Struct, children });
    }
    case "map": {
      const offsets = new Int32Array(n + 1);
      const keys: unknown[] = [];
      const vals: unknown[] = [];
      const owner: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) {
          const entries = v instanceof Map ? [...v.entries()] : typeof v === "object" && !Array.isArray(v) ? Object.entries(v as object) : reject(() => where(i), v, t);
          for (const [k, x] of entries) { keys.push(k); vals.push(x); owner.push(i); }
        }
        offsets[i + 1] = keys.length;
      }
      const entriesType = (type as arrow.Map_).children[0].type as arrow.Struct;
      const kd = buildData(t.keyType, keys, (j) => `${where(owner[j])} (a key)`);
      const vd = buildData(t.valueType, vals, (j) => `${where(owner[j])} (a value)`);
      const child = arrow.makeData({ type: entriesType, length: keys.length, nullCount: 0, children: [kd, vd] });
      return arrow.makeData({ ...base, type: type as arrow.Map_, valueOffsets: offsets, child });
    }
  }
}

/**
 * Encodes rows as one Arrow IPC stream with the schema's types, for a LocalRelation.
 * @throws IllegalArgumentError naming the row and column of a value that does not fit its type.
 */
export function encodeRows(rows: readonly Readonly<Record<string, unknown>>[], schema: StructType): Uint8Array {
  const fields = schema.fields.map((f) => new arrow.Field(f.name, arrowType(f.type), f.nullable));
  const children = schema.fields.map((f) => buildData(f.type, rows.map((r) => r[f.name] ?? null), (i) => `row ${i}, column ${q(f.name)},`));
  const structType = new arrow.Struct(fields);
  const batch = new arrow.RecordBatch(new arrow.Schema(fields), arrow.makeData({ type: structType, length: rows.length, nullCount: 0, children }));
  return arrow.tableToIPC(new arrow.Table(batch), "stream");
}
