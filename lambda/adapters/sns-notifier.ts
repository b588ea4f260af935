import { type MessageAttributeValue, PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Notifier, OutboundAlert } from "../core/ports.js";

/** SNS rejects a Subject of 100 characters or more. */
const MAX_SUBJECT_CHARS = 99;
const FALLBACK_SUBJECT = "aws-auth-guardian alert";
const SEPARATOR = "-".repeat(72);

/**
 * Publishes to one SNS topic with a per-protocol message: e-mail subscribers get the plain text,
 * every other protocol (AWS Chatbot, SQS, Lambda...) gets `default`, the Chatbot custom-notification JSON.
 * Errors propagate so that the invocation fails and Lambda retries.
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(alert: OutboundAlert): Promise<void> {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        MessageStructure: "json",
        Message: JSON.stringify({ default: alert.chatbot, email: alert.email }),
        Subject: sanitizeSubject(alert.subject),
        MessageAttributes: toMessageAttributes(alert.attributes),
      }),
    );
  }
}

/** The minimal stream surface we need; `process.stdout` and any `Writable` fit. */
export interface TextSink {
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
}

/** Offline stand-in for SNS: prints what an e-mail subscriber would read. */
export class StdoutNotifier implements Notifier {
  constructor(private readonly out: TextSink = process.stdout) {}

  publish(alert: OutboundAlert): Promise<void> {
    const text = alert.email.endsWith("\n") ? alert.email : `${alert.email}\n`;
    return new Promise((done, fail) => {
      this.out.write(`${text}${SEPARATOR}\n`, (error) => (error ? fail(error) : done()));
    });
  }
}

/**
 * The core already promises a short single line; SNS rejects the whole publish otherwise, and losing
 * an alert over its subject is worse than a trimmed subject, so enforce it here once more.
 */
export function sanitizeSubject(subject: string): string {
  const singleLine = subject
    .replace(/[\p{Cc}\u2028\u2029]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (singleLine === "") return FALLBACK_SUBJECT;
  const chars = Array.from(singleLine);
  if (chars.length <= MAX_SUBJECT_CHARS) return singleLine;
  return `${chars
    .slice(0, MAX_SUBJECT_CHARS - 1)
    .join("")
    .trimEnd()}…`;
}

/** SNS rejects an empty String attribute with a 400, so an empty value is left out rather than sent. */
function toMessageAttributes(attributes: Record<string, string>): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== "") result[name] = { DataType: "String", StringValue: value };
  }
  return result;
}
