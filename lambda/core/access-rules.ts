/**
 * Verdict rules for access-entry changes. Each is a small named pure function from the facts of one
 * change (or of the distance between two recorded pictures) to the findings it raises; its id names
 * it in alerts and metrics. As for aws-auth, a finding of severity high or critical makes the change
 * dangerous.
 */
import { type AccessEvent, isAccessDenied } from "./access-event.js";
import type { AccessChange } from "./access-picture.js";
import { accountOf, canonicalPrincipalArn, matchesArnPattern } from "./arn.js";
import { type GuardianPolicy, type Severity, severityRank, type WriteClass } from "./policy.js";
import type { Finding } from "./records.js";

export const POLICY_ARN_PREFIX = "arn:aws:eks::aws:cluster-access-policy/";
/** Access policies that make their holder an administrator of whatever scope they are given. */
export const ADMIN_POLICIES = ["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy"] as const;
/** Policies a team may routinely get for its own namespaces. */
export const NAMESPACE_ROUTINE_POLICIES = [
  "AmazonEKSViewPolicy",
  "AmazonEKSEditPolicy",
  "AmazonEKSAdminViewPolicy",
];

export interface AccessRuleContext {
  /** The changes judged: those of one call, or those between the last good picture and now. */
  changes: readonly AccessChange[];
  /** The call, when judging one; absent when judging the distance between two pictures. */
  event?: AccessEvent;
  policy: GuardianPolicy;
  /** The cluster's account: foreign principals are those of any other. */
  clusterAccount?: string;
  /** The guardian's cluster-access role, whose access entry keeps restores lockout-proof. */
  guardianRoleArn?: string;
}

export type AccessRule = (ctx: AccessRuleContext) => Finding[];

function policyName(policyArn: string): string {
  return policyArn.startsWith(POLICY_ARN_PREFIX) ? policyArn.slice(POLICY_ARN_PREFIX.length) : policyArn;
}

function isAdminPolicy(policyArn: string): boolean {
  return (ADMIN_POLICIES as readonly string[]).includes(policyName(policyArn));
}

/** Same IAM principal, with or without a path (the access entry keeps it, trusted-writer patterns may not). */
export function samePrincipal(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a === b) return true;
  return pathless(a) === pathless(b);
}

function pathless(arn: string): string {
  const match = /^(arn:[^:]+:iam::\d{12}:(?:role|user))\/(?:.*\/)?([^/]+)$/.exec(canonicalPrincipalArn(arn));
  return match ? `${match[1]}/${match[2]}` : arn;
}

function who(event: AccessEvent | undefined): string {
  if (!event) return "Someone (seen by comparing recorded states)";
  return event.actor.principalArn ?? event.actor.arn ?? "an unknown caller";
}

/** `AmazonEKSClusterAdminPolicy` or `AmazonEKSAdminPolicy` associated at cluster scope. */
export const clusterAdminPolicy: AccessRule = ({ changes, event }) =>
  changes.flatMap((c): Finding[] =>
    c.kind === "policy-associated" && isAdminPolicy(c.policyArn) && c.accessScope.type === "cluster"
      ? [
          {
            id: "access-cluster-admin",
            severity: "critical",
            message: `${c.principalArn} was made administrator of the whole cluster (${policyName(c.policyArn)} at cluster scope) by ${who(event)}, without touching aws-auth.`,
            entries: [c.principalArn],
          },
        ]
      : [],
  );

/** An admin policy limited to namespaces: less than the cluster, still worth a look. */
export const namespaceAdminPolicy: AccessRule = ({ changes }) =>
  changes.flatMap((c): Finding[] =>
    c.kind === "policy-associated" && isAdminPolicy(c.policyArn) && c.accessScope.type === "namespace"
      ? [
          {
            id: "access-namespace-admin",
            severity: "medium",
            message: `${c.principalArn} got ${policyName(c.policyArn)} in namespaces ${c.accessScope.namespaces.join(", ")}.`,
            entries: [c.principalArn],
          },
        ]
      : [],
  );

/** Any access for a principal of another AWS account. */
export const foreignPrincipal: AccessRule = ({ changes, clusterAccount, event }) => {
  if (clusterAccount === undefined) return [];
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const c of changes) {
    if (c.kind !== "entry-added" && c.kind !== "policy-associated" && c.kind !== "entry-changed") continue;
    const account = accountOf(c.principalArn);
    if (account === undefined || account === clusterAccount || seen.has(c.principalArn)) continue;
    seen.add(c.principalArn);
    findings.push({
      id: "access-foreign-principal",
      severity: "critical",
      message: `${c.principalArn} of account ${account}, not the cluster's account ${clusterAccount}, was given access to the cluster by ${who(event)}.`,
      entries: [c.principalArn],
    });
  }
  return findings;
};

/** The guardian's own access entry deleted, or one of its policies taken away: restores lose their way in. */
export const guardianEntryRemoved: AccessRule = ({ changes, guardianRoleArn, event }) => {
  if (guardianRoleArn === undefined) return [];
  return changes.flatMap((c): Finding[] => {
    if (!samePrincipal(c.kind === "mode-changed" ? undefined : c.principalArn, guardianRoleArn)) return [];
    if (c.kind === "entry-removed") {
      return [
        {
          id: "access-guardian-entry-removed",
          severity: "critical",
          message: `The guardian's own access entry (${guardianRoleArn}) was deleted by ${who(event)}: restores through the cluster-access function no longer reach the cluster.`,
          entries: [guardianRoleArn],
        },
      ];
    }
    if (c.kind === "policy-disassociated") {
      return [
        {
          id: "access-guardian-policy-removed",
          severity: "critical",
          message: `The guardian's access entry (${guardianRoleArn}) lost ${policyName(c.policyArn)} (by ${who(event)}): restores of aws-auth may be refused.`,
          entries: [guardianRoleArn],
        },
      ];
    }
    return [];
  });
};

/** The authentication mode changed: who may enter, and through what, is decided differently from now on. */
export const authenticationModeChanged: AccessRule = ({ changes, event }) =>
  changes.flatMap((c): Finding[] => {
    if (c.kind !== "mode-changed") return [];
    const effect =
      c.after === "API"
        ? "aws-auth is now ignored: only access entries grant access"
        : c.after === "API_AND_CONFIG_MAP"
          ? "access entries now grant access and win over aws-auth for the same principal"
          : "the access-entry API is off";
    return [
      {
        id: "access-mode-changed",
        severity: "high",
        message: `Authentication mode changed from ${c.before ?? "(unknown)"} to ${c.after} by ${who(event)}: ${effect}. This cannot be undone.`,
      },
    ];
  });

/** The caller is not among the trusted writers (only when some are configured). */
export const untrustedAccessWriter: AccessRule = ({ event, policy }) => {
  if (!event || event.errorCode !== undefined || policy.trustedWriters.length === 0) return [];
  if (isAwsService(event)) return [];
  const candidates = [event.actor.principalArn, event.actor.canonicalArn, event.actor.arn].filter(
    (a): a is string => a !== undefined,
  );
  const patterns = [...policy.trustedWriters, ...policy.guardianWriters];
  if (candidates.some((arn) => patterns.some((p) => matchesArnPattern(arn, p)))) return [];
  const arn = candidates[0] ?? "an unknown caller";
  return [
    {
      id: "access-untrusted-writer",
      severity: "high",
      message: `${arn} is not among the trusted writers of cluster access (${policy.trustedWriters.join(", ")}).`,
      entries: [arn],
    },
  ];
};

/** Someone tried to change cluster access and IAM refused: an attempt worth knowing about. */
export const accessDenied: AccessRule = ({ event }) =>
  event && isAccessDenied(event)
    ? [
        {
          id: "access-denied",
          severity: "high",
          message: `${who(event)} tried ${event.eventName}${event.principalArn ? ` for ${event.principalArn}` : ""} and was denied by IAM (${event.errorCode}).`,
          entries: [who(event)],
        },
      ]
    : [];

/** EKS refused the call for another reason (duplicate, invalid parameter…): nothing changed. */
export const failedCall: AccessRule = ({ event }) =>
  event?.errorCode !== undefined && !isAccessDenied(event)
    ? [
        {
          id: "access-call-failed",
          severity: "info",
          message: `${event.eventName} failed with ${event.errorCode}${event.errorMessage ? ` (${event.errorMessage})` : ""}: nothing changed.`,
        },
      ]
    : [];

/** An entry of a node type: its holder authenticates as a node (`system:nodes`). */
export const nodeTypeEntry: AccessRule = ({ changes, policy }) =>
  changes.flatMap((c): Finding[] =>
    c.kind === "entry-added" &&
    c.type !== "STANDARD" &&
    !policy.extraNodeRoleArns.some((arn) => samePrincipal(arn, c.principalArn))
      ? [
          {
            id: "access-node-entry",
            severity: "medium",
            message: `${c.principalArn} got a ${c.type} access entry: it can join the cluster as a node.`,
            entries: [c.principalArn],
          },
        ]
      : [],
  );

/** Policies other than the admin ones at cluster scope: broad, but not administration. */
export const clusterScopedPolicy: AccessRule = ({ changes }) =>
  changes.flatMap((c): Finding[] =>
    c.kind === "policy-associated" && !isAdminPolicy(c.policyArn) && c.accessScope.type === "cluster"
      ? [
          {
            id: "access-cluster-scoped-policy",
            severity: "low",
            message: `${c.principalArn} got ${policyName(c.policyArn)} for the whole cluster.`,
            entries: [c.principalArn],
          },
        ]
      : [],
  );

/** View/edit in named namespaces for a principal of the cluster's own account: everyday work. */
export const routineNamespaceAccess: AccessRule = ({ changes, clusterAccount }) =>
  changes.flatMap((c): Finding[] =>
    c.kind === "policy-associated" &&
    c.accessScope.type === "namespace" &&
    NAMESPACE_ROUTINE_POLICIES.includes(policyName(c.policyArn)) &&
    (clusterAccount === undefined || accountOf(c.principalArn) === clusterAccount)
      ? [
          {
            id: "access-namespace-scoped",
            severity: "info",
            message: `${c.principalArn} got ${policyName(c.policyArn)} in namespaces ${c.accessScope.namespaces.join(", ")}.`,
            entries: [c.principalArn],
          },
        ]
      : [],
  );

/** Access taken away from someone other than the guardian: a lockout starts like this. */
export const entryRemoved: AccessRule = ({ changes, guardianRoleArn }) =>
  changes.flatMap((c): Finding[] =>
    c.kind === "entry-removed" && !samePrincipal(c.principalArn, guardianRoleArn)
      ? [
          {
            id: "access-entry-removed",
            severity: c.policies.some((p) => isAdminPolicy(p.policyArn)) ? "medium" : "low",
            message: `The access entry of ${c.principalArn} was deleted${c.policies.length ? `, with ${c.policies.map((p) => policyName(p.policyArn)).join(", ")}` : ""}.`,
            entries: [c.principalArn],
          },
        ]
      : [],
  );

/** The call came from the guardian's own cluster-access role: a restore. */
export const guardianAccessWrite: AccessRule = ({ event, policy }) => {
  const arn = event?.actor.principalArn ?? event?.actor.arn;
  if (
    !event ||
    !arn ||
    !policy.guardianWriters.some((p) => samePrincipal(arn, p) || matchesArnPattern(arn, p))
  ) {
    return [];
  }
  return [
    {
      id: "guardian-write",
      severity: "info",
      message: "Made by the guardian's own cluster-access role (a restore).",
      entries: [arn],
    },
  ];
};

function isAwsService(event: AccessEvent): boolean {
  return event.actor.type === "AWSService" || event.actor.invokedBy === "eks.amazonaws.com";
}

/** In rule order; alerts list findings in this order. */
export const ACCESS_RULES: readonly AccessRule[] = [
  clusterAdminPolicy,
  foreignPrincipal,
  guardianEntryRemoved,
  authenticationModeChanged,
  untrustedAccessWriter,
  accessDenied,
  namespaceAdminPolicy,
  nodeTypeEntry,
  entryRemoved,
  clusterScopedPolicy,
  routineNamespaceAccess,
  failedCall,
  guardianAccessWrite,
];

/** Runs every rule; a rule that throws becomes a finding of its own instead of a crash. */
export function runAccessRules(ctx: AccessRuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const rule of ACCESS_RULES) {
    try {
      findings.push(...rule(ctx));
    } catch (error) {
      findings.push({
        id: "access-rule-error",
        severity: "high",
        message: `Rule ${rule.name} failed (${(error as Error).message}); judge this change by hand.`,
      });
    }
  }
  return findings;
}

export interface AccessVerdict {
  class: WriteClass;
  severity: Severity;
  findings: Finding[];
  /** Whether an alert goes out under `policy` (an `access-denied` finding always alerts). */
  alert: boolean;
}

function worst(findings: readonly Finding[]): Severity {
  return findings.reduce<Severity>(
    (acc, f) => (severityRank(f.severity) > severityRank(acc) ? f.severity : acc),
    "info",
  );
}

/** The class of one call: refused → rejected; any high finding → dangerous; EKS itself → aws-internal; else routine. */
export function judgeAccessEvent(ctx: AccessRuleContext & { event: AccessEvent }): AccessVerdict {
  const findings = runAccessRules(ctx);
  const severity = worst(findings);
  const cls: WriteClass =
    ctx.event.errorCode !== undefined
      ? "rejected"
      : severityRank(severity) >= severityRank("high")
        ? "dangerous"
        : isAwsService(ctx.event)
          ? "aws-internal"
          : "routine";
  const byClass = ctx.policy.alertClasses.includes(cls);
  const bySeverity =
    ctx.policy.alertMinSeverity !== undefined &&
    severityRank(severity) >= severityRank(ctx.policy.alertMinSeverity);
  const denied = findings.some((f) => f.id === "access-denied");
  return { class: cls, severity, findings, alert: byClass || bySeverity || denied };
}

/** Findings of high severity or more between two pictures: a picture that carries them is not good. */
export function carriedDangers(ctx: Omit<AccessRuleContext, "event">): Finding[] {
  return runAccessRules(ctx).filter((f) => severityRank(f.severity) >= severityRank("high"));
}
