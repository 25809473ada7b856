
/** The integers `start <= id < end` by `step`, in a column `id` of type bigint. */
export interface RangeNode {
  readonly kind: "RangeNode";
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

export const RangeNode = {
  create(start: number, end: number, step: number): RangeNode {
    return Object.freeze({ kind: "RangeNode", start, end, step });
  },
};
