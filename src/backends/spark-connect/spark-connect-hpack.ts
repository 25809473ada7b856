/**
 * HPACK (RFC 7541), the header compression of HTTP/2, as much as Quarry's own HTTP/2 transport
 * needs: request headers go out as literals that the server does not index (no Huffman, no
 * dynamic table on our side, so there is no encoder state to keep), and the server's response
 * headers and trailers are decoded in full (static table, dynamic table with size updates,
 * Huffman-coded strings).
 */

/** The static table of RFC 7541 Appendix A; index 1 is the first entry. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""],
  ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""],
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""],
  ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];

/**
 * Bit lengths of the Huffman code of RFC 7541 Appendix B, by symbol (0-255, then 256 = EOS). The
 * code is canonical: codes of one length are consecutive in symbol order, and each length starts
 * where the previous one ended, shifted left; so the lengths alone define every code.
 */
const HUFFMAN_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

/**
 * The decoding tree of the Huffman code as a flat array: node `n` has children at `2n` (bit 0) and
 * `2n + 1` (bit 1) of `TREE`; a value >= 0 is a child node, `-1 - symbol` a leaf.
 */
let tree: Int32Array | null = null;

/** The canonical codes, as [code, length] per symbol (exported for the encoder in tests). */
export function huffmanCodes(): Array<readonly [number, number]> {
  const symbols = HUFFMAN_LENGTHS.map((_, s) => s).sort((a, b) => HUFFMAN_LENGTHS[a] - HUFFMAN_LENGTHS[b] || a - b);
  const codes: Array<readonly [number, number]> = new Array(HUFFMAN_LENGTHS.length);
  let code = 0;
  let length = HUFFMAN_LENGTHS[symbols[0]];
  for (const s of symbols) {
    // Codes reach 30 bits: multiply rather than shift to stay clear of the sign bit.
    code *= 2 ** (HUFFMAN_LENGTHS[s] - length);
    length = HUFFMAN_LENGTHS[s];
    codes[s] = [code, length];
    code++;
  }
  return codes;
}

function huffmanTree(): Int32Array {
  if (tree) return tree;
  // A code of 257 leaves has 256 inner nodes; node 0 is the root.
  const t = new Int32Array(2 * 256).fill(0x7fffffff);
  let nodes = 1;
  for (const [s, [code, length]] of huffmanCodes().entries()) {
    let n = 0;
    for (let b = length - 1; b >= 0; b--) {
      const bit = Math.floor(code / 2 ** b) & 1;
      const slot = 2 * n + bit;
      if (b === 0) { t[slot] = -1 - s; break; }
      if (t[slot] === 0x7fffffff) t[slot] = nodes++;
      n = t[slot];
    }
  }
  tree = t;
  return t;
}

/** Thrown for a header block that breaks RFC 7541: the connection must end (COMPRESSION_ERROR). */
export class HpackError extends Error {}

/**
 * Decodes a Huffman-coded string (RFC 7541 section 5.2).
 * @throws HpackError for EOS inside the string or padding that is not a prefix of EOS.
 */
export function huffmanDecode(bytes: Uint8Array): string {
  const t = huffmanTree();
  let out = "";
  let n = 0;
  let depth = 0;
  let ones = true;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = t[2 * n + bit];
      depth++;
      ones &&= bit === 1;
      if (next < 0) {
        const sym = -1 - next;
        if (sym === 256) throw new HpackError("HPACK: a Huffman-coded string contains EOS");
        out += String.fromCharCode(sym);
        n = 0; depth = 0; ones = true;
      } else {
        n = next;
      }
    }
  }
  if (depth > 7 || !ones) throw new HpackError("HPACK: a Huffman-coded string ends with invalid padding");
  // Header values are octets; decode them as Latin-1, as HTTP/2 implementations do for field values.
  return out;
}

/** Encodes `text` (octets as Latin-1 characters) with the Huffman code; for tests and completeness. */
export function huffmanEncode(text: string): Uint8Array {
  const codes = huffmanCodes();
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const [code, length] = codes[text.charCodeAt(i) & 0xff];
    for (let b = length - 1; b >= 0; b--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** b) & 1);
      if (++bits === 8) { out.push(acc); acc = 0; bits = 0; }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff);
  return Uint8Array.from(out);
}

/** A decoded header field. */
export type HeaderField = readonly [name: string, value: string];

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");

/**
 * The decoding side of one HTTP/2 connection's header compression: keeps the dynamic table the
 * server's encoder builds, so every header block of the connection must pass through it in order.
 * @example
 * const d = new HpackDecoder();
 * d.decode(Uint8Array.of(0x82)); // [[":method", "GET"]]
 */
export class HpackDecoder {
  /** Newest first, as indices count them. */
  private readonly dynamic: HeaderField[] = [];
  private size = 0;

  /** @param maxTableSize SETTINGS_HEADER_TABLE_SIZE as we announced it (4096 unless changed). */
  constructor(private maxTableSize = 4096) {}

  /** The dynamic table's entries, newest first (for tests). */
  get table(): readonly HeaderField[] { return this.dynamic; }
  /** The dynamic table's size in the RFC's accounting (32 octets per entry plus name and value). */
  get tableSize(): number { return this.size; }

  /**
   * Decodes one complete header block.
   * @throws HpackError for a malformed block; the connection's compression state is then unusable.
   */
  decode(block: Uint8Array): HeaderField[] {
    const out: HeaderField[] = [];
    let p = 0;
    const int = (prefixBits: number): number => {
      const max = (1 << prefixBits) - 1;
      if (p >= block.length) throw new HpackError("HPACK: a header block ends inside an integer");
      let v = block[p++] & max;
      if (v < max) return v;
      let m = 0;
      for (;;) {
        if (p >= block.length) throw new HpackError("HPACK: a header block ends inside an integer");
        const b = block[p++];
        v += (b & 0x7f) * 2 ** m;
        m += 7;
        if ((b & 0x80) === 0) return v;
        if (m > 28) throw new HpackError("HPACK: an integer is too large");
      }
    };
    const str = (): string => {
      if (p >= block.length) throw new HpackError("HPACK: a header block ends before a string");
      const huffman = (block[p] & 0x80) !== 0;
      const length = int(7);
      if (p + length > block.length) throw new HpackError("HPACK: a string runs past the end of its header block");
      const bytes = block.subarray(p, p + length);
      p += length;
      return huffman ? huffmanDecode(bytes) : latin1(bytes);
    };
    let sawField = false;
    while (p < block.length) {
      const b = block[p];
      if (b & 0x80) {
        const index = int(7);
        out.push(this.entry(index));
        sawField = true;
      } else if ((b & 0xe0) === 0x20) {
        // A dynamic table size update is only allowed at the start of a block.
        if (sawField) throw new HpackError("HPACK: a dynamic table size update after a header field");
        const size = int(5);
        if (size > this.maxTableSize) throw new HpackError(`HPACK: the dynamic table size ${size} exceeds the announced ${this.maxTableSize}`);
        this.resize(size);
      } else {
        // Literal with incremental indexing (01), without indexing (0000) or never indexed (0001).
        const indexed = (b & 0xc0) === 0x40;
        const nameIndex = int(indexed ? 6 : 4);
        const name = nameIndex === 0 ? str() : this.entry(nameIndex)[0];
        const field: HeaderField = [name, str()];
        if (indexed) this.add(field);
        out.push(field);
        sawField = true;
      }
    }
    return out;
  }

  private entry(index: number): HeaderField {
    if (index >= 1 && index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1];
    const d = this.dynamic[index - STATIC_TABLE.length - 1];
    if (!d) throw new HpackError(`HPACK: header index ${index} is not in the table`);
    return d;
  }

  private add(field: HeaderField): void {
    const size = 32 + field[0].length + field[1].length;
    this.dynamic.unshift(field);
    this.size += size;
    this.evict(this.maxTableSize);
  }

  private resize(size: number): void {
    this.maxTableSize = size;
    this.evict(size);
  }

  private evict(limit: number): void {
    while (this.size > limit && this.dynamic.length) {
      const [n, v] = this.dynamic.pop()!;
      this.size -= 32 + n.length + v.length;
    }
  }
}

function pushInt(out: number[], first: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) { out.push(first | value); return; }
  out.push(first | max);
  value -= max;
  while (value >= 128) { out.push((value % 128) | 0x80); value = Math.floor(value / 128); }
  out.push(value);
}

/**
 * Encodes request headers as literals without indexing and without Huffman coding (RFC 7541
 * section 6.2.2): nothing enters the server's dynamic table, so no encoder state exists.
 * @param fields names in lower case, values as Latin-1 octets (ASCII in practice).
 */
export function encodeHeaders(fields: readonly HeaderField[]): Uint8Array {
  const out: number[] = [];
  for (const [name, value] of fields) {
    out.push(0x00);
    pushInt(out, 0x00, 7, name.length);
    for (let i = 0; i < name.length; i++) out.push(name.charCodeAt(i) & 0xff);
    pushInt(out, 0x00, 7, value.length);
    for (let i = 0; i < value.length; i++) out.push(value.charCodeAt(i) & 0xff);
  }
  return Uint8Array.from(out);
}
