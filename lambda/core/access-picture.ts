/**
 * A cluster's whole access picture on the EKS side: its authentication mode and every access entry
 * with its associated policies. Read through the `AccessEntryApi` port (read-only calls only),
 * compared as plain data, and turned into the same list of changes an event describes, so that one
 * set of rules judges both a single call and the distance between two recorded pictures.
 */
import type { AccessEvent } from "./access-event.js";
import {
  type AccessEntryApi,
  AccessEntryApiError,
  type AccessScope,
  type AuthenticationMode,
  EKS_ERROR_CODES,
} from "./ports.js";

export interface PicturePolicy {
  policyArn: string;
  accessScope: AccessScope;
}

export interface PictureEntry {
  principalArn: string;
  type: string;
  username?: string;
  kubernetesGroups: string[];
  policies: PicturePolicy[];
}

export interface AccessPicture {
  authenticationMode: AuthenticationMode;
  /** Sorted by principal ARN; policies sorted by ARN, groups and namespaces sorted. */
  entries: PictureEntry[];
}

export type AccessChange =
  | { kind: "entry-added"; principalArn: string; type: string; username?: string; kubernetesGroups: string[] }
  | { kind: "entry-removed"; principalArn: string; policies: PicturePolicy[] }
  | {
      kind: "entry-changed";
      principalArn: string;
      username?: { before?: string; after?: string };
      groupsAdded: string[];
      groupsRemoved: string[];
    }
  | {
      kind: "policy-associated";
      principalArn: string;
      policyArn: string;
      accessScope: AccessScope;
      before?: AccessScope;
    }
  | { kind: "policy-disassociated"; principalArn: string; policyArn: string }
  | { kind: "mode-changed"; before?: string; after: string };

const sorted = (items: readonly string[]) => [...new Set(items)].sort();

export function normalizeScope(scope: AccessScope): AccessScope {
  return scope.type === "namespace"
    ? { type: "namespace", namespaces: sorted(scope.namespaces) }
    : { type: "cluster", namespaces: [] };
}

export function normalizePicture(picture: AccessPicture): AccessPicture {
  return {
    authenticationMode: picture.authenticationMode,
    entries: picture.entries
      .map((entry) => ({
        principalArn: entry.principalArn,
        type: entry.type,
        ...(entry.username === undefined ? {} : { username: entry.username }),
        kubernetesGroups: sorted(entry.kubernetesGroups),
        policies: entry.policies
          .map((p) => ({ policyArn: p.policyArn, accessScope: normalizeScope(p.accessScope) }))
          .sort((a, b) => (a.policyArn < b.policyArn ? -1 : a.policyArn > b.policyArn ? 1 : 0)),
      }))
      .sort((a, b) => (a.principalArn < b.principalArn ? -1 : a.principalArn > b.principalArn ? 1 : 0)),
  };
}

/**
 * Reads the picture with `DescribeCluster`, `ListAccessEntries`, `DescribeAccessEntry` and
 * `ListAssociatedAccessPolicies`. A `CONFIG_MAP` cluster has no access-entry API: its picture is the
 * mode and no entries. Throws what the port throws (the caller records the state as unverified).
 */
export async function readAccessPicture(api: AccessEntryApi, cluster: string): Promise<AccessPicture> {
  const { authenticationMode } = await api.describeAccessConfig(cluster);
  if (authenticationMode === "CONFIG_MAP") return { authenticationMode, entries: [] };
  let arns: string[];
  try {
    arns = await api.listAccessEntries(cluster);
  } catch (error) {
    // The mode moved back? It cannot; but a mode read from a stale replica can say API while the
    // list says CONFIG_MAP. Trust the list.
    if (error instanceof AccessEntryApiError && error.code === EKS_ERROR_CODES.invalidRequest) {
      return { authenticationMode: "CONFIG_MAP", entries: [] };
    }
    throw error;
  }
  const entries: PictureEntry[] = [];
  for (const principalArn of arns) {
    const entry = await api.describeAccessEntry(cluster, principalArn);
    if (entry === undefined) continue; // deleted between the list and the read
    const policies =
      entry.type === "STANDARD" ? await api.listAssociatedAccessPolicies(cluster, principalArn) : [];
    entries.push({
      principalArn: entry.principalArn,
      type: entry.type,
      ...(entry.username === undefined ? {} : { username: entry.username }),
      kubernetesGroups: [...entry.kubernetesGroups],
      policies: policies.map((p) => ({ policyArn: p.policyArn, accessScope: p.accessScope })),
    });
  }
  return normalizePicture({ authenticationMode, entries });
}

function sameScope(a: AccessScope, b: AccessScope): boolean {
  const x = normalizeScope(a);
  const y = normalizeScope(b);
  return x.type === y.type && x.namespaces.join("\n") === y.namespaces.join("\n");
}

/** What it takes to go from `before` to `after`, as changes. `before` undefined: everything is new. */
export function diffPictures(before: AccessPicture | undefined, after: AccessPicture): AccessChange[] {
  const changes: AccessChange[] = [];
  if (before !== undefined && before.authenticationMode !== after.authenticationMode) {
    changes.push({
      kind: "mode-changed",
      before: before.authenticationMode,
      after: after.authenticationMode,
    });
  }
  const old = new Map((before?.entries ?? []).map((e) => [e.principalArn, e]));
  const now = new Map(after.entries.map((e) => [e.principalArn, e]));
  for (const entry of after.entries) {
    const was = old.get(entry.principalArn);
    if (was === undefined) {
      changes.push({
        kind: "entry-added",
        principalArn: entry.principalArn,
        type: entry.type,
        ...(entry.username === undefined ? {} : { username: entry.username }),
        kubernetesGroups: entry.kubernetesGroups,
      });
      for (const p of entry.policies) {
        changes.push({ kind: "policy-associated", principalArn: entry.principalArn, ...p });
      }
      continue;
    }
    const groupsAdded = entry.kubernetesGroups.filter((g) => !was.kubernetesGroups.includes(g));
    const groupsRemoved = was.kubernetesGroups.filter((g) => !entry.kubernetesGroups.includes(g));
    const usernameChanged = was.username !== entry.username;
    if (groupsAdded.length || groupsRemoved.length || usernameChanged) {
      changes.push({
        kind: "entry-changed",
        principalArn: entry.principalArn,
        ...(usernameChanged ? { username: { before: was.username, after: entry.username } } : {}),
        groupsAdded,
        groupsRemoved,
      });
    }
    const oldPolicies = new Map(was.policies.map((p) => [p.policyArn, p]));
    for (const p of entry.policies) {
      const previous = oldPolicies.get(p.policyArn);
      if (previous === undefined || !sameScope(previous.accessScope, p.accessScope)) {
        changes.push({
          kind: "policy-associated",
          principalArn: entry.principalArn,
          ...p,
          ...(previous ? { before: previous.accessScope } : {}),
        });
      }
    }
    for (const p of was.policies) {
      if (!entry.policies.some((q) => q.policyArn === p.policyArn)) {
        changes.push({
          kind: "policy-disassociated",
          principalArn: entry.principalArn,
          policyArn: p.policyArn,
        });
      }
    }
  }
  for (const entry of before?.entries ?? []) {
    if (!now.has(entry.principalArn)) {
      changes.push({ kind: "entry-removed", principalArn: entry.principalArn, policies: entry.policies });
    }
  }
  return changes;
}

/** The change one accepted call made, as CloudTrail describes it (refused calls change nothing). */
export function changesOfEvent(event: AccessEvent, before?: AccessPicture): AccessChange[] {
  if (event.errorCode !== undefined) return [];
  const principalArn = event.principalArn ?? "";
  const previous = before?.entries.find((e) => e.principalArn === principalArn);
  switch (event.eventName) {
    case "CreateAccessEntry":
      return [
        {
          kind: "entry-added",
          principalArn,
          type: event.type ?? "STANDARD",
          ...(event.username === undefined ? {} : { username: event.username }),
          kubernetesGroups: sorted(event.kubernetesGroups ?? []),
        },
      ];
    case "UpdateAccessEntry": {
      const groups = event.kubernetesGroups;
      const was = previous?.kubernetesGroups ?? [];
      return [
        {
          kind: "entry-changed",
          principalArn,
          ...(event.username === undefined
            ? {}
            : { username: { before: previous?.username, after: event.username } }),
          groupsAdded: groups === undefined ? [] : sorted(groups.filter((g) => !was.includes(g))),
          groupsRemoved: groups === undefined ? [] : was.filter((g) => !groups.includes(g)),
        },
      ];
    }
    case "DeleteAccessEntry":
      return [{ kind: "entry-removed", principalArn, policies: previous?.policies ?? [] }];
    case "AssociateAccessPolicy": {
      const earlier = previous?.policies.find((p) => p.policyArn === event.policyArn);
      const accessScope = normalizeScope(event.accessScope ?? { type: "cluster", namespaces: [] });
      // The same scope before and after says nothing worth a "(was …)".
      const was = earlier && !sameScope(earlier.accessScope, accessScope) ? earlier.accessScope : undefined;
      return [
        {
          kind: "policy-associated",
          principalArn,
          policyArn: event.policyArn ?? "",
          accessScope,
          ...(was ? { before: was } : {}),
        },
      ];
    }
    case "DisassociateAccessPolicy":
      return [{ kind: "policy-disassociated", principalArn, policyArn: event.policyArn ?? "" }];
    case "UpdateClusterConfig": {
      // EKS accepts only one step forward, so an accepted change came from the step before; a
      // picture read later may already show the new mode.
      const after = event.authenticationMode ?? "";
      const from =
        after === "API"
          ? "API_AND_CONFIG_MAP"
          : after === "API_AND_CONFIG_MAP"
            ? "CONFIG_MAP"
            : before?.authenticationMode;
      return [{ kind: "mode-changed", ...(from ? { before: from } : {}), after }];
    }
  }
}

function scopeText(scope: AccessScope): string {
  return scope.type === "namespace" ? `namespaces ${scope.namespaces.join(", ")}` : "cluster scope";
}

function policyName(policyArn: string): string {
  return policyArn.slice(policyArn.lastIndexOf("/") + 1) || policyArn;
}

/** Changes as lines: `+` added, `-` removed, `~` changed. */
export function changeLines(changes: readonly AccessChange[]): string[] {
  return changes.map(changeLine);
}

function changeLine(c: AccessChange): string {
  switch (c.kind) {
    case "entry-added": {
      const groups = c.kubernetesGroups.length ? ` in ${c.kubernetesGroups.join(", ")}` : "";
      const as = c.username ? ` as "${c.username}"` : "";
      return `+ access entry ${c.principalArn} (${c.type})${as}${groups}`;
    }
    case "entry-removed":
      return `- access entry ${c.principalArn}${c.policies.length ? ` (had ${c.policies.map((p) => policyName(p.policyArn)).join(", ")})` : ""}`;
    case "entry-changed": {
      const parts = [
        ...c.groupsAdded.map((g) => `+${g}`),
        ...c.groupsRemoved.map((g) => `-${g}`),
        ...(c.username ? [`username "${c.username.before ?? ""}" → "${c.username.after ?? ""}"`] : []),
      ];
      return `~ access entry ${c.principalArn}: ${parts.join(", ") || "updated"}`;
    }
    case "policy-associated":
      return `+ ${policyName(c.policyArn)} for ${c.principalArn} at ${scopeText(c.accessScope)}${c.before ? ` (was ${scopeText(c.before)})` : ""}`;
    case "policy-disassociated":
      return `- ${policyName(c.policyArn)} for ${c.principalArn}`;
    case "mode-changed":
      return `~ authentication mode ${c.before ?? "(unknown)"} → ${c.after}`;
  }
}
