/** Entry point of the Spark Connect backend, loaded only when a session asks for `.remote(...)`. */
import type { Backend, BackendOptions } from "../backend.js";
import { SparkConnectBackend } from "./spark-connect-backend.js";

/**
 * Connects to a Spark Connect server and opens a session on it.
 * @param url `sc://host:port`, optionally with `/;token=...;use_ssl=true;user_id=...`.
 * @param options the session's app name, master (ignored: the server decides) and settings.
 * @returns a backend whose plans run on the server.
 * @throws ExecutionError naming the address when the server cannot be reached in time
 *   (`quarry.spark.connectTimeoutMs`, 15 s by default); IllegalArgumentError for a malformed URL.
 * @example
 * const backend = await createSparkConnectBackend("sc://127.0.0.1:15002", { appName: "demo", master: "local[*]", config: new Map() });
 */
export async function createSparkConnectBackend(url: string, options: BackendOptions): Promise<Backend> {
  return SparkConnectBackend.create(url, options);
}
