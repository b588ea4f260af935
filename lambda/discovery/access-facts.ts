/**
 * What discovery learns about a cluster's ways in besides aws-auth: whether CloudTrail records the
 * management events the access-entry rule depends on (EventBridge receives nothing without a trail),
 * the authentication mode, and who created the cluster (the principal that keeps implicit admin where
 * the mode allows it): from the `CreateCluster` record while it is in CloudTrail's 90-day event
 * history, else from the creator's own bootstrapped access entry.
 */
import {
  type CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
} from "@aws-sdk/client-cloudtrail";
import { renderAccessAlert } from "../core/access-alert.js";
import {
  type AccessChange,
  type AccessPicture,
  diffPictures,
  normalizePicture,
  readAccessPicture,
} from "../core/access-picture.js";
import { captureAccessPicture } from "../core/access-pipeline.js";
import type { AccessStore, ClusterAccessInfo } from "../core/access-store.js";
import type { GuardianPolicy } from "../core/policy.js";
import type { AccessEntryApi, Notifier } from "../core/ports.js";

export type TrailState = "recording" | "none" | "unknown";

/** Whether some logging trail records write management events of this region. */
export async function managementTrailState(cloudtrail: CloudTrailClient): Promise<TrailState> {
  try {
    const { trailList = [] } = await cloudtrail.send(
      new DescribeTrailsCommand({ includeShadowTrails: true }),
    );
    for (const trail of trailList) {
      const name = trail.TrailARN ?? trail.Name;
      if (!name) continue;
      const status = await cloudtrail.send(new GetTrailStatusCommand({ Name: name }));
      if (!status.IsLogging) continue;
      const selectors = await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: name }));
      if (selectors.AdvancedEventSelectors?.length) {
        const management = selectors.AdvancedEventSelectors.some((selector) =>
          (selector.FieldSelectors ?? []).some(
            (field) => field.Field === "eventCategory" && (field.Equals ?? []).includes("Management"),
          ),
        );
        if (management) return "recording";
        continue;
      }
      // A trail without selectors records all management events by default.
      const basic = selectors.EventSelectors ?? [];
      if (
        basic.length === 0 ||
        basic.some((s) => s.IncludeManagementEvents !== false && s.ReadWriteType !== "ReadOnly")
      ) {
        return "recording";
      }
    }
    return "none";
  } catch {
    return "unknown";
  }
}

/** The caller of the cluster's `CreateCluster`, while it is in the 90-day event history. */
export async function creatorFromCloudTrail(
  cloudtrail: CloudTrailClient,
  cluster: string,
  now: Date,
): Promise<string | undefined> {
  return (await creatorsFromCloudTrail(cloudtrail, now, cluster)).get(cluster);
}

/**
 * The callers of every EKS `CreateCluster` in the 90-day event history (or only `cluster`'s, stopping at it),
 * by cluster name: one scan for a discovery run over many clusters (LookupEvents allows 2 calls a second).
 */
export async function creatorsFromCloudTrail(
  cloudtrail: CloudTrailClient,
  now: Date,
  only?: string,
): Promise<Map<string, string>> {
  const creators = new Map<string, string>();
  const start = new Date(now.getTime() - 90 * 24 * 3600 * 1000);
  let nextToken: string | undefined;
  for (let page = 0; page < 20; page++) {
    const answer = await cloudtrail.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "CreateCluster" }],
        StartTime: start,
        EndTime: now,
        NextToken: nextToken,
      }),
    );
    for (const event of answer.Events ?? []) {
      if (event.EventSource !== "eks.amazonaws.com" || !event.CloudTrailEvent) continue;
      try {
        const record = JSON.parse(event.CloudTrailEvent) as {
          requestParameters?: { name?: unknown };
          errorCode?: unknown;
          userIdentity?: { arn?: unknown; sessionContext?: { sessionIssuer?: { arn?: unknown } } };
        };
        const name = record.requestParameters?.name;
        if (typeof name !== "string" || (only !== undefined && name !== only) || record.errorCode) continue;
        const issuer = record.userIdentity?.sessionContext?.sessionIssuer?.arn;
        const arn = typeof issuer === "string" ? issuer : record.userIdentity?.arn;
        // Newest first: a name re-used by a later cluster keeps the later creator.
        if (typeof arn === "string" && !creators.has(name)) creators.set(name, arn);
        if (only !== undefined && creators.has(only)) return creators;
      } catch {
        // A record that does not parse names nobody.
      }
    }
    nextToken = answer.NextToken;
    if (!nextToken) break;
  }
  return creators;
}

/**
 * The creator's own access entry: EKS gives it `AmazonEKSClusterAdminPolicy` at cluster scope when the
 * cluster is created with `bootstrapClusterCreatorAdminPermissions`; the earliest such entry.
 */
export async function creatorFromAccessEntries(
  api: AccessEntryApi,
  cluster: string,
  picture: AccessPicture,
): Promise<string | undefined> {
  const config = await api.describeAccessConfig(cluster);
  if (config.bootstrapClusterCreatorAdminPermissions !== true) return undefined;
  const admins = picture.entries.filter(
    (e) =>
      e.type === "STANDARD" &&
      e.policies.some(
        (p) => p.policyArn.endsWith("/AmazonEKSClusterAdminPolicy") && p.accessScope.type === "cluster",
      ),
  );
  let best: { arn: string; createdAt: string } | undefined;
  for (const admin of admins) {
    const entry = await api.describeAccessEntry(cluster, admin.principalArn);
    const createdAt = entry?.createdAt ?? "9999";
    if (!best || createdAt < best.createdAt) best = { arn: admin.principalArn, createdAt };
  }
  return best?.arn;
}

export interface AccessFacts {
  info: ClusterAccessInfo;
  /** Blind spots and risks, for discovery's report and verify. */
  problems: string[];
  /** No trail records management events: EventBridge receives no access-entry call. */
  blind: boolean;
  /** The live picture differs from the latest record; absent when nothing was compared. */
  drift?: { latestId: string; changes: AccessChange[] };
  /** The live picture, when it could be read. */
  picture?: AccessPicture;
}

export const NO_TRAIL_PROBLEM =
  "No CloudTrail trail records management events in this region: EventBridge receives no access-entry " +
  "events, so the guardian is blind to access entries (create a trail with management events).";

/**
 * Reads the facts of one cluster; never throws (a fact it cannot learn is reported as unknown). With a
 * `store`, compares the live picture with the latest record and files the facts (`cluster.json` beside the
 * access records), where the classifier, the restore function and the CLI read the creator. `trail` lets a
 * caller that checks many clusters ask CloudTrail once.
 */
export async function recordAccessFacts(
  deps: {
    api: AccessEntryApi;
    cloudtrail: CloudTrailClient;
    store?: AccessStore;
    now: () => Date;
    trail?: TrailState;
    /** The CreateCluster callers already looked up for a run over many clusters. */
    creators?: ReadonlyMap<string, string>;
  },
  cluster: string,
): Promise<AccessFacts> {
  const problems: string[] = [];
  const trail = deps.trail ?? (await managementTrailState(deps.cloudtrail));
  if (trail === "none") {
    problems.push(NO_TRAIL_PROBLEM);
  } else if (trail === "unknown") {
    problems.push(
      "Could not tell whether a CloudTrail trail records management events (cloudtrail:DescribeTrails failed).",
    );
  }
  let authenticationMode: string | undefined;
  let creator: string | undefined;
  let creatorSource: ClusterAccessInfo["creatorSource"];
  let drift: AccessFacts["drift"];
  let picture: AccessPicture | undefined;
  try {
    creator = deps.creators
      ? deps.creators.get(cluster)
      : await creatorFromCloudTrail(deps.cloudtrail, cluster, deps.now());
    if (creator) creatorSource = "cloudtrail";
  } catch {
    // LookupEvents is throttled at 2 calls a second: the entry below may still say.
  }
  try {
    picture = await readAccessPicture(deps.api, cluster);
    authenticationMode = picture.authenticationMode;
    if (!creator) {
      creator = await creatorFromAccessEntries(deps.api, cluster, picture);
      if (creator) creatorSource = "access-entry";
    }
  } catch (error) {
    problems.push(`Could not read the access entries: ${(error as Error).message}`);
  }
  if (deps.store && picture) {
    try {
      const latest = await deps.store.resolve(cluster, "latest");
      const before = latest?.picture;
      if (latest && before) {
        const changes = diffPictures(normalizePicture(before), picture);
        if (changes.length) {
          drift = { latestId: latest.id, changes };
          problems.push(
            `The live access entries differ from the latest record (${latest.id}): a change the guardian did not see.`,
          );
        }
      }
    } catch (error) {
      problems.push(`Could not read the latest access record: ${(error as Error).message}`);
    }
  }
  const info: ClusterAccessInfo = {
    cluster,
    at: deps.now().toISOString(),
    ...(authenticationMode ? { authenticationMode } : {}),
    ...(creator ? { creator } : {}),
    ...(creatorSource ? { creatorSource } : {}),
    trail,
  };
  await deps.store?.putClusterInfo(info).catch(() => undefined);
  return {
    info,
    problems,
    blind: trail === "none",
    ...(drift ? { drift } : {}),
    ...(picture ? { picture } : {}),
  };
}

export interface AccessVerifyDeps {
  api: AccessEntryApi;
  cloudtrail: CloudTrailClient;
  store: AccessStore;
  notifier: Notifier;
  policy: GuardianPolicy;
  guardianRoleArn?: string;
  now: () => Date;
}

export interface AccessVerifyResult {
  cluster: string;
  facts: ClusterAccessInfo;
  problems: string[];
  /** The guardian missed something: no trail, or live entries that differ from the latest record. */
  blindSpot: boolean;
  /** The capture filed for the live picture (drift, or the first record of the cluster). */
  recordId?: string;
  alerted: boolean;
}

/**
 * `verify` for access entries: the facts (trail, mode, creator) filed; a live picture that differs from the
 * latest record is captured as a new record and announced as a blind spot; a cluster without any access
 * record gets its first (baseline) record. Throws only when the store or the notifier fail.
 */
export async function verifyAccessEntries(
  deps: AccessVerifyDeps,
  cluster: string,
): Promise<AccessVerifyResult> {
  const facts = await recordAccessFacts(deps, cluster);
  const base = {
    cluster,
    facts: facts.info,
    problems: facts.problems,
    blindSpot: facts.blind || !!facts.drift,
  };
  if (!facts.picture) return { ...base, alerted: false };
  const latest = await deps.store.getPointer(cluster, "latest");
  if (latest && !facts.drift) return { ...base, alerted: false };
  const record = await captureAccessPicture(
    deps,
    cluster,
    facts.drift
      ? `verify: the live access entries differ from the latest record ${facts.drift.latestId}`
      : "verify: first record of the access entries",
  );
  if (!facts.drift) return { ...base, recordId: record.id, alerted: false };
  const ids = await deps.store.listIds(cluster);
  const { lastGood } = await deps.store.historyBefore(cluster, ids, record.id);
  await deps.notifier.publish(
    renderAccessAlert({
      cluster,
      class: record.class === "dangerous" ? "dangerous" : "unverified",
      severity: "high",
      findings: [
        {
          id: "access-blind-spot",
          severity: "high",
          message:
            `BLIND SPOT: the live access entries differ from the latest record ${facts.drift.latestId}; no CloudTrail ` +
            `event of the change reached the guardian${facts.blind ? " (no trail records management events)" : ""}. Filed ${record.id}.`,
        },
        ...record.findings,
      ],
      changes: facts.drift.changes,
      record,
      ...(lastGood ? { restoreTarget: lastGood } : {}),
      storeLocation: deps.store.root(),
      ...(facts.info.creator ? { creator: facts.info.creator } : {}),
      headline: "access entries changed without a CloudTrail event (blind spot)",
    }),
  );
  return { ...base, recordId: record.id, alerted: true };
}
