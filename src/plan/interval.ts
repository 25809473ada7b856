/**
 * Durations as Spark writes them in streaming APIs (`"10 seconds"`, `"1 minute"`,
 * `"1 hour 30 minutes"`, `"500 milliseconds"`, `"interval 2 days"`), in milliseconds.
 */
import { IllegalArgumentError } from "../errors.js";

const UNIT_MS: Record<string, number> = {
  microsecond: 0.001, millisecond: 1, ms: 1, second: 1000, sec: 1000, s: 1000, minute: 60000, min: 60000, m: 60000,
  hour: 3600000, h: 3600000, day: 86400000, d: 86400000, week: 604800000,
};

/**
 * Parses a duration such as `"10 seconds"` into milliseconds.
 * @param what names the argument in the error (e.g. `withWatermark delay`).
 * @throws IllegalArgumentError when the text is not a duration.
 * @example parseDurationMs("1 minute", "window duration") // 60000
 */
export function parseDurationMs(text: string | number, what: string): number {
  if (typeof text === "number") {
    if (Number.isFinite(text) && text >= 0) return text;
    throw new IllegalArgumentError(`${what}: ${text} is not a duration; give milliseconds >= 0 or a string such as "10 seconds".`, "INVALID_DURATION");
  }
  const s = String(text).trim().toLowerCase().replace(/^interval\s+/, "");
  const re = /(-?\d+(?:\.\d+)?)\s*([a-z]+)/g;
  let total = 0, m: RegExpExecArray | null, consumed = "";
  while ((m = re.exec(s)) !== null) {
    const unit = m[2].replace(/s$/, "") || m[2];
    const ms = UNIT_MS[unit] ?? UNIT_MS[m[2]];
    if (ms === undefined) break;
    total += Number(m[1]) * ms;
    consumed += m[0];
  }
  if (consumed.replace(/\s+/g, "") !== s.replace(/\s+/g, "") || s === "" || total < 0) {
    throw new IllegalArgumentError(`${what}: cannot parse ${JSON.stringify(text)} as a duration. Write it like "10 seconds", "1 minute", "2 hours" or "500 milliseconds".`, "INVALID_DURATION");
  }
  return total;
}
