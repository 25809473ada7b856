/** The Kafka source and sink option rules (Spark's), checked without a broker. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { IllegalArgumentError } from "quarry";
import { parseSourceOptions, parseSinkOptions, parseOffsetsJson } from "#kafka";

const B = { "kafka.bootstrap.servers": "127.0.0.1:9092" };

function fails(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: Error) => e instanceof IllegalArgumentError && pattern.test(e.message));
}

describe("Kafka source options", () => {
  it("needs exactly one of subscribe, subscribePattern and assign", () => {
    fails(() => parseSourceOptions({ ...B }, false), /One of the Kafka options 'subscribe'.*must be specified/);
    fails(() => parseSourceOptions({ ...B, subscribe: "a", subscribePattern: "b.*" }, false), /Only one of .*got 'subscribe', 'subscribePattern'/);
    assert.deepEqual(parseSourceOptions({ ...B, subscribe: "a, b" }, false).subscription, { kind: "subscribe", topics: ["a", "b"] });
    assert.deepEqual(parseSourceOptions({ ...B, assign: '{"t":[0,2]}' }, false).subscription, { kind: "assign", partitions: { t: [0, 2] } });
    fails(() => parseSourceOptions({ ...B, assign: "[0]" }, false), /'assign' must be a JSON object/);
    const pat = parseSourceOptions({ ...B, subscribePattern: "ev.*" }, false).subscription;
    assert.ok(pat.kind === "subscribePattern" && pat.pattern.test("events") && !pat.pattern.test("xevents"));
  });

  it("needs kafka.bootstrap.servers", () => {
    fails(() => parseSourceOptions({ subscribe: "a" }, false), /'kafka.bootstrap.servers' must be specified/);
  });

  it("refuses the consumer settings Spark refuses, naming them", () => {
    for (const k of ["kafka.group.id", "kafka.auto.offset.reset", "kafka.key.deserializer", "kafka.value.deserializer", "kafka.enable.auto.commit"]) {
      fails(() => parseSourceOptions({ ...B, subscribe: "a", [k]: "x" }, false), new RegExp(`'${k.replace(/\./g, "\\.")}' is not supported`));
    }
    fails(() => parseSourceOptions({ ...B, subscribe: "a", startingOffset: "earliest" }, false), /Unknown Kafka source option 'startingOffset'/);
  });

  it("offsets: batch defaults earliest..latest, streams start at latest; JSON with -2/-1", () => {
    const batch = parseSourceOptions({ ...B, subscribe: "a" }, false);
    assert.deepEqual([batch.startingOffsets.kind, batch.endingOffsets.kind], ["earliest", "latest"]);
    assert.equal(parseSourceOptions({ ...B, subscribe: "a" }, true).startingOffsets.kind, "latest");
    assert.deepEqual(parseSourceOptions({ ...B, subscribe: "a", startingOffsets: '{"a":{"0":-2,"1":7}}' }, false).startingOffsets, { kind: "specific", offsets: { a: { 0: -2, 1: 7 } } });
    fails(() => parseSourceOptions({ ...B, subscribe: "a", startingOffsets: "latest" }, false), /startingOffsets cannot be "latest" for a batch query/);
    fails(() => parseSourceOptions({ ...B, subscribe: "a", endingOffsets: "earliest" }, false), /endingOffsets cannot be "earliest"/);
    fails(() => parseSourceOptions({ ...B, subscribe: "a", endingOffsets: "latest" }, true), /'endingOffsets' is for batch reads/);
    fails(() => parseOffsetsJson("startingOffsets", '{"a":{"x":1}}'), /partition "x" of topic "a" is not a partition number/);
    fails(() => parseOffsetsJson("startingOffsets", '{"a":{"0":-3}}'), /must be an integer >= -2/);
    fails(() => parseOffsetsJson("startingOffsets", "{nope"), /not valid JSON/);
  });

  it("failOnDataLoss, maxOffsetsPerTrigger, includeHeaders, kafka.isolation.level", () => {
    const o = parseSourceOptions({ ...B, subscribe: "a", failOnDataLoss: "false", maxOffsetsPerTrigger: "100", includeHeaders: "true", "kafka.isolation.level": "read_committed" }, true);
    assert.deepEqual([o.failOnDataLoss, o.maxOffsetsPerTrigger, o.includeHeaders, o.isolationLevel], [false, 100, true, 1]);
    fails(() => parseSourceOptions({ ...B, subscribe: "a", maxOffsetsPerTrigger: "0" }, true), /maxOffsetsPerTrigger must be a positive integer/);
    fails(() => parseSourceOptions({ ...B, subscribe: "a", failOnDataLoss: "maybe" }, true), /failOnDataLoss must be "true" or "false"/);
  });
});

describe("Kafka sink options", () => {
  it("needs kafka.bootstrap.servers; topic is optional; serializers are refused", () => {
    fails(() => parseSinkOptions({ topic: "t" }), /'kafka.bootstrap.servers' must be specified for the Kafka sink/);
    assert.equal(parseSinkOptions({ ...B }).topic, null);
    assert.equal(parseSinkOptions({ ...B, topic: "t" }).topic, "t");
    fails(() => parseSinkOptions({ ...B, "kafka.value.serializer": "x" }), /'kafka.value.serializer' is not supported/);
  });
});
