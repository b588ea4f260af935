/**
 * The catalogue of every finding id the classifier can report: what it means, how bad it is, the
 * class of write it makes, and an example. `aws-auth-guardian rules` and docs/rules.md are generated
 * from it; a test checks that every id the core emits is catalogued here, so a new rule cannot ship
 * without its entry. Data only: the rules themselves live in rules.ts, classify.ts and pipeline.ts.
 */
import type { Severity } from "./policy.js";

export interface RuleEntry {
  id: string;
  severity: Severity;
  /** The class of write it makes (`dangerous` for every high or critical finding), or `any`. */
  class: string;
  description: string;
  example: string;
}

const CATALOGUE = new Map<string, RuleEntry>();

/** Adds a finding to the catalogue; one entry per id. */
export function registerRule(entry: RuleEntry): RuleEntry {
  if (CATALOGUE.has(entry.id)) throw new Error(`rule ${entry.id} is registered twice`);
  CATALOGUE.set(entry.id, entry);
  return entry;
}

/** Every catalogued finding, most severe first, then by id. */
export function ruleCatalogue(): RuleEntry[] {
  const rank: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  return [...CATALOGUE.values()].sort(
    (a, b) => rank[a.severity] - rank[b.severity] || a.id.localeCompare(b.id),
  );
}

const ENTRIES: RuleEntry[] = [
  // aws-auth itself (rules.ts).
  {
    id: "aws-auth-immutable",
    severity: "high",
    class: "dangerous",
    description:
      "aws-auth was made immutable: no mapping can be fixed and EKS cannot add node roles until it is deleted and re-created.",
    example: "immutable: true added to the ConfigMap.",
  },
  {
    id: "authenticator-parse-error",
    severity: "high",
    class: "dangerous",
    description:
      "A section the authenticator fails to unmarshal: it logs a parse error on every reload and drops what it cannot read.",
    example: "mapAccounts holding a mapping instead of account ids.",
  },
  // EKS access entries (access-rules and their CloudTrail events).
  {
    id: "access-cluster-admin",
    severity: "critical",
    class: "dangerous",
    description:
      "A principal was made administrator of the whole cluster through an access entry, without touching aws-auth.",
    example: "AssociateAccessPolicy AmazonEKSClusterAdminPolicy at cluster scope.",
  },
  {
    id: "access-foreign-principal",
    severity: "critical",
    class: "dangerous",
    description: "A principal of another AWS account was given an access entry.",
    example: "CreateAccessEntry for arn:aws:iam::444455556666:role/vendor.",
  },
  {
    id: "access-guardian-entry-removed",
    severity: "critical",
    class: "dangerous",
    description:
      "The guardian's own access entry was deleted: restores through the cluster-access function no longer reach the cluster.",
    example: "DeleteAccessEntry for the guardian's cluster-access role.",
  },
  {
    id: "access-guardian-policy-removed",
    severity: "critical",
    class: "dangerous",
    description: "The guardian's access entry lost its access policy: restores of aws-auth may be refused.",
    example: "DisassociateAccessPolicy from the guardian's role.",
  },
  {
    id: "access-mode-changed",
    severity: "high",
    class: "dangerous",
    description: "The cluster's authentication mode changed; it cannot be changed back.",
    example: "UpdateClusterConfig to API (aws-auth is no longer read).",
  },
  {
    id: "access-untrusted-writer",
    severity: "high",
    class: "dangerous",
    description: "The caller changing access entries is not among the trusted writers.",
    example: "A CI role calls CreateAccessEntry while only Terraform is trusted.",
  },
  {
    id: "access-denied",
    severity: "high",
    class: "dangerous",
    description: "A call to change cluster access was denied by IAM: someone tried.",
    example: "AssociateAccessPolicy answered AccessDenied.",
  },
  {
    id: "access-rule-error",
    severity: "high",
    class: "dangerous",
    description: "An access-entry rule failed on this event: judge the change by hand.",
    example: "A CloudTrail event with a shape no rule expected.",
  },
  {
    id: "access-carries-earlier-danger",
    severity: "medium",
    class: "any",
    description: "This access state still carries an earlier dangerous change: not a restore target.",
    example: "An entry added after a cluster-admin grant that was never undone.",
  },
  {
    id: "access-namespace-admin",
    severity: "medium",
    class: "routine",
    description: "A principal got an admin access policy in some namespaces.",
    example: "AmazonEKSAdminPolicy scoped to namespace payments.",
  },
  {
    id: "access-node-entry",
    severity: "medium",
    class: "routine",
    description: "A principal got a node-type access entry: it can join the cluster as a node.",
    example: "CreateAccessEntry type EC2_LINUX.",
  },
  {
    id: "access-entry-removed",
    severity: "low",
    class: "routine",
    description: "An access entry was deleted (medium when it held an admin policy).",
    example: "DeleteAccessEntry for a developer role.",
  },
  {
    id: "access-cluster-scoped-policy",
    severity: "low",
    class: "routine",
    description: "A principal got a non-admin access policy for the whole cluster.",
    example: "AmazonEKSViewPolicy at cluster scope.",
  },
  {
    id: "access-namespace-scoped",
    severity: "info",
    class: "routine",
    description: "A principal got a non-admin access policy in some namespaces.",
    example: "AmazonEKSEditPolicy in namespace dev.",
  },
  {
    id: "access-call-failed",
    severity: "info",
    class: "rejected",
    description: "A call to change cluster access failed: nothing changed.",
    example: "CreateAccessEntry answered ResourceInUseException.",
  },
  {
    id: "access-blind-spot",
    severity: "high",
    class: "any",
    description:
      "verify found the live access entries different from the latest access record: a change no CloudTrail event brought to the guardian (no trail with management events, or a delivery lost). The live picture is filed as a capture.",
    example: "An access entry created while the region had no trail recording management events.",
  },
  // Who wrote it (rules.ts, WRITER_RULES).
  {
    id: "eks-identity-impersonation",
    severity: "critical",
    class: "dangerous",
    description:
      "The writer uses an EKS-internal username (eks:node-manager, …) but is not EKS's manager role in an AWS-owned account.",
    example: 'A role mapped to "eks:node-manager" in aws-auth rewrites aws-auth.',
  },
  {
    id: "untrusted-writer",
    severity: "high",
    class: "dangerous",
    description: "The writer is not among the trusted writers (trustedWriters, --trusted-writer).",
    example: "A CI role edits aws-auth while only the Terraform role is trusted.",
  },
  {
    id: "guardian-write",
    severity: "info",
    class: "any",
    description: "Written by the guardian itself (a restore): announced by the restore, not alerted again.",
    example: "The cluster-access function puts the last good version back.",
  },
  {
    id: "aws-internal-account-unverified",
    severity: "low",
    class: "aws-internal",
    description:
      "An EKS manager role was trusted on its name alone: the cluster's account was not known, so its account could not be checked.",
    example: "analyze on raw audit lines without --account.",
  },
  // What the content does (rules.ts, CONTENT_RULES and deletion).
  {
    id: "aws-auth-deleted",
    severity: "critical",
    class: "dangerous",
    description:
      "aws-auth was deleted: every role, user and account mapping is gone; nodes cannot join and operators without an access entry are locked out.",
    example: "kubectl delete cm aws-auth -n kube-system",
  },
  {
    id: "section-unparseable",
    severity: "critical",
    class: "dangerous",
    description:
      "mapRoles, mapUsers or mapAccounts no longer parses: the authenticator drops the whole section.",
    example: "A tab in mapRoles' YAML.",
  },
  {
    id: "node-role-lost",
    severity: "critical",
    class: "dangerous",
    description:
      "A node or Fargate role lost its mapping or its node groups: its nodes cannot join or renew their credentials.",
    example: "The node role's entry is removed from mapRoles.",
  },
  {
    id: "masters-granted",
    severity: "critical",
    class: "dangerous",
    description: "A role or user now gets system:masters: full cluster admin, checked before RBAC.",
    example: "- rolearn: arn:aws:iam::111122223333:role/contractor, groups: [system:masters]",
  },
  {
    id: "last-masters-removed",
    severity: "critical",
    class: "dangerous",
    description:
      "The last system:masters mapping is gone: nobody administers the cluster through aws-auth any more.",
    example: "The only admin role's entry is removed.",
  },
  {
    id: "eks-username-mapped",
    severity: "critical",
    class: "dangerous",
    description:
      "A role or user is mapped to an EKS-internal username: it gets that identity's rights and its writes look like EKS's own.",
    example: '- rolearn: …role/ci, username: "eks:node-manager"',
  },
  {
    id: "map-accounts-added",
    severity: "high",
    class: "dangerous",
    description: "mapAccounts now admits every IAM principal of an account.",
    example: 'mapAccounts: ["444455556666"]',
  },
  {
    id: "foreign-account-access",
    severity: "high",
    class: "dangerous",
    description: "A principal of another AWS account than the cluster's is granted access.",
    example: "- rolearn: arn:aws:iam::444455556666:role/vendor",
  },
  {
    id: "dead-entry-added",
    severity: "high",
    class: "dangerous",
    description:
      "A new entry the authenticator drops (bad ARN, role path, missing username…): whoever relies on it has no access.",
    example: "- rolearn: arn:aws:iam::111122223333:role/team/dev (a role ARN with a path)",
  },
  {
    id: "duplicate-entry",
    severity: "medium",
    class: "routine",
    description:
      "A new entry for a role that is already mapped (ARNs compared case-insensitively): the last one wins outright.",
    example: "The same rolearn twice in mapRoles with different groups.",
  },
  {
    id: "ambiguous-user",
    severity: "medium",
    class: "routine",
    description:
      "User ARNs that differ only in case: the authenticator keeps both and which one applies is random.",
    example: "arn:aws:iam::111122223333:user/Dev and arn:aws:iam::111122223333:user/dev",
  },
  {
    id: "ignored-key",
    severity: "medium",
    class: "routine",
    description:
      "A new key the authenticator does not read (a typo'd field, or a data key in the wrong case); it is ignored.",
    example: "- rolearn: …, usernmae: dev",
  },
  {
    id: "field-ignored",
    severity: "medium",
    class: "routine",
    description: "A field or item of the wrong type, which the authenticator ignores or skips.",
    example: "groups: system:masters (a string, not a list)",
  },
  {
    id: "unrendered-template",
    severity: "medium",
    class: "routine",
    description:
      "A {{…}} placeholder the authenticator does not know: it stays in the username or group as written.",
    example: 'username: "dev:{{SessionNme}}"',
  },
  // EKS's own managers (rules.ts).
  {
    id: "aws-internal-node-mapping-dropped",
    severity: "info",
    class: "aws-internal",
    description: "EKS's own manager dropped a node or Fargate mapping; EKS re-adds it within minutes.",
    example: "eks:node-manager rewrites aws-auth without the Fargate role.",
  },
  {
    id: "aws-internal-node-mapping-added",
    severity: "info",
    class: "aws-internal",
    description: "EKS's own manager (re-)added a node or Fargate mapping.",
    example: "eks:fargate-manager re-adds the Fargate pod-execution role.",
  },
  // Writes that took no effect, or whose content is unknown (classify.ts).
  {
    id: "dry-run",
    severity: "info",
    class: "dry-run",
    description: "A server-side dry run: validated, nothing stored.",
    example: "kubectl apply --dry-run=server",
  },
  {
    id: "forbidden-attempt",
    severity: "medium",
    class: "rejected",
    description: "The API server refused the write with 403 Forbidden: RBAC stopped it, but someone tried.",
    example: "A read-only role runs kubectl edit cm aws-auth.",
  },
  {
    id: "write-rejected",
    severity: "info",
    class: "rejected",
    description: "The API server refused the write (409 conflict, 422 invalid…); nothing was stored.",
    example: "kubectl replace with a stale resourceVersion.",
  },
  {
    id: "content-unknown",
    severity: "medium",
    class: "unverified",
    description:
      "The audit event does not carry the new content (a create at Metadata level, a truncated event): unverified until the guardian captures the live ConfigMap.",
    example: "Terraform creates aws-auth; EKS logs the create without the object.",
  },
  {
    id: "capture-not-configured",
    severity: "medium",
    class: "unverified",
    description:
      "No cluster-access function can read the content of an unverified write; capture it by hand.",
    example: "The classifier runs without CLUSTER_ACCESS_FUNCTION.",
  },
  // History (classify.ts, pipeline.ts, timeline.ts).
  {
    id: "baseline",
    severity: "info",
    class: "any",
    description: "The first version the guardian knows: only its content is checked.",
    example: "The first capture of a newly guarded cluster.",
  },
  {
    id: "captures-unverified-write",
    severity: "info",
    class: "any",
    description: "Content captured from the cluster for an earlier write whose audit event did not carry it.",
    example: "The capture after Terraform's create.",
  },
  {
    id: "compared-with-last-known",
    severity: "info",
    class: "any",
    description: "Compared with the newest version whose content is known (the record in between has none).",
    example: "A patch after an unverified create.",
  },
  {
    id: "restores-last-good",
    severity: "info",
    class: "routine",
    description: "Puts back the mappings of the last good version: undoing damage, not an escalation.",
    example: "Re-adding the node role that a bad write removed.",
  },
  {
    id: "carries-dangerous-change",
    severity: "low",
    class: "any",
    description:
      "Not dangerous itself, but still carries an earlier dangerous change: never a restore target.",
    example: "A developer is added after someone was granted system:masters.",
  },
  {
    id: "found-late",
    severity: "info",
    class: "any",
    description:
      "In an alert only: a record's verdict got worse when a write before it (by resourceVersion) arrived later and the history was judged again; says which write it now follows. The record itself keeps the verdict any arrival order gives.",
    example:
      "An escalation delivered before the edit it followed was judged as the first version; the edit arrives and it is dangerous.",
  },
  // Blind spots (classify.ts, restore/capture-verify.ts).
  {
    id: "unrecorded-change",
    severity: "high",
    class: "dangerous",
    description:
      "The live aws-auth differs from the latest record and no audit event or restore explains it: the guardian missed a write.",
    example: "verify after audit logging was switched off and aws-auth edited.",
  },
  {
    id: "unrecorded-deletion",
    severity: "critical",
    class: "dangerous",
    description:
      "aws-auth is gone but the latest record is a version: its deletion never reached the guardian.",
    example: "verify after an unaudited delete.",
  },
  {
    id: "unrecorded-recreation",
    severity: "high",
    class: "dangerous",
    description: "aws-auth exists again after a recorded deletion, and no audit event says who made it.",
    example: "verify after an unaudited re-create.",
  },
];

for (const entry of ENTRIES) registerRule(entry);
