/**
 * The Spark Connect protocol client: one gRPC-js channel per Quarry session for the unary calls
 * (AnalyzePlan, Config, Interrupt, ReleaseSession, FetchErrorDetails), and one HTTP/2 connection of
 * our own (spark-connect-http2.ts) for the result streams of reattachable executions (ExecutePlan,
 * ReattachExecute), where the client's CPU per row matters.
 *
 * An execution gets a client-chosen operation id and asks to be reattachable. The server then ends
 * every result with `result_complete`; a stream that breaks (network error) or ends early (the server
 * closes long streams on purpose) is resumed with ReattachExecute after the last response id seen.
 * A result is only complete when `result_complete` arrived: anything else is an error, never a
 * shorter result.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type DescMessage, type MessageShape, type MessageInitShape } from "@bufbuild/protobuf";
import { ExecutionError, type QuarryError } from "../../errors.js";
import {
  AnalyzePlanRequestSchema, ConfigRequestSchema, ExecutePlanRequestSchema, ExecutePlanResponseSchema,
  FetchErrorDetailsRequestSchema, InterruptRequestSchema, InterruptRequest_InterruptType, ReattachExecuteRequestSchema,
  ReleaseExecuteRequestSchema, ReleaseSessionRequestSchema, SparkConnectService, UserContextSchema,
  type AnalyzePlanResponse, type ConfigRequest_Operation, type ConfigResponse, type ExecutePlanResponse, type Plan,
  type UserContext,
} from "./gen/spark/connect/base_pb.js";
import { GrpcCode, chainOf, errorInfoOf, sparkError } from "./spark-connect-errors.js";
import type { SparkConnectUrl } from "./spark-connect-url.js";
import { Http2Connection, type GrpcStream } from "./spark-connect-http2.js";
import { arrowDataOffset } from "./spark-connect-ipc.js";

/** Spark sends messages up to 128 MiB (one Arrow batch, or a large plan). */
const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;
/**
 * The HTTP/2 window: large enough to stream without waiting on window updates, and below the
 * 10 MiB of sent responses the server keeps for a reattach (observerRetryBufferSize). Responses in
 * flight when a connection breaks are lost with it; the server can only replay them if they are
 * still in that buffer, so the window must not let more than that be in flight.
 */
const FLOW_CONTROL_WINDOW = 5 * 1024 * 1024;

/** Quarry's version, as sent in `client_type`. */
function quarryVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { name?: string; version?: string };
    if (pkg.name === "quarry" && pkg.version) return pkg.version;
  } catch {
    // Running from an unusual layout: the version is informational only.
  }
  return "unknown";
}

/** How a client connects and retries. */
export interface SparkConnectClientOptions {
  readonly url: SparkConnectUrl;
  /** How long the first call waits for the server (connection set-up included). */
  readonly connectTimeoutMs?: number;
  /** Reattach attempts after a broken result stream before giving up. */
  readonly maxReattachAttempts?: number;
  /** Backoff before the first reattach; it grows 4x per attempt up to 10 s. */
  readonly initialBackoffMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isServiceError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === "number" && "metadata" in e;
}

/**
 * Whether a failed result stream may be resumed: the transport broke, not the query. Server-side
 * failures carry an ErrorInfo and are final.
 */
function isTransportFailure(e: grpc.ServiceError): boolean {
  if (errorInfoOf(e)) return false;
  if (e.code === GrpcCode.UNAVAILABLE) return true;
  if (e.code === GrpcCode.INTERNAL || e.code === GrpcCode.UNKNOWN || e.code === GrpcCode.CANCELLED) {
    return /RST_STREAM|stream|connection|socket|ECONNRESET|EPIPE|GOAWAY|closed/i.test(e.details ?? e.message);
  }
  return false;
}

/** A gRPC client for one Spark Connect session. */
export class SparkConnectClient {
  /** The session id this client sends (a UUID). */
  readonly sessionId: string;
  /** `quarry/<version>`, plus the URL's user_agent. */
  readonly clientType: string;
  private readonly userContext: UserContext;
  private readonly client: grpc.Client;
  private readonly metadataBase: grpc.Metadata;
  /** Request headers of the result streams (the same metadata as metadataBase, as HTTP/2 fields). */
  private readonly streamHeaders: ReadonlyArray<readonly [string, string]>;
  /** The connection of the result streams (see spark-connect-http2.ts); opened on first use. */
  private resultConnection: Http2Connection | null = null;
  private serverSideSessionId: string | null = null;
  private connected = false;
  private closed = false;
  private readonly connectTimeoutMs: number;
  private readonly maxReattachAttempts: number;
  private readonly initialBackoffMs: number;
  /** ReleaseExecute calls in flight, which close() lets finish before it releases the session. */
  private readonly releasing = new Set<Promise<unknown>>();

  constructor(private readonly opts: SparkConnectClientOptions) {
    const url = opts.url;
    this.sessionId = url.sessionId ?? randomUUID();
    const version = quarryVersion();
    this.clientType = `quarry/${version}${url.userAgent ? ` ${url.userAgent}` : ""}`;
    this.userContext = create(UserContextSchema, { userId: url.userId ?? process.env.USER ?? "quarry", userName: url.userId ?? process.env.USER ?? "" });
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 15_000;
    this.maxReattachAttempts = opts.maxReattachAttempts ?? 8;
    this.initialBackoffMs = opts.initialBackoffMs ?? 50;
    const creds = url.useSsl ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    this.client = new grpc.Client(url.address, creds, {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
      "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW,
      "grpc.primary_user_agent": `quarry/${version}`,
      "grpc.enable_retries": 0,
    });
    this.metadataBase = new grpc.Metadata();
    if (url.token) this.metadataBase.set("authorization", `Bearer ${url.token}`);
    for (const [k, v] of Object.entries(url.headers)) this.metadataBase.set(k, v);
    this.streamHeaders = [
      ["user-agent", `quarry/${version}`],
      ...Object.entries(this.metadataBase.toHttp2Headers()).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, String(x)] as const)),
    ];
  }

  /** `host:port` of the server, for messages. */
  get address(): string { return this.opts.url.address; }

  private common() {
    return {
      sessionId: this.sessionId,
      userContext: this.userContext,
      clientType: this.clientType,
      ...(this.serverSideSessionId ? { clientObservedServerSideSessionId: this.serverSideSessionId } : {}),
    };
  }

  private path(name: string): string { return `/${SparkConnectService.typeName}/${name}`; }

  /** Records the server's session id; a different one means the server restarted and the session is gone. */
  private observe(serverSideSessionId: string, what: string): void {
    if (!serverSideSessionId) return;
    if (this.serverSideSessionId === null) { this.serverSideSessionId = serverSideSessionId; return; }
    if (this.serverSideSessionId !== serverSideSessionId) {
      throw new ExecutionError(
        `The Spark Connect server at ${this.address} restarted during ${what}: this session's state (temp views, cached frames, settings) is gone. ` +
          `Create a new session with Session.builder().remote(...).create().`,
        "SPARK_CONNECT_SESSION_CHANGED",
      );
    }
  }

  private unavailable(e: grpc.ServiceError, what: string): QuarryError {
    const detail = (e.details || e.message).replace(/^\d+ [A-Z_]+: /, "");
    if (!this.connected) {
      return new ExecutionError(
        `Cannot reach the Spark Connect server at ${this.address} (${this.opts.url.url}) for ${what}: ${detail}. ` +
          `Start a local server with \`npm run spark:start\`, or check the host, the port and use_ssl in the URL.`,
        "SPARK_CONNECT_UNREACHABLE",
        { cause: e },
      );
    }
    return new ExecutionError(
      `Lost the connection to the Spark Connect server at ${this.address} during ${what}: ${detail}. The server may have stopped; check it and run the action again.`,
      "SPARK_CONNECT_UNAVAILABLE",
      { cause: e },
    );
  }

  /** Turns any failure of a call into a QuarryError, fetching Spark's error details when there are some. */
  async toQuarryError(e: unknown, what: string): Promise<Error> {
    if (!isServiceError(e)) return e instanceof Error ? e : new ExecutionError(String(e));
    if (e.code === GrpcCode.DEADLINE_EXCEEDED && !this.connected) {
      return new ExecutionError(
        `Cannot reach the Spark Connect server at ${this.address} (${this.opts.url.url}) for ${what}: no answer within ${this.connectTimeoutMs / 1000} s. ` +
          `Start a local server with \`npm run spark:start\`, or check the host, the port and use_ssl in the URL.`,
        "SPARK_CONNECT_UNREACHABLE",
        { cause: e },
      );
    }
    const info = errorInfoOf(e);
    if (!info && (e.code === GrpcCode.UNAVAILABLE || isTransportFailure(e))) return this.unavailable(e, what);
    if (e.code === GrpcCode.UNAUTHENTICATED) {
      return new ExecutionError(`The Spark Connect server at ${this.address} refused the credentials: ${e.details}. Check the token in the URL (;token=...).`, "SPARK_CONNECT_UNAUTHENTICATED", { cause: e });
    }
    let chain: ReturnType<typeof chainOf> = [];
    if (info?.errorId) {
      try {
        const details = await this.unary(SparkConnectService.method.fetchErrorDetails.input, SparkConnectService.method.fetchErrorDetails.output, "FetchErrorDetails",
          create(FetchErrorDetailsRequestSchema, { ...this.common(), errorId: info.errorId }), {});
        chain = chainOf(details);
      } catch {
        // The status message and error class are enough to report the failure.
      }
    }
    return sparkError(e, info, chain, what);
  }

  private metadata(): grpc.Metadata { return this.metadataBase.clone(); }

  private unary<I extends DescMessage, O extends DescMessage>(input: I, output: O, method: string, req: MessageShape<I>, opts: { deadlineMs?: number }): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) => {
      const callOpts: grpc.CallOptions = {};
      if (opts.deadlineMs !== undefined) callOpts.deadline = Date.now() + opts.deadlineMs;
      this.client.makeUnaryRequest(
        this.path(method),
        (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
        (b: Buffer) => fromBinary(output, b, { readUnknownFields: false }),
        req, this.metadata(), callOpts,
        (err, res) => (err ? reject(err) : resolve(res!)),
      );
    });
  }

  /** A unary call with Quarry's error mapping; the first call of a client also bounds the connection time. */
  private async call<I extends DescMessage, O extends DescMessage>(input: I, output: O, method: string, req: MessageShape<I>, what: string): Promise<MessageShape<O>> {
    this.checkOpen(what);
    const first = !this.connected;
    try {
      const res = await this.unary(input, output, method, req, first ? { deadlineMs: this.connectTimeoutMs } : {});
      this.connected = true;
      const sid = (res as { serverSideSessionId?: string }).serverSideSessionId;
      if (sid) this.observe(sid, what);
      return res;
    } catch (e) {
      throw await this.toQuarryError(e, what);
    }
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new ExecutionError(`${what}: this Spark Connect session has been stopped.`, "SESSION_STOPPED");
  }

  /** Runs a Config operation (set, get, unset). */
  config(operation: MessageInitShape<typeof ConfigRequestSchema>["operation"], what = "spark.conf"): Promise<ConfigResponse> {
    const req = create(ConfigRequestSchema, { ...this.common(), operation: operation as ConfigRequest_Operation });
    const m = SparkConnectService.method.config;
    return this.call(m.input, m.output, "Config", req, what);
  }

  /** Runs an AnalyzePlan request (schema, explain, persist...). */
  analyze(analyze: MessageInitShape<typeof AnalyzePlanRequestSchema>["analyze"], what: string): Promise<AnalyzePlanResponse> {
    const req = create(AnalyzePlanRequestSchema, { ...this.common(), analyze } as MessageInitShape<typeof AnalyzePlanRequestSchema>);
    const m = SparkConnectService.method.analyzePlan;
    return this.call(m.input, m.output, "AnalyzePlan", req, what);
  }

  /**
   * Starts an ExecutePlan or ReattachExecute call on the result transport. Result streams bypass
   * gRPC-js: its per-chunk buffers and message reassembly cost more client CPU than the decoding
   * (see spark-connect-http2.ts); the unary calls stay on gRPC-js.
   */
  private stream<I extends DescMessage>(input: I, method: string, req: MessageShape<I>): Promise<GrpcStream> {
    if (!this.resultConnection?.usable) {
      this.resultConnection?.close();
      const { host, port, useSsl } = this.opts.url;
      this.resultConnection = new Http2Connection({ host, port, tls: useSsl, connectTimeoutMs: this.connectTimeoutMs, window: FLOW_CONTROL_WINDOW });
    }
    return this.resultConnection.call(this.path(method), this.streamHeaders, toBinary(input, req), arrowDataOffset, MAX_MESSAGE_BYTES);
  }

  /**
   * Executes a plan and yields every response of its result stream, reattaching after a broken or
   * early-ended stream. Returns only after `result_complete`; throws otherwise.
   * @param plan a relation (a query) or a command.
   * @param what the user's action, for messages (`collect()`).
   */
  async *execute(plan: Plan, what: string): AsyncGenerator<ExecutePlanResponse> {
    this.checkOpen(what);
    const operationId = randomUUID();
    const request = create(ExecutePlanRequestSchema, {
      ...this.common(),
      operationId,
      plan,
      requestOptions: [{ requestOption: { case: "reattachOptions", value: { reattachable: true } } }],
      tags: ["quarry"],
    });
    let lastResponseId: string | undefined;
    let complete = false;
    let attempts = 0;
    let reattaching = false;
    let received = 0;
    try {
      for (;;) {
        let call: GrpcStream | null = null;
        try {
          call = await (reattaching
            ? this.stream(ReattachExecuteRequestSchema, "ReattachExecute", create(ReattachExecuteRequestSchema, { ...this.common(), operationId, ...(lastResponseId ? { lastResponseId } : {}) }))
            : this.stream(ExecutePlanRequestSchema, "ExecutePlan", request));
          for await (const message of call) {
            const r = fromBinary(ExecutePlanResponseSchema, message, { readUnknownFields: false });
            this.connected = true;
            attempts = 0;
            this.observe(r.serverSideSessionId, what);
            lastResponseId = r.responseId;
            received++;
            if (r.responseType.case === "resultComplete") complete = true;
            yield r;
          }
          if (complete) return;
          // The server ended the stream early on purpose (it bounds a stream's time and size).
          // A stream that ends with nothing new, again and again, would never finish: bound it.
          if (attempts++ >= this.maxReattachAttempts) {
            throw new ExecutionError(
              `The result stream of ${what} from the Spark Connect server at ${this.address} kept ending without its result being complete ` +
                `(${received} responses); the partial result was discarded. Run the action again.`,
              "SPARK_CONNECT_RESULT_INCOMPLETE",
            );
          }
          reattaching = true;
        } catch (e) {
          if (!isServiceError(e)) throw e;
          const info = errorInfoOf(e);
          const notFound = info?.errorClass?.startsWith("INVALID_HANDLE.OPERATION_NOT_FOUND") ?? false;
          if (reattaching && notFound && received === 0) {
            // The first ExecutePlan never reached the server: send it again.
            reattaching = false;
            continue;
          }
          if (notFound || info?.errorClass?.startsWith("INVALID_HANDLE.SESSION")) {
            throw new ExecutionError(
              `The Spark Connect server at ${this.address} no longer knows operation ${operationId} of ${what} ` +
                `(${info?.errorClass}); ${received} responses had arrived, so the result is incomplete and was discarded. ` +
                `The server may have restarted; run the action again.`,
              "SPARK_CONNECT_RESULT_INCOMPLETE",
              { cause: e },
            );
          }
          if (isTransportFailure(e) && attempts < this.maxReattachAttempts && !this.closed) {
            attempts++;
            await sleep(Math.min(10_000, this.initialBackoffMs * 4 ** (attempts - 1)));
            reattaching = true;
            continue;
          }
          if (isTransportFailure(e) && received > 0) {
            throw new ExecutionError(
              `The result stream of ${what} from the Spark Connect server at ${this.address} broke and could not be resumed after ` +
                `${attempts} attempts (${e.details}); the partial result was discarded. Check the server and run the action again.`,
              "SPARK_CONNECT_RESULT_INCOMPLETE",
              { cause: e },
            );
          }
          throw await this.toQuarryError(e, what);
        } finally {
          // Ends the call when the caller stopped reading early or the stream failed (a no-op after the end).
          call?.cancel();
        }
      }
    } finally {
      // Frees the server's buffered responses; when the caller stopped early this also ends the query.
      if (!this.closed && (received > 0 || reattaching)) this.release(operationId);
    }
  }

  private release(operationId: string): void {
    const m = SparkConnectService.method.releaseExecute;
    const req = create(ReleaseExecuteRequestSchema, { ...this.common(), operationId, release: { case: "releaseAll", value: {} } });
    const p: Promise<unknown> = this.unary(m.input, m.output, "ReleaseExecute", req, { deadlineMs: 30_000 }).catch(() => undefined).finally(() => this.releasing.delete(p));
    this.releasing.add(p);
  }

  /** Interrupts every running operation of this session. */
  async interrupt(): Promise<void> {
    if (this.closed) return;
    const m = SparkConnectService.method.interrupt;
    await this.call(m.input, m.output, "Interrupt", create(InterruptRequestSchema, { ...this.common(), interruptType: InterruptRequest_InterruptType.ALL }), "interrupt()");
  }

  /** Releases the server-side session and closes the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await Promise.all([...this.releasing]);
      if (this.connected) {
        const m = SparkConnectService.method.releaseSession;
        await this.unary(m.input, m.output, "ReleaseSession", create(ReleaseSessionRequestSchema, { sessionId: this.sessionId, userContext: this.userContext, clientType: this.clientType }), { deadlineMs: 10_000 });
      }
    } catch {
      // The server may already be gone; the channel closes either way.
    } finally {
      this.closed = true;
      this.resultConnection?.close();
      this.client.close();
    }
  }
}
