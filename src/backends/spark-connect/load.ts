/** Entry point of the Spark Connect backend, loaded only when a session asks for `.remote(...)`. */
import { UnsupportedOperationError } from "../../errors.js";
import type { Backend, BackendOptions } from "../backend.js";

/** Connects to a Spark Connect server. */
export async function createSparkConnectBackend(url: string, _options: BackendOptions): Promise<Backend> {
  throw new UnsupportedOperationError(
    `The Spark Connect backend (${url}) is not available in this build yet. Remove .remote(...) (and SPARK_REMOTE) to run on the embedded DuckDB engine.`,
    "SPARK_CONNECT_UNAVAILABLE",
  );
}
