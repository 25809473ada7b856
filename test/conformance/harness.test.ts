// Checks the harness itself: the unsupported-marker contract and the comparison helpers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { UnsupportedOperationError, AnalysisError } from "quarry";
import { runMarked, sortRows, approxEqual, compareStrings, valuesEqual, utcDate, BACKENDS, FEATURES } from "./harness.js";

describe("conformance harness", () => {
  it("a marked test passes when the backend throws UnsupportedOperationError", async () => {
    await runMarked("fake", "some.feature", "not yet", () => {
      throw new UnsupportedOperationError("some.feature is not supported");
    });
  });

  it("a marked test that passes fails with 'marker no longer needed'", async () => {
    await assert.rejects(runMarked("fake", "some.feature", "not yet", async () => {}), /marker no longer needed/);
  });

  it("a marked test that fails with another error still fails", async () => {
    await assert.rejects(
      runMarked("fake", "some.feature", "not yet", () => {
        throw new AnalysisError("wrong column");
      }),
      /UnsupportedOperationError was expected/,
    );
  });

  it("every backend's markers name known features, with a reason", () => {
    for (const b of BACKENDS) {
      for (const [k, reason] of Object.entries(b.unsupported)) {
        assert.ok(k in FEATURES, `${b.name}: unknown feature key ${k}`);
        assert.ok(typeof reason === "string" && reason.length > 0, `${b.name}: ${k} needs a reason`);
      }
    }
  });

  it("sortRows puts nulls first and orders strings by code point", () => {
    const rows = [{ s: "😀" }, { s: "ｚ" }, { s: null }, { s: "a" }, { s: "B" }];
    assert.deepEqual(sortRows(rows, "s").map((r) => r.s), [null, "B", "a", "ｚ", "😀"]);
    assert.ok(compareStrings("ｚ", "😀") < 0);
  });

  it("approxEqual and valuesEqual", () => {
    assert.ok(approxEqual(0.1 + 0.2, 0.3));
    assert.ok(!approxEqual(1, 1.001));
    assert.ok(approxEqual(NaN, NaN));
    assert.ok(valuesEqual({ a: [1, { b: utcDate(2024, 1, 1) }] }, { a: [1, { b: new Date("2024-01-01T00:00:00Z") }] }, 0));
    assert.ok(!valuesEqual({ a: 1 }, { a: 1, b: null }, 0));
    assert.ok(!valuesEqual(1, "1", 0));
    assert.equal(utcDate(1, 1, 1).toISOString(), "0001-01-01T00:00:00.000Z");
  });
});
