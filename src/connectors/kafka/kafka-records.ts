/**
 * Kafka record batches (message format v2) decoded straight into column buffers: one pass over
 * the bytes of a fetch response, no object per record. Offsets and timestamps become numbers
 * (exact below 2^53), keys and values stay in one byte buffer addressed by start/length arrays.
 *
 * Layout facts used here (Kafka's message format v2): a batch is baseOffset int64, batchLength
 * int32, partitionLeaderEpoch int32, magic int8, crc uint32, attributes int16, lastOffsetDelta
 * int32, baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
 * baseSequence int32, recordCount int32, then the records (compressed as one block when the
 * attributes' codec bits are set). A record is length varint, attributes int8, timestampDelta
 * varlong, offsetDelta varint, key (varint length, -1 = null), value (likewise), header count
 * varint, then each header's key (varint length + UTF-8) and value (varint length, -1 = null).
 * Varints are zigzag-encoded.
 */
import { compressionsAlgorithmsByBitmask } from "@platformatic/kafka";
import { ExecutionError } from "../../errors.js";

/** Attribute bits of a record batch: the compression codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
export const COMPRESSION_CODEC = 0x07;
/** Attribute bit: the batch's timestamps are the broker's append time (its maxTimestamp). */
export const LOG_APPEND_TIME = 0x08;
/** Attribute bit: the batch belongs to a transaction. */
export const TRANSACTIONAL = 0x10;
/** Attribute bit: the batch holds a transaction marker (COMMIT or ABORT), not data. */
export const CONTROL = 0x20;

/** Bytes of a batch before its first record; the first 12 (offset, length) precede `batchLength`. */
const BATCH_HEADER = 61;
const LOG_OVERHEAD = 12;
const CODEC_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"];

/** One record batch of a partition's fetched bytes, without its records. */
export interface BatchHeader {
  /** Where the batch starts in the partition's bytes. */
  readonly position: number;
  /** The batch's size in bytes, header included. */
  readonly size: number;
  readonly firstOffset: number;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly producerId: bigint;
  /** Milliseconds since the epoch. */
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly recordCount: number;
  /** A control batch's marker: 0 = ABORT, 1 = COMMIT; -1 for data batches. */
  readonly controlType: number;
}

/**
 * The records of one partition's fetch, as columns. Record `i` has offset `offsets[i]`; its key is
 * `data[keyStarts[i], keyStarts[i] + keyLengths[i])`, or null when `keyLengths[i]` is -1 (the same
 * for values).
 */
export interface RecordColumns {
  readonly length: number;
  /** The bytes every key and value points into. */
  readonly data: Buffer;
  readonly offsets: Float64Array;
  /** Milliseconds since the epoch. */
  readonly timestamps: Float64Array;
  /** 0 = CreateTime, 1 = LogAppendTime. */
  readonly timestampTypes: Int32Array;
  readonly keyStarts: Int32Array;
  readonly keyLengths: Int32Array;
  readonly valueStarts: Int32Array;
  readonly valueLengths: Int32Array;
  /** Each record's headers (key, value), when asked for. */
  readonly headers: (readonly [Buffer | null, Buffer | null])[][] | null;
}

function corrupt(what: string, where: string): ExecutionError {
  return new ExecutionError(`Kafka fetch response of ${where} is malformed: ${what}. The broker sent bytes this reader cannot decode; check the broker's logs, or read the topic with Spark to compare.`, "KAFKA_CORRUPT_RECORD");
}

function int64(b: Buffer, at: number): number {
  return b.readInt32BE(at) * 4294967296 + b.readUInt32BE(at + 4);
}

// The decoding position, module-wide so that the varint readers return plain numbers.
let at = 0;

/** A zigzag varint (or varlong) at `at`, as a number (exact below 2^53). */
function varint(b: Uint8Array): number {
  let byte = b[at++];
  if (byte < 0x80) return (byte >>> 1) ^ -(byte & 1);
  let v = byte & 0x7f;
  let shift = 7;
  for (;;) {
    byte = b[at++];
    if (byte === undefined) return NaN;
    v = shift < 28 ? v | ((byte & 0x7f) << shift) : v + (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) break;
    if (shift > 63) return NaN;
  }
  // ToInt32 keeps the lowest bit of an exact integer, so `v & 1` is the sign for any size.
  return v & 1 ? -(v + 1) / 2 : v / 2;
}

/**
 * The record batches in a partition's fetched bytes, in offset order. A trailing batch the broker
 * cut short (it stops at the partition's byte limit) is left out: the next fetch starts there.
 * @param where the partition, for errors
 * @throws ExecutionError on a batch of another message format than v2
 */
export function readBatchHeaders(b: Buffer, where: string): BatchHeader[] {
  const out: BatchHeader[] = [];
  let p = 0;
  while (b.length - p >= LOG_OVERHEAD) {
    const size = LOG_OVERHEAD + b.readInt32BE(p + 8);
    if (size > b.length - p) break;
    if (size < BATCH_HEADER) throw corrupt(`a record batch at offset ${int64(b, p)} is ${size} bytes, shorter than its header`, where);
    const magic = b.readInt8(p + 16);
    if (magic !== 2) throw new ExecutionError(`Kafka record batch at offset ${int64(b, p)} of ${where} has message format v${magic}; this reader decodes v2 (Kafka 0.11 and newer). Convert the topic (e.g. re-produce it) or read it with Spark.`, "KAFKA_UNSUPPORTED_FORMAT");
    const attributes = b.readInt16BE(p + 21);
    const recordCount = b.readInt32BE(p + 57);
    let controlType = -1;
    if (attributes & CONTROL && recordCount > 0) {
      // The control record's key is (version int16, type int16).
      const records = recordsOf(b, p, size, attributes, where);
      at = 0;
      varint(records); at += 1; varint(records); varint(records);
      const keyLength = varint(records);
      controlType = keyLength >= 4 ? records.readInt16BE(at + 2) : -1;
    }
    out.push({
      position: p,
      size,
      firstOffset: int64(b, p),
      lastOffsetDelta: b.readInt32BE(p + 23),
      attributes,
      producerId: b.readBigInt64BE(p + 43),
      firstTimestamp: int64(b, p + 27),
      maxTimestamp: int64(b, p + 35),
      recordCount,
      controlType,
    });
    p += size;
  }
  return out;
}

/** The record bytes of a batch, decompressed by the client library's codecs when compressed. */
function recordsOf(b: Buffer, position: number, size: number, attributes: number, where: string): Buffer {
  const raw = b.subarray(position + BATCH_HEADER, position + size);
  const codec = attributes & COMPRESSION_CODEC;
  if (codec === 0) return raw;
  const algorithm = compressionsAlgorithmsByBitmask[String(codec)];
  const name = CODEC_NAMES[codec] ?? `codec ${codec}`;
  if (!algorithm || algorithm.available === false) {
    throw new ExecutionError(`Kafka record batch at offset ${int64(b, position)} of ${where} is compressed with ${name}, which this Node.js ${process.version} cannot decompress${name === "zstd" ? " (zstd needs Node.js 22.15 or newer)" : ""}. Upgrade Node.js, or have the producer use another compression.type.`, "KAFKA_UNSUPPORTED_COMPRESSION");
  }
  try {
    return algorithm.decompressSync(raw);
  } catch (e) {
    throw corrupt(`the ${name} block of the batch at offset ${int64(b, position)} does not decompress (${(e as Error).message})`, where);
  }
}

/**
 * Decodes the records with `start <= offset < end` of `batches` (already filtered for
 * transactions) into columns.
 * @param b the partition's fetched bytes the batch headers point into
 * @param includeHeaders whether to keep each record's headers
 * @param where the partition, for errors
 */
export function decodeRecords(b: Buffer, batches: readonly BatchHeader[], start: number, end: number, includeHeaders: boolean, where: string): RecordColumns {
  const regions: Buffer[] = [];
  const used: BatchHeader[] = [];
  let capacity = 0;
  let bytes = 0;
  let compressed = false;
  for (const h of batches) {
    if (h.firstOffset + h.lastOffsetDelta < start || h.firstOffset >= end || h.recordCount <= 0) continue;
    const r = recordsOf(b, h.position, h.size, h.attributes, where);
    regions.push(r);
    used.push(h);
    capacity += h.recordCount;
    bytes += r.length;
    if (h.attributes & COMPRESSION_CODEC) compressed = true;
  }
  // Uncompressed records stay where they are, in the fetched bytes; decompressed ones are joined.
  const data = compressed ? (regions.length === 1 ? regions[0] : Buffer.concat(regions, bytes)) : b;
  const offsets = new Float64Array(capacity);
  const timestamps = new Float64Array(capacity);
  const timestampTypes = new Int32Array(capacity);
  const keyStarts = new Int32Array(capacity);
  const keyLengths = new Int32Array(capacity);
  const valueStarts = new Int32Array(capacity);
  const valueLengths = new Int32Array(capacity);
  const headers: (readonly [Buffer | null, Buffer | null])[][] | null = includeHeaders ? [] : null;
  let n = 0;
  let joined = 0;
  for (let i = 0; i < used.length; i++) {
    const h = used[i];
    const base = compressed ? joined : h.position + BATCH_HEADER;
    const regionEnd = base + regions[i].length;
    joined += regions[i].length;
    const logAppend = (h.attributes & LOG_APPEND_TIME) !== 0;
    at = base;
    for (let k = 0; k < h.recordCount; k++) {
      const length = varint(data);
      const recordEnd = at + length;
      if (!(length >= 0) || recordEnd > regionEnd) throw corrupt(`record ${k} of the batch at offset ${h.firstOffset} runs past its batch`, where);
      at += 1;
      const tsDelta = varint(data);
      const offset = h.firstOffset + varint(data);
      const keyLength = varint(data);
      const keyStart = at;
      if (keyLength > 0) at += keyLength;
      const valueLength = varint(data);
      const valueStart = at;
      if (valueLength > 0) at += valueLength;
      if (at > recordEnd || Number.isNaN(offset) || Number.isNaN(tsDelta)) throw corrupt(`record ${k} of the batch at offset ${h.firstOffset} has fields past its length`, where);
      if (offset >= start && offset < end) {
        offsets[n] = offset;
        timestamps[n] = logAppend ? h.maxTimestamp : h.firstTimestamp + tsDelta;
        timestampTypes[n] = logAppend ? 1 : 0;
        keyStarts[n] = keyStart;
        keyLengths[n] = keyLength < 0 ? -1 : keyLength;
        valueStarts[n] = valueStart;
        valueLengths[n] = valueLength < 0 ? -1 : valueLength;
        if (headers) headers.push(readHeaders(data, recordEnd));
        n++;
      }
      at = recordEnd;
    }
  }
  const cut = <T extends Float64Array | Int32Array>(a: T): T => (n === capacity ? a : a.subarray(0, n) as T);
  return {
    length: n, data, offsets: cut(offsets), timestamps: cut(timestamps), timestampTypes: cut(timestampTypes),
    keyStarts: cut(keyStarts), keyLengths: cut(keyLengths), valueStarts: cut(valueStarts), valueLengths: cut(valueLengths), headers,
  };
}

function readHeaders(data: Buffer, recordEnd: number): (readonly [Buffer | null, Buffer | null])[] {
  const count = varint(data);
  const out: [Buffer | null, Buffer | null][] = [];
  for (let i = 0; i < count && at < recordEnd; i++) {
    const kl = varint(data);
    const key = kl < 0 ? null : data.subarray(at, at + kl);
    if (kl > 0) at += kl;
    const vl = varint(data);
    const value = vl < 0 ? null : data.subarray(at, at + vl);
    if (vl > 0) at += vl;
    out.push([key, value]);
  }
  return out;
}
