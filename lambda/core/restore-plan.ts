/**
 * What a restore would do, decided without touching anything: given the version to put back and
 * the live aws-auth, which write (create, replace or none), the exact object to send, the semantic
 * diff it makes, and every reason not to do it. Pure and total: odd input becomes a refusal.
 *
 * The rule is "never leave the cluster worse than it was found": a target that was classified
 * dangerous, that does not parse, or that would take away every cluster admin or every node
 * mapping the live version still has is refused unless forced. A target without content (a
 * deletion, a write never seen) or naming another object is refused even when forced.
 */
import { MASTERS_GROUP, nodeKindOf, type RoleMapping, SECTION_NAMES, type UserMapping } from "./aws-auth.js";
import { modelOf } from "./classify.js";
import { diffModels, type SemanticDiff } from "./diff.js";
import type { ConfigMapObject } from "./ports.js";
import type { VersionRecord } from "./records.js";

export const AWS_AUTH_NAME = "aws-auth";
export const AWS_AUTH_NAMESPACE = "kube-system";

export interface RestoreOptions {
  /** Go ahead despite the refusals that can be overridden. @default false */
  readonly force?: boolean;
  /** Plan only; carried through so that a plan says what it was made for. @default false */
  readonly dryRun?: boolean;
}

/**
 * `recreate`: the live aws-auth is immutable, so it is deleted (preconditioned on the uid and
 * resourceVersion read) and the version created at once.
 */
export type RestoreAction = "create" | "replace" | "recreate" | "none";

/** Stable ids of the reasons a restore is refused, for tests, records and metrics. */
export const REFUSAL_IDS = [
  "target-has-no-content",
  "target-is-another-object",
  "target-dangerous",
  "target-carries-dangerous-change",
  "target-unparseable",
  "removes-every-masters-mapping",
  "removes-every-node-mapping",
  "immutable-live-unidentified",
] as const;
export type RefusalId = (typeof REFUSAL_IDS)[number];

export interface Refusal {
  id: RefusalId;
  /** One sentence that explains itself to whoever ran the restore. */
  message: string;
  /** False for refusals that `force` cannot override. */
  overridable: boolean;
}

export interface RestorePlan {
  /** The write that puts the target back; "none" when nothing would be (or could be) written. */
  action: RestoreAction;
  /** Why the restore must not go ahead; absent when it may. */
  refusal?: string[];
  /** The structured reasons behind `refusal` (and the ones `force` overrode, see `overridden`). */
  reasons: Refusal[];
  /** Refusals that `force` overrode; the write goes ahead and the record says so. */
  overridden: string[];
  /** Live → target, as the authenticator sees it. */
  diff: SemanticDiff;
  /**
   * The exact object the write sends: the snapshot's `data` strings untouched, its labels and
   * annotations, name and namespace; for a replace the live resourceVersion as precondition;
   * never uid or creationTimestamp. Absent when the target has no content or the action is "none".
   */
  body?: ConfigMapObject;
  /** Why the action is "none" when it is not a refusal (e.g. already equal). */
  note?: string;
  /** The resourceVersion the plan was made against; undefined when aws-auth did not exist. */
  liveResourceVersion?: string;
  /** For a `recreate`: what the delete must still find, and why the restore cannot simply replace. */
  recreate?: RecreatePlan;
  targetId: string;
  dryRun: boolean;
}

export interface RecreatePlan {
  /** The delete's preconditions: the object the plan was made against, not one written since. */
  uid: string;
  resourceVersion: string;
  /** One paragraph for the dry run and the record: what will happen, and why. */
  reason: string;
}

function describeTarget(target: VersionRecord): string {
  return `version ${target.id}`;
}

function sameData(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = a ?? {};
  const right = b ?? {};
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && right[key] === left[key]);
}

/** Are these two `data` maps byte-for-byte the same strings? (Missing data equals empty data.) */
export function dataIdentical(a: ConfigMapObject | undefined, b: ConfigMapObject | undefined): boolean {
  return sameData(a?.data, b?.data);
}

/** The keys whose strings differ between two ConfigMaps' `data`, sorted. */
export function differingDataKeys(a: ConfigMapObject | undefined, b: ConfigMapObject | undefined): string[] {
  const left = a?.data ?? {};
  const right = b?.data ?? {};
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].filter((key) => left[key] !== right[key]).sort();
}

function principal(mapping: RoleMapping | UserMapping): string {
  return "rolearn" in mapping ? mapping.rolearn || mapping.key : mapping.userarn;
}

function mastersMappings(configMap: ConfigMapObject): string[] {
  const model = modelOf(configMap);
  return [...model.roles, ...model.users].filter((m) => m.groups.includes(MASTERS_GROUP)).map(principal);
}

function nodeMappings(configMap: ConfigMapObject): string[] {
  return modelOf(configMap)
    .roles.filter((m) => nodeKindOf(m) !== undefined)
    .map(principal);
}

function listOf(items: string[]): string {
  return items.length <= 3
    ? items.join(", ")
    : `${items.slice(0, 3).join(", ")} and ${items.length - 3} more`;
}

/** The object a restore writes: everything that defines aws-auth comes from the snapshot. */
export function restoreBody(
  target: ConfigMapObject,
  live: ConfigMapObject | undefined,
  action: "create" | "replace",
): ConfigMapObject {
  const source = target.metadata;
  const metadata: ConfigMapObject["metadata"] = { name: AWS_AUTH_NAME, namespace: AWS_AUTH_NAMESPACE };
  if (source.labels !== undefined) metadata.labels = { ...source.labels };
  if (source.annotations !== undefined) metadata.annotations = { ...source.annotations };
  if (action === "replace" && live?.metadata.resourceVersion !== undefined) {
    metadata.resourceVersion = live.metadata.resourceVersion;
  }
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata,
    // A shallow copy of immutable strings: exactly what was snapshotted, never re-encoded.
    ...(target.data !== undefined ? { data: { ...target.data } } : {}),
  };
}

function contentRefusals(target: VersionRecord): Refusal[] {
  if (target.kind !== "version" || target.configMap === undefined) {
    const what =
      target.kind === "tombstone"
        ? "records the deletion of aws-auth"
        : target.kind === "unverified"
          ? "records a write whose content the guardian never saw"
          : "holds no ConfigMap";
    return [
      {
        id: "target-has-no-content",
        message: `${describeTarget(target)} ${what}, so there is nothing to restore from it; pick a version with content (aws-auth-guardian history).`,
        overridable: false,
      },
    ];
  }
  const { name, namespace } = target.configMap.metadata;
  if (
    (name !== undefined && name !== AWS_AUTH_NAME) ||
    (namespace !== undefined && namespace !== AWS_AUTH_NAMESPACE)
  ) {
    return [
      {
        id: "target-is-another-object",
        message: `${describeTarget(target)} is ConfigMap ${namespace ?? AWS_AUTH_NAMESPACE}/${name ?? AWS_AUTH_NAME}, not ${AWS_AUTH_NAMESPACE}/${AWS_AUTH_NAME}; the guardian only restores aws-auth.`,
        overridable: false,
      },
    ];
  }
  return [];
}

function safetyRefusals(
  target: VersionRecord,
  targetMap: ConfigMapObject,
  live: ConfigMapObject | undefined,
): Refusal[] {
  const reasons: Refusal[] = [];
  if (target.class === "dangerous") {
    const worst = target.findings
      .filter((f) => f.severity === "critical" || f.severity === "high")
      .map((f) => f.id);
    reasons.push({
      id: "target-dangerous",
      message: `${describeTarget(target)} was classified dangerous${worst.length ? ` (${[...new Set(worst)].join(", ")})` : ""}; restoring it would bring that back.`,
      overridable: true,
    });
  }
  if (target.class !== "dangerous" && target.good === false) {
    const carried = target.findings.find((f) => f.id === "carries-dangerous-change");
    reasons.push({
      id: "target-carries-dangerous-change",
      message: `${describeTarget(target)} still carries a dangerous change made before it${carried ? `: ${carried.message}` : ""}; restore the last good version instead.`,
      overridable: true,
    });
  }
  const model = modelOf(targetMap);
  for (const name of SECTION_NAMES) {
    const section = model.sections[name];
    if (section.status === "unparseable") {
      reasons.push({
        id: "target-unparseable",
        message: `${name} in ${describeTarget(target)} does not parse (${section.error ?? "syntax error"}); the authenticator would drop every entry in it.`,
        overridable: true,
      });
    }
  }
  if (live !== undefined) {
    const liveMasters = mastersMappings(live);
    if (liveMasters.length > 0 && mastersMappings(targetMap).length === 0) {
      reasons.push({
        id: "removes-every-masters-mapping",
        message: `${describeTarget(target)} maps nobody to ${MASTERS_GROUP}, while the live aws-auth maps ${listOf(liveMasters)}; restoring it would remove every cluster admin.`,
        overridable: true,
      });
    }
    const liveNodes = nodeMappings(live);
    if (liveNodes.length > 0 && nodeMappings(targetMap).length === 0) {
      reasons.push({
        id: "removes-every-node-mapping",
        message: `${describeTarget(target)} has no node mapping, while the live aws-auth maps ${listOf(liveNodes)}; restoring it would stop every node from joining or renewing.`,
        overridable: true,
      });
    }
  }
  return reasons;
}

/**
 * Decides a restore of `target` over `live` (undefined when aws-auth does not exist). Never throws.
 */
export function planRestore(
  target: VersionRecord,
  live: ConfigMapObject | undefined,
  options: RestoreOptions = {},
): RestorePlan {
  const force = options.force === true;
  const common = {
    targetId: target.id,
    dryRun: options.dryRun === true,
    ...(live?.metadata.resourceVersion !== undefined
      ? { liveResourceVersion: live.metadata.resourceVersion }
      : {}),
  };
  const liveModel = live ? modelOf(live) : undefined;

  const hard = contentRefusals(target);
  const targetMap = target.configMap;
  if (hard.length > 0 || targetMap === undefined) {
    return {
      ...common,
      action: "none",
      refusal: hard.map((r) => r.message),
      reasons: hard,
      overridden: [],
      diff: diffModels(liveModel, liveModel),
    };
  }

  const diff = diffModels(liveModel, modelOf(targetMap));
  const frozen = live?.immutable === true;
  if (live !== undefined && !frozen && diff.effectiveEqual && dataIdentical(live, targetMap)) {
    return {
      ...common,
      action: "none",
      reasons: [],
      overridden: [],
      diff,
      note: `the live aws-auth already holds exactly the data of ${describeTarget(target)}; nothing to write`,
    };
  }

  const action: RestoreAction = live === undefined ? "create" : frozen ? "recreate" : "replace";
  const reasons = safetyRefusals(target, targetMap, live);
  const uid = live?.metadata.uid;
  const resourceVersion = live?.metadata.resourceVersion;
  const unidentified = frozen && (!uid || !resourceVersion);
  if (unidentified) {
    reasons.push({
      id: "immutable-live-unidentified",
      message:
        "the live aws-auth is immutable but was read without uid or resourceVersion, so it cannot be deleted safely (only while unchanged); nothing is written.",
      overridable: false,
    });
  }
  const blocking = force ? reasons.filter((r) => !r.overridable) : reasons;
  return {
    ...common,
    action,
    ...(blocking.length > 0 ? { refusal: blocking.map((r) => r.message) } : {}),
    reasons,
    overridden: force ? reasons.filter((r) => r.overridable).map((r) => r.message) : [],
    diff,
    body: restoreBody(targetMap, live, action === "replace" ? "replace" : "create"),
    ...(frozen && uid && resourceVersion
      ? { recreate: { uid, resourceVersion, reason: recreateReason(target, resourceVersion, uid) } }
      : {}),
  };
}

/** Why a frozen aws-auth is deleted and created instead of replaced, said before anything is written. */
function recreateReason(target: VersionRecord, resourceVersion: string, uid: string): string {
  return (
    "The live aws-auth is immutable (immutable: true): the API server refuses every change to its data " +
    "(422) and immutable cannot be unset, so EKS can no longer add node or Fargate roles. The restore " +
    `therefore deletes it, only while it is still resourceVersion ${resourceVersion} (uid ${uid}), and at ` +
    `once creates ${describeTarget(target)}, without immutable. Between the two calls aws-auth does not ` +
    "exist: a node or user authenticating in that instant is refused once. If the create fails, the " +
    "result gives the exact object to create by hand."
  );
}
