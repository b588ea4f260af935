/**
 * From a Kubernetes audit event to the guardian's view of one write to aws-auth.
 * Event shapes: shared reference "EKS audit events" §1 and the lab recordings in test/fixtures.
 */
import * as z from "zod/mini";
import type { $ZodType, output } from "zod/v4/core";
import { accountOf, canonicalPrincipalArn } from "./arn.js";
import { decode, problemText } from "./decode.js";
import type { ConfigMapObject } from "./ports.js";

export const AWS_AUTH = { namespace: "kube-system", name: "aws-auth" } as const;

export const WRITE_VERBS = ["update", "patch", "create", "delete", "deletecollection"] as const;
export type WriteVerb = (typeof WRITE_VERBS)[number];

export interface AuditActor {
  username: string;
  uid?: string;
  groups: string[];
  /** `user.extra.arn`: the caller's ARN as presented (STS assumed-role for roles). */
  arn?: string;
  /** `user.extra.canonicalArn`, or derived from `arn`: `arn:aws:iam::ACCOUNT:role/NAME`. */
  canonicalArn?: string;
  sessionName?: string;
  account?: string;
  sourceIPs: string[];
  userAgent?: string;
  /** The user acted as, when the request used impersonation. */
  impersonatedUser?: string;
}

export type PatchKind = "json-patch" | "merge-or-strategic-merge" | "apply";

export interface AwsAuthWrite {
  auditID: string;
  verb: WriteVerb;
  requestURI: string;
  /** stageTimestamp, else requestReceivedTimestamp (RFC 3339). */
  time: string;
  level?: string;
  /** HTTP status of the response; absent when the event was cut before it. */
  code?: number;
  decision?: string;
  statusMessage?: string;
  actor: AuditActor;
  dryRun: boolean;
  /** The event lost its bodies: cut by CloudWatch (`[Truncated...]`) or by the audit backend. */
  truncated: boolean;
  patchKind?: PatchKind;
  fieldManager?: string;
  /** The ConfigMap as stored after the write (update/patch `responseObject`). */
  stored?: ConfigMapObject;
  /**
   * Why the stored object in the event could not be used (`path: what`): the write is then judged
   * as one whose content is not known.
   */
  unreadable?: string;
  /** resourceVersion of the stored object after the write, when the event carries it. */
  resourceVersion?: string;
  /** uid of the object written or deleted, when the event carries it. */
  objectUid?: string;
}

export type EventTriage =
  | {
      kind: "write";
      write: AwsAuthWrite;
      /** Fields that had the wrong shape (`path: what`); the write was judged without them. */
      unusable?: string[];
    }
  | { kind: "irrelevant" }
  | { kind: "malformed"; reason: string; auditID?: string };

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An own field only: `constructor`, `__proto__` and friends never come from Object.prototype. */
function field(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

// ---- schemas: the shapes audit.k8s.io/v1 gives these fields (shared reference §1) ----

const OptionalString = z.optional(z.string());
const Strings = z.array(z.string());
/** `user.extra` values are string arrays; a bare string is accepted as one value. */
const ExtraValue = z.union([z.string(), z.array(z.string())]);

/** What identifies the event; without these it is unusable. */
const Envelope = z.object({
  auditID: z.string().check(z.minLength(1)),
  verb: z.string(),
  stage: OptionalString,
  requestURI: OptionalString,
});

const ObjectRef = z.object({
  resource: OptionalString,
  namespace: OptionalString,
  name: OptionalString,
  uid: OptionalString,
  apiGroup: OptionalString,
  subresource: OptionalString,
});

const ResponseStatus = z.object({
  code: z.optional(z.int()),
  message: OptionalString,
  details: z.optional(z.object({ uid: OptionalString })),
});

const StringMap = z.record(z.string(), z.string());

/**
 * The ConfigMap as stored (core/v1). Keys named `__proto__` in data, labels or annotations are
 * dropped (zod never copies them into a plain object); the authenticator reads only mapRoles,
 * mapUsers and mapAccounts. Unknown fields (managedFields, …) are not kept.
 */
const ConfigMap = z.object({
  apiVersion: OptionalString,
  kind: z.literal("ConfigMap"),
  metadata: z.object({
    name: OptionalString,
    namespace: OptionalString,
    uid: OptionalString,
    resourceVersion: OptionalString,
    creationTimestamp: OptionalString,
    labels: z.optional(StringMap),
    annotations: z.optional(StringMap),
  }),
  data: z.optional(StringMap),
  binaryData: z.optional(StringMap),
  immutable: z.optional(z.boolean()),
});

/** Decodes the fields of one event, remembering those that had the wrong shape. */
class FieldReader {
  readonly unusable: string[] = [];

  read<S extends $ZodType>(schema: S, value: unknown, path: string): output<S> | undefined {
    if (value === undefined) return undefined;
    const decoded = decode(schema, value, path);
    if (decoded.ok) return decoded.value;
    this.unusable.push(problemText(decoded.problem));
    return undefined;
  }

  string(value: unknown, path: string): string | undefined {
    return this.read(z.string(), value, path);
  }

  /** `user.extra.*`: the first value. */
  first(value: unknown, path: string): string | undefined {
    const v = this.read(ExtraValue, value, path);
    return Array.isArray(v) ? v[0] : v;
  }
}

/**
 * One query parameter as the API server reads it (Go `url.ParseQuery` then `Get`): pairs split on
 * `&`, `+` is a space, a pair whose key or value does not unescape (or holds `;`) is skipped, the
 * first remaining value wins. Never throws.
 */
export function queryParam(uri: string, name: string): string | undefined {
  const at = uri.indexOf("?");
  if (at < 0) return undefined;
  for (const pair of uri.slice(at + 1).split("&")) {
    if (pair === "" || pair.includes(";")) continue;
    const eq = pair.indexOf("=");
    const key = unescapeQuery(eq < 0 ? pair : pair.slice(0, eq));
    if (key !== name) continue;
    const value = unescapeQuery(eq < 0 ? "" : pair.slice(eq + 1));
    if (value !== undefined) return value;
  }
  return undefined;
}

function unescapeQuery(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

export function actorFrom(
  user: unknown,
  sourceIPs: unknown,
  userAgent: unknown,
  impersonated?: unknown,
  reader: FieldReader = new FieldReader(),
): AuditActor {
  const extra = field(user, "extra");
  if (extra !== undefined && !isRecord(extra))
    reader.read(z.record(z.string(), ExtraValue), extra, "user.extra");
  const username = reader.string(field(user, "username"), "user.username");
  const uid = reader.string(field(user, "uid"), "user.uid");
  const arn = reader.first(field(extra, "arn"), "user.extra.arn");
  const canonicalArn =
    reader.first(field(extra, "canonicalArn"), "user.extra.canonicalArn") ??
    (arn ? canonicalPrincipalArn(arn) : undefined);
  const sessionName = reader.first(field(extra, "sessionName"), "user.extra.sessionName");
  const uidAccount = uid?.match(/^aws-iam-authenticator:(\d{12}):/)?.[1];
  const account = (canonicalArn ? accountOf(canonicalArn) : undefined) ?? uidAccount;
  const impersonatedUser = reader.string(field(impersonated, "username"), "impersonatedUser.username");
  const agent = reader.string(userAgent, "userAgent");
  return {
    username: username ?? "",
    ...(uid ? { uid } : {}),
    groups: reader.read(Strings, field(user, "groups"), "user.groups") ?? [],
    ...(arn ? { arn } : {}),
    ...(canonicalArn ? { canonicalArn } : {}),
    ...(sessionName ? { sessionName } : {}),
    ...(account ? { account } : {}),
    sourceIPs: reader.read(Strings, sourceIPs, "sourceIPs") ?? [],
    ...(agent ? { userAgent: agent } : {}),
    ...(impersonatedUser ? { impersonatedUser } : {}),
  };
}

/** The stored ConfigMap in `responseObject`; a Status (a refused write) or nothing is no ConfigMap. */
function storedConfigMap(value: unknown): { stored?: ConfigMapObject; unreadable?: string } {
  if (field(value, "kind") !== "ConfigMap") return {};
  const decoded = decode(ConfigMap, value, "responseObject");
  return decoded.ok ? { stored: decoded.value } : { unreadable: problemText(decoded.problem) };
}

function patchKindOf(requestObject: unknown, uri: string): PatchKind | undefined {
  if (Array.isArray(requestObject)) return "json-patch";
  const fieldManager = queryParam(uri, "fieldManager");
  if (
    queryParam(uri, "force") !== undefined ||
    (requestObject === undefined && fieldManager?.endsWith("-apply"))
  ) {
    return "apply";
  }
  return isRecord(requestObject) ? "merge-or-strategic-merge" : undefined;
}

/** Does this request touch aws-auth? deletecollection in kube-system deletes it without naming it. */
export function targetsAwsAuth(verb: string, resource?: string, namespace?: string, name?: string): boolean {
  if (resource !== "configmaps" || namespace !== AWS_AUTH.namespace) return false;
  if (verb === "deletecollection") return true;
  return name === AWS_AUTH.name && (WRITE_VERBS as readonly string[]).includes(verb);
}

/** Resource, namespace and name from a core-group request URI, for events cut before `objectRef`. */
export function parseRequestUri(uri: string): { resource?: string; namespace?: string; name?: string } {
  const path = uri.split("?", 1)[0] ?? "";
  const match = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/);
  if (!match || match[4]) return {};
  return {
    namespace: match[1],
    resource: match[2],
    ...(match[3] ? { name: match[3] } : {}),
  };
}

/**
 * Sort out one decoded audit event: a write to aws-auth, something else, or unusable. Total: any
 * value in, a triage out. A write is never dropped for a field of the wrong shape: the field is
 * left out, listed in `unusable`, and a stored object that does not fit makes the content unknown.
 */
export function triageAuditEvent(event: unknown): EventTriage {
  if (!isRecord(event)) return { kind: "malformed", reason: "audit event is not a JSON object" };
  const rawAuditID = field(event, "auditID");
  const auditID = typeof rawAuditID === "string" && rawAuditID !== "" ? rawAuditID : undefined;
  const envelope = decode(Envelope, {
    auditID: field(event, "auditID"),
    verb: field(event, "verb"),
    stage: field(event, "stage"),
    requestURI: field(event, "requestURI"),
  });
  if (!envelope.ok) {
    const missing = field(event, "auditID") === undefined || field(event, "verb") === undefined;
    return {
      kind: "malformed",
      reason: missing
        ? "audit event lacks auditID or verb"
        : `audit event unusable: ${problemText(envelope.problem)}`,
      ...(auditID ? { auditID } : {}),
    };
  }
  const { verb, stage } = envelope.value;
  // EKS omits RequestReceived; any other stage before completion would duplicate the final one.
  if (stage !== undefined && stage !== "ResponseComplete" && stage !== "Panic") return { kind: "irrelevant" };
  const reader = new FieldReader();
  const requestURI = envelope.value.requestURI ?? "";
  const objectRef = reader.read(ObjectRef, field(event, "objectRef"), "objectRef") ?? {};
  const fromUri = parseRequestUri(requestURI);
  const resource = objectRef.resource ?? fromUri.resource;
  const namespace = objectRef.namespace ?? fromUri.namespace;
  const name = objectRef.name ?? fromUri.name;
  // A custom resource whose plural is also "configmaps" (objectRef.apiGroup set, /apis/ URI) is not
  // the core ConfigMap the authenticator reads.
  if (objectRef.apiGroup || objectRef.subresource || !targetsAwsAuth(verb, resource, namespace, name))
    return { kind: "irrelevant" };

  const status = reader.read(ResponseStatus, field(event, "responseStatus"), "responseStatus") ?? {};
  const annotations = field(event, "annotations");
  const decision = reader.string(
    field(annotations, "authorization.k8s.io/decision"),
    'annotations["authorization.k8s.io/decision"]',
  );
  const responseObject = field(event, "responseObject");
  const { stored, unreadable } = verb === "update" || verb === "patch" ? storedConfigMap(responseObject) : {};
  if (unreadable) reader.unusable.push(unreadable);
  const detailsUid =
    reader.string(field(field(responseObject, "details"), "uid"), "responseObject.details.uid") ??
    status.details?.uid;
  const time =
    reader.string(field(event, "stageTimestamp"), "stageTimestamp") ??
    reader.string(field(event, "requestReceivedTimestamp"), "requestReceivedTimestamp") ??
    "";
  const level = reader.string(field(event, "level"), "level");
  const actor = actorFrom(
    field(event, "user"),
    field(event, "sourceIPs"),
    field(event, "userAgent"),
    field(event, "impersonatedUser"),
    reader,
  );
  const requestObject = field(event, "requestObject");
  const patchKind = verb === "patch" ? patchKindOf(requestObject, requestURI) : undefined;
  const fieldManager = queryParam(requestURI, "fieldManager");
  const objectUid = stored?.metadata.uid ?? detailsUid ?? objectRef.uid;
  const write: AwsAuthWrite = {
    auditID: envelope.value.auditID,
    verb: verb as WriteVerb,
    requestURI,
    time,
    ...(level ? { level } : {}),
    ...(status.code !== undefined ? { code: status.code } : {}),
    ...(decision ? { decision } : {}),
    ...(status.message ? { statusMessage: status.message } : {}),
    actor,
    dryRun: queryParam(requestURI, "dryRun") === "All",
    truncated: field(annotations, "audit.k8s.io/truncated") === "true",
    ...(patchKind ? { patchKind } : {}),
    ...(fieldManager ? { fieldManager } : {}),
    ...(stored ? { stored } : {}),
    ...(unreadable ? { unreadable } : {}),
    ...(stored?.metadata.resourceVersion ? { resourceVersion: stored.metadata.resourceVersion } : {}),
    ...(objectUid ? { objectUid } : {}),
  };
  return { kind: "write", write, ...(reader.unusable.length ? { unusable: reader.unusable } : {}) };
}

const TRUNCATION_MARK = "[Truncated...]";

/** The first `"key":"…"` string in a cut-off event, unescaped; undefined when absent. */
function recover(text: string, key: string): string | undefined {
  let match: RegExpMatchArray | null;
  try {
    match = text.match(new RegExp(`"${key}"\\s*:\\s*"([^"\\\\]*(?:\\\\.[^"\\\\]*)*)"`));
  } catch {
    return undefined;
  }
  if (match?.[1] === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(`"${match[1]}"`);
    return typeof value === "string" ? value : undefined;
  } catch {
    return match[1];
  }
}

/**
 * What can still be read from an event CloudWatch cut off: the envelope fields come first in the
 * text, so auditID, verb, requestURI and usually the user survive.
 */
export function triageTruncatedMessage(text: string): EventTriage {
  const auditID = recover(text, "auditID");
  const verb = recover(text, "verb");
  const requestURI = recover(text, "requestURI");
  if (!auditID || !verb || !requestURI) {
    return {
      kind: "malformed",
      reason: "truncated audit event: auditID, verb or requestURI could not be recovered",
      ...(auditID ? { auditID } : {}),
    };
  }
  const { resource, namespace, name } = parseRequestUri(requestURI);
  if (
    !targetsAwsAuth(
      verb,
      resource,
      namespace,
      name ?? (verb === "create" ? recover(text, "name") : undefined),
    )
  ) {
    return { kind: "irrelevant" };
  }
  // The envelope precedes the bodies (audit.k8s.io/v1 field order: …, user, impersonatedUser,
  // sourceIPs, userAgent, objectRef, responseStatus, requestObject, responseObject, timestamps), so
  // these objects are usually complete; the timestamps come last and are usually lost.
  const user = completeValue(text, "user") ?? {
    username: recover(text, "username"),
    extra: { arn: [text.match(/"arn"\s*:\s*\[\s*"([^"]+)"/)?.[1]].filter(Boolean) },
  };
  const reader = new FieldReader();
  const status = reader.read(ResponseStatus, completeValue(text, "responseStatus"), "responseStatus");
  const actor = actorFrom(
    user,
    completeValue(text, "sourceIPs"),
    recover(text, "userAgent"),
    completeValue(text, "impersonatedUser"),
    reader,
  );
  return {
    kind: "write",
    write: {
      auditID,
      verb: verb as WriteVerb,
      requestURI,
      time: recover(text, "stageTimestamp") ?? recover(text, "requestReceivedTimestamp") ?? "",
      ...(status?.code !== undefined ? { code: status.code } : {}),
      actor,
      dryRun: queryParam(requestURI, "dryRun") === "All",
      truncated: true,
    },
    ...(reader.unusable.length ? { unusable: reader.unusable } : {}),
  };
}

/**
 * The JSON value of the first `"key":` in a cut-off event, when the text holds all of it (brackets
 * balanced outside strings); undefined when it was cut or is not there.
 */
function completeValue(text: string, key: string): unknown {
  const match = new RegExp(`"${key}"\\s*:\\s*(?=[[{])`).exec(text);
  if (!match) return undefined;
  const start = match.index + match[0].length;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) {
        try {
          return JSON.parse(text.slice(start, i + 1));
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}

export function isTruncatedMessage(text: string): boolean {
  return text.trimEnd().endsWith(TRUNCATION_MARK);
}

/** Did this write change what the API server stores? */
export function tookEffect(write: AwsAuthWrite): boolean {
  return !write.dryRun && (write.code === undefined || write.code < 400);
}
