import type { StructType } from "../types.js";

/**
 * The leaf of a streaming DataFrame (`spark.readStream...load()`): which source, its options and
 * paths, and the schema of its rows when known before the query starts. The streaming engine
 * replaces it with the source's batch plan for each micro-batch; a backend never runs it directly.
 */
export interface StreamSourceNode {
  readonly kind: "StreamSourceNode";
  readonly format: string;
  readonly options: Readonly<Record<string, string>>;
  readonly paths: readonly string[];
  readonly schema: StructType | null;
}

export const StreamSourceNode = {
  create(format: string, options: Readonly<Record<string, string>>, paths: readonly string[], schema: StructType | null): StreamSourceNode {
    return Object.freeze({ kind: "StreamSourceNode", format, options: Object.freeze({ ...options }), paths: Object.freeze([...paths]), schema });
  },
};
