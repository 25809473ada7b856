// The throughput topic of the Kafka streaming benchmarks (kafka.mjs, kafka-profile.mjs): N JSON
// events {"user":"u<k>","amount":x,"ts":"<iso>"} (1000 keys, event times 5 ms apart from
// 2024-01-01, a fixed pseudo-random sequence) in a fresh 4-partition topic.
import { Admin, Producer } from "@platformatic/kafka";

/** Creates `topic` with 4 partitions. */
export async function createTopic(servers, topic) {
  const admin = new Admin({ clientId: "bench", bootstrapBrokers: [servers] });
  try { await admin.createTopics({ topics: [topic], partitions: 4, replicas: 1 }); } finally { await admin.close(); }
}

/** Produces the N events to `topic` (acks from the leader). */
export async function produceEvents(servers, topic, N) {
  const producer = new Producer({ clientId: "bench", bootstrapBrokers: [servers], acks: 1 });
  const t0 = Date.UTC(2024, 0, 1);
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < N; i += 20_000) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + 20_000); j++) {
      const user = `u${Math.floor(rnd() * 1000)}`;
      messages.push({ topic, key: Buffer.from(user), value: Buffer.from(`{"user":"${user}","amount":${Math.floor(rnd() * 10000) / 100},"ts":"${new Date(t0 + j * 5).toISOString()}"}`) });
    }
    await producer.send({ messages });
  }
  await producer.close();
}
