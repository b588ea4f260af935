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
import * as z from "zod/mini";
import {
  type AwsAuthWrite,
  type EventTriage,
  isTruncatedMessage,
  triageAuditEvent,
  triageTruncatedMessage,
} from "./audit-event.js";
import { decode, problemText } from "./decode.js";
import { MAX_DOCUMENT_CHARS, RecordSplitter, type TextRecord } from "./records-splitter.js";

export interface InputProblem {
  /** Where: `file:line`, `logEvent <id>`, … */
  source: string;
  reason: string;
  /** The event's auditID when it could be read (shortened when very long). */
  auditID?: string;
}

export interface DecodedWrite {
  source: string;
  write: AwsAuthWrite;
  /** The cluster's account, from the CloudWatch payload's `owner`. */
  owner?: string;
  /** The cluster, from the log group `/aws/eks/<cluster>/cluster`. */
  cluster?: string;
  /** The CloudWatch Logs event id it was delivered in (`id`, or `eventId` in an export). */
  deliveryId?: string;
}

export interface DecodedInput {
  writes: DecodedWrite[];
  problems: InputProblem[];
  /** Events read that are not writes to aws-auth. */
  irrelevant: number;
  /** CloudWatch control messages skipped. */
  controlMessages: number;
}

export interface DecodeOptions {
  /**
   * The most a gzip input may inflate to; beyond it the input is refused with a problem (a
   * "gzip bomb" would otherwise exhaust memory).
   * @default 256 MiB for files and stdin; 64 MiB for a CloudWatch Logs Lambda event
   */
  maxInflatedBytes?: number;
}

/** A CloudWatch Logs delivery is at most a few MiB inflated; 64 MiB leaves a wide margin. */
export const MAX_AWSLOGS_INFLATED_BYTES = 64 * 1024 * 1024;
/** Larger than any single export we read in one piece, and under V8's string limit (~512 MiB). */
export const MAX_INPUT_INFLATED_BYTES = 256 * 1024 * 1024;

interface Context {
  source: string;
  owner?: string;
  cluster?: string;
  /** The CloudWatch log event's `timestamp` (ms): the time of an event cut before its own timestamps. */
  timestamp?: number;
  /** The CloudWatch log event's id. */
  deliveryId?: string;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An own field only: never one inherited from Object.prototype. */
function field(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

// ---- schemas of the transport envelopes (shared reference §2) ----

const AwsLogsEvent = z.object({ awslogs: z.object({ data: z.string() }) });

const SubscriptionPayload = z.object({
  messageType: z.string(),
  owner: z.optional(z.string()),
  logGroup: z.optional(z.string()),
  logEvents: z.optional(z.array(z.unknown())),
});

/** One log event: its message is the audit event; `id`/`eventId` and `timestamp` help if usable. */
const LogMessage = z.object({ message: z.string() });
const Timestamp = z.number().check(z.refine(Number.isFinite));

const GZIP_MAGIC = [0x1f, 0x8b];
const MAX_SHOWN = 200;

/** Untrusted text in a problem: bounded, so one huge value cannot flood a log line. */
function shorten(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${text.length} characters)` : text;
}

export function clusterFromLogGroup(logGroup: unknown): string | undefined {
  return typeof logGroup === "string" ? logGroup.match(/^\/aws\/eks\/(.+)\/cluster$/)?.[1] : undefined;
}

function emptyResult(): DecodedInput {
  return { writes: [], problems: [], irrelevant: 0, controlMessages: 0 };
}

function problemOnly(source: string, reason: string): DecodedInput {
  return { ...emptyResult(), problems: [{ source, reason }] };
}

/** Appends one result to another; a loop, not a spread: a result may hold 100,000s of entries. */
function merge(into: DecodedInput, from: DecodedInput): DecodedInput {
  for (const write of from.writes) into.writes.push(write);
  for (const problem of from.problems) into.problems.push(problem);
  into.irrelevant += from.irrelevant;
  into.controlMessages += from.controlMessages;
  return into;
}

function errorText(error: unknown): string {
  return shorten(error instanceof Error ? error.message : String(error));
}

/**
 * Runs the decoding of one event so that whatever happens in it stays with that event: the
 * decoder is total by design, and this keeps it so if a bug slips in.
 */
function isolated(context: Context, work: () => DecodedInput): DecodedInput {
  try {
    return work();
  } catch (error) {
    return problemOnly(context.source, `event could not be decoded: ${errorText(error)}`);
  }
}

/** Inflates gzip, refusing output beyond `limit` bytes. */
function inflate(
  data: Buffer,
  limit: number,
): { ok: true; value: Buffer } | { ok: false; tooLarge: boolean; reason: string } {
  try {
    return { ok: true, value: gunzipSync(data, { maxOutputLength: limit }) };
  } catch (error) {
    const tooLarge =
      (error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError;
    return {
      ok: false,
      tooLarge,
      reason: tooLarge ? `inflates beyond ${limit / (1024 * 1024)} MiB: refused` : errorText(error),
    };
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** One log message: an audit event's JSON text, or what CloudWatch left of it. */
function decodeMessage(message: string, context: Context): DecodedInput {
  return isolated(context, () => {
    const parsed = parseJson(message);
    if (parsed.ok) return decodeEvent(parsed.value, context);
    return fromTriage(
      isTruncatedMessage(message)
        ? triageTruncatedMessage(message)
        : { kind: "malformed", reason: `not JSON: ${JSON.stringify(message.slice(0, 80))}` },
      context,
    );
  });
}

/** One audit event already parsed. */
function decodeEvent(event: unknown, context: Context): DecodedInput {
  return isolated(context, () => fromTriage(triageAuditEvent(event), context));
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
      ...(context.deliveryId ? { deliveryId: context.deliveryId } : {}),
    });
    if (triage.unusable?.length) {
      const shown = triage.unusable.slice(0, 3).join("; ");
      const more = triage.unusable.length > 3 ? ` (and ${triage.unusable.length - 3} more)` : "";
      result.problems.push({
        source: context.source,
        reason: `write judged without its unusable fields: ${shown}${more}`,
        auditID: shorten(write.auditID),
      });
    }
  } else if (triage.kind === "irrelevant") {
    result.irrelevant++;
  } else {
    result.problems.push({
      source: context.source,
      reason: shorten(triage.reason),
      ...(triage.auditID ? { auditID: shorten(triage.auditID) } : {}),
    });
  }
  return result;
}

function decodeLogEvents(events: readonly unknown[], context: Context): DecodedInput {
  const result = emptyResult();
  events.forEach((logEvent, index) => {
    const id = field(logEvent, "id") ?? field(logEvent, "eventId");
    const source =
      typeof id === "string"
        ? `${context.source} logEvent ${shorten(id)}`
        : `${context.source} logEvent #${index + 1}`;
    const decoded = decode(LogMessage, logEvent);
    if (!decoded.ok) {
      result.problems.push({ source, reason: "log event has no message string" });
      return;
    }
    const { message } = decoded.value;
    const time = decode(Timestamp, field(logEvent, "timestamp"));
    const timestamp = time.ok ? time.value : undefined;
    merge(
      result,
      decodeMessage(message, {
        ...context,
        source,
        ...(timestamp !== undefined ? { timestamp } : {}),
        ...(typeof id === "string" ? { deliveryId: id } : {}),
      }),
    );
  });
  return result;
}

/** A decoded CloudWatch Logs subscription payload. */
export function decodeSubscriptionPayload(payload: unknown, source: string): DecodedInput {
  return isolated({ source }, () => {
    const decoded = decode(SubscriptionPayload, payload);
    if (!decoded.ok)
      return problemOnly(source, `unusable CloudWatch Logs payload: ${problemText(decoded.problem)}`);
    const { messageType, owner, logGroup, logEvents } = decoded.value;
    if (messageType !== "DATA_MESSAGE") {
      return { ...emptyResult(), controlMessages: messageType === "CONTROL_MESSAGE" ? 1 : 0 };
    }
    if (!logEvents) return problemOnly(source, "DATA_MESSAGE without logEvents");
    const cluster = clusterFromLogGroup(logGroup);
    return decodeLogEvents(logEvents, {
      source,
      ...(owner ? { owner } : {}),
      ...(cluster ? { cluster } : {}),
    });
  });
}

/**
 * The Lambda event CloudWatch Logs sends: `{"awslogs":{"data": base64(gzip(JSON))}}`. `data` may
 * inflate to at most `maxInflatedBytes` (default 64 MiB).
 */
export function decodeAwsLogsEvent(
  event: unknown,
  source = "awslogs",
  options: DecodeOptions = {},
): DecodedInput {
  return isolated({ source }, () => {
    const decoded = decode(AwsLogsEvent, event);
    if (!decoded.ok) return problemOnly(source, "no awslogs.data string");
    const inflated = inflate(
      Buffer.from(decoded.value.awslogs.data, "base64"),
      options.maxInflatedBytes ?? MAX_AWSLOGS_INFLATED_BYTES,
    );
    if (!inflated.ok) {
      return problemOnly(
        source,
        inflated.tooLarge
          ? `awslogs.data ${inflated.reason}`
          : `awslogs.data is not base64 gzip JSON: ${inflated.reason}`,
      );
    }
    const payload = parseJson(inflated.value.toString("utf8"));
    if (!payload.ok) return problemOnly(source, "awslogs.data is not base64 gzip JSON");
    return decodeSubscriptionPayload(payload.value, source);
  });
}

/**
 * A JSON document of any supported shape; undefined when it has none of them. A top-level array
 * holds documents; arrays inside those are not followed (no recursion on nesting).
 */
function decodeJsonDocument(value: unknown, source: string): DecodedInput | undefined {
  if (Array.isArray(value)) {
    const result = emptyResult();
    value.forEach((item, index) => {
      const itemSource = `${source}[${index}]`;
      const decoded = Array.isArray(item) ? undefined : decodeJsonObject(item, itemSource);
      if (decoded) merge(result, decoded);
      else
        result.problems.push({
          source: itemSource,
          reason: "item is neither an audit event nor a log export",
        });
    });
    return result;
  }
  return decodeJsonObject(value, source);
}

function decodeJsonObject(value: unknown, source: string): DecodedInput | undefined {
  if (!isRecord(value)) return undefined;
  return isolated({ source }, () => {
    if (isRecord(field(value, "awslogs"))) return decodeAwsLogsEvent(value, source);
    if (typeof field(value, "messageType") === "string") return decodeSubscriptionPayload(value, source);
    const events = field(value, "events");
    if (Array.isArray(events)) return decodeLogEvents(events, { source });
    const items = field(value, "items");
    if (field(value, "kind") === "EventList" && Array.isArray(items)) {
      const result = emptyResult();
      items.forEach((item, index) => {
        merge(result, decodeEvent(item, { source: `${source} item ${index + 1}` }));
      });
      return result;
    }
    if (field(value, "auditID") !== undefined || field(value, "kind") === "Event")
      return decodeEvent(value, { source });
    return problemOnly(source, "JSON line is neither an audit event nor a log export");
  });
}

/**
 * Decode a whole input (a file or stdin). `name` labels problems. Auto-detects the format; a gzip
 * input is inflated first, up to `maxInflatedBytes` (default 256 MiB). Never throws: every line
 * that cannot be used is one problem, and the rest is read.
 */
export function decodeAuditInput(
  input: Buffer | string,
  name: string,
  options: DecodeOptions = {},
): DecodedInput {
  return isolated({ source: name }, () => {
    let buffer = typeof input === "string" ? Buffer.from(input, "utf8") : input;
    if (buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1]) {
      const inflated = inflate(buffer, options.maxInflatedBytes ?? MAX_INPUT_INFLATED_BYTES);
      if (!inflated.ok)
        return problemOnly(
          name,
          inflated.tooLarge ? `gzip input ${inflated.reason}` : `bad gzip: ${inflated.reason}`,
        );
      buffer = inflated.value;
    }
    const text = buffer.toString("utf8");
    const trimmed = text.trim();
    if (trimmed === "") return emptyResult();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      const whole = parseJson(trimmed);
      if (whole.ok) {
        const decoded = decodeJsonDocument(whole.value, name);
        if (decoded) return decoded;
      }
      // Not one JSON document: read it line by line below.
    }
    return decodeLines(text, name);
  });
}

/** Line by line; a JSON document printed over several lines (`jq .`) is one record (records-splitter.ts). */
function decodeLines(text: string, name: string): DecodedInput {
  const decoder = new AuditLineDecoder(name);
  const result = emptyResult();
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const line = text.charCodeAt(end - 1) === 0x0d ? text.slice(start, end - 1) : text.slice(start, end);
    decoder.line(line, result);
    start = end + 1;
  }
  decoder.end(result);
  return result;
}

/**
 * Can this line be left unparsed: an audit event, as the API server writes it, that names neither
 * `configmaps` nor `aws-auth` (only a write to the ConfigMap `aws-auth` matters here, and the API
 * server's own JSON cannot name a resource without those letters)? Conservative: anything that is
 * not plainly such an event is parsed. In particular, a line with a `\u` escape (which could spell
 * `configmaps` in other letters), a line cut short (no closing `}`, or `[Truncated...]`), and a line
 * that could be a transport envelope instead of an event (`awslogs`, `messageType`, `logEvents`,
 * `events` as a key, `EventList`) are all parsed.
 */
export function cannotConcernAwsAuth(line: string): boolean {
  return (
    line.startsWith('{"kind":"Event",') &&
    line.charCodeAt(line.length - 1) === 0x7d &&
    !MAY_CONCERN_AWS_AUTH.test(line)
  );
}

/**
 * One pass of a compiled regular expression: several times faster than a search per word. The
 * envelope keys are looked for without their opening quote (a line that has the quoted key has
 * these letters too): a word that starts with `"`, the most common character of JSON, is tried at
 * every quote and made the pass a third slower.
 */
const MAY_CONCERN_AWS_AUTH = /configmaps|aws-auth|\\u|awslogs"|messageType"|logEvents"|events":|EventList"/;

/**
 * Decodes a text input fed one line at a time (a stream: memory holds one record, whatever the size
 * of the input). Records are lines, or JSON documents printed over several lines
 * (records-splitter.ts); a document longer than `maxDocumentChars` is one unusable record. Lines that
 * `cannotConcernAwsAuth` are counted as events without being parsed.
 */
export class AuditLineDecoder {
  private readonly splitter: RecordSplitter;
  private lineNumber = 0;

  /** Lines fed so far. */
  get lines(): number {
    return this.lineNumber;
  }

  constructor(
    private readonly name: string,
    private readonly maxDocumentChars = MAX_DOCUMENT_CHARS,
  ) {
    this.splitter = new RecordSplitter(maxDocumentChars);
  }

  /** Feeds one line (without its line break); what it completes is added to `into`. */
  line(line: string, into: DecodedInput): void {
    this.lineNumber++;
    for (const record of this.splitter.push(line, this.lineNumber)) this.record(record, into);
  }

  /**
   * A line too long to be kept (more than `bytes` bytes): it is one unusable record, and it ends
   * any document it was in.
   */
  overlongLine(bytes: number, into: DecodedInput): void {
    this.lineNumber++;
    const open = this.splitter.end();
    if (open) this.record(open, into);
    into.problems.push({
      source: `${this.name}:${this.lineNumber}`,
      reason: `line of more than ${bytes} bytes: not read`,
    });
  }

  /** Is a JSON document printed over several lines open (a line fed now may belong to it)? */
  get documentOpen(): boolean {
    return this.splitter.documentOpen;
  }

  /**
   * Counts a line the caller found to `cannotConcernAwsAuth` while no document is open, without
   * handing it over: what `line` would have done with it.
   */
  irrelevantLine(into: DecodedInput): void {
    this.lineNumber++;
    into.irrelevant++;
  }

  /** The input ended. */
  end(into: DecodedInput): void {
    const rest = this.splitter.end();
    if (rest) this.record(rest, into);
  }

  private record(record: TextRecord, into: DecodedInput): void {
    const source = `${this.name}:${record.line}`;
    if (record.tooLarge) {
      into.problems.push({
        source,
        reason: `JSON document of ${record.tooLarge.chars} characters, more than the ${this.maxDocumentChars} read in one piece: not read`,
      });
      return;
    }
    if (cannotConcernAwsAuth(record.text)) {
      into.irrelevant++;
      return;
    }
    merge(into, decodeRecord(record.text, source));
  }
}

/**
 * One record of a text input: a line, or a JSON document printed over several lines. `source`
 * labels its problems.
 */
export function decodeRecord(text: string, source: string): DecodedInput {
  const parsed = parseJson(text);
  if (!parsed.ok) return decodeMessage(text, { source });
  return (
    decodeJsonDocument(parsed.value, source) ?? {
      ...emptyResult(),
      problems: [{ source, reason: "JSON line is neither an audit event nor a log export" }],
    }
  );
}
