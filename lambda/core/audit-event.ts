/**
 * From a Kubernetes audit event to the guardian's view of one write to aws-auth.
 * Event shapes: shared reference "EKS audit events" §1 and the lab recordings in test/fixtures.
 */
import { accountOf, canonicalPrincipalArn } from "./arn.js";
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
  /** resourceVersion of the stored object after the write, when the event carries it. */
  resourceVersion?: string;
  /** uid of the object written or deleted, when the event carries it. */
  objectUid?: string;
}

export type EventTriage =
  | { kind: "write"; write: AwsAuthWrite }
  | { kind: "irrelevant" }
  | { kind: "malformed"; reason: string; auditID?: string };

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function firstString(value: unknown): string | undefined {
  return Array.isArray(value) ? str(value[0]) : str(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function queryParam(uri: string, name: string): string | undefined {
  const query = uri.split("?")[1];
  if (!query) return undefined;
  for (const pair of query.split("&")) {
    const [key, value = ""] = pair.split("=");
    if (key === name) return decodeURIComponent(value);
  }
  return undefined;
}

export function actorFrom(
  user: unknown,
  sourceIPs: unknown,
  userAgent: unknown,
  impersonated?: unknown,
): AuditActor {
  const u = isRecord(user) ? user : {};
  const extra = isRecord(u.extra) ? u.extra : {};
  const arn = firstString(extra.arn);
  const canonicalArn = firstString(extra.canonicalArn) ?? (arn ? canonicalPrincipalArn(arn) : undefined);
  const uidAccount = str(u.uid)?.match(/^aws-iam-authenticator:(\d{12}):/)?.[1];
  const account = (canonicalArn ? accountOf(canonicalArn) : undefined) ?? uidAccount;
  const impersonatedUser = isRecord(impersonated) ? str(impersonated.username) : undefined;
  return {
    username: str(u.username) ?? "",
    ...(str(u.uid) ? { uid: str(u.uid) } : {}),
    groups: strings(u.groups),
    ...(arn ? { arn } : {}),
    ...(canonicalArn ? { canonicalArn } : {}),
    ...(firstString(extra.sessionName) ? { sessionName: firstString(extra.sessionName) } : {}),
    ...(account ? { account } : {}),
    sourceIPs: strings(sourceIPs),
    ...(str(userAgent) ? { userAgent: str(userAgent) } : {}),
    ...(impersonatedUser ? { impersonatedUser } : {}),
  };
}

function asConfigMap(value: unknown): ConfigMapObject | undefined {
  if (!isRecord(value) || value.kind !== "ConfigMap" || !isRecord(value.metadata)) return undefined;
  const data = isRecord(value.data) ? value.data : undefined;
  if (data && !Object.values(data).every((v) => typeof v === "string")) return undefined;
  return value as unknown as ConfigMapObject;
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
  const path = uri.split("?")[0] ?? "";
  const match = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/);
  if (!match || match[4]) return {};
  return {
    namespace: match[1],
    resource: match[2],
    ...(match[3] ? { name: match[3] } : {}),
  };
}

/** Sort out one decoded audit event: a write to aws-auth, something else, or unusable. */
export function triageAuditEvent(event: unknown): EventTriage {
  if (!isRecord(event)) return { kind: "malformed", reason: "audit event is not a JSON object" };
  const auditID = str(event.auditID);
  const verb = str(event.verb);
  if (!auditID || !verb) {
    return {
      kind: "malformed",
      reason: "audit event lacks auditID or verb",
      ...(auditID ? { auditID } : {}),
    };
  }
  const stage = str(event.stage);
  // EKS omits RequestReceived; any other stage before completion would duplicate the final one.
  if (stage !== undefined && stage !== "ResponseComplete" && stage !== "Panic") return { kind: "irrelevant" };
  const objectRef = isRecord(event.objectRef) ? event.objectRef : {};
  const requestURI = str(event.requestURI) ?? "";
  const fromUri = parseRequestUri(requestURI);
  const resource = str(objectRef.resource) ?? fromUri.resource;
  const namespace = str(objectRef.namespace) ?? fromUri.namespace;
  const name = str(objectRef.name) ?? fromUri.name;
  // A custom resource whose plural is also "configmaps" (objectRef.apiGroup set, /apis/ URI) is not
  // the core ConfigMap the authenticator reads.
  if (
    str(objectRef.apiGroup) ||
    str(objectRef.subresource) ||
    !targetsAwsAuth(verb, resource, namespace, name)
  )
    return { kind: "irrelevant" };

  const status = isRecord(event.responseStatus) ? event.responseStatus : {};
  const annotations = isRecord(event.annotations) ? event.annotations : {};
  const stored = verb === "update" || verb === "patch" ? asConfigMap(event.responseObject) : undefined;
  const responseObject = isRecord(event.responseObject) ? event.responseObject : {};
  const details = isRecord(responseObject.details)
    ? responseObject.details
    : isRecord(status.details)
      ? status.details
      : {};
  const time = str(event.stageTimestamp) ?? str(event.requestReceivedTimestamp) ?? "";
  const code = typeof status.code === "number" ? status.code : undefined;
  const write: AwsAuthWrite = {
    auditID,
    verb: verb as WriteVerb,
    requestURI,
    time,
    ...(str(event.level) ? { level: str(event.level) } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(str(annotations["authorization.k8s.io/decision"])
      ? { decision: str(annotations["authorization.k8s.io/decision"]) }
      : {}),
    ...(str(status.message) ? { statusMessage: str(status.message) } : {}),
    actor: actorFrom(event.user, event.sourceIPs, event.userAgent, event.impersonatedUser),
    dryRun: queryParam(requestURI, "dryRun") === "All",
    truncated: annotations["audit.k8s.io/truncated"] === "true",
    ...(verb === "patch" && patchKindOf(event.requestObject, requestURI)
      ? { patchKind: patchKindOf(event.requestObject, requestURI) }
      : {}),
    ...(queryParam(requestURI, "fieldManager")
      ? { fieldManager: queryParam(requestURI, "fieldManager") }
      : {}),
    ...(stored ? { stored } : {}),
    ...(stored?.metadata.resourceVersion ? { resourceVersion: stored.metadata.resourceVersion } : {}),
    ...((stored?.metadata.uid ?? str(details.uid) ?? str(objectRef.uid))
      ? { objectUid: stored?.metadata.uid ?? str(details.uid) ?? str(objectRef.uid) }
      : {}),
  };
  return { kind: "write", write };
}

const TRUNCATION_MARK = "[Truncated...]";

function recover(text: string, field: string): string | undefined {
  const match = text.match(new RegExp(`"${field}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`));
  return match?.[1];
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
  const status = completeValue(text, "responseStatus");
  const code = isRecord(status) && typeof status.code === "number" ? status.code : undefined;
  return {
    kind: "write",
    write: {
      auditID,
      verb: verb as WriteVerb,
      requestURI,
      time: recover(text, "stageTimestamp") ?? recover(text, "requestReceivedTimestamp") ?? "",
      ...(code !== undefined ? { code } : {}),
      actor: actorFrom(
        user,
        completeValue(text, "sourceIPs"),
        recover(text, "userAgent"),
        completeValue(text, "impersonatedUser"),
      ),
      dryRun: queryParam(requestURI, "dryRun") === "All",
      truncated: true,
    },
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
