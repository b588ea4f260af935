/**
 * Classification rules. Each is a small named pure function from the facts of one write to the
 * findings it raises; its id names it in alerts and metrics. A finding of severity high or critical
 * makes the write dangerous (see classify.ts).
 */
import { accountOf, matchesArnPattern, roleName } from "./arn.js";
import type { AuditActor, AwsAuthWrite } from "./audit-event.js";
import {
  type AwsAuthModel,
  MASTERS_GROUP,
  mappingAccount,
  NODE_GROUPS,
  nodeKindOf,
  type RoleMapping,
  type UserMapping,
} from "./aws-auth.js";
import type { SemanticDiff } from "./diff.js";
import type { GuardianPolicy } from "./policy.js";
import type { Finding } from "./records.js";

export interface RuleContext {
  write: AwsAuthWrite;
  policy: GuardianPolicy;
  /** The model compared with; undefined when nothing earlier is known (a baseline). */
  before?: AwsAuthModel;
  after?: AwsAuthModel;
  diff?: SemanticDiff;
}

export type Rule = (ctx: RuleContext) => Finding[];

const AWS_INTERNAL_USERNAMES = new Set([
  "eks:node-manager",
  "eks:fargate-manager",
  "eks:addon-manager",
  "eks:kms-storage-migrator",
]);
const AWS_MANAGER_ROLE_PREFIX = "AWSWesleyClusterManagerLambda-";

export type AwsInternalVerdict = "genuine" | "genuine-unverified-account" | "impersonation" | "not-eks";

/**
 * EKS's own writers are trusted only when the username AND the IAM role fit: the role is one of
 * EKS's manager roles in an AWS-owned account, never the cluster's own (anyone who can edit aws-auth
 * can map their role to the username `eks:node-manager`). A username in `eks:` with no IAM identity
 * at all comes from a control-plane certificate, which aws-auth cannot hand out.
 */
export function judgeAwsInternal(actor: AuditActor, clusterAccount: string | undefined): AwsInternalVerdict {
  if (!actor.username.startsWith("eks:")) return "not-eks";
  const iamArn = actor.canonicalArn ?? actor.arn;
  if (!iamArn) return AWS_INTERNAL_USERNAMES.has(actor.username) ? "genuine" : "not-eks";
  const isManagerRole = roleName(iamArn)?.startsWith(AWS_MANAGER_ROLE_PREFIX) ?? false;
  const account = accountOf(iamArn);
  if (!AWS_INTERNAL_USERNAMES.has(actor.username) || !isManagerRole) return "impersonation";
  if (clusterAccount === undefined) return "genuine-unverified-account";
  return account !== undefined && account !== clusterAccount ? "genuine" : "impersonation";
}

function principalOf(mapping: RoleMapping | UserMapping): string {
  return "rolearn" in mapping ? mapping.rolearn || mapping.key : mapping.userarn;
}

function isNodeRole(mapping: RoleMapping, policy: GuardianPolicy): boolean {
  const extra = policy.extraNodeRoleArns.map((a) => a.toLowerCase());
  return nodeKindOf(mapping) !== undefined || extra.includes(mapping.key);
}

/** Mappings that exist after the write and did not before, or whose groups/username changed. */
function grantedMappings(diff: SemanticDiff): Array<RoleMapping | UserMapping> {
  return [
    ...diff.roles.added,
    ...diff.users.added,
    ...diff.roles.changed.map((c) => c.after),
    ...diff.users.changed.map((c) => c.after),
  ];
}

function hasMasters(mapping: { groups: string[] }): boolean {
  return mapping.groups.includes(MASTERS_GROUP);
}

function countMasters(model: AwsAuthModel): number {
  return [...model.roles, ...model.users].filter(hasMasters).length;
}

// ---- Rules about the writer -------------------------------------------------------------------

/** An `eks:` username on an identity that is not one of EKS's own manager roles. */
export const eksIdentityImpersonation: Rule = ({ write, policy }) => {
  if (judgeAwsInternal(write.actor, policy.clusterAccount) !== "impersonation") return [];
  return [
    {
      id: "eks-identity-impersonation",
      severity: "critical",
      message: `The writer calls itself "${write.actor.username}" but is ${write.actor.canonicalArn ?? write.actor.arn}, not one of EKS's manager roles in an AWS-owned account: someone mapped their own role to an EKS identity.`,
      entries: [write.actor.canonicalArn ?? write.actor.arn ?? write.actor.username],
    },
  ];
};

/** A writer outside the configured trusted writers (only when some are configured). */
export const untrustedWriter: Rule = ({ write, policy }) => {
  if (policy.trustedWriters.length === 0) return [];
  const verdict = judgeAwsInternal(write.actor, policy.clusterAccount);
  if (verdict === "genuine" || verdict === "genuine-unverified-account") return [];
  const arn = write.actor.canonicalArn ?? write.actor.arn;
  const patterns = [...policy.trustedWriters, ...policy.guardianWriters];
  if (arn && patterns.some((p) => matchesArnPattern(arn, p))) return [];
  return [
    {
      id: "untrusted-writer",
      severity: "high",
      message: `${arn ?? write.actor.username} is not among the trusted writers of aws-auth (${policy.trustedWriters.join(", ")}).`,
      entries: [arn ?? write.actor.username],
    },
  ];
};

/** The write came from the guardian's own cluster-access role: a restore. */
export const guardianWrite: Rule = ({ write, policy }) => {
  const arn = write.actor.canonicalArn ?? write.actor.arn;
  if (!arn || !policy.guardianWriters.some((p) => matchesArnPattern(arn, p))) return [];
  return [
    {
      id: "guardian-write",
      severity: "info",
      message: "Written by the guardian's own cluster-access role (a restore).",
      entries: [arn],
    },
  ];
};

/** The account could not be checked, so an EKS manager role was trusted on its name alone. */
export const awsInternalAccountUnknown: Rule = ({ write, policy }) => {
  if (judgeAwsInternal(write.actor, policy.clusterAccount) !== "genuine-unverified-account") return [];
  return [
    {
      id: "aws-internal-account-unverified",
      severity: "low",
      message:
        "The cluster's account is unknown, so the EKS manager role's account could not be checked against it; pass --account (or deploy the guardian, which reads it from CloudWatch) to verify.",
    },
  ];
};

// ---- Rules about what the write did -------------------------------------------------------------

/** aws-auth deleted: the authenticator drops every mapping at once. */
export const deletion: Rule = ({ write }) => {
  if (write.verb !== "delete" && write.verb !== "deletecollection") return [];
  // `kubectl delete cm -l …` deletes only the ConfigMaps that match; the event does not list them.
  const query = new URLSearchParams(write.requestURI.split("?")[1] ?? "");
  const selectors = ["labelSelector", "fieldSelector"]
    .filter((key) => query.get(key))
    .map((key) => `${key}=${query.get(key)}`)
    .join(", ");
  const how =
    write.verb !== "deletecollection"
      ? "with a direct delete"
      : selectors
        ? `if it matched ${selectors} in a deletecollection of ConfigMaps in kube-system (the event does not say which ones it deleted)`
        : "by deleting every ConfigMap in kube-system (deletecollection)";
  return [
    {
      id: "aws-auth-deleted",
      severity: "critical",
      message: `aws-auth was deleted ${how}: the authenticator drops every role, user and account mapping, nodes cannot join and every operator without an access entry is locked out.`,
    },
  ];
};

/** A section that parsed before no longer does: the authenticator drops all of it. */
export const sectionUnparseable: Rule = ({ diff, before }) =>
  (diff?.sections ?? [])
    .filter((s) => s.after === "unparseable")
    .map((s) => {
      const lost = before
        ? s.name === "mapRoles"
          ? before.roles
          : s.name === "mapUsers"
            ? before.users
            : []
        : [];
      return {
        id: "section-unparseable",
        severity: "critical" as const,
        message: `${s.name} no longer parses (${s.error ?? "syntax error"}): the authenticator drops the whole section${lost.length > 0 ? `, all ${lost.length} mappings in it, node roles included` : ""}.`,
        entries: [s.name],
      };
    });

/** A node or Fargate role loses its mapping, its node groups or its username template. */
export const nodeRoleLost: Rule = ({ before, after, policy }) => {
  if (!before || !after) return [];
  const findings: Finding[] = [];
  const afterByKey = new Map(after.roles.map((r) => [r.key, r]));
  for (const role of before.roles.filter((r) => isNodeRole(r, policy))) {
    const kind = nodeKindOf(role) === "fargate" ? "Fargate pod-execution role" : "node role";
    const now = afterByKey.get(role.key);
    const problems: string[] = [];
    if (!now) problems.push("its mapping is gone");
    else {
      for (const group of ["system:bootstrappers", "system:nodes"]) {
        if (role.groups.includes(group) && !now.groups.includes(group)) problems.push(`it lost ${group}`);
      }
      if (role.username.includes("{{") && now.username !== role.username) {
        problems.push(`its username changed from ${role.username} to ${now.username || '""'}`);
      }
    }
    if (problems.length > 0) {
      findings.push({
        id: "node-role-lost",
        severity: "critical",
        message: `${kind} ${role.rolearn}: ${problems.join(", ")}; its nodes cannot join or renew their credentials.`,
        entries: [role.rolearn],
      });
    }
  }
  return findings;
};

/** system:masters (admin before RBAC, unrevocable) granted to a principal that lacked it. */
export const mastersGranted: Rule = ({ diff }) => {
  if (!diff) return [];
  const granted = grantedMappings(diff).filter((m) => {
    if (!hasMasters(m)) return false;
    const change = [...diff.roles.changed, ...diff.users.changed].find((c) => c.after === m);
    return !change || !hasMasters(change.before);
  });
  return granted.map((m) => ({
    id: "masters-granted",
    severity: "critical" as const,
    message: `${principalOf(m)} now gets system:masters as "${m.username}": full cluster admin, checked before RBAC, which RBAC cannot take away.`,
    entries: [principalOf(m)],
  }));
};

/** The last system:masters mapping is gone. */
export const lastMastersRemoved: Rule = ({ before, after }) => {
  if (!before || !after || countMasters(before) === 0 || countMasters(after) > 0) return [];
  return [
    {
      id: "last-masters-removed",
      severity: "critical",
      message:
        "No mapping grants system:masters any more: unless an access entry grants cluster admin, nobody can administer the cluster through aws-auth.",
      entries: [...before.roles, ...before.users].filter(hasMasters).map(principalOf),
    },
  ];
};

/** mapAccounts lets every principal of an account in. */
export const mapAccountsAdded: Rule = ({ diff }) => {
  const added = diff?.accounts.added ?? [];
  if (added.length === 0) return [];
  return [
    {
      id: "map-accounts-added",
      severity: "high",
      message: `mapAccounts now admits every IAM principal of account${added.length > 1 ? "s" : ""} ${added.join(", ")} (as its own ARN, without groups).`,
      entries: added,
    },
  ];
};

/** A principal of another account is granted access. */
export const foreignAccountAccess: Rule = ({ diff, policy }) => {
  if (!diff || !policy.clusterAccount) return [];
  const foreign = [...diff.roles.added, ...diff.users.added].filter((m) => {
    const account = mappingAccount(m);
    return account !== undefined && account !== policy.clusterAccount;
  });
  return foreign.map((m) => ({
    id: "foreign-account-access",
    severity: "high" as const,
    message: `${principalOf(m)} belongs to account ${mappingAccount(m)}, not the cluster's ${policy.clusterAccount}, and is granted access as "${m.username}"${m.groups.length ? ` in ${m.groups.join(", ")}` : ""}.`,
    entries: [principalOf(m)],
  }));
};

/** Entries that the authenticator drops or never matches, newly added. */
export const deadEntryAdded: Rule = ({ diff }) =>
  (diff?.problems.added ?? [])
    .filter((p) => p.kind === "dead-entry" || p.kind === "invalid-entry")
    .map((p) => ({
      id: "dead-entry-added",
      severity: "high" as const,
      message: `${p.section}: ${p.message}. Whoever relies on it has no access.`,
      ...(p.subject ? { entries: [p.subject] } : {}),
    }));

/** An `eks:` username handed to a role that is not one of EKS's own manager roles. */
export const eksUsernameMapped: Rule = ({ diff, policy }) => {
  if (!diff) return [];
  return grantedMappings(diff)
    .filter((m) => m.username.startsWith("eks:"))
    .filter((m) => {
      const arn = principalOf(m);
      const isManager = roleName(arn)?.startsWith(AWS_MANAGER_ROLE_PREFIX) ?? false;
      const account = accountOf(arn);
      return !isManager || (policy.clusterAccount !== undefined && account === policy.clusterAccount);
    })
    .map((m) => ({
      id: "eks-username-mapped",
      severity: "critical" as const,
      message: `${principalOf(m)} is mapped to the EKS-internal username "${m.username}": it gets that identity's RBAC rights and its writes look like EKS's own.`,
      entries: [principalOf(m)],
    }));
};

const WARNING_PROBLEMS: Record<string, string> = {
  "shadowed-entry": "duplicate-entry",
  "ambiguous-user": "ambiguous-user",
  "ignored-key": "ignored-key",
  "unrendered-template": "unrendered-template",
};

/**
 * A value the authenticator cannot decode, newly added: `ParseMap` (configmap.go:123-190) collects
 * the error, logs "Errors parsing configmap" and keeps the entry with that field empty (or, in
 * mapAccounts, leaves the item out). A write that makes the authenticator report a parse error is
 * broken configuration, however small the field: dangerous.
 */
export const parseErrorReported: Rule = ({ diff }) =>
  (diff?.problems.added ?? [])
    .filter((p) => p.kind === "type-mismatch")
    .map((p) => ({
      id: "authenticator-parse-error",
      severity: "high" as const,
      message: `${p.section}: ${p.message}. The authenticator logs "Errors parsing configmap: json: cannot unmarshal …" on every reload and ${p.section === "mapAccounts" ? "leaves that item out" : "keeps the entry with that field empty (an empty username, or no groups)"}.`,
      ...(p.subject ? { entries: [p.subject] } : {}),
    }));

/** Other things the authenticator silently ignores, newly added: worth fixing, not an emergency. */
export const silentlyIgnoredAdded: Rule = ({ diff }) =>
  (diff?.problems.added ?? [])
    .filter((p) => WARNING_PROBLEMS[p.kind] !== undefined)
    .map((p) => ({
      id: WARNING_PROBLEMS[p.kind] ?? p.kind,
      severity: "medium" as const,
      message: `${p.section}: ${p.message}.`,
      ...(p.subject ? { entries: [p.subject] } : {}),
    }));

/**
 * The write left aws-auth immutable: its data can no longer change (EKS cannot add node or Fargate
 * roles, nobody can fix a mapping) until it is deleted and re-created.
 */
export const madeImmutable: Rule = ({ write }) => {
  if (write?.stored?.immutable !== true) return [];
  return [
    {
      id: "aws-auth-immutable",
      severity: "high",
      message:
        "aws-auth is now immutable (immutable: true): the API server refuses every change to its data and immutable cannot be unset, so EKS can no longer add node or Fargate roles and no mapping can be fixed; only deleting and re-creating it undoes this (aws-auth-guardian restore does).",
    },
  ];
};

/** All rules that judge a write with content, in the order findings are listed. */
export const CONTENT_RULES: Rule[] = [
  sectionUnparseable,
  nodeRoleLost,
  mastersGranted,
  lastMastersRemoved,
  mapAccountsAdded,
  foreignAccountAccess,
  eksUsernameMapped,
  deadEntryAdded,
  parseErrorReported,
  silentlyIgnoredAdded,
];

/** Rules about who wrote, applied to every write that took effect. */
export const WRITER_RULES: Rule[] = [
  eksIdentityImpersonation,
  untrustedWriter,
  guardianWrite,
  awsInternalAccountUnknown,
  // It reads what the write stored (immutable is not data), so it runs with the writer rules.
  madeImmutable,
];

/** Rules that make sense without a predecessor: what the content itself gets wrong. */
export const BASELINE_RULES: Rule[] = [
  sectionUnparseable,
  mapAccountsAdded,
  eksUsernameMapped,
  deadEntryAdded,
  parseErrorReported,
  silentlyIgnoredAdded,
];

/** Only node/Fargate mappings changed (groups within the node groups, before and after). */
export function touchesOnlyNodeMappings(diff: SemanticDiff): boolean {
  const nodeOnly = (m: { groups: string[] }) => m.groups.every((g) => NODE_GROUPS.has(g));
  return (
    diff.users.added.length === 0 &&
    diff.users.removed.length === 0 &&
    diff.users.changed.length === 0 &&
    diff.accounts.added.length === 0 &&
    diff.accounts.removed.length === 0 &&
    diff.sections.length === 0 &&
    !diff.problems.added.some((p) => p.kind === "dead-entry" || p.kind === "invalid-entry") &&
    [...diff.roles.added, ...diff.roles.removed].every(nodeOnly) &&
    diff.roles.changed.every((c) => nodeOnly(c.before) && nodeOnly(c.after))
  );
}

/** What an AWS-internal rewrite did to node mappings, said so that nobody panics. */
export function awsInternalNodeChanges(diff: SemanticDiff): Finding[] {
  const findings: Finding[] = [];
  for (const role of diff.roles.removed) {
    const kind = nodeKindOf(role) === "fargate" ? "Fargate pod-execution role" : "node role";
    findings.push({
      id: "aws-internal-node-mapping-dropped",
      severity: "info",
      message: `EKS's own manager dropped the ${kind} ${role.rolearn}; EKS re-adds it on its own within minutes. If it is still missing after 15 minutes, restore the last good version.`,
      entries: [role.rolearn],
    });
  }
  for (const role of diff.roles.added) {
    findings.push({
      id: "aws-internal-node-mapping-added",
      severity: "info",
      message: `EKS's own manager (re-)added the mapping for ${role.rolearn}.`,
      entries: [role.rolearn],
    });
  }
  return findings;
}
