/** `df.na`: dropping and filling missing values. */
import { NaDropNode, NaFillNode } from "../plan/nodes/index.js";
import { IllegalArgumentError } from "../errors.js";
import { DataFrame } from "./dataframe.js";

type FillValue = number | string | boolean;

export class DataFrameNaFunctions {
  constructor(private readonly df: DataFrame) { Object.freeze(this); }

  /**
   * Drops rows with null (or NaN) values: `how` "any" (default) or "all"; `thresh` keeps rows with
   * at least that many non-null values; `subset` limits the columns considered.
   */
  drop(how: "any" | "all" = "any", thresh?: number, subset?: readonly string[]): DataFrame {
    if (how !== "any" && how !== "all") throw new IllegalArgumentError(`na.drop(how): use "any" or "all", got ${JSON.stringify(how)}.`);
    return new DataFrame(this.df.session, NaDropNode.create(this.df.plan, how, thresh ?? null, subset ? [...subset] : null));
  }
  /**
   * Replaces nulls: a number fills numeric columns, a string fills string columns, a boolean
   * boolean columns; an object gives a value per column.
   */
  fill(value: FillValue | Record<string, FillValue>, subset?: readonly string[]): DataFrame {
    if (value !== null && typeof value === "object") {
      return new DataFrame(this.df.session, NaFillNode.create(this.df.plan, null, { ...value }, null));
    }
    if (!["number", "string", "boolean"].includes(typeof value)) throw new IllegalArgumentError(`na.fill(value): use a number, string, boolean or { column: value }, got ${typeof value}.`);
    return new DataFrame(this.df.session, NaFillNode.create(this.df.plan, value, null, subset ? [...subset] : null));
  }
}
