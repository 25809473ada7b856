/**
 * The `rate` source (for tests and demos): `rowsPerSecond` rows per second with columns
 * `timestamp` and `value` (0, 1, 2...). The offset is the number of whole seconds since the query
 * first started (kept in the source's checkpoint directory), so a batch replays the same rows.
 */
import path from "node:path";
import { IllegalArgumentError, q } from "../../errors.js";
import { ProjectNode, RangeNode } from "../../plan/nodes/index.js";
import { SqlExpr } from "../../plan/expr/index.js";
import { parseSchemaDDL } from "../../plan/types.js";
import type { PlanNode } from "../../plan/visitor.js";
import type { JsonValue, ReadLimitContext, SourceContext, StreamSource } from "../contracts.js";
import type { StreamSourceNode } from "../../plan/nodes/stream-source-node.js";
import { readFileOrNull, writeFileOnce } from "../files.js";

const KNOWN = new Set(["rowspersecond", "numpartitions", "rampuptime"]);

function positiveInt(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new IllegalArgumentError(`rate source: option ${q(name)} must be a positive integer, got ${JSON.stringify(v)}.`, "INVALID_OPTION");
  return n;
}

/** Creates a rate source. */
export function createRateSource(ctx: SourceContext, node: StreamSourceNode): StreamSource {
  for (const k of Object.keys(node.options)) {
    if (!KNOWN.has(k.toLowerCase())) throw new IllegalArgumentError(`Unknown rate source option ${q(k)}. Known options: rowsPerSecond, numPartitions.`, "UNKNOWN_OPTION");
  }
  const opt = (k: string) => Object.entries(node.options).find(([x]) => x.toLowerCase() === k)?.[1];
  const rps = positiveInt(opt("rowspersecond"), "rowsPerSecond", 1);
  positiveInt(opt("numpartitions"), "numPartitions", 1);
  if (opt("rampuptime") !== undefined && opt("rampuptime") !== "0" && opt("rampuptime") !== "0s") {
    throw new IllegalArgumentError("rate source: rampUpTime is not supported; leave it out (rows arrive at rowsPerSecond from the start).", "UNSUPPORTED_OPTION");
  }
  const startFile = path.join(ctx.sourceDir, "start");
  writeFileOnce(startFile, JSON.stringify({ startTimeMs: Date.now() }));
  const startMs = Number(JSON.parse(readFileOrNull(startFile)!).startTimeMs);
  let fixedEnd: number | null = null;
  const elapsed = () => Math.floor((Date.now() - startMs) / 1000);
  return {
    description: `RateStreamV2[rowsPerSecond=${rps}, rampUpTimeSeconds=0, numPartitions=default`,
    schema: parseSchemaDDL("timestamp TIMESTAMP, value BIGINT"),
    async initialOffset() { return 0; },
    async latestOffset(start: JsonValue, _limit: ReadLimitContext) {
      const now = fixedEnd ?? elapsed();
      return now > Number(start) ? now : null;
    },
    async prepareForTriggerAvailableNow() { fixedEnd = elapsed(); },
    async getBatch(start: JsonValue, end: JsonValue): Promise<PlanNode> {
      const s = Number(start), e = Number(end);
      // Row v belongs to second floor(v / rps) and is spread evenly inside it.
      const ts = `make_timestamptz(CAST(${startMs * 1000} + (id // ${rps}) * 1000000 + ((id % ${rps}) * 1000000) // ${rps} AS BIGINT)) AS timestamp`;
      return ProjectNode.create(RangeNode.create(s * rps, e * rps, 1), [SqlExpr.create(ts), SqlExpr.create("id AS value")]);
    },
    async commit() { /* rows are computed, nothing to release */ },
    async metrics() { return {}; },
    async stop() { /* nothing held */ },
  };
}
