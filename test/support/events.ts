/**
 * Realistic audit events derived from the lab recordings (test/fixtures/audit/lab: a kube-apiserver
 * running EKS's audit policy; cluster account 012345678901, EKS managers from 782030699418).
 *
 * Every builder starts from a recorded event of the same verb and changes only what the case needs
 * (identity, data, resourceVersion, status, URI, auditID, time); the envelope stays as recorded. The
 * README in test/fixtures/audit/derived/classify/ describes the derivations used by its fixtures.
 */
import { readFileSync } from "node:fs";
import { type AwsAuthWrite, triageAuditEvent } from "../../lambda/core/audit-event.js";
import type { ConfigMapObject } from "../../lambda/core/ports.js";

export const CLUSTER_ACCOUNT = "012345678901";
export const EKS_ACCOUNT = "782030699418";

const LAB = new URL("../fixtures/audit/lab/", import.meta.url);

export const LAB_FILES = {
  create: "s01-terraform-create-quoted.jsonl",
  nodeManagerUpdate: "s02-node-manager-update-unquoted-drop-fargate.jsonl",
  fargateManagerUpdate: "s03-fargate-manager-update-readd-fargate.jsonl",
  terraformJsonPatch: "s04-terraform-reapply-quoted-jsonpatch.jsonl",
  ssoEditPatch: "s05-sso-admin-kubectl-edit-add-developer.jsonl",
  escalationPatch: "s06-escalation-smp-contractor-masters.jsonl",
  delete: "s10-intruder-delete.jsonl",
  forbiddenPatch: "s14-readonly-patch-forbidden.jsonl",
} as const;
export type LabFile = (typeof LAB_FILES)[keyof typeof LAB_FILES];

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The fields of a Kubernetes audit event (audit.k8s.io/v1) that the lab recordings carry. */
export interface AuditEventJson {
  kind: string;
  apiVersion: string;
  level: string;
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user: UserInfo;
  sourceIPs: string[];
  userAgent: string;
  objectRef: {
    resource: string;
    namespace?: string;
    name?: string;
    uid?: string;
    apiGroup?: string;
    apiVersion?: string;
    resourceVersion?: string;
    subresource?: string;
  };
  responseStatus: {
    metadata?: Record<string, unknown>;
    status?: string;
    message?: string;
    reason?: string;
    details?: Record<string, unknown>;
    code: number;
  };
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

export interface ConfigMapJson {
  kind: "ConfigMap";
  apiVersion: "v1";
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: unknown[];
  };
  data?: Record<string, string>;
}

/** The recorded lines of a lab file, exactly as logged. */
export function labLines(file: LabFile): string[] {
  return readFileSync(new URL(file, LAB), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
}

/** A fresh copy of the first recorded event of `verb` in `file`. */
export function labEvent(file: LabFile, verb: string): AuditEventJson {
  const line = labLines(file).find((l) => (JSON.parse(l) as AuditEventJson).verb === verb);
  if (!line) throw new Error(`no ${verb} event in ${file}`);
  return JSON.parse(line) as AuditEventJson;
}

/** A read of another resource, as the API server writes it (the bulk of any export): never judged. */
export function podRead(): AuditEventJson {
  const event = labEvent(LAB_FILES.ssoEditPatch, "patch");
  event.verb = "get";
  event.objectRef = { resource: "pods", namespace: "default", name: "web-1", apiVersion: "v1" };
  event.requestURI = "/api/v1/namespaces/default/pods/web-1";
  delete event.requestObject;
  delete event.responseObject;
  return event;
}

export function isConfigMapJson(value: unknown): value is ConfigMapJson {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "ConfigMap";
}

function responseConfigMap(event: AuditEventJson): ConfigMapJson {
  if (!isConfigMapJson(event.responseObject)) throw new Error(`${event.auditID}: no ConfigMap response`);
  return event.responseObject;
}

// ---- Identities, each exactly as recorded -----------------------------------------------------------

export interface Identity {
  user: UserInfo;
  sourceIPs: string[];
  userAgent: string;
}

function identityOf(event: AuditEventJson): Identity {
  return { user: event.user, sourceIPs: event.sourceIPs, userAgent: event.userAgent };
}

export const IDENTITY = {
  /** kubernetes-admin from role terraform-eks-deployer (Terraform). */
  terraform: () => identityOf(labEvent(LAB_FILES.terraformJsonPatch, "patch")),
  /** sso-admin:jane.doe-example.com from the AWSReservedSSO administrator role (kubectl). */
  ssoAdmin: () => identityOf(labEvent(LAB_FILES.ssoEditPatch, "patch")),
  /** The genuine eks:node-manager: an AWSWesleyClusterManagerLambda role in EKS's account. */
  nodeManager: () => identityOf(labEvent(LAB_FILES.nodeManagerUpdate, "update")),
  /** The genuine eks:fargate-manager. */
  fargateManager: () => identityOf(labEvent(LAB_FILES.fargateManagerUpdate, "update")),
  /** ci-runner from legacy-ci-runner-role (kubectl). */
  ciRunner: () => identityOf(labEvent(LAB_FILES.delete, "delete")),
  /** readonly:dev.user from eks-readonly (kubectl). */
  readonly: () => identityOf(labEvent(LAB_FILES.forbiddenPatch, "patch")),
};

/**
 * `identity` as if it came from a role `roleName` in account `account`: what aws-iam-authenticator
 * would put in `user` for that role (the recorded identity with its ARNs, uid and session renamed).
 */
export function asRole(identity: Identity, roleName: string, account: string, username?: string): Identity {
  const user = structuredClone(identity.user);
  const extra = user.extra ?? {};
  const session = extra.sessionName?.[0] ?? "session";
  extra.arn = [`arn:aws:sts::${account}:assumed-role/${roleName}/${session}`];
  extra.canonicalArn = [`arn:aws:iam::${account}:role/${roleName}`];
  user.extra = extra;
  if (user.uid)
    user.uid = user.uid.replace(/^aws-iam-authenticator:\d{12}:/, `aws-iam-authenticator:${account}:`);
  if (username !== undefined) user.username = username;
  return { ...identity, user };
}

export function actingAs(event: AuditEventJson, identity: Identity): AuditEventJson {
  event.user = structuredClone(identity.user);
  event.sourceIPs = [...identity.sourceIPs];
  event.userAgent = identity.userAgent;
  // The recorded authorization reason names the recorded user's binding; it would differ.
  if (event.annotations?.["authorization.k8s.io/reason"] !== undefined) {
    event.annotations["authorization.k8s.io/reason"] = "";
  }
  return event;
}

// ---- aws-auth data, as recorded --------------------------------------------------------------------

/** Terraform's quoted version (s04 response, rv 204): node role, SSO admin (masters), Fargate, breakglass user (masters). */
export function goodData(): Record<string, string> {
  return { ...(responseConfigMap(labEvent(LAB_FILES.terraformJsonPatch, "patch")).data ?? {}) };
}

/** eks:node-manager's unquoted rewrite without the Fargate entry (s02 response, rv 202). */
export function nodeManagerData(): Record<string, string> {
  return { ...(responseConfigMap(labEvent(LAB_FILES.nodeManagerUpdate, "update")).data ?? {}) };
}

/** The data with `entries` (YAML list items, as text) appended to mapRoles. */
export function withRoles(data: Record<string, string>, ...entries: string[]): Record<string, string> {
  return { ...data, mapRoles: `${data.mapRoles ?? ""}${entries.join("")}` };
}

/** The data without the mapRoles list items (entries at column 0) that mention `text`. */
export function withoutRoles(data: Record<string, string>, text: string): Record<string, string> {
  const items = (data.mapRoles ?? "").split(/^(?=- )/m);
  const kept = items.filter((item) => !item.includes(text));
  if (kept.length === items.length) throw new Error(`no mapRoles entry mentions ${text}`);
  return { ...data, mapRoles: kept.join("") };
}

export function roleEntry(rolearn: string, username: string, groups: string[]): string {
  const list = groups.map((g) => `\n    - ${g}`).join("");
  return `- rolearn: ${rolearn}\n  username: ${username}\n  groups:${list || " []"}\n`;
}

/** The ConfigMap as `kubectl get cm aws-auth -o json` prints it (no managedFields), with `data` and `rv`. */
export function configMapWith(data: Record<string, string>, resourceVersion: string): ConfigMapJson {
  const cm = structuredClone(responseConfigMap(labEvent(LAB_FILES.terraformJsonPatch, "patch")));
  delete cm.metadata.managedFields;
  cm.metadata.resourceVersion = resourceVersion;
  cm.data = data;
  return cm;
}

export function asConfigMapObject(cm: ConfigMapJson): ConfigMapObject {
  return cm as unknown as ConfigMapObject;
}

// ---- Events of every verb --------------------------------------------------------------------------

export interface WriteSpec {
  auditID: string;
  /** RFC 3339 second, e.g. "2026-11-22T14:00:00"; the recorded time is kept when absent. */
  at?: string;
  identity?: Identity;
}

function stamp(event: AuditEventJson, spec: WriteSpec): AuditEventJson {
  event.auditID = spec.auditID;
  if (spec.at) {
    event.requestReceivedTimestamp = `${spec.at}.120000Z`;
    event.stageTimestamp = `${spec.at}.123456Z`;
  }
  return spec.identity ? actingAs(event, spec.identity) : event;
}

function setResponse(event: AuditEventJson, data: Record<string, string>, resourceVersion: string): void {
  const cm = responseConfigMap(event);
  cm.data = { ...data };
  cm.metadata.resourceVersion = resourceVersion;
}

export interface ContentSpec extends WriteSpec {
  data: Record<string, string>;
  /** resourceVersion of the object after the write. */
  resourceVersion: string;
  /** resourceVersion the writer read (and sends, for an update); default: one less. */
  basedOn?: string;
}

function basedOn(spec: ContentSpec): string {
  return spec.basedOn ?? String(Number(spec.resourceVersion) - 1);
}

/**
 * PUT of the whole ConfigMap (`kubectl replace`, Terraform `kubernetes_config_map`, EKS's managers):
 * the recorded eks:node-manager update with the new data in request and response.
 */
export function updateEvent(spec: ContentSpec & { requestURI?: string }): AuditEventJson {
  const event = labEvent(LAB_FILES.nodeManagerUpdate, "update");
  const request = event.requestObject as ConfigMapJson;
  request.data = { ...spec.data };
  request.metadata.resourceVersion = basedOn(spec);
  event.objectRef.resourceVersion = basedOn(spec);
  setResponse(event, spec.data, spec.resourceVersion);
  if (spec.requestURI) event.requestURI = spec.requestURI;
  return stamp(event, spec);
}

/** JSON patch (an array): the recorded Terraform patch, one `replace` per data key that changed. */
export function jsonPatchEvent(spec: ContentSpec & { before: Record<string, string> }): AuditEventJson {
  const event = labEvent(LAB_FILES.terraformJsonPatch, "patch");
  event.requestObject = Object.keys(spec.data)
    .filter((key) => spec.before[key] !== spec.data[key])
    .map((key) => ({
      op: key in spec.before ? "replace" : "add",
      path: `/data/${key}`,
      value: spec.data[key],
    }));
  setResponse(event, spec.data, spec.resourceVersion);
  return stamp(event, spec);
}

function changedKeys(before: Record<string, string>, after: Record<string, string>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[key] !== after[key]) patch[key] = after[key] ?? null;
  }
  return patch;
}

/** Strategic merge patch (`kubectl patch`, default type): the recorded escalation patch. */
export function strategicMergeEvent(spec: ContentSpec & { before: Record<string, string> }): AuditEventJson {
  const event = labEvent(LAB_FILES.escalationPatch, "patch");
  event.requestObject = { data: changedKeys(spec.before, spec.data) };
  setResponse(event, spec.data, spec.resourceVersion);
  return stamp(event, spec);
}

/**
 * JSON merge patch (`kubectl patch --type merge`): the audit log does not record the content type, so
 * it has the shape of the recorded strategic merge patch; a removed key is sent as `null`.
 */
export function mergePatchEvent(spec: ContentSpec & { before: Record<string, string> }): AuditEventJson {
  return strategicMergeEvent(spec);
}

/** `kubectl edit` (strategic merge, fieldManager kubectl-edit): the recorded SSO admin edit. */
export function editEvent(spec: ContentSpec & { before: Record<string, string> }): AuditEventJson {
  const event = labEvent(LAB_FILES.ssoEditPatch, "patch");
  event.requestObject = { data: changedKeys(spec.before, spec.data) };
  setResponse(event, spec.data, spec.resourceVersion);
  return stamp(event, spec);
}

/**
 * Server-side apply (`kubectl apply --server-side`): a patch whose body is the whole object and whose
 * URI carries `force`; when it creates aws-auth the response is 201 (kubernetes/kubernetes#115627).
 */
export function applyEvent(spec: ContentSpec & { creates?: boolean }): AuditEventJson {
  const event = labEvent(LAB_FILES.escalationPatch, "patch");
  event.requestURI =
    "/api/v1/namespaces/kube-system/configmaps/aws-auth?fieldManager=kubectl&fieldValidation=Strict&force=false";
  event.requestObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "aws-auth", namespace: "kube-system" },
    data: { ...spec.data },
  };
  setResponse(event, spec.data, spec.resourceVersion);
  if (spec.creates) {
    event.responseStatus.code = 201;
    const cm = responseConfigMap(event);
    cm.metadata.uid = "5d0c6a8e-1b7f-4a51-9a39-4c0f2e8b7d11";
    cm.metadata.creationTimestamp = `${spec.at ?? "2026-11-22T13:05:00"}Z`;
    delete cm.metadata.annotations;
  }
  return stamp(event, spec);
}

/** `create` as EKS logs it: Metadata level, no bodies (the recorded Terraform create). */
export function createEvent(spec: WriteSpec): AuditEventJson {
  return stamp(labEvent(LAB_FILES.create, "create"), spec);
}

/** `delete` of aws-auth (the recorded intruder delete). */
export function deleteEvent(spec: WriteSpec): AuditEventJson {
  return stamp(labEvent(LAB_FILES.delete, "delete"), spec);
}

/**
 * `kubectl delete cm --all -n kube-system`: deletecollection on the collection URI, Metadata level,
 * no bodies and no `objectRef.name` (derived from the recorded delete, as in filter-cases.jsonl).
 */
export function deleteCollectionEvent(spec: WriteSpec & { query?: string }): AuditEventJson {
  const event = labEvent(LAB_FILES.delete, "delete");
  event.verb = "deletecollection";
  event.level = "Metadata";
  event.requestURI = `/api/v1/namespaces/kube-system/configmaps${spec.query ? `?${spec.query}` : ""}`;
  delete event.objectRef.name;
  event.responseStatus = { metadata: {}, code: 200 };
  delete event.requestObject;
  delete event.responseObject;
  return stamp(event, spec);
}

/** The write refused: `code` with a Status as the response, nothing stored. */
export function refused(event: AuditEventJson, code: 403 | 409 | 422, message: string): AuditEventJson {
  const reason = code === 403 ? "Forbidden" : code === 409 ? "Conflict" : "Invalid";
  const status = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    details: { name: "aws-auth", kind: "configmaps" },
    code,
  };
  event.responseStatus = {
    metadata: {},
    status: "Failure",
    message,
    reason,
    details: status.details,
    code,
  };
  event.responseObject = status;
  if (code === 403) {
    // Authorization refuses before the body is read: no request object is logged (as in s14).
    delete event.requestObject;
    if (event.annotations) event.annotations["authorization.k8s.io/decision"] = "forbid";
  }
  return event;
}

/** The same request with `dryRun=All`: audited like the real one, persists nothing. */
export function dryRun(event: AuditEventJson): AuditEventJson {
  event.requestURI += event.requestURI.includes("?") ? "&dryRun=All" : "?dryRun=All";
  return event;
}

/** What CloudWatch delivers for an event over its size limit: the first `chars` characters, cut. */
export function cutOff(event: AuditEventJson, chars: number): string {
  return `${JSON.stringify(event).slice(0, chars)}[Truncated...]`;
}

/** The event as the truncate backend logs an over-large one: bodies dropped, annotation set. */
export function backendTruncated(event: AuditEventJson): AuditEventJson {
  delete event.requestObject;
  delete event.responseObject;
  event.annotations = { ...(event.annotations ?? {}), "audit.k8s.io/truncated": "true" };
  return event;
}

/** The guardian's view of an event that must be a write to aws-auth. */
export function writeOf(event: AuditEventJson | string): AwsAuthWrite {
  const triage = triageAuditEvent(typeof event === "string" ? JSON.parse(event) : event);
  if (triage.kind !== "write") throw new Error(`not an aws-auth write: ${JSON.stringify(triage)}`);
  return triage.write;
}

export function jsonl(events: Array<AuditEventJson | string>): string {
  return `${events.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join("\n")}\n`;
}

// ---- The "Done when" sequence (test/fixtures/audit/derived/classify/done-when.jsonl) ------------------

export const ARN = {
  developer: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/developer`,
  developerOtherCase: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/Developer`,
  automation: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/cluster-automation`,
  pathRole: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/teams/platform-admin`,
  fargate: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/my-fargate-profile-role`,
  node: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/my-node-role`,
  ssoAdmin: `arn:aws:iam::${CLUSTER_ACCOUNT}:role/AWSReservedSSO_AdministratorAccess_3e3617e16cf3782b`,
  breakglass: `arn:aws:iam::${CLUSTER_ACCOUNT}:user/breakglass-admin`,
} as const;

export interface SequenceStep {
  /** Short name, also the README's row. */
  name: string;
  /** The class `analyze` must give it; undefined for a line that is skipped (duplicate auditID). */
  expect?: string;
  /** A finding id the write must carry. */
  finding?: string;
  line: string;
}

/** auditIDs of derived events: `d1000000-0000-4000-8000-0000000000NN`, never a recorded one. */
export function derivedAuditID(n: number): string {
  return `d1000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/**
 * The sequence the issue's "Done when" names, as one stream after the baseline `baseline-rv204.yaml`
 * (the s04 response: Terraform's quoted aws-auth at resourceVersion 204).
 */
export function doneWhenSequence(): SequenceStep[] {
  const good = goodData();
  const developer = roleEntry(ARN.developer, "developer:{{SessionName}}", ["view-only"]);
  const d1 = withRoles(good, developer);
  const d2 = withRoles(d1, roleEntry(ARN.automation, "eks:node-manager", []));
  const d3 = withRoles(nodeManagerData(), developer, roleEntry(ARN.automation, "eks:node-manager", []));
  const d4 = withRoles(
    d1,
    roleEntry(ARN.developerOtherCase, "developer:{{SessionName}}", ["system:masters"]),
  );
  const d5 = withRoles(d4, roleEntry(ARN.pathRole, "platform-admin", ["system:masters"]));
  const d6 = withRoles(
    d5,
    "- rolearn: arn:aws:iam::012345678901:role/ops\n  username: {{SessionName}}\n  groups:\n    - ops\n",
  );
  const impostor = asRole(IDENTITY.nodeManager(), "cluster-automation", CLUSTER_ACCOUNT);
  const contractor = roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/contractor-debug`, "contractor-debug", [
    "system:masters",
  ]);
  const first = jsonPatchEvent({
    auditID: derivedAuditID(1),
    at: "2026-11-22T14:00:01",
    data: d1,
    before: good,
    resourceVersion: "210",
  });
  const steps: SequenceStep[] = [
    { name: "json-patch-adds-developer", expect: "routine", line: JSON.stringify(first) },
    {
      name: "merge-patch-maps-own-role-as-eks-node-manager",
      expect: "dangerous",
      finding: "eks-username-mapped",
      line: JSON.stringify(
        mergePatchEvent({
          auditID: derivedAuditID(2),
          at: "2026-11-22T14:00:02",
          identity: IDENTITY.ssoAdmin(),
          data: d2,
          before: d1,
          resourceVersion: "211",
        }),
      ),
    },
    {
      name: "update-by-own-account-role-calling-itself-eks-node-manager",
      expect: "dangerous",
      finding: "eks-identity-impersonation",
      line: JSON.stringify(
        updateEvent({
          auditID: derivedAuditID(3),
          at: "2026-11-22T14:00:03",
          identity: impostor,
          data: d3,
          resourceVersion: "212",
        }),
      ),
    },
    {
      name: "patch-forbidden-403",
      expect: "rejected",
      finding: "forbidden-attempt",
      line: JSON.stringify(
        stamp(labEvent(LAB_FILES.forbiddenPatch, "patch"), {
          auditID: derivedAuditID(4),
          at: "2026-11-22T14:00:04",
        }),
      ),
    },
    {
      name: "update-conflict-409",
      expect: "rejected",
      finding: "write-rejected",
      line: JSON.stringify(
        refused(
          updateEvent({
            auditID: derivedAuditID(5),
            at: "2026-11-22T14:00:05",
            identity: IDENTITY.terraform(),
            requestURI: "/api/v1/namespaces/kube-system/configmaps/aws-auth",
            data: d1,
            resourceVersion: "211",
            basedOn: "210",
          }),
          409,
          'Operation cannot be fulfilled on configmaps "aws-auth": the object has been modified; please apply your changes to the latest version and try again',
        ),
      ),
    },
    {
      name: "dry-run-patch-grants-masters",
      expect: "dry-run",
      finding: "dry-run",
      line: JSON.stringify(
        dryRun(
          strategicMergeEvent({
            auditID: derivedAuditID(6),
            at: "2026-11-22T14:00:06",
            data: withRoles(d3, contractor),
            before: d3,
            resourceVersion: "212",
          }),
        ),
      ),
    },
    {
      name: "server-side-apply-restores-last-good",
      expect: "routine",
      finding: "restores-last-good",
      line: JSON.stringify(
        applyEvent({
          auditID: derivedAuditID(7),
          at: "2026-11-22T14:00:07",
          data: d1,
          resourceVersion: "213",
        }),
      ),
    },
    {
      name: "identical-update-no-op",
      expect: "cosmetic",
      line: JSON.stringify(
        updateEvent({
          auditID: derivedAuditID(8),
          at: "2026-11-22T14:00:08",
          identity: IDENTITY.terraform(),
          requestURI: "/api/v1/namespaces/kube-system/configmaps/aws-auth",
          data: d1,
          resourceVersion: "213",
          basedOn: "213",
        }),
      ),
    },
    {
      name: "duplicate-arn-shadows-with-masters",
      expect: "dangerous",
      finding: "masters-granted",
      line: JSON.stringify(
        editEvent({
          auditID: derivedAuditID(9),
          at: "2026-11-22T14:00:09",
          data: d4,
          before: d1,
          resourceVersion: "214",
        }),
      ),
    },
    {
      name: "role-arn-with-path",
      expect: "dangerous",
      finding: "dead-entry-added",
      line: JSON.stringify(
        editEvent({
          auditID: derivedAuditID(10),
          at: "2026-11-22T14:00:10",
          data: d5,
          before: d4,
          resourceVersion: "215",
        }),
      ),
    },
    {
      name: "malformed-yaml-in-mapRoles",
      expect: "dangerous",
      finding: "section-unparseable",
      line: JSON.stringify(
        updateEvent({
          auditID: derivedAuditID(11),
          at: "2026-11-22T14:00:11",
          identity: IDENTITY.terraform(),
          requestURI: "/api/v1/namespaces/kube-system/configmaps/aws-auth",
          data: d6,
          resourceVersion: "216",
        }),
      ),
    },
    {
      name: "deletecollection-configmaps-kube-system",
      expect: "dangerous",
      finding: "aws-auth-deleted",
      line: JSON.stringify(deleteCollectionEvent({ auditID: derivedAuditID(12), at: "2026-11-22T14:00:12" })),
    },
    {
      name: "create-without-body",
      expect: "unverified",
      finding: "content-unknown",
      line: JSON.stringify(createEvent({ auditID: derivedAuditID(13), at: "2026-11-22T14:00:13" })),
    },
    { name: "same-auditID-delivered-again", line: JSON.stringify(first) },
    {
      name: "update-cut-off-by-cloudwatch",
      expect: "unverified",
      finding: "content-unknown",
      line: cutOff(
        updateEvent({
          auditID: derivedAuditID(15),
          at: "2026-11-22T14:00:15",
          identity: IDENTITY.terraform(),
          requestURI: "/api/v1/namespaces/kube-system/configmaps/aws-auth",
          data: d1,
          resourceVersion: "302",
          basedOn: "301",
        }),
        2048,
      ),
    },
  ];
  return steps;
}

/** The baseline of the sequence, as `kubectl get cm aws-auth -o yaml` prints it (rv 204). */
export function doneWhenBaseline(): ConfigMapJson {
  return configMapWith(goodData(), "204");
}
