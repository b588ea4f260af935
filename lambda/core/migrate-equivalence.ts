/**
 * Who each principal named in aws-auth is today, and who it is after the move, as EKS decides in
 * `API_AND_CONFIG_MAP`: an access entry for the principal wins; otherwise aws-auth (which the move
 * never edits) still answers. Every difference is listed and tied to the plan's own explanation;
 * a difference the plan does not explain is marked `unexplained`, which a correct plan never has.
 */
import { accountOf, parseArn } from "./arn.js";
import type { AwsAuthModel } from "./aws-auth.js";
import {
  type AccessEntryState,
  generatedUsername,
  NODE_TYPE_GROUPS,
  NODE_TYPE_USERNAME,
} from "./migrate-eks-rules.js";
import type { MigrationPlan } from "./migrate-plan.js";

export interface Identity {
  via: "aws-auth" | "access-entry";
  username: string;
  groups: string[];
  /** `POLICY@cluster` or `POLICY@namespace:a,b`, policy name without the ARN prefix. */
  policies: string[];
  /** The access entry's type, for entries. */
  type?: string;
}

export const DIFFERENCE_KINDS = [
  /** system:masters (group, before RBAC) becomes AmazonEKSClusterAdminPolicy (EKS authorizer). */
  "masters-to-policy",
  /** A node type's username and groups are EKS's, not aws-auth's. */
  "node-type",
  /** system:authenticated is added to every caller anyway. */
  "implicit-group",
  /** aws-auth gave no username; EKS generates one. */
  "generated-username",
  /** An access entry already exists and differs; it wins already today. */
  "existing-entry",
  /** Not planned by the plan's own rules: a bug if it ever appears. */
  "unexplained",
] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

export interface Difference {
  kind: DifferenceKind;
  message: string;
}

export interface PrincipalEquivalence {
  /** The ARN as aws-auth writes it (or the account id for mapAccounts). */
  principal: string;
  /** Where aws-auth names it: `mapRoles#2`, … */
  from: string[];
  /** null: this principal does not get in today. */
  today: Identity | null;
  /** In API_AND_CONFIG_MAP after the plan is applied, aws-auth unchanged. */
  after: Identity | null;
  /** In API mode (aws-auth no longer read): only access entries. */
  afterApiOnly: Identity | null;
  differences: Difference[];
  /** Why today is null, or why after is what it is, in one sentence. */
  note?: string;
}

function policyLabel(p: { policyArn: string; accessScope: { type: string; namespaces: string[] } }): string {
  const name = p.policyArn.split("/").pop() ?? p.policyArn;
  return p.accessScope.type === "namespace"
    ? `${name}@namespace:${[...p.accessScope.namespaces].sort().join(",")}`
    : `${name}@cluster`;
}

function entryIdentity(entry: AccessEntryState): Identity {
  const nodeUsername = NODE_TYPE_USERNAME[entry.type as keyof typeof NODE_TYPE_USERNAME];
  const nodeGroups = NODE_TYPE_GROUPS[entry.type as keyof typeof NODE_TYPE_GROUPS];
  const isNode = entry.type !== "STANDARD";
  return {
    via: "access-entry",
    type: entry.type,
    username: isNode
      ? (nodeUsername ?? entry.username ?? "")
      : (entry.username ?? generatedUsername(entry.principalArn)),
    groups: isNode
      ? [
          ...(nodeGroups ??
            (entry.kubernetesGroups.length > 0
              ? entry.kubernetesGroups
              : [`(groups EKS sets for ${entry.type})`])),
        ]
      : [...new Set(entry.kubernetesGroups)].sort(),
    policies: entry.accessPolicies.map(policyLabel).sort(),
  };
}

/**
 * The aws-auth answer for a caller whose canonical ARN is `arn`: roles first (keyed by lower-cased
 * ARN), then users (case-insensitive), then mapAccounts (username = the ARN, no groups).
 */
export function awsAuthIdentity(model: AwsAuthModel, arn: string): Identity | null {
  const folded = arn.toLowerCase();
  const role = model.roles.find((r) => !r.sso && r.key === folded);
  if (role)
    return {
      via: "aws-auth",
      username: role.username,
      groups: [...new Set(role.groups)].sort(),
      policies: [],
    };
  const user = model.users.find((u) => u.userarn.toLowerCase() === folded);
  if (user)
    return {
      via: "aws-auth",
      username: user.username,
      groups: [...new Set(user.groups)].sort(),
      policies: [],
    };
  const account = accountOf(arn);
  if (account && model.accounts.includes(account))
    return { via: "aws-auth", username: arn, groups: [], policies: [] };
  return null;
}

function describe(identity: Identity | null): string {
  if (!identity) return "no access";
  return `${identity.username} [${identity.groups.join(", ")}]${identity.policies.length ? ` + ${identity.policies.join(", ")}` : ""}`;
}

function compare(today: Identity, after: Identity, existingDiffers: boolean): Difference[] {
  if (existingDiffers) {
    return [];
  }
  const out: Difference[] = [];
  if (after.type && after.type !== "STANDARD") {
    // One difference for a node: EKS's node identity replaces whatever aws-auth wrote.
    if (today.username !== after.username || today.groups.join("\n") !== after.groups.join("\n")) {
      out.push({
        kind: "node-type",
        message: `node identity from EKS's ${after.type} entry: ${describe(after)} instead of aws-auth's ${describe(today)}`,
      });
    }
    return out;
  }
  if (today.username !== after.username) {
    const kind: DifferenceKind =
      after.type && after.type !== "STANDARD"
        ? "node-type"
        : today.username === ""
          ? "generated-username"
          : "unexplained";
    out.push({
      kind,
      message: `username ${JSON.stringify(today.username)} → ${JSON.stringify(after.username)}`,
    });
  }
  const lost = today.groups.filter((g) => !after.groups.includes(g));
  const gained = after.groups.filter((g) => !today.groups.includes(g));
  for (const group of lost) {
    const kind: DifferenceKind =
      after.type && after.type !== "STANDARD"
        ? "node-type"
        : group === "system:masters" && after.policies.includes("AmazonEKSClusterAdminPolicy@cluster")
          ? "masters-to-policy"
          : group === "system:authenticated"
            ? "implicit-group"
            : "unexplained";
    const message =
      kind === "masters-to-policy"
        ? "group system:masters → policy AmazonEKSClusterAdminPolicy at cluster scope: the same cluster-admin rights, but RBAC bindings that name system:masters no longer apply to this principal"
        : `loses group ${group}`;
    out.push({ kind, message });
  }
  for (const group of gained) {
    out.push({
      kind: after.type && after.type !== "STANDARD" ? "node-type" : "unexplained",
      message: `gains group ${group}`,
    });
  }
  for (const policy of after.policies.filter((p) => !today.policies.includes(p))) {
    if (policy === "AmazonEKSClusterAdminPolicy@cluster" && today.groups.includes("system:masters")) continue;
    out.push({ kind: "unexplained", message: `gains policy ${policy}` });
  }
  for (const policy of today.policies.filter((p) => !after.policies.includes(p))) {
    out.push({ kind: "unexplained", message: `loses policy ${policy}` });
  }
  return out;
}

function ref(section: string, index: number): string {
  return `${section}#${index + 1}`;
}

/** Per principal named in aws-auth: today, after the move, after API mode, and every difference. */
export function equivalence(plan: MigrationPlan): PrincipalEquivalence[] {
  const model = plan.model;
  const inApiMode = plan.authenticationMode === "API_AND_CONFIG_MAP" || plan.authenticationMode === "API";
  const existing = plan.existingEntries ?? [];
  const existingFor = (arn: string) =>
    existing.find((e) => e.principalArn.toLowerCase() === arn.toLowerCase());
  const entryFor = (arn: string) =>
    plan.entries.find(
      (e) =>
        e.awsAuthArn.toLowerCase() === arn.toLowerCase() ||
        e.principalArn.toLowerCase() === arn.toLowerCase(),
    );

  // Every ARN aws-auth names, effective or not, once each (case-insensitive), in order of appearance.
  const principals = new Map<string, { principal: string; from: string[] }>();
  const add = (arn: string, from: string) => {
    const key = arn.toLowerCase();
    const row = principals.get(key) ?? { principal: arn, from: [] };
    if (!row.from.includes(from)) row.from.push(from);
    principals.set(key, row);
  };
  for (const r of model.roles) if (!r.sso) add(r.rolearn, ref("mapRoles", r.index));
  for (const u of model.users) add(u.userarn, ref("mapUsers", u.index));
  for (const c of plan.cannotMigrate) {
    if (c.principal && c.from.section !== "mapAccounts" && c.reason !== "sso-pattern")
      add(c.principal, ref(c.from.section, c.from.index));
  }

  const rows: PrincipalEquivalence[] = [];
  for (const { principal, from } of principals.values()) {
    const parsed = parseArn(principal);
    const canonical = parsed ? principal : undefined;
    const mapped = canonical ? awsAuthIdentity(model, canonical) : null;
    const dead = plan.cannotMigrate.find(
      (c) => c.principal?.toLowerCase() === principal.toLowerCase() && c.reason === "dead-entry",
    );
    const live = dead ? null : mapped;
    const have = existingFor(entryFor(principal)?.principalArn ?? principal);
    const today = inApiMode && have ? entryIdentity(have) : live;
    const planned = entryFor(principal);
    const afterEntry =
      planned && planned.action === "create" ? entryIdentity(planned) : have ? entryIdentity(have) : null;
    const after = afterEntry ?? live;
    const differs = planned?.action === "differs";
    const differences: Difference[] = [];
    if (today && after) differences.push(...compare(today, after, false));
    else if (!today && after)
      differences.push({ kind: "unexplained", message: `gains access as ${describe(after)}` });
    else if (today && !after) differences.push({ kind: "unexplained", message: "loses access" });
    if (differs && !inApiMode && have) {
      differences.push({
        kind: "existing-entry",
        message: `an access entry already exists and differs from aws-auth; after the switch it wins: ${describe(entryIdentity(have))}`,
      });
    }
    const reasons = plan.cannotMigrate.filter((c) => c.principal?.toLowerCase() === principal.toLowerCase());
    rows.push({
      principal,
      from,
      today,
      after,
      afterApiOnly: afterEntry,
      differences,
      ...(reasons.length > 0 ? { note: reasons.map((r) => `${r.reason}: ${r.message}`).join(" | ") } : {}),
    });
  }
  for (const account of model.accounts) {
    const wildcard: Identity = { via: "aws-auth", username: "(the caller's ARN)", groups: [], policies: [] };
    rows.push({
      principal: account,
      from: ["mapAccounts"],
      today: wildcard,
      after: wildcard,
      afterApiOnly: null,
      differences: [],
      note: "map-accounts: stays with aws-auth; lost in API mode",
    });
  }
  return rows;
}

export function describeIdentity(identity: Identity | null): string {
  return describe(identity);
}

/** The differences no note of the plan accounts for: empty for a correct plan. */
export function unexplainedDifferences(
  rows: PrincipalEquivalence[],
): Array<{ principal: string; message: string }> {
  return rows.flatMap((row) =>
    row.differences
      .filter((d) => d.kind === "unexplained")
      .map((d) => ({ principal: row.principal, message: d.message })),
  );
}
