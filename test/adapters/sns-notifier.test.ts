import { Writable } from "node:stream";
import type { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSnsClient } from "../../lambda/adapters/aws-clients.js";
import { SnsNotifier, StdoutNotifier, sanitizeSubject } from "../../lambda/adapters/sns-notifier.js";
import type { OutboundAlert } from "../../lambda/core/ports.js";
import {
  clientConfig,
  createTopicWithQueue,
  drainQueue,
  type MotoServer,
  startMoto,
} from "../support/moto.js";

function anAlert(overrides: Partial<OutboundAlert> = {}): OutboundAlert {
  return {
    subject: "[HIGH] aws-auth changed on prod: system:masters granted",
    email:
      "aws-auth on prod changed.\n\nAdded to system:masters: arn:aws:iam::111122223333:role/Contractor\n",
    chatbot: JSON.stringify({
      version: "1.0",
      source: "custom",
      content: { title: "aws-auth changed on prod", description: "system:masters granted" },
    }),
    attributes: { severity: "HIGH", class: "escalation", cluster: "prod" },
    ...overrides,
  };
}

describe("SnsNotifier (moto SNS → SQS)", () => {
  let moto: MotoServer;
  let sns: SNSClient;
  let sqs: SQSClient;
  let topicArn: string;
  let queueUrl: string;

  beforeAll(async () => {
    moto = await startMoto();
    sns = createSnsClient(moto.env);
    sqs = new SQSClient(clientConfig(moto.env));
    ({ topicArn, queueUrl } = await createTopicWithQueue(sns, sqs, "guardian-alerts"));
  });

  afterAll(async () => {
    sns?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  it("delivers the chatbot JSON, subject and attributes to an SQS subscriber", async () => {
    // Prepare
    const alert = anAlert();
    const notifier = new SnsNotifier(sns, topicArn);

    // Act
    await notifier.publish(alert);
    const received = await drainQueue(sqs, queueUrl);

    // Assess
    expect(received).toHaveLength(1);
    const [envelope] = received;
    expect(envelope?.TopicArn).toBe(topicArn);
    expect(envelope?.Subject).toBe(alert.subject);
    // SQS is not "email", so with MessageStructure json it gets the `default` entry: the chatbot text.
    expect(envelope?.Message).toBe(alert.chatbot);
    expect(envelope?.MessageAttributes).toEqual({
      severity: { Type: "String", Value: "HIGH" },
      class: { Type: "String", Value: "escalation" },
      cluster: { Type: "String", Value: "prod" },
    });
  });

  it("sends a single-line subject under 100 characters whatever the core produced", async () => {
    // Prepare
    const notifier = new SnsNotifier(sns, topicArn);
    const unruly = `[HIGH]\taws-auth changed\r\non ${"very-long-cluster-name-".repeat(6)}`;

    // Act
    await notifier.publish(anAlert({ subject: unruly }));
    const [envelope] = await drainQueue(sqs, queueUrl);

    // Assess
    const subject = envelope?.Subject ?? "";
    expect(subject).not.toMatch(/[\r\n\t]/);
    expect(Array.from(subject).length).toBeLessThan(100);
    expect(subject.startsWith("[HIGH] aws-auth changed on very-long-cluster-name-")).toBe(true);
    expect(subject.endsWith("…")).toBe(true);
  });

  it("leaves out attributes with empty values, which SNS would reject", async () => {
    // Prepare
    const notifier = new SnsNotifier(sns, topicArn);

    // Act
    await notifier.publish(anAlert({ attributes: { severity: "LOW", cluster: "" } }));
    const [envelope] = await drainQueue(sqs, queueUrl);

    // Assess
    expect(envelope?.MessageAttributes).toEqual({ severity: { Type: "String", Value: "LOW" } });
  });

  it("rejects when the topic does not exist", async () => {
    // Prepare
    const notifier = new SnsNotifier(sns, `${topicArn}-missing`);

    // Act
    const publishing = notifier.publish(anAlert());

    // Assess
    await expect(publishing).rejects.toMatchObject({ name: "NotFoundException" });
  });
});

describe("sanitizeSubject", () => {
  it.each([
    ["keeps a clean subject", "aws-auth changed on prod", "aws-auth changed on prod"],
    ["joins lines", "line one\nline two\r\n", "line one line two"],
    ["replaces other control characters", "a\u0007b\u2028c", "a b c"],
    ["falls back when nothing is left", " \n\t ", "aws-auth-guardian alert"],
  ])("%s", (_case, input, expected) => {
    // Act
    const subject = sanitizeSubject(input);

    // Assess
    expect(subject).toBe(expected);
  });

  it("truncates by characters without splitting a surrogate pair", () => {
    // Prepare
    const input = "🔐".repeat(150);

    // Act
    const subject = sanitizeSubject(input);

    // Assess
    expect(Array.from(subject)).toHaveLength(99);
    expect(subject).toBe(`${"🔐".repeat(98)}…`);
  });
});

describe("StdoutNotifier", () => {
  it("prints the e-mail text followed by a separator", async () => {
    // Prepare
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString("utf8"));
        callback();
      },
    });
    const notifier = new StdoutNotifier(sink);

    // Act
    await notifier.publish(anAlert({ email: "body without newline" }));

    // Assess
    expect(chunks.join("")).toBe(`body without newline\n${"-".repeat(72)}\n`);
  });

  it("rejects when the stream fails", async () => {
    // Prepare
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error("disk full"));
      },
    });
    sink.on("error", () => {});
    const notifier = new StdoutNotifier(sink);

    // Act
    const publishing = notifier.publish(anAlert());

    // Assess
    await expect(publishing).rejects.toThrow("disk full");
  });
});
