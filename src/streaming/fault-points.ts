/**
 * Named points in the micro-batch protocol where a crash test can kill the process. Inert unless
 * the environment variable `QUARRY_STREAMING_KILL_AT` names a point as `phase@batchId`
 * (e.g. `afterOffsetsWal@3`): then the process sends itself SIGKILL there, as a power cut would.
 */
export type FaultPoint = "afterOffsetsWal" | "afterStateWrite" | "sinkBeforeManifest" | "sinkBeforeCommit" | "afterSink" | "afterCommit";

const spec = process.env["QUARRY_STREAMING_KILL_AT"] ?? "";

/** Kills the process at `point` of batch `batchId` when the test asked for it. */
export function faultPoint(point: FaultPoint, batchId: number): void {
  if (spec && spec === `${point}@${batchId}`) process.kill(process.pid, "SIGKILL");
}
