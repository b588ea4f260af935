/**
 * EKS access entries as the EKS API defines them: the types, the authentication modes, the access
 * policies and the rules the API enforces on a new entry. Sources: EKS user guide
 * (creating-access-entries, set-custom-username, access-policies, migrating-access-entries), the
 * `CreateAccessEntry` API reference, and aws-cdk-lib's `AccessEntryType`.
 */

export { AUTHENTICATION_MODES, type AuthenticationMode } from "./ports.js";

export const ACCESS_ENTRY_TYPES = [
  "STANDARD",
  "EC2_LINUX",
  "EC2_WINDOWS",
  "FARGATE_LINUX",
  "HYBRID_LINUX",
  "EC2",
] as const;
export type AccessEntryType = (typeof ACCESS_ENTRY_TYPES)[number];

export interface AccessScope {
  type: "cluster" | "namespace";
  namespaces: string[];
}

export interface AccessPolicyAssociation {
  policyArn: string;
  accessScope: AccessScope;
}

/** An access entry as EKS describes it (DescribeAccessEntry + ListAssociatedAccessPolicies). */
export interface AccessEntryState {
  principalArn: string;
  type: string;
  username?: string;
  kubernetesGroups: string[];
  accessPolicies: AccessPolicyAssociation[];
}

export const ACCESS_POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/";
export const CLUSTER_ADMIN_POLICY_ARN = `${ACCESS_POLICY_PREFIX}AmazonEKSClusterAdminPolicy`;

/** "It can't start with system:, eks:, aws:, amazon:, or iam:" (EKS user guide, set-custom-username). */
export const RESERVED_USERNAME_PREFIXES = ["system:", "eks:", "aws:", "amazon:", "iam:"] as const;

/** The only templates an access entry's username may hold (EKS user guide, creating-access-entries). */
export const ACCESS_ENTRY_TEMPLATES = ["SessionName", "SessionNameRaw"] as const;

/**
 * The username EKS gives a node-type entry (creating-access-entries, "Username value that Amazon EKS
 * automatically sets"); these entries take no username and no groups of their own.
 */
export const NODE_TYPE_USERNAME: Partial<Record<AccessEntryType, string>> = {
  EC2_LINUX: "system:node:{{EC2PrivateDNSName}}",
  EC2_WINDOWS: "system:node:{{EC2PrivateDNSName}}",
  FARGATE_LINUX: "system:node:{{SessionName}}",
  HYBRID_LINUX: "system:node:{{SessionName}}",
};

/**
 * The groups EKS reports for an entry of that type (`describe-access-entry` of an `EC2_LINUX` entry
 * lists `system:nodes`; the others are EKS's to set and not documented group by group).
 */
export const NODE_TYPE_GROUPS: Partial<Record<AccessEntryType, string[]>> = {
  EC2_LINUX: ["system:nodes"],
};

export function reservedPrefixOf(username: string): string | undefined {
  return RESERVED_USERNAME_PREFIXES.find((prefix) => username.startsWith(prefix));
}

const TEMPLATE = /\{\{([^}]*)\}\}/g;

/** Every `{{Name}}` in `text`, in order. */
export function templatesIn(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((m) => m[1] ?? "");
}

/**
 * Why EKS would refuse `username` on a STANDARD entry (templates other than {{SessionName}} and
 * {{SessionNameRaw}}, or one of those without a colon before it), or undefined.
 */
export function usernameTemplateProblem(username: string): string | undefined {
  const names = templatesIn(username);
  const other = names.filter((name) => !(ACCESS_ENTRY_TEMPLATES as readonly string[]).includes(name));
  if (other.length > 0) {
    return `${[...new Set(other)].map((n) => `{{${n}}}`).join(", ")} in the username: access entries render only {{SessionName}} and {{SessionNameRaw}}`;
  }
  const first = username.search(/\{\{SessionName(Raw)?\}\}/);
  if (first !== -1 && !username.slice(0, first).includes(":")) {
    return "the username has {{SessionName}} without a colon before it, which EKS requires";
  }
  if (/\{\{|\}\}/.test(username.replace(TEMPLATE, ""))) {
    return "the username holds unbalanced template braces";
  }
  return undefined;
}

/** Service-linked roles (`role/aws-service-role/…`, named `AWSServiceRoleFor…`): no access entries. */
export function isServiceLinkedRole(arn: string): boolean {
  const resource = arn.split(":").slice(5).join(":");
  if (!resource.startsWith("role/")) return false;
  const path = resource.slice("role/".length);
  const name = path.split("/").pop() ?? "";
  return path.startsWith("aws-service-role/") || name.startsWith("AWSServiceRoleFor");
}

/** The username EKS generates for a STANDARD entry without one (set-custom-username). */
export function generatedUsername(principalArn: string): string {
  const parts = principalArn.split(":");
  const resource = parts.slice(5).join(":");
  if (resource.startsWith("role/")) {
    const name = resource.split("/").pop() ?? "";
    return `arn:${parts[1] ?? "aws"}:sts::${parts[4] ?? ""}:assumed-role/${name}/{{SessionName}}`;
  }
  return principalArn;
}

/** Whether EKS would answer the same for both: type, username, groups (as a set), policies and scopes. */
export function sameAccessEntry(a: AccessEntryState, b: AccessEntryState): boolean {
  return accessEntryDifferences(a, b).length === 0;
}

function policyKey(p: AccessPolicyAssociation): string {
  const name = p.policyArn.startsWith(ACCESS_POLICY_PREFIX)
    ? p.policyArn.slice(ACCESS_POLICY_PREFIX.length)
    : p.policyArn;
  const scope =
    p.accessScope.type === "namespace"
      ? `namespaces ${[...p.accessScope.namespaces].sort().join(",")}`
      : "cluster";
  return `${name} (${scope})`;
}

/** What differs from `want` in `have`, one sentence each (empty when they are the same). */
export function accessEntryDifferences(want: AccessEntryState, have: AccessEntryState): string[] {
  const out: string[] = [];
  if (want.type !== have.type) out.push(`type is ${have.type}, the plan wants ${want.type}`);
  if (want.type === "STANDARD" && want.username !== undefined && want.username !== have.username) {
    out.push(
      `username is ${JSON.stringify(have.username ?? "")}, the plan wants ${JSON.stringify(want.username)}`,
    );
  }
  if (want.type === "STANDARD") {
    const w = [...new Set(want.kubernetesGroups)].sort();
    const h = [...new Set(have.kubernetesGroups)].sort();
    if (w.join("\n") !== h.join("\n")) {
      out.push(`groups are [${h.join(", ")}], the plan wants [${w.join(", ")}]`);
    }
  }
  const wp = new Set(want.accessPolicies.map(policyKey));
  const hp = new Set(have.accessPolicies.map(policyKey));
  for (const key of wp) if (!hp.has(key)) out.push(`policy ${key} is not associated`);
  for (const key of hp) if (!wp.has(key)) out.push(`policy ${key} is associated but not planned`);
  return out;
}
