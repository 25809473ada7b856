/**
 * A minimal HTTP/2 client (RFC 9113) that carries gRPC server-streaming calls, for the result
 * streams of Spark Connect (ExecutePlan, ReattachExecute).
 *
 * Why not gRPC-js: fetching a large result, the client's CPU per row decides how fast the server
 * (which shares the machine in local mode) can go, and in gRPC-js most of that CPU is V8 garbage
 * collection started by external memory: every socket read is a new Buffer, every message is
 * reassembled into another one, and Arrow bodies are copied once more to be aligned. Here the
 * socket reads into one reused buffer (`onread`), DATA frame payloads are copied straight into
 * each gRPC message's final buffer, and that buffer is placed so that the Arrow IPC bytes inside
 * it start 8-byte aligned: one copy per byte, one allocation per message.
 *
 * Scope: one connection, many concurrent streams; SETTINGS, PING, GOAWAY, RST_STREAM,
 * WINDOW_UPDATE (both directions), HEADERS with CONTINUATION, HPACK; TLS with ALPN `h2`. No
 * server push (disabled in our SETTINGS), no priorities, no compression of gRPC messages (we do
 * not offer any, so the server sends none).
 */
import net from "node:net";
import tls from "node:tls";
import { Metadata, status as GrpcStatus } from "@grpc/grpc-js";
import { GrpcCode } from "./spark-connect-errors.js";
import { HpackDecoder, encodeHeaders, type HeaderField } from "./spark-connect-hpack.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

const enum FrameType { DATA = 0, HEADERS = 1, PRIORITY = 2, RST_STREAM = 3, SETTINGS = 4, PUSH_PROMISE = 5, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8, CONTINUATION = 9 }
const enum Flag { END_STREAM = 0x1, END_HEADERS = 0x4, PADDED = 0x8, PRIORITY = 0x20 }
/** The ACK flag of SETTINGS and PING frames (the same bit as END_STREAM on other frames). */
const ACK = 0x1;
const enum Setting { HEADER_TABLE_SIZE = 1, ENABLE_PUSH = 2, MAX_CONCURRENT_STREAMS = 3, INITIAL_WINDOW_SIZE = 4, MAX_FRAME_SIZE = 5, MAX_HEADER_LIST_SIZE = 6 }
const enum H2Error { NO_ERROR = 0, PROTOCOL_ERROR = 1, INTERNAL_ERROR = 2, FLOW_CONTROL_ERROR = 3, FRAME_SIZE_ERROR = 6, REFUSED_STREAM = 7, CANCEL = 8, COMPRESSION_ERROR = 9, ENHANCE_YOUR_CALM = 11 }

const DEFAULT_WINDOW = 65535;
const DEFAULT_MAX_FRAME = 16384;
/** Frames other than DATA are buffered whole; anything bigger than this is a peer error. */
const MAX_CONTROL_FRAME = 1 << 20;
/** Bytes of each gRPC message looked at before its buffer is allocated (to place it aligned). */
const HEAD_PEEK = 256;
const READ_BUFFER = 256 * 1024;
const MAX_STREAM_ID = 2 ** 31 - 1;

/** A failed call, shaped like gRPC-js's ServiceError so the client's error handling serves both. */
export class GrpcCallError extends Error {
  constructor(readonly code: number, readonly details: string, readonly metadata: Metadata = new Metadata()) {
    super(`${code} ${GrpcStatus[code] ?? `CODE_${code}`}: ${details}`);
    this.name = "GrpcCallError";
  }
}

/** The gRPC status of an HTTP response that is not gRPC (a proxy's error page), per gRPC's HTTP mapping. */
function httpStatusCode(status: number): number {
  switch (status) {
    case 400: return GrpcCode.INTERNAL;
    case 401: return GrpcCode.UNAUTHENTICATED;
    case 403: return GrpcStatus.PERMISSION_DENIED;
    case 404: return GrpcStatus.UNIMPLEMENTED;
    case 429: case 502: case 503: case 504: return GrpcCode.UNAVAILABLE;
    default: return GrpcCode.UNKNOWN;
  }
}

/** The gRPC status for a stream the server reset (the mapping gRPC clients use). */
function resetCode(h2code: number): number {
  if (h2code === H2Error.REFUSED_STREAM) return GrpcCode.UNAVAILABLE;
  if (h2code === H2Error.CANCEL) return GrpcCode.CANCELLED;
  if (h2code === H2Error.ENHANCE_YOUR_CALM) return GrpcStatus.RESOURCE_EXHAUSTED;
  return GrpcCode.INTERNAL;
}

/** Percent-decoding of `grpc-message` (gRPC's HTTP/2 protocol spec). */
function decodeGrpcMessage(m: string): string {
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
}

/**
 * Splits a byte stream into gRPC length-prefixed messages (1 byte compressed flag, 4 bytes
 * big-endian length, the message) with exactly one copy of each message byte: the first bytes of
 * a message are looked at (`alignAt`) before its buffer is allocated, so that the part of the
 * message that needs alignment lands on an 8-byte boundary of a fresh ArrayBuffer.
 */
export class GrpcMessageReader {
  private readonly prefix = new Uint8Array(5);
  private prefixFill = 0;
  private length = -1;
  private readonly head = new Uint8Array(HEAD_PEEK);
  private headFill = 0;
  private message: Uint8Array | null = null;
  private fill = 0;

  /**
   * @param onMessage receives each whole message; the buffer is its own (never reused).
   * @param alignAt given the first bytes of a message (up to 256, fewer only when the message is
   *   shorter), the offset inside the message that should start 8-byte aligned, or -1.
   * @param maxLength the largest message accepted.
   */
  constructor(
    private readonly onMessage: (message: Uint8Array) => void,
    private readonly alignAt: (head: Uint8Array) => number = () => -1,
    private readonly maxLength = 128 * 1024 * 1024,
  ) {}

  /** Whether the bytes so far end between messages. */
  get atBoundary(): boolean { return this.prefixFill === 0 && this.length < 0; }

  /**
   * Takes the bytes `buf[start, end)`.
   * @throws GrpcCallError for a compressed message or one over the size limit.
   */
  push(buf: Uint8Array, start: number, end: number): void {
    let p = start;
    while (p < end) {
      if (this.length < 0) {
        const n = Math.min(5 - this.prefixFill, end - p);
        for (let i = 0; i < n; i++) this.prefix[this.prefixFill++] = buf[p++];
        if (this.prefixFill < 5) return;
        if (this.prefix[0] !== 0) throw new GrpcCallError(GrpcCode.INTERNAL, "the server sent a compressed gRPC message, which this client did not offer to read");
        const length = ((this.prefix[1] << 24) >>> 0) + (this.prefix[2] << 16) + (this.prefix[3] << 8) + this.prefix[4];
        if (length > this.maxLength) {
          throw new GrpcCallError(8, `a gRPC message of ${length} bytes exceeds the limit of ${this.maxLength} bytes`);
        }
        this.prefixFill = 0;
        this.length = length;
        this.headFill = 0;
        if (length === 0) { this.deliver(new Uint8Array(0)); continue; }
      }
      if (this.message === null) {
        const want = Math.min(HEAD_PEEK, this.length);
        const n = Math.min(want - this.headFill, end - p);
        this.head.set(buf.subarray(p, p + n), this.headFill);
        this.headFill += n;
        p += n;
        if (this.headFill < want) return;
        const head = this.head.subarray(0, want);
        const at = this.alignAt(head);
        const shift = at < 0 ? 0 : (8 - (at % 8)) % 8;
        this.message = new Uint8Array(new ArrayBuffer(this.length + shift), shift, this.length);
        this.message.set(head, 0);
        this.fill = want;
      }
      const n = Math.min(this.length - this.fill, end - p);
      if (n > 0) {
        this.message.set(buf.subarray(p, p + n), this.fill);
        this.fill += n;
        p += n;
      }
      if (this.fill === this.length) this.deliver(this.message);
    }
  }

  private deliver(message: Uint8Array): void {
    this.message = null;
    this.length = -1;
    this.fill = 0;
    this.onMessage(message);
  }
}

/** How a connection is reached. */
export interface Http2Target {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Bounds the TCP (and TLS) connection set-up. */
  readonly connectTimeoutMs: number;
  /** The receive window of each stream and of the connection. */
  readonly window: number;
  /** The largest DATA frame the server may send (SETTINGS_MAX_FRAME_SIZE; 16 KiB unless set). */
  readonly maxFrameSize?: number;
  /** The size of the one buffer socket reads land in (256 KiB unless set). */
  readonly readBufferBytes?: number;
}

/** One gRPC server-streaming call on a connection; its messages are read with `for await`. */
export class GrpcStream implements AsyncIterable<Uint8Array> {
  /** Messages not yet taken by the consumer. */
  private readonly queue: Uint8Array[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private waiter: (() => void) | null = null;
  private error: GrpcCallError | null = null;
  private ended = false;
  /** Received DATA bytes not yet returned to the server as stream window. */
  private credit = 0;
  private headersSeen = false;
  private status: number | null = null;
  /** Our send window on this stream and what waits for it. */
  sendWindow: number;
  private pendingSend: Buffer | null = null;
  private pendingEnd = false;
  readonly reader: GrpcMessageReader;

  constructor(
    private readonly conn: Http2Connection,
    readonly id: number,
    sendWindow: number,
    alignAt: ((head: Uint8Array) => number) | undefined,
    maxMessage: number,
  ) {
    this.sendWindow = sendWindow;
    this.reader = new GrpcMessageReader((m) => this.enqueue(m), alignAt, maxMessage);
  }

  private enqueue(m: Uint8Array): void {
    this.queue.push(m);
    this.queuedBytes += m.length;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** DATA payload bytes arrived (already fed to the reader); returns window as the consumer keeps up. */
  received(bytes: number): void {
    this.credit += bytes;
    this.maybeCredit();
  }

  private maybeCredit(): void {
    // Messages the consumer has not taken are already received: they do not count against what the
    // server may have in flight (what a reattach must replay), only against our memory. Up to two
    // windows wait, about what gRPC-js buffers (16 messages), so a consumer that builds rows
    // (collect()) finds the next batch waiting instead of waiting on the server.
    if (this.ended || this.credit < this.conn.target.window / 4 || this.queuedBytes > 2 * this.conn.target.window) return;
    this.conn.windowUpdate(this.id, this.credit);
    this.credit = 0;
  }

  /** Response headers or trailers. */
  headers(fields: HeaderField[], endStream: boolean): void {
    const first = !this.headersSeen;
    this.headersSeen = true;
    let httpStatus = 0;
    let grpcStatus: number | null = null;
    let grpcMessage = "";
    let contentType = "";
    const md = new Metadata();
    for (const [k, v] of fields) {
      if (k === ":status") httpStatus = Number(v);
      else if (k === "grpc-status") grpcStatus = Number(v);
      else if (k === "grpc-message") grpcMessage = decodeGrpcMessage(v);
      else if (k === "content-type") contentType = v;
      else if (k.startsWith(":")) continue;
      else {
        try {
          if (k.endsWith("-bin")) md.add(k, Buffer.from(v, "base64"));
          else md.add(k, v);
        } catch {
          // A header gRPC-js's Metadata does not accept is of no use to the error handling.
        }
      }
    }
    if (first && httpStatus !== 200) {
      this.fail(new GrpcCallError(httpStatusCode(httpStatus), `the server answered HTTP status ${httpStatus} instead of a gRPC response`, md));
      this.conn.reset(this.id, H2Error.CANCEL);
      return;
    }
    if (first && grpcStatus === null && !contentType.startsWith("application/grpc")) {
      this.fail(new GrpcCallError(GrpcCode.UNKNOWN, `the server answered with content-type ${JSON.stringify(contentType)}, not gRPC`, md));
      this.conn.reset(this.id, H2Error.CANCEL);
      return;
    }
    if (grpcStatus !== null) {
      this.status = grpcStatus;
      if (grpcStatus !== 0) this.fail(new GrpcCallError(grpcStatus, grpcMessage || `the call failed with gRPC status ${grpcStatus}`, md));
      else if (!this.reader.atBoundary) this.fail(new GrpcCallError(GrpcCode.INTERNAL, "the stream ended inside a gRPC message"));
      else this.finish();
    } else if (endStream) {
      this.fail(new GrpcCallError(GrpcCode.UNKNOWN, "the server ended the stream without a gRPC status"));
    }
  }

  /** The server ended the stream with a DATA frame: there are no trailers, so no status. */
  endedWithoutTrailers(): void {
    if (this.status === null) this.fail(new GrpcCallError(GrpcCode.INTERNAL, "the server ended the stream without trailers (no gRPC status)"));
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.conn.forget(this.id);
    this.wake();
  }

  /** Ends the call with an error (the stream is forgotten; the caller resets it if needed). */
  fail(e: GrpcCallError): void {
    if (this.ended) return;
    this.error = e;
    this.ended = true;
    this.conn.forget(this.id);
    this.wake();
  }

  /** Stops the call: tells the server (RST_STREAM CANCEL) unless it already ended. */
  cancel(): void {
    if (this.ended) return;
    this.ended = true;
    this.error = new GrpcCallError(GrpcCode.CANCELLED, "cancelled by the client");
    this.conn.forget(this.id);
    this.conn.reset(this.id, H2Error.CANCEL);
    this.queue.length = 0;
    this.wake();
  }

  /** Queues `data` to send and sends what the windows allow. */
  send(data: Buffer, end: boolean): void {
    this.pendingSend = this.pendingSend ? Buffer.concat([this.pendingSend, data]) : data;
    this.pendingEnd = end;
    this.flush();
  }

  /** Sends queued request bytes as far as the stream and connection windows allow. */
  flush(): void {
    const data = this.pendingSend;
    if (!data) return;
    let off = 0;
    while (off < data.length) {
      const n = Math.min(data.length - off, this.sendWindow, this.conn.sendWindow, this.conn.peerMaxFrame);
      if (n <= 0) break;
      this.sendWindow -= n;
      this.conn.sendWindow -= n;
      const last = off + n === data.length;
      this.conn.frame(FrameType.DATA, last && this.pendingEnd ? Flag.END_STREAM : 0, this.id, data.subarray(off, off + n));
      off += n;
    }
    if (off === data.length && data.length === 0 && this.pendingEnd) this.conn.frame(FrameType.DATA, Flag.END_STREAM, this.id, Buffer.alloc(0));
    this.pendingSend = off === data.length ? null : data.subarray(off);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        if (this.queueHead < this.queue.length) {
          const m = this.queue[this.queueHead];
          this.queue[this.queueHead++] = undefined as unknown as Uint8Array;
          if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) { this.queue.splice(0, this.queueHead); this.queueHead = 0; }
          this.queuedBytes -= m.length;
          this.maybeCredit();
          yield m;
          continue;
        }
        if (this.error) throw this.error;
        if (this.ended) return;
        await new Promise<void>((r) => { this.waiter = r; });
      }
    } finally {
      this.cancel();
    }
  }
}

/**
 * One HTTP/2 connection to a gRPC server. Opened on first use; once it fails or the server sends
 * GOAWAY it takes no new streams (`usable` is false) and the owner opens another.
 */
export class Http2Connection {
  private socket: net.Socket | null = null;
  private ready: Promise<void> | null = null;
  private readonly streams = new Map<number, GrpcStream>();
  private nextId = 1;
  private closing = false;
  private failure: GrpcCallError | null = null;
  private readonly decoder = new HpackDecoder();
  /** The connection-level receive window not yet returned. */
  private connCredit = 0;
  /** Our send windows and the peer's limits. */
  sendWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerMaxStreams = Infinity;
  private goawayLastId = MAX_STREAM_ID;
  /** Frame parser state. */
  private readonly frameHead = new Uint8Array(9);
  private frameHeadFill = 0;
  private frameLength = -1;
  private frameType = 0;
  private frameFlags = 0;
  private frameStream = 0;
  private frameLeft = 0;
  /** The payload of a non-DATA frame (or a padded DATA frame), collected whole. */
  private control: Uint8Array | null = null;
  private controlFill = 0;
  /** The stream a DATA frame's payload goes to (null: a stream we no longer track). */
  private dataStream: GrpcStream | null = null;
  /** A header block split over HEADERS and CONTINUATION frames. */
  private headerBlock: Uint8Array[] = [];
  private headerStream = 0;
  private headerEnd = false;
  /** Whether a socket read is being processed, and the WINDOW_UPDATE frames it produced. */
  private reading = false;
  private readonly updates: Buffer[] = [];

  constructor(readonly target: Http2Target) {}

  /** Whether new calls may start on this connection. */
  get usable(): boolean { return !this.closing && this.failure === null && this.nextId < this.goawayLastId && this.nextId < MAX_STREAM_ID; }

  /** Opens the connection (once); resolves when the socket is connected and the preface is sent. */
  connect(): Promise<void> {
    if (this.ready) return this.ready;
    this.ready = new Promise<void>((resolve, reject) => {
      const { host, port } = this.target;
      const readBuffer = Buffer.allocUnsafeSlow(this.target.readBufferBytes ?? READ_BUFFER);
      const onread = { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => { this.onData(buf, n); return true; } };
      const connected = () => {
        clearTimeout(timer);
        if (this.target.tls && (socket as tls.TLSSocket).alpnProtocol !== "h2") {
          const e = new GrpcCallError(GrpcCode.UNAVAILABLE, `the TLS server at ${host}:${port} does not speak HTTP/2 (ALPN answered ${JSON.stringify((socket as tls.TLSSocket).alpnProtocol)})`);
          this.destroy(e);
          reject(e);
          return;
        }
        resolve();
      };
      const socket: net.Socket = this.target.tls
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ["h2"], onread } as tls.ConnectionOptions, connected)
        : net.connect({ host, port, onread, noDelay: true }, connected);
      this.socket = socket;
      const timer = setTimeout(() => {
        // UNAVAILABLE, as gRPC reports a channel that cannot connect: the caller may retry.
        const e = new GrpcCallError(GrpcCode.UNAVAILABLE, `no connection to ${host}:${port} within ${this.target.connectTimeoutMs / 1000} s`);
        this.destroy(e);
        reject(e);
      }, this.target.connectTimeoutMs);
      socket.on("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const e = new GrpcCallError(GrpcCode.UNAVAILABLE, `connection to ${host}:${port} failed: ${err.message}`);
        this.destroy(e);
        reject(e);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        const e = new GrpcCallError(GrpcCode.UNAVAILABLE, `the connection to ${host}:${port} closed`);
        this.destroy(e);
        reject(e);
      });
      // The preface, our settings and the connection window go out before anything else.
      const settings = Buffer.alloc(24);
      settings.writeUInt16BE(Setting.ENABLE_PUSH, 0); settings.writeUInt32BE(0, 2);
      settings.writeUInt16BE(Setting.INITIAL_WINDOW_SIZE, 6); settings.writeUInt32BE(this.target.window, 8);
      settings.writeUInt16BE(Setting.MAX_HEADER_LIST_SIZE, 12); settings.writeUInt32BE(8 << 20, 14);
      settings.writeUInt16BE(Setting.MAX_FRAME_SIZE, 18); settings.writeUInt32BE(this.target.maxFrameSize ?? DEFAULT_MAX_FRAME, 20);
      socket.write(PREFACE);
      this.frame(FrameType.SETTINGS, 0, 0, settings);
      if (this.target.window > DEFAULT_WINDOW) this.windowUpdate(0, this.target.window - DEFAULT_WINDOW);
    });
    return this.ready;
  }

  /**
   * Starts a gRPC call: HEADERS, then the request message with END_STREAM.
   * @param path `/package.Service/Method`.
   * @param headers extra request headers (authorization, metadata), names in lower case.
   * @param request the serialized request message.
   * @param alignAt see GrpcMessageReader.
   */
  async call(path: string, headers: readonly HeaderField[], request: Uint8Array, alignAt?: (head: Uint8Array) => number, maxMessage?: number): Promise<GrpcStream> {
    await this.connect();
    if (this.failure) throw this.failure;
    if (!this.usable) throw new GrpcCallError(GrpcCode.UNAVAILABLE, "the connection is closing (GOAWAY); retry on a new one");
    if (this.streams.size >= this.peerMaxStreams) throw new GrpcCallError(GrpcCode.UNAVAILABLE, `the server allows ${this.peerMaxStreams} concurrent streams`);
    const id = this.nextId;
    this.nextId += 2;
    const stream = new GrpcStream(this, id, this.peerInitialWindow, alignAt, maxMessage ?? 128 * 1024 * 1024);
    this.streams.set(id, stream);
    const { host, port } = this.target;
    const block = encodeHeaders([
      [":method", "POST"], [":scheme", this.target.tls ? "https" : "http"], [":path", path],
      [":authority", net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`],
      ["content-type", "application/grpc"], ["te", "trailers"], ...headers,
    ]);
    // A header block larger than a frame continues in CONTINUATION frames.
    for (let off = 0, first = true; off < block.length || first; first = false) {
      const n = Math.min(block.length - off, this.peerMaxFrame);
      const last = off + n >= block.length;
      this.frame(first ? FrameType.HEADERS : FrameType.CONTINUATION, last ? Flag.END_HEADERS : 0, id, block.subarray(off, off + n));
      off += n;
    }
    const body = Buffer.allocUnsafe(5 + request.length);
    body[0] = 0;
    body.writeUInt32BE(request.length, 1);
    body.set(request, 5);
    stream.send(body, true);
    return stream;
  }

  /** Writes one frame. */
  frame(type: number, flags: number, stream: number, payload: Uint8Array): void {
    if (!this.socket || this.socket.destroyed) return;
    const head = Buffer.allocUnsafe(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(stream, 5);
    if (payload.length <= 1024) {
      this.socket.write(Buffer.concat([head, payload]));
    } else {
      this.socket.cork();
      this.socket.write(head);
      this.socket.write(payload);
      this.socket.uncork();
    }
  }

  /** Returns receive window to the server; while a socket read is processed, updates are collected and sent in one write. */
  windowUpdate(stream: number, increment: number): void {
    if (increment <= 0) return;
    if (stream !== 0 && this.connCredit > 0) {
      // The connection's window goes back with the stream's: one write instead of two.
      const c = this.connCredit;
      this.connCredit = 0;
      this.windowUpdate(0, c);
    }
    const f = Buffer.allocUnsafe(13);
    f.writeUIntBE(4, 0, 3);
    f[3] = FrameType.WINDOW_UPDATE;
    f[4] = 0;
    f.writeUInt32BE(stream, 5);
    f.writeUInt32BE(increment, 9);
    if (this.reading) this.updates.push(f);
    else if (this.socket && !this.socket.destroyed) this.socket.write(f);
  }

  reset(stream: number, code: number): void {
    const p = Buffer.allocUnsafe(4);
    p.writeUInt32BE(code, 0);
    this.frame(FrameType.RST_STREAM, 0, stream, p);
  }

  /** Drops a finished stream from the table. */
  forget(id: number): void {
    this.streams.delete(id);
    if (this.closing && this.streams.size === 0) this.socket?.end();
  }

  /** Closes the connection: GOAWAY, then the socket once the streams still running ended. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.socket && !this.socket.destroyed) {
      const p = Buffer.alloc(8);
      this.frame(FrameType.GOAWAY, 0, 0, p);
      for (const s of [...this.streams.values()]) s.cancel();
      this.socket.end();
    }
  }

  /** Ends the connection and fails every stream on it. */
  destroy(e: GrpcCallError): void {
    if (!this.failure) this.failure = e;
    for (const s of [...this.streams.values()]) s.fail(e);
    this.streams.clear();
    this.socket?.destroy();
  }

  /** A connection error: tell the server why (GOAWAY) and fail everything. */
  private protocolError(code: number, why: string): void {
    const p = Buffer.alloc(8 + Buffer.byteLength(why));
    p.writeUInt32BE(Math.max(0, this.nextId - 2), 0);
    p.writeUInt32BE(code, 4);
    p.write(why, 8);
    this.frame(FrameType.GOAWAY, 0, 0, p);
    this.destroy(new GrpcCallError(GrpcCode.INTERNAL, `HTTP/2 protocol error from ${this.target.host}:${this.target.port}: ${why}`));
  }

  /** Bytes from the socket, in the reused read buffer: everything kept is copied before returning. */
  private onData(buf: Uint8Array, n: number): void {
    if (this.failure) return;
    this.reading = true;
    try {
      this.parse(buf, n);
    } catch (err) {
      this.protocolError(H2Error.PROTOCOL_ERROR, err instanceof Error ? err.message : String(err));
    } finally {
      this.reading = false;
    }
    // Each write is a system call: the window updates of one read go out together.
    if (this.updates.length && this.socket && !this.socket.destroyed) {
      this.socket.write(this.updates.length === 1 ? this.updates[0] : Buffer.concat(this.updates));
    }
    this.updates.length = 0;
  }

  private parse(buf: Uint8Array, n: number): void {
    let p = 0;
    while (p < n && !this.failure) {
      if (this.frameLength < 0) {
        const k = Math.min(9 - this.frameHeadFill, n - p);
        for (let i = 0; i < k; i++) this.frameHead[this.frameHeadFill++] = buf[p++];
        if (this.frameHeadFill < 9) return;
        this.frameHeadFill = 0;
        const h = this.frameHead;
        this.frameLength = (h[0] << 16) | (h[1] << 8) | h[2];
        this.frameType = h[3];
        this.frameFlags = h[4];
        this.frameStream = ((h[5] & 0x7f) << 24 | (h[6] << 16) | (h[7] << 8) | h[8]) >>> 0;
        this.frameLeft = this.frameLength;
        if (this.frameType === FrameType.DATA && !(this.frameFlags & Flag.PADDED)) {
          this.dataStream = this.streams.get(this.frameStream) ?? null;
          this.returnConnectionWindow(this.frameLength);
        } else {
          if (this.frameLength > MAX_CONTROL_FRAME) throw new Error(`a frame of type ${this.frameType} with ${this.frameLength} bytes`);
          this.control = new Uint8Array(this.frameLength);
          this.controlFill = 0;
        }
        if (this.frameLength > 0) continue;
      }
      const k = Math.min(this.frameLeft, n - p);
      if (this.control === null) {
        // The hot path: DATA payload straight from the read buffer into the stream's messages.
        if (k > 0 && this.dataStream) this.feed(this.dataStream, buf, p, p + k);
      } else if (k > 0) {
        this.control.set(buf.subarray(p, p + k), this.controlFill);
        this.controlFill += k;
      }
      p += k;
      this.frameLeft -= k;
      if (this.frameLeft > 0) return;
      const length = this.frameLength;
      this.frameLength = -1;
      if (this.control === null) {
        const s = this.dataStream;
        this.dataStream = null;
        if (s) {
          s.received(length);
          if (this.frameFlags & Flag.END_STREAM) s.endedWithoutTrailers();
        }
      } else {
        const payload = this.control;
        this.control = null;
        this.onFrame(this.frameType, this.frameFlags, this.frameStream, payload);
      }
    }
  }

  /** Message bytes for a stream; a message the stream cannot take (compressed, too large) fails that stream only. */
  private feed(s: GrpcStream, buf: Uint8Array, start: number, end: number): void {
    try {
      s.reader.push(buf, start, end);
    } catch (e) {
      if (!(e instanceof GrpcCallError)) throw e;
      s.fail(e);
      this.reset(s.id, H2Error.CANCEL);
      if (this.dataStream === s) this.dataStream = null;
    }
  }

  private returnConnectionWindow(bytes: number): void {
    this.connCredit += bytes;
    // Normally returned together with a stream's window; this bound covers streams that are gone.
    if (this.connCredit >= this.target.window / 2) {
      this.windowUpdate(0, this.connCredit);
      this.connCredit = 0;
    }
  }

  private onFrame(type: number, flags: number, id: number, payload: Uint8Array): void {
    if (this.headerBlock.length && type !== FrameType.CONTINUATION) throw new Error("a header block was interrupted by another frame");
    switch (type) {
      case FrameType.DATA: { // padded
        this.returnConnectionWindow(payload.length);
        const pad = payload[0];
        if (pad >= payload.length) throw new Error("DATA padding longer than the frame");
        const s = this.streams.get(id);
        if (s) {
          this.feed(s, payload, 1, payload.length - pad);
          s.received(payload.length);
          if (flags & Flag.END_STREAM) s.endedWithoutTrailers();
        }
        return;
      }
      case FrameType.HEADERS: {
        let start = 0;
        let end = payload.length;
        if (flags & Flag.PADDED) { end -= payload[0]; start = 1; }
        if (flags & Flag.PRIORITY) start += 5;
        if (start > end) throw new Error("HEADERS padding longer than the frame");
        this.headerStream = id;
        this.headerEnd = (flags & Flag.END_STREAM) !== 0;
        this.headerBlock = [payload.subarray(start, end)];
        if (flags & Flag.END_HEADERS) this.endHeaders();
        return;
      }
      case FrameType.CONTINUATION:
        if (!this.headerBlock.length || id !== this.headerStream) throw new Error("CONTINUATION without a header block to continue");
        this.headerBlock.push(payload);
        if (flags & Flag.END_HEADERS) this.endHeaders();
        return;
      case FrameType.RST_STREAM: {
        const code = payload.length >= 4 ? new DataView(payload.buffer, payload.byteOffset).getUint32(0) : 0;
        this.streams.get(id)?.fail(new GrpcCallError(resetCode(code), `Received RST_STREAM with code ${code} from the server`));
        return;
      }
      case FrameType.SETTINGS:
        if (flags & ACK) return;
        this.applySettings(payload);
        this.frame(FrameType.SETTINGS, ACK, 0, new Uint8Array(0));
        return;
      case FrameType.PING:
        if (!(flags & ACK)) this.frame(FrameType.PING, ACK, 0, payload);
        return;
      case FrameType.GOAWAY: {
        const v = new DataView(payload.buffer, payload.byteOffset, payload.length);
        const last = v.getUint32(0) & 0x7fffffff;
        const code = v.getUint32(4);
        this.goawayLastId = last;
        const why = Buffer.from(payload.buffer, payload.byteOffset + 8, payload.length - 8).toString("utf8");
        // Streams after the last one the server will process never ran: they may be retried.
        for (const s of [...this.streams.values()]) {
          if (s.id > last) s.fail(new GrpcCallError(GrpcCode.UNAVAILABLE, `the server sent GOAWAY (code ${code}${why ? `, ${why}` : ""}) before processing the stream`));
        }
        if (code !== H2Error.NO_ERROR) this.closing = true;
        return;
      }
      case FrameType.WINDOW_UPDATE: {
        const inc = new DataView(payload.buffer, payload.byteOffset).getUint32(0) & 0x7fffffff;
        if (id === 0) {
          this.sendWindow += inc;
          for (const s of this.streams.values()) s.flush();
        } else {
          const s = this.streams.get(id);
          if (s) { s.sendWindow += inc; s.flush(); }
        }
        return;
      }
      case FrameType.PUSH_PROMISE:
        throw new Error("PUSH_PROMISE although push is disabled");
      default:
        return; // PRIORITY and unknown frame types are ignored, as the RFC asks.
    }
  }

  private endHeaders(): void {
    const parts = this.headerBlock;
    this.headerBlock = [];
    const block = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    let fields: HeaderField[];
    try {
      fields = this.decoder.decode(block);
    } catch (e) {
      this.protocolError(H2Error.COMPRESSION_ERROR, e instanceof Error ? e.message : String(e));
      return;
    }
    this.streams.get(this.headerStream)?.headers(fields, this.headerEnd);
  }

  private applySettings(p: Uint8Array): void {
    if (p.length % 6 !== 0) throw new Error("a SETTINGS frame whose length is not a multiple of 6");
    const v = new DataView(p.buffer, p.byteOffset, p.length);
    for (let i = 0; i < p.length; i += 6) {
      const id = v.getUint16(i);
      const value = v.getUint32(i + 2);
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) s.sendWindow += delta;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        this.peerMaxFrame = value;
      } else if (id === Setting.MAX_CONCURRENT_STREAMS) {
        this.peerMaxStreams = value;
      }
      // HEADER_TABLE_SIZE limits the server's decoder: our encoder never indexes, so it needs nothing.
    }
    for (const s of this.streams.values()) s.flush();
  }
}
