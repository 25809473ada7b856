import type { PlanNode } from "../visitor.js";

/**
 * `withWatermark(column, delay)`: marks `column` as the event time of a stream and bounds its
 * lateness. A batch query passes rows through unchanged (as in Spark); the streaming engine drops
 * and counts late rows before a stateful operator and evicts state with it.
 */
export interface WatermarkNode {
  readonly kind: "WatermarkNode";
  readonly child: PlanNode;
  readonly column: string;
  /** The delay as the user wrote it (`"10 seconds"`). */
  readonly delay: string;
  readonly delayMs: number;
}

export const WatermarkNode = {
  create(child: PlanNode, column: string, delay: string, delayMs: number): WatermarkNode {
    return Object.freeze({ kind: "WatermarkNode", child, column, delay, delayMs });
  },
};
