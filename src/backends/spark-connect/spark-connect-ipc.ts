/**
 * A reader for the Arrow IPC streams of one Spark Connect result. Every ExecutePlanResponse
 * carries a whole IPC stream (a Schema message, then record batches), so a 10M-row result is
 * about a thousand small streams with the same schema. apache-arrow's stream reader decodes each
 * from scratch (schema flatbuffer, reader objects, iterators), which costs more client CPU per row
 * than the network itself. This reader parses the record batch headers directly (a few flatbuffer
 * fields), decodes a schema once and reuses it while its bytes stay the same, and lays each
 * column's buffers over the message body exactly as apache-arrow's VectorLoader does, so the
 * resulting batches are the ones apache-arrow would build. What it does not handle (dictionaries,
 * compressed bodies, unions, view types, dictionary batches) goes to apache-arrow's reader.
 */
import * as arrow from "apache-arrow";

/** Message header kinds of the Arrow IPC format (Message.fbs, union MessageHeader). */
const HEADER_SCHEMA = 1;
const HEADER_RECORD_BATCH = 3;
const TWO32 = 4294967296;

/** A flatbuffer table: field `slot` lives at the offset the table's vtable gives for it. */
class FbTable {
  constructor(private readonly v: DataView, private readonly pos: number) {}

  /** The absolute position of field `slot`, or 0 when the field is absent. */
  private at(slot: number): number {
    const vt = this.pos - this.v.getInt32(this.pos, true);
    const entry = 4 + 2 * slot;
    if (entry >= this.v.getUint16(vt, true)) return 0;
    const off = this.v.getUint16(vt + entry, true);
    return off === 0 ? 0 : this.pos + off;
  }

  has(slot: number): boolean { return this.at(slot) !== 0; }
  u8(slot: number): number { const p = this.at(slot); return p ? this.v.getUint8(p) : 0; }
  i64(slot: number): number { const p = this.at(slot); return p ? readI64(this.v, p) : 0; }
  table(slot: number): FbTable | null {
    const p = this.at(slot);
    return p ? new FbTable(this.v, p + this.v.getUint32(p, true)) : null;
  }
  /** Start and element count of a vector field. */
  vector(slot: number): { start: number; length: number } {
    const p = this.at(slot);
    if (!p) return { start: 0, length: 0 };
    const v = p + this.v.getUint32(p, true);
    return { start: v + 4, length: this.v.getUint32(v, true) };
  }
}

function readI64(v: DataView, p: number): number {
  return v.getInt32(p + 4, true) * TWO32 + v.getUint32(p, true);
}

/** Whether this reader lays out `t` itself (every type apache-arrow's VectorLoader reads without dictionaries or variadic buffers, except unions). */
function supported(t: arrow.DataType): boolean {
  const D = arrow.DataType;
  if (D.isNull(t) || D.isBool(t) || D.isInt(t) || D.isFloat(t) || D.isUtf8(t) || D.isLargeUtf8(t) || D.isBinary(t) || D.isLargeBinary(t) ||
    D.isFixedSizeBinary(t) || D.isDate(t) || D.isTimestamp(t) || D.isTime(t) || D.isDecimal(t) || D.isInterval(t) || D.isDuration(t)) return true;
  if (D.isList(t) || D.isFixedSizeList(t) || D.isStruct(t) || D.isMap(t)) return t.children.every((f) => supported(f.type));
  return false;
}

/** The field nodes and buffer regions of one record batch, consumed in the IPC format's order. */
class BatchLayout {
  private node = 0;
  private buffer = 0;
  constructor(private readonly v: DataView, private readonly nodes: number, private readonly buffers: number, private readonly body: Uint8Array) {}
  nextNode(): { length: number; nullCount: number } {
    const p = this.nodes + 16 * this.node++;
    return { length: readI64(this.v, p), nullCount: readI64(this.v, p + 8) };
  }
  nextBuffer(): Uint8Array {
    const p = this.buffers + 16 * this.buffer++;
    const offset = readI64(this.v, p);
    return this.body.subarray(offset, offset + readI64(this.v, p + 8));
  }
  nullBitmap(nullCount: number): Uint8Array {
    const b = this.nextBuffer();
    return nullCount > 0 ? b : new Uint8Array(0);
  }

  /** The data of one column of type `type`, its buffers taken in the order the IPC format writes them. */
  load(type: arrow.DataType): arrow.Data {
    const { length, nullCount } = this.nextNode();
    const D = arrow.DataType;
    if (D.isNull(type)) return arrow.makeData({ type, length });
    const nullBitmap = this.nullBitmap(nullCount);
    if (D.isUtf8(type) || D.isLargeUtf8(type) || D.isBinary(type) || D.isLargeBinary(type)) {
      const valueOffsets = this.nextBuffer();
      return arrow.makeData({ type: type as arrow.Utf8, length, nullCount, nullBitmap, valueOffsets, data: this.nextBuffer() });
    }
    if (D.isList(type) || D.isMap(type)) {
      const valueOffsets = this.nextBuffer();
      return arrow.makeData({ type: type as arrow.List, length, nullCount, nullBitmap, valueOffsets, child: this.load(type.children[0].type) });
    }
    if (D.isFixedSizeList(type)) return arrow.makeData({ type, length, nullCount, nullBitmap, child: this.load(type.children[0].type) });
    if (D.isStruct(type)) return arrow.makeData({ type, length, nullCount, nullBitmap, children: type.children.map((f) => this.load(f.type)) });
    // Every other supported type is a validity bitmap and one data buffer.
    return arrow.makeData({ type: type as arrow.Float64, length, nullCount, nullBitmap, data: this.nextBuffer() });
  }
}

/** A decoded schema, kept while the following messages repeat its bytes. */
interface CachedSchema {
  readonly bytes: Uint8Array;
  readonly schema: arrow.Schema;
  readonly struct: arrow.Struct;
  readonly supported: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decodes the Arrow IPC streams of one result, message after message, into record batches; the
 * schema is decoded once and returned as the same object while the server's schema bytes repeat.
 * @example
 * const reader = new ArrowResultReader();
 * // for each ExecutePlanResponse with an arrow_batch:
 * // const { schema, batches } = reader.read(response.responseType.value.data);
 */
export class ArrowResultReader {
  private cached: CachedSchema | null = null;

  /**
   * The schema and record batches of one IPC stream.
   * @param ipc the bytes of an arrow_batch's `data`: a Schema message, record batches, an optional end marker.
   * @throws Error when the stream is truncated or malformed.
   */
  read(ipc: Uint8Array): { schema: arrow.Schema; batches: arrow.RecordBatch[] } {
    return this.fast(ipc) ?? readBatchesWithArrow(ipc);
  }

  /** The fast path, or null when the stream holds something only apache-arrow's reader handles. */
  private fast(ipc: Uint8Array): { schema: arrow.Schema; batches: arrow.RecordBatch[] } | null {
    const v = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
    let pos = 0;
    let current: CachedSchema | null = null;
    const batches: arrow.RecordBatch[] = [];
    while (pos + 4 <= ipc.length) {
      let metaLength = v.getInt32(pos, true);
      pos += 4;
      if (metaLength === -1) {
        if (pos + 4 > ipc.length) break;
        metaLength = v.getInt32(pos, true);
        pos += 4;
      }
      if (metaLength === 0) break;
      if (metaLength < 0 || pos + metaLength > ipc.length) throw new Error(`Arrow IPC stream from Spark Connect is truncated: a message header of ${metaLength} bytes at offset ${pos - 4} runs past its ${ipc.length} bytes.`);
      const metaStart = pos;
      pos += metaLength;
      const message = new FbTable(v, metaStart + v.getUint32(metaStart, true));
      const bodyLength = message.i64(3);
      if (pos + bodyLength > ipc.length) throw new Error(`Arrow IPC stream from Spark Connect is truncated: a message body of ${bodyLength} bytes at offset ${pos} runs past its ${ipc.length} bytes.`);
      const body = ipc.subarray(pos, pos + bodyLength);
      pos += bodyLength;
      const kind = message.u8(1);
      if (kind === HEADER_SCHEMA) {
        if (current) return null; // a second schema in one stream: leave it to apache-arrow
        current = this.schemaOf(ipc.subarray(metaStart, metaStart + metaLength));
        if (!current.supported) return null;
        continue;
      }
      if (kind !== HEADER_RECORD_BATCH || !current || message.has(4)) return null;
      const header = message.table(2);
      if (!header || header.has(3) || header.vector(4).length > 0) return null; // compressed body, variadic buffers
      const nodes = header.vector(1);
      const buffers = header.vector(2);
      // Typed-array views need aligned offsets; bodies sit at arbitrary offsets inside the protobuf
      // message. (A copy through the Uint8Array constructor: Buffer's slice() is a view.)
      const aligned = body.byteOffset % 8 === 0 ? body : new Uint8Array(body);
      const layout = new BatchLayout(v, nodes.start, buffers.start, aligned);
      const length = header.i64(0);
      const children = current.schema.fields.map((f) => layout.load(f.type));
      batches.push(new arrow.RecordBatch(current.schema, arrow.makeData({ type: current.struct, length, children })));
    }
    if (!current) return null;
    return { schema: current.schema, batches };
  }

  private schemaOf(bytes: Uint8Array): CachedSchema {
    if (this.cached && sameBytes(this.cached.bytes, bytes)) return this.cached;
    const schema = arrow.Message.decode(bytes).header() as arrow.Schema;
    this.cached = {
      bytes: new Uint8Array(bytes),
      schema,
      struct: new arrow.Struct(schema.fields),
      supported: schema.dictionaries.size === 0 && schema.fields.every((f) => supported(f.type)),
    };
    return this.cached;
  }
}

/** The record batches of one Arrow IPC stream, read by apache-arrow. */
export function readBatchesWithArrow(ipc: Uint8Array): { schema: arrow.Schema; batches: arrow.RecordBatch[] } {
  const reader = arrow.RecordBatchReader.from(ipc).open();
  // The reader forgets its schema once iterated to the end.
  const schema = reader.schema;
  return { schema, batches: [...reader] };
}

/**
 * Where the Arrow IPC bytes (`arrow_batch.data`) start inside a serialized ExecutePlanResponse,
 * read from its first bytes, or -1. The result transport places each message so that this offset
 * is 8-byte aligned: the IPC format aligns bodies within the stream, so the Arrow columns can then
 * be laid over the message buffer without another copy.
 * @param head the first bytes of the message (the fields before `arrow_batch` are short).
 */
export function arrowDataOffset(head: Uint8Array): number {
  let p = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= head.length) return -1;
      const b = head[p++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    return -1;
  };
  // Walks the fields of one message level until `field` (length-delimited); returns its content start.
  const find = (field: number, end: number): number => {
    while (p < end) {
      const tag = varint();
      if (tag < 0) return -1;
      const wire = tag % 8;
      if (wire === 2) {
        const len = varint();
        if (len < 0) return -1;
        if (Math.floor(tag / 8) === field) return p;
        p += len;
      } else if (wire === 0) {
        if (varint() < 0) return -1;
      } else if (wire === 1) p += 8;
      else if (wire === 5) p += 4;
      else return -1;
    }
    return -1;
  };
  // ExecutePlanResponse.arrow_batch = 2, then ArrowBatch.data = 2.
  if (find(2, head.length) < 0) return -1;
  return find(2, head.length);
}
