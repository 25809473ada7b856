/**
 * Spark Connect connection strings, as Spark's own clients accept them:
 * `sc://host:port/;token=...;use_ssl=true;user_id=...;session_id=...`. Parameters Quarry does not
 * know are sent to the server as gRPC metadata headers, as the connection-string specification asks.
 */
import { IllegalArgumentError } from "../../errors.js";

/** A parsed `sc://` connection string. */
export interface SparkConnectUrl {
  /** The original string, for messages. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** `host:port` as gRPC dials it (IPv6 hosts in brackets). */
  readonly address: string;
  /** A bearer token sent as `authorization: Bearer <token>` on every call. */
  readonly token: string | null;
  readonly useSsl: boolean;
  readonly userId: string | null;
  /** Appended to the client type (`quarry/<version> <userAgent>`). */
  readonly userAgent: string | null;
  /** A session id chosen by the caller (a UUID); otherwise Quarry picks one. */
  readonly sessionId: string | null;
  /** Other parameters, sent as metadata headers. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The port Spark Connect listens on unless told otherwise. */
export const DEFAULT_SPARK_CONNECT_PORT = 15002;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses a Spark Connect connection string.
 * @param url e.g. `sc://localhost:15002`, `sc://spark.example.com:443/;use_ssl=true;token=abc`.
 * @returns The host, port, TLS and credential settings.
 * @throws IllegalArgumentError naming the part of the string that is wrong.
 * @example
 * parseSparkConnectUrl("sc://127.0.0.1:15002").address; // "127.0.0.1:15002"
 */
export function parseSparkConnectUrl(url: string): SparkConnectUrl {
  const bad = (why: string): never => {
    throw new IllegalArgumentError(
      `Invalid Spark Connect URL ${JSON.stringify(url)}: ${why}. Write it as sc://host:port, optionally followed by ` +
        `/;token=...;use_ssl=true (for example sc://localhost:15002).`,
      "INVALID_SPARK_CONNECT_URL",
    );
  };
  if (typeof url !== "string" || !url.startsWith("sc://")) bad("it must start with sc://");
  const rest = url.slice("sc://".length);
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const tail = slash < 0 ? "" : rest.slice(slash + 1);
  if (authority === "") bad("the host is missing");

  let host: string;
  let portText: string | undefined;
  if (authority.startsWith("[")) {
    const end = authority.indexOf("]");
    if (end < 0) bad("an IPv6 host needs a closing ]");
    host = authority.slice(1, end);
    const after = authority.slice(end + 1);
    if (after !== "" && !after.startsWith(":")) bad(`unexpected ${JSON.stringify(after)} after the host`);
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const parts = authority.split(":");
    if (parts.length > 2) bad("an IPv6 host must be written in brackets, e.g. sc://[::1]:15002");
    host = parts[0];
    portText = parts[1];
  }
  if (host === "") bad("the host is missing");
  let port = DEFAULT_SPARK_CONNECT_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) bad(`the port ${JSON.stringify(portText)} is not a number from 1 to 65535`);
    port = Number(portText);
  }

  if (tail !== "" && !tail.startsWith(";")) bad("the path must be empty; parameters follow a slash and a semicolon, as in sc://host:15002/;token=abc");
  const params = new Map<string, string>();
  for (const part of tail.split(";")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) bad(`the parameter ${JSON.stringify(part)} is not key=value`);
    params.set(part.slice(0, eq), decodeURIComponent(part.slice(eq + 1)));
  }
  const take = (key: string): string | null => {
    const v = params.get(key);
    params.delete(key);
    return v ?? null;
  };
  const token = take("token");
  const ssl = take("use_ssl");
  if (ssl !== null && ssl !== "true" && ssl !== "false") bad(`use_ssl must be true or false, got ${JSON.stringify(ssl)}`);
  const sessionId = take("session_id");
  if (sessionId !== null && !UUID.test(sessionId)) bad(`session_id must be a UUID, got ${JSON.stringify(sessionId)}`);
  const userId = take("user_id");
  const userAgent = take("user_agent");
  const headers: Record<string, string> = {};
  for (const [k, v] of params) headers[k.toLowerCase()] = v;
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return { url, host, port, address, token, useSsl: ssl === "true", userId, userAgent, sessionId, headers };
}
