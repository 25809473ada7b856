/**
 * Rebuilds a plan with its stream leaves replaced, keeping every other node as it is (same
 * frozen objects where nothing below changed). The streaming engine uses it to turn a streaming
 * plan into one micro-batch's batch plan.
 */
import type { PlanNode } from "./visitor.js";
import type { StreamSourceNode } from "./nodes/stream-source-node.js";

/** `plan` with each node for which `f` returns a node replaced by it (top-down; replaced subtrees are not visited). */
export function transformPlan(plan: PlanNode, f: (n: PlanNode) => PlanNode | undefined): PlanNode {
  const hit = f(plan);
  if (hit) return hit;
  const rec = plan as unknown as Record<string, unknown>;
  let changed = false;
  const next: Record<string, unknown> = { ...rec };
  for (const key of ["child", "left", "right"] as const) {
    const v = rec[key];
    if (v && typeof v === "object" && "kind" in v) {
      const t = transformPlan(v as PlanNode, f);
      if (t !== v) { next[key] = t; changed = true; }
    }
  }
  return changed ? Object.freeze(next) as unknown as PlanNode : plan;
}

/** `plan` with the i-th stream leaf (in depth-first, left-to-right order) replaced by `f(leaf, i)`. */
export function substituteStreamSources(plan: PlanNode, f: (n: StreamSourceNode, index: number) => PlanNode): PlanNode {
  let i = 0;
  return transformPlan(plan, (n) => (n.kind === "StreamSourceNode" ? f(n, i++) : undefined));
}
