/**
 * The move from aws-auth to EKS access entries, planned from what aws-iam-authenticator actually
 * reads (`parseAwsAuth`: duplicates resolved, dead entries known). Pure and total: plain data in, a
 * plan out, never a throw. Every mapping ends up either as a planned access entry or in
 * `cannotMigrate` with a stable reason id; `equivalence` (migrate-equivalence.ts) then shows, per
 * principal, who it is today and after the move.
 */
import { parseArn } from "./arn.js";
import {
  type AwsAuthModel,
  MASTERS_GROUP,
  parseAwsAuth,
  type RoleMapping,
  type UserMapping,
} from "./aws-auth.js";
import {
  type AccessEntryState,
  type AccessEntryType,
  type AccessPolicyAssociation,
  type AuthenticationMode,
  accessEntryDifferences,
  CLUSTER_ADMIN_POLICY_ARN,
  isServiceLinkedRole,
  reservedPrefixOf,
  templatesIn,
  usernameTemplateProblem,
} from "./migrate-eks-rules.js";
import { decodeGoStringList } from "./yaml11.js";

export const CANNOT_MIGRATE_REASONS = [
  /** mapAccounts: every principal of an account; access entries name one principal each. */
  "map-accounts",
  /** A `system:` group other than system:masters: access entries refuse them. */
  "system-group",
  /** A username starting with system:, eks:, aws:, amazon: or iam:. */
  "reserved-username",
  /** A template access entries do not render (or {{SessionName}} without a colon before it). */
  "unsupported-template",
  /** Service-linked roles cannot have access entries. */
  "service-linked-role",
  /** Dead in aws-auth (never matches a caller): moving it would grant access nobody has today. */
  "dead-entry",
  /** A duplicate the authenticator ignores (the last entry for a role wins). */
  "shadowed",
  /** An `sso:` pattern entry of the open-source authenticator: access entries take one ARN each. */
  "sso-pattern",
  /** User ARNs that differ only in case: the authenticator picks one at random. */
  "ambiguous-user",
  /** The authenticator drops the entry (no ARN): nothing to move. */
  "invalid-entry",
  /** Root or an STS federated user: access entries take IAM roles and users. */
  "unsupported-principal",
  /** IAM says the principal does not exist: an entry cannot be created for it. */
  "principal-missing",
] as const;
export type CannotMigrateReason = (typeof CANNOT_MIGRATE_REASONS)[number];

export interface MappingRef {
  section: "mapRoles" | "mapUsers" | "mapAccounts";
  index: number;
}

/** What the plan does with an entry once the cluster's existing access entries are known. */
export type EntryAction = "create" | "exists" | "differs";

export interface PlannedEntry {
  principalArn: string;
  type: AccessEntryType;
  /** STANDARD only; the same username aws-auth gives today. */
  username?: string;
  kubernetesGroups: string[];
  accessPolicies: AccessPolicyAssociation[];
  from: MappingRef;
  notes: string[];
  /** The ARN as aws-auth writes it (path-less for roles). */
  awsAuthArn: string;
  /** `create` unless the cluster already has an entry for the principal. */
  action: EntryAction;
  /** When `action` is `exists` or `differs`: what EKS has. */
  existing?: AccessEntryState;
  /**
   * Whether EKS itself creates this entry when the mode is switched (roles of managed node groups and
   * Fargate profiles): `unknown` when the plan was made without the cluster's node groups and profiles.
   */
  eksCreatesOnSwitch: "yes" | "no" | "unknown";
}

export interface CannotMigrate {
  from: MappingRef;
  principal?: string;
  reason: CannotMigrateReason;
  message: string;
}

export interface MigrationPlan {
  cluster: string;
  source: string;
  authenticationMode: AuthenticationMode | null;
  entries: PlannedEntry[];
  cannotMigrate: CannotMigrate[];
  warnings: string[];
  /** The model the plan was made from (for the equivalence). */
  model: AwsAuthModel;
  /** Existing access entries the plan was made against, when known. */
  existingEntries?: AccessEntryState[];
}

/** What IAM says about a principal named in aws-auth. */
export type PrincipalLookup =
  | { status: "found"; arn: string }
  | { status: "missing" }
  /** The principal exists under another ARN than aws-auth writes, so aws-auth's mapping never matches. */
  | { status: "mismatch"; arn: string; message: string }
  | { status: "error"; message: string };

export interface PlanContext {
  cluster: string;
  /** Where the aws-auth came from, for humans (`snapshot FILE`, `store … version …`, `live`). */
  source: string;
  /** The cluster's authentication mode, when known (needs AWS). */
  authenticationMode?: AuthenticationMode;
  /** The cluster's access entries, when known (needs AWS). */
  existingEntries?: AccessEntryState[];
  /** IAM lookups keyed by the lower-cased aws-auth ARN. */
  principals?: ReadonlyMap<string, PrincipalLookup>;
  /** Lower-cased canonical ARNs seen in `access granted` lines, with the window in days. */
  usage?: { days: number; seen: ReadonlySet<string> };
  /** How the guardian judged the aws-auth version the plan is made from, when it has. */
  sourceJudgement?: { class: string; findings: string[] };
  /** Names of managed node group and Fargate profile roles EKS itself looks after, when known. */
  eksManagedRoles?: ReadonlySet<string>;
}

const NODE_EC2_USERNAME = "system:node:{{EC2PrivateDNSName}}";
const NODE_SESSION_USERNAME = "system:node:{{SessionName}}";
const WINDOWS_GROUP = "eks:kube-proxy-windows";
/** Kubernetes adds every authenticated user to it: listing it grants nothing more. */
const IMPLICIT_GROUPS = new Set(["system:authenticated"]);

interface NodeDecision {
  type: AccessEntryType;
  /** Groups aws-auth gives that the node type does not carry. */
  extra: string[];
}

/**
 * A node mapping: the username EKS documents for the node type, `system:nodes` among the groups.
 * Fargate pod-execution roles carry `system:node-proxier`; hybrid nodes use {{SessionName}} without it.
 */
function nodeDecision(mapping: { username: string; groups: string[] }): NodeDecision | undefined {
  const groups = new Set(mapping.groups);
  if (!groups.has("system:nodes")) return undefined;
  const known = (allowed: string[]) => [...groups].filter((g) => !allowed.includes(g));
  if (mapping.username === NODE_EC2_USERNAME) {
    const windows = groups.has(WINDOWS_GROUP);
    return {
      type: windows ? "EC2_WINDOWS" : "EC2_LINUX",
      extra: known(["system:bootstrappers", "system:nodes", WINDOWS_GROUP]),
    };
  }
  if (mapping.username === NODE_SESSION_USERNAME) {
    if (groups.has("system:node-proxier")) {
      return {
        type: "FARGATE_LINUX",
        extra: known(["system:bootstrappers", "system:nodes", "system:node-proxier"]),
      };
    }
    return { type: "HYBRID_LINUX", extra: known(["system:bootstrappers", "system:nodes"]) };
  }
  return undefined;
}

function roleName(arn: string): string {
  return arn.split("/").pop() ?? arn;
}

function resourceOf(arn: string): { type: string; service: string } {
  const parsed = parseArn(arn);
  return { type: (parsed?.resourceType ?? "").toLowerCase(), service: (parsed?.service ?? "").toLowerCase() };
}

interface Candidate {
  arn: string;
  username: string;
  groups: string[];
  from: MappingRef;
  isRole: boolean;
}

/** The decision for one effective mapping: an entry, or why not. */
function decide(
  candidate: Candidate,
): Omit<PlannedEntry, "action" | "awsAuthArn" | "eksCreatesOnSwitch"> | CannotMigrate {
  const { arn, username, groups, from } = candidate;
  const no = (reason: CannotMigrateReason, message: string): CannotMigrate => ({
    from,
    principal: arn,
    reason,
    message,
  });
  const resource = resourceOf(arn);
  if (resource.service === "sts" || resource.type === "root") {
    return no(
      "unsupported-principal",
      `${resource.type === "root" ? "the account root" : "an STS federated user"} cannot have an access entry (IAM roles and users only); it keeps its aws-auth mapping until you drop it`,
    );
  }
  if (candidate.isRole && isServiceLinkedRole(arn)) {
    return no(
      "service-linked-role",
      "EKS does not allow access entries for service-linked roles; it keeps its aws-auth mapping",
    );
  }

  const node = candidate.isRole ? nodeDecision(candidate) : undefined;
  if (node) {
    const notes = [
      `node role: EKS gives an ${node.type} entry the username ${node.type.startsWith("EC2") ? NODE_EC2_USERNAME : NODE_SESSION_USERNAME} and its own node groups`,
    ];
    if (node.extra.length > 0) {
      notes.push(
        `groups ${node.extra.join(", ")} do not carry over: a ${node.type} entry takes no groups of its own`,
      );
    }
    return { principalArn: arn, type: node.type, kubernetesGroups: [], accessPolicies: [], from, notes };
  }

  const systemGroups = groups.filter(
    (g) => g.startsWith("system:") && g !== MASTERS_GROUP && !IMPLICIT_GROUPS.has(g),
  );
  if (systemGroups.length > 0) {
    return no(
      "system-group",
      `group${systemGroups.length > 1 ? "s" : ""} ${systemGroups.join(", ")}: access entries refuse groups starting with system:; it keeps its aws-auth mapping`,
    );
  }
  const templatedGroups = groups.filter((g) => templatesIn(g).length > 0 || g.includes("{{"));
  if (templatedGroups.length > 0) {
    return no(
      "unsupported-template",
      `group${templatedGroups.length > 1 ? "s" : ""} ${templatedGroups.join(", ")} use a template: the authenticator renders templates in groups, access entries do not`,
    );
  }
  const reserved = reservedPrefixOf(username);
  if (reserved) {
    return no(
      "reserved-username",
      `username "${username}" starts with ${reserved}, which access entries refuse; an entry needs a new username (and RBAC bindings naming the old one)`,
    );
  }
  const templateProblem = usernameTemplateProblem(username);
  if (templateProblem) return no("unsupported-template", templateProblem);

  const notes: string[] = [];
  const masters = groups.includes(MASTERS_GROUP);
  const kubernetesGroups = [...new Set(groups.filter((g) => g !== MASTERS_GROUP && !IMPLICIT_GROUPS.has(g)))];
  const dropped = groups.filter((g) => IMPLICIT_GROUPS.has(g));
  if (dropped.length > 0) {
    notes.push(
      `${[...new Set(dropped)].join(", ")} left out: Kubernetes adds every authenticated caller to it`,
    );
  }
  if (!candidate.isRole && templatesIn(username).length > 0) {
    notes.push(
      "an IAM user has no session name: the authenticator renders {{SessionName}} as an empty string; check the username EKS shows after the move",
    );
  }
  const accessPolicies: AccessPolicyAssociation[] = masters
    ? [{ policyArn: CLUSTER_ADMIN_POLICY_ARN, accessScope: { type: "cluster", namespaces: [] } }]
    : [];
  if (masters) {
    notes.push(
      "system:masters becomes AmazonEKSClusterAdminPolicy at cluster scope (EKS's authorizer, checked besides RBAC, not group membership): RBAC bindings, webhooks or admission rules that name system:masters no longer see this principal",
    );
    if (kubernetesGroups.length > 0) notes.push(`its other groups are kept: ${kubernetesGroups.join(", ")}`);
  }
  if (username === "") {
    notes.push(
      "aws-auth gives no username: EKS will generate one (the role's assumed-role ARN or the user's ARN)",
    );
  }
  return {
    principalArn: arn,
    type: "STANDARD",
    ...(username !== "" ? { username } : {}),
    kubernetesGroups,
    accessPolicies,
    from,
    notes,
  };
}

function isCannot(value: unknown): value is CannotMigrate {
  return typeof value === "object" && value !== null && "reason" in value;
}

function problemReason(kind: string): CannotMigrateReason | undefined {
  if (kind === "dead-entry") return "dead-entry";
  if (kind === "shadowed-entry") return "shadowed";
  if (kind === "invalid-entry") return "invalid-entry";
  return undefined;
}

/** The mapAccounts items in the order written (the model keeps them sorted and unique). */
function accountsAsWritten(data: Record<string, string> | undefined, model: AwsAuthModel): string[] {
  const text = data?.mapAccounts;
  if (text === undefined) return model.accounts;
  const decoded = decodeGoStringList(text);
  return decoded.ok && decoded.items ? decoded.items : model.accounts;
}

function existingFor(arn: string, existing: AccessEntryState[] | undefined): AccessEntryState | undefined {
  const folded = arn.toLowerCase();
  return existing?.find((e) => e.principalArn.toLowerCase() === folded);
}

/**
 * Plans the move for the aws-auth `data`. With `context` from AWS it also resolves principals,
 * compares against existing access entries and marks unused ones; without it, it needs nothing.
 */
export function planMigration(data: Record<string, string> | undefined, context: PlanContext): MigrationPlan {
  const model = parseAwsAuth(data);
  const entries: PlannedEntry[] = [];
  const cannotMigrate: CannotMigrate[] = [];
  const warnings: string[] = [];

  for (const [name, state] of Object.entries(model.sections)) {
    if (state.status === "unparseable") {
      warnings.push(
        `${name} does not parse (${state.error ?? "error"}): the authenticator ignores the whole section today, so none of its entries can be planned; fix it first`,
      );
    }
  }

  // Entries the authenticator drops, ignores or never matches: not migrated, each said once.
  const said = new Set<string>();
  for (const problem of model.problems) {
    const reason = problemReason(problem.kind);
    if (
      !reason ||
      problem.section === "data" ||
      problem.section === "mapAccounts" ||
      problem.index === undefined
    )
      continue;
    const key = `${problem.section}#${problem.index}`;
    if (said.has(key)) continue;
    said.add(key);
    const what =
      reason === "dead-entry"
        ? `${problem.message}. Today it grants nothing; as an access entry (which takes the real ARN, path included) it would grant access nobody has now`
        : reason === "shadowed"
          ? `${problem.message}. The authenticator ignores it; the entry that wins is planned instead`
          : problem.message;
    cannotMigrate.push({
      from: { section: problem.section, index: problem.index },
      ...(problem.subject ? { principal: problem.subject } : {}),
      reason,
      message: what,
    });
  }

  // User ARNs that differ only in case: which one applies is random today.
  const ambiguous = new Set(
    model.problems
      .filter((p) => p.kind === "ambiguous-user" && p.index !== undefined)
      .map((p) => p.index as number),
  );

  const candidates: Candidate[] = [];
  for (const role of model.roles as RoleMapping[]) {
    const from: MappingRef = { section: "mapRoles", index: role.index };
    if (role.sso) {
      cannotMigrate.push({
        from,
        principal: role.key.replace(/^sso:/, ""),
        reason: "sso-pattern",
        message: `matches every AWSReservedSSO_${role.sso.permissionSetName}_* role of account ${role.sso.accountID} (only behind the authenticator's SSO feature gate); an access entry names one role: create one per matching role`,
      });
      continue;
    }
    candidates.push({ arn: role.rolearn, username: role.username, groups: role.groups, from, isRole: true });
  }
  const roleKeys = new Set(model.roles.map((r) => r.key));
  for (const user of model.users as UserMapping[]) {
    const from: MappingRef = { section: "mapUsers", index: user.index };
    if (roleKeys.has(user.userarn.toLowerCase())) {
      cannotMigrate.push({
        from,
        principal: user.userarn,
        reason: "shadowed",
        message: `mapRoles maps the same ARN and the authenticator looks roles up first: this mapUsers entry is never used`,
      });
      continue;
    }
    if (ambiguous.has(user.index)) {
      cannotMigrate.push({
        from,
        principal: user.userarn,
        reason: "ambiguous-user",
        message:
          "another mapUsers entry differs from this one only in case; the authenticator applies one of them at random, so there is no single answer to move. Keep one and plan again",
      });
      continue;
    }
    candidates.push({
      arn: user.userarn,
      username: user.username,
      groups: user.groups,
      from,
      isRole: resourceOf(user.userarn).type === "role",
    });
  }

  accountsAsWritten(data, model).forEach((account, index) => {
    cannotMigrate.push({
      from: { section: "mapAccounts", index },
      principal: account,
      reason: "map-accounts",
      message: `every IAM principal of account ${account} gets in (username = its ARN, no groups); access entries name one principal each. Create entries for the principals that need access; the rest keep working only while aws-auth is read`,
    });
  });

  const existing = context.existingEntries;
  const seen = new Set<string>();
  for (const candidate of candidates) {
    const decision = decide(candidate);
    if (isCannot(decision)) {
      cannotMigrate.push(decision);
      continue;
    }
    const lookup = context.principals?.get(candidate.arn.toLowerCase());
    let principalArn = candidate.arn;
    const notes = [...decision.notes];
    if (lookup?.status === "missing") {
      cannotMigrate.push({
        from: candidate.from,
        principal: candidate.arn,
        reason: "principal-missing",
        message: `IAM has no ${candidate.isRole ? "role" : "user"} ${roleName(candidate.arn)}: the mapping grants nothing to anyone until it is re-created, and EKS refuses an entry for a principal that does not exist. Drop the mapping, or re-create the principal and plan again`,
      });
      continue;
    }
    if (lookup?.status === "mismatch") {
      cannotMigrate.push({
        from: candidate.from,
        principal: candidate.arn,
        reason: "dead-entry",
        message: `${lookup.message}. Today it grants nothing; an access entry for ${lookup.arn} would grant access nobody has now`,
      });
      continue;
    }
    if (lookup?.status === "found") {
      if (lookup.arn !== candidate.arn)
        notes.push(`real ARN from IAM: ${lookup.arn} (aws-auth writes ${candidate.arn})`);
      principalArn = lookup.arn;
    } else if (lookup?.status === "error") {
      warnings.push(
        `IAM lookup of ${candidate.arn} failed (${lookup.message}); its ARN is used as aws-auth writes it`,
      );
    } else if (candidate.isRole && roleName(candidate.arn).startsWith("AWSReservedSSO_")) {
      notes.push(
        "IAM Identity Center role: its real ARN has the path /aws-reserved/sso.amazonaws.com/[REGION/], which the access entry needs; plan with AWS access to resolve it",
      );
    }
    const folded = principalArn.toLowerCase();
    if (seen.has(folded)) {
      cannotMigrate.push({
        from: candidate.from,
        principal: candidate.arn,
        reason: "shadowed",
        message: `another mapping resolves to the same principal ${principalArn}, which can have only one access entry`,
      });
      continue;
    }
    seen.add(folded);
    if (context.usage && !context.usage.seen.has(candidate.arn.toLowerCase())) {
      notes.push(
        `nobody used it in the last ${context.usage.days} days (no "access granted" for this ARN in the authenticator log)`,
      );
    }
    const managedType =
      decision.type === "EC2_LINUX" || decision.type === "EC2_WINDOWS" || decision.type === "FARGATE_LINUX";
    const eksCreatesOnSwitch: PlannedEntry["eksCreatesOnSwitch"] = !managedType
      ? "no"
      : context.eksManagedRoles === undefined
        ? "unknown"
        : context.eksManagedRoles.has(roleName(principalArn).toLowerCase())
          ? "yes"
          : "no";
    if (managedType) {
      notes.push(
        eksCreatesOnSwitch === "unknown"
          ? "if this role belongs to a managed node group or Fargate profile, EKS creates this entry itself when the mode is switched (apply then finds it and skips it; generated infrastructure code should leave it out)"
          : eksCreatesOnSwitch === "yes"
            ? "EKS creates this entry itself when the mode is switched (managed node group or Fargate profile role)"
            : "no managed node group or Fargate profile uses this role (self-managed nodes): EKS will not create this entry, the plan must",
      );
    }
    const want: AccessEntryState = {
      principalArn,
      type: decision.type,
      ...(decision.username !== undefined ? { username: decision.username } : {}),
      kubernetesGroups: decision.kubernetesGroups,
      accessPolicies: decision.accessPolicies,
    };
    const have = existingFor(principalArn, existing);
    let action: EntryAction = "create";
    if (have) {
      const differences = accessEntryDifferences(want, have);
      action = differences.length === 0 ? "exists" : "differs";
      notes.push(
        action === "exists"
          ? "already an identical access entry: nothing to do"
          : `an access entry already exists and differs (${differences.join("; ")}); it wins over aws-auth today. The plan does not change it: update it by hand if the aws-auth mapping is the one you mean`,
      );
    }
    entries.push({
      ...decision,
      principalArn,
      notes,
      awsAuthArn: candidate.arn,
      action,
      ...(have ? { existing: have } : {}),
      eksCreatesOnSwitch,
    });
  }

  if (!context.principals) {
    warnings.push(
      "principals were not looked up in IAM (no AWS access): a role whose real ARN has a path needs it in its access entry, and a principal that no longer exists cannot have one; plan with AWS access before applying",
    );
  }
  if (context.sourceJudgement?.class === "dangerous") {
    warnings.unshift(
      `the guardian judged this aws-auth version dangerous (${context.sourceJudgement.findings.join("; ")}): the plan moves exactly what it grants, the dangerous part included; plan from a good version (--store S --to last-good) unless that access is meant`,
    );
  }
  if (context.authenticationMode === "API") {
    warnings.push(
      "the cluster is already in API mode: aws-auth is not read at all, so this plan only shows what it once granted",
    );
  }

  const order = (ref: MappingRef) =>
    `${["mapRoles", "mapUsers", "mapAccounts"].indexOf(ref.section)}:${String(ref.index).padStart(8, "0")}`;
  entries.sort((a, b) => order(a.from).localeCompare(order(b.from)));
  cannotMigrate.sort((a, b) => order(a.from).localeCompare(order(b.from)));

  return {
    cluster: context.cluster,
    source: context.source,
    authenticationMode: context.authenticationMode ?? null,
    entries,
    cannotMigrate,
    warnings,
    model,
    ...(existing ? { existingEntries: existing } : {}),
  };
}

/** The JSON the CLI prints: exactly the documented fields. */
export function planToJson(plan: MigrationPlan): unknown {
  return {
    cluster: plan.cluster,
    source: plan.source,
    authenticationMode: plan.authenticationMode,
    entries: plan.entries.map((e) => ({
      principalArn: e.principalArn,
      type: e.type,
      ...(e.username !== undefined ? { username: e.username } : {}),
      kubernetesGroups: e.kubernetesGroups,
      accessPolicies: e.accessPolicies.map((p) => ({
        policyArn: p.policyArn,
        accessScope: { type: p.accessScope.type, namespaces: p.accessScope.namespaces },
      })),
      from: { section: e.from.section, index: e.from.index },
      notes: e.notes,
    })),
    cannotMigrate: plan.cannotMigrate.map((c) => ({
      from: { section: c.from.section, index: c.from.index },
      ...(c.principal !== undefined ? { principal: c.principal } : {}),
      reason: c.reason,
      message: c.message,
    })),
    warnings: plan.warnings,
  };
}
