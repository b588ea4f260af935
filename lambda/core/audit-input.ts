/**
 * Every way audit events reach the guardian, decoded into one shape:
 * - the CloudWatch Logs subscription event `{"awslogs":{"data": base64(gzip(payload))}}`;
 * - its decoded payload `{"messageType","owner","logGroup","logEvents":[…]}`;
 * - `aws logs filter-log-events` output `{"events":[{"message":…}]}`;
 * - raw audit events, one per line (or a single pretty-printed one, or an `EventList`);
 * - gzip of any of these.
 * A line that cannot be used is reported with where it came from; it never stops the rest.
 */
import { gunzipSync } from "node:zlib";
import {
  type AwsAuthWrite,
  type EventTriage,
  isTruncatedMessage,
  triageAuditEvent,
  triageTruncatedMessage,
} from "./audit-event.js";
import { splitRecords } from "./records-splitter.js";

export interface InputProblem {
  /** Where: `file:line`, `logEvent <id>`, … */
  source: string;
  reason: string;
  auditID?: string;
}

export interface DecodedWrite {
  source: string;
  write: AwsAuthWrite;
  /** The cluster's account, from the CloudWatch payload's `owner`. */
  owner?: string;
  /** The cluster, from the log group `/aws/eks/<cluster>/cluster`. */
  cluster?: string;
}

export interface DecodedInput {
  writes: DecodedWrite[];
  problems: InputProblem[];
  /** Events read that are not writes to aws-auth. */
  irrelevant: number;
  /** CloudWatch control messages skipped. */
  controlMessages: number;
}

interface Context {
  source: string;
  owner?: string;
  cluster?: string;
  /** The CloudWatch log event's `timestamp` (ms): the time of an event cut before its own timestamps. */
  timestamp?: number;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const GZIP_MAGIC = [0x1f, 0x8b];

export function clusterFromLogGroup(logGroup: unknown): string | undefined {
  return typeof logGroup === "string" ? logGroup.match(/^\/aws\/eks\/(.+)\/cluster$/)?.[1] : undefined;
}

function emptyResult(): DecodedInput {
  return { writes: [], problems: [], irrelevant: 0, controlMessages: 0 };
}

function merge(into: DecodedInput, from: DecodedInput): DecodedInput {
  into.writes.push(...from.writes);
  into.problems.push(...from.problems);
  into.irrelevant += from.irrelevant;
  into.controlMessages += from.controlMessages;
  return into;
}

/** One log message: an audit event's JSON text, or what CloudWatch left of it. */
function decodeMessage(message: string, context: Context): DecodedInput {
  let event: unknown;
  try {
    event = JSON.parse(message);
  } catch {
    return fromTriage(
      isTruncatedMessage(message)
        ? triageTruncatedMessage(message)
        : { kind: "malformed", reason: `not JSON: ${JSON.stringify(message.slice(0, 80))}` },
      context,
    );
  }
  return decodeEvent(event, context);
}

/** One audit event already parsed. */
function decodeEvent(event: unknown, context: Context): DecodedInput {
  return fromTriage(triageAuditEvent(event), context);
}

function fromTriage(triage: EventTriage, context: Context): DecodedInput {
  const result = emptyResult();
  if (triage.kind === "write") {
    const { write } = triage;
    result.writes.push({
      source: context.source,
      write:
        write.time === "" && context.timestamp !== undefined
          ? { ...write, time: new Date(context.timestamp).toISOString() }
          : write,
      ...(context.owner ? { owner: context.owner } : {}),
      ...(context.cluster ? { cluster: context.cluster } : {}),
    });
  } else if (triage.kind === "irrelevant") {
    result.irrelevant++;
  } else {
    result.problems.push({
      source: context.source,
      reason: triage.reason,
      ...(triage.auditID ? { auditID: triage.auditID } : {}),
    });
  }
  return result;
}

function decodeLogEvents(events: unknown[], context: Context, idField: string): DecodedInput {
  const result = emptyResult();
  events.forEach((logEvent, index) => {
    const source =
      isRecord(logEvent) && typeof logEvent[idField] === "string"
        ? `${context.source} logEvent ${logEvent[idField]}`
        : `${context.source} logEvent #${index + 1}`;
    if (!isRecord(logEvent) || typeof logEvent.message !== "string") {
      result.problems.push({ source, reason: "log event has no message string" });
      return;
    }
    const timestamp = Number.isFinite(logEvent.timestamp) ? (logEvent.timestamp as number) : undefined;
    merge(
      result,
      decodeMessage(logEvent.message, {
        ...context,
        source,
        ...(timestamp !== undefined ? { timestamp } : {}),
      }),
    );
  });
  return result;
}

/** A decoded CloudWatch Logs subscription payload. */
export function decodeSubscriptionPayload(payload: unknown, source: string): DecodedInput {
  if (!isRecord(payload))
    return { ...emptyResult(), problems: [{ source, reason: "payload is not a JSON object" }] };
  if (payload.messageType !== "DATA_MESSAGE") {
    return { ...emptyResult(), controlMessages: payload.messageType === "CONTROL_MESSAGE" ? 1 : 0 };
  }
  if (!Array.isArray(payload.logEvents)) {
    return { ...emptyResult(), problems: [{ source, reason: "DATA_MESSAGE without logEvents" }] };
  }
  const owner = typeof payload.owner === "string" ? payload.owner : undefined;
  const cluster = clusterFromLogGroup(payload.logGroup);
  return decodeLogEvents(
    payload.logEvents,
    { source, ...(owner ? { owner } : {}), ...(cluster ? { cluster } : {}) },
    "id",
  );
}

/** The Lambda event CloudWatch Logs sends: `{"awslogs":{"data": base64(gzip(JSON))}}`. */
export function decodeAwsLogsEvent(event: unknown, source = "awslogs"): DecodedInput {
  const data = isRecord(event) && isRecord(event.awslogs) ? event.awslogs.data : undefined;
  if (typeof data !== "string")
    return { ...emptyResult(), problems: [{ source, reason: "no awslogs.data string" }] };
  let payload: unknown;
  try {
    payload = JSON.parse(gunzipSync(Buffer.from(data, "base64")).toString("utf8"));
  } catch (error) {
    return {
      ...emptyResult(),
      problems: [{ source, reason: `awslogs.data is not base64 gzip JSON: ${(error as Error).message}` }],
    };
  }
  return decodeSubscriptionPayload(payload, source);
}

/** A JSON document of any supported shape. */
function decodeJsonDocument(value: unknown, source: string): DecodedInput | undefined {
  if (!isRecord(value)) {
    if (Array.isArray(value)) {
      return value.reduce<DecodedInput>((acc, item, index) => {
        const itemSource = `${source}[${index}]`;
        return merge(
          acc,
          decodeJsonDocument(item, itemSource) ?? {
            ...emptyResult(),
            problems: [
              { source: itemSource, reason: "array item is neither an audit event nor a log export" },
            ],
          },
        );
      }, emptyResult());
    }
    return undefined;
  }
  if (isRecord(value.awslogs)) return decodeAwsLogsEvent(value, source);
  if (typeof value.messageType === "string") return decodeSubscriptionPayload(value, source);
  if (Array.isArray(value.events)) return decodeLogEvents(value.events, { source }, "eventId");
  if (value.kind === "EventList" && Array.isArray(value.items)) {
    return value.items.reduce<DecodedInput>(
      (acc, item, index) => merge(acc, decodeEvent(item, { source: `${source} item ${index + 1}` })),
      emptyResult(),
    );
  }
  if (typeof value.auditID === "string" || value.kind === "Event") return decodeEvent(value, { source });
  return undefined;
}

/**
 * Decode a whole input (a file or stdin). `name` labels problems. Auto-detects the format; a gzip
 * input is inflated first.
 */
export function decodeAuditInput(input: Buffer | string, name: string): DecodedInput {
  let buffer = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  if (buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1]) {
    try {
      buffer = gunzipSync(buffer);
    } catch (error) {
      return {
        ...emptyResult(),
        problems: [{ source: name, reason: `bad gzip: ${(error as Error).message}` }],
      };
    }
  }
  const text = buffer.toString("utf8");
  const trimmed = text.trim();
  if (trimmed === "") return emptyResult();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      const whole = decodeJsonDocument(JSON.parse(trimmed), name);
      if (whole) return whole;
    } catch {
      // Not one JSON document: read it line by line below.
    }
  }
  const result = emptyResult();
  for (const record of splitRecords(text)) merge(result, decodeRecord(record.text, `${name}:${record.line}`));
  return result;
}

/**
 * One record of a text input (see records-splitter.ts): a line, or a JSON document printed over
 * several lines. `source` labels its problems.
 */
export function decodeRecord(text: string, source: string): DecodedInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return decodeMessage(text, { source });
  }
  return (
    decodeJsonDocument(parsed, source) ?? {
      ...emptyResult(),
      problems: [{ source, reason: "JSON line is neither an audit event nor a log export" }],
    }
  );
}
