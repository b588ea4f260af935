/**
 * The aws-auth model against the authenticator's own rules, one table row per rule, each naming
 * where the rule comes from (kubernetes-sigs/aws-iam-authenticator unless said otherwise):
 *
 * - `configmap.go`  pkg/mapper/configmap/configmap.go (ParseMap, isSkippable, saveMap)
 * - `mapper.go`     pkg/config/mapper.go (RoleMapping/UserMapping Validate, Key, Matches, SSOArnLike)
 * - `types.go`      pkg/config/types.go (the structs and their JSON field names)
 * - `arn.go`        pkg/arn/arn.go (Canonicalize)
 * - `token.go`      pkg/token/token.go (session names per principal type)
 * - `server.go`     pkg/server/server.go (doMapping, renderTemplate)
 * - `yaml_test.go`  pkg/mapper/configmap/yaml_test.go and its fixtures
 * - sigs.k8s.io/yaml `yaml.go` (YAMLToJSON, convertToJSONableObject), k8s.io/apimachinery
 *   `util/yaml` (ToJSON), go-yaml v2 `resolve.go`/`decode.go`, Go `encoding/json`.
 *
 * Where the reference notes (shared/reference/aws-auth-semantics.md) say otherwise, the row follows
 * the source and says so.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type AwsAuthModel,
  mappingAccount,
  nodeKindOf,
  parseAwsAuth,
  SECTION_NAMES,
  type SectionName,
  type SectionStatus,
} from "../../lambda/core/aws-auth.js";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";

const ACCOUNT = "012345678901";
const NODE = `arn:aws:iam::${ACCOUNT}:role/my-node-role`;
const FARGATE = `arn:aws:iam::${ACCOUNT}:role/my-fargate-profile-role`;
const SSO_ADMIN = `arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_AdministratorAccess_3e3617e16cf3782b`;
const BREAKGLASS = `arn:aws:iam::${ACCOUNT}:user/breakglass-admin`;
const DEV = `arn:aws:iam::${ACCOUNT}:role/developer`;
const EC2_USERNAME = "system:node:{{EC2PrivateDNSName}}";
const NODE_GROUPS = ["system:bootstrappers", "system:nodes"];

/** One block-style entry, as Terraform and eksctl write them. */
function entry(arnKey: "rolearn" | "userarn", arn: string, username: string, groups: string[]): string {
  return `- ${arnKey}: ${arn}\n  username: ${username}\n  groups:\n${groups.map((g) => `    - ${g}\n`).join("")}`;
}
const role = (arn: string, username: string, groups: string[]) => entry("rolearn", arn, username, groups);
const user = (arn: string, username: string, groups: string[]) => entry("userarn", arn, username, groups);
const NODE_ENTRY = role(NODE, EC2_USERNAME, NODE_GROUPS);
const BREAKGLASS_ENTRY = user(BREAKGLASS, "breakglass-admin", ["system:masters"]);

type Mapping = [arnOrKey: string, username: string, groups: string[]];

interface Summary {
  sections: Record<SectionName, SectionStatus>;
  roles: Mapping[];
  users: Mapping[];
  accounts: string[];
  /** `kind section#entry subject`, sorted. */
  problems: string[];
}

function summarize(model: AwsAuthModel): Summary {
  return {
    sections: Object.fromEntries(
      SECTION_NAMES.map((n) => [n, model.sections[n].status]),
    ) as Summary["sections"],
    roles: model.roles.map((r) => [r.sso ? r.key : r.rolearn, r.username, r.groups]),
    users: model.users.map((u) => [u.userarn, u.username, u.groups]),
    accounts: model.accounts,
    problems: model.problems
      .map(
        (p) =>
          `${p.kind} ${p.section}${p.index === undefined ? "" : `#${p.index + 1}`}${p.subject ? ` ${p.subject}` : ""}`,
      )
      .sort(),
  };
}

/** Every sentence the model says about this ConfigMap: problem messages and section errors. */
function sentences(model: AwsAuthModel): string {
  return [
    ...model.problems.map((p) => p.message),
    ...SECTION_NAMES.map((n) => model.sections[n].error ?? ""),
  ].join("\n");
}

interface Row {
  rule: string;
  source: string;
  data: Record<string, string>;
  /** Section statuses that differ from "parsed" (present key) / "absent" (missing key). */
  sections?: Partial<Record<SectionName, SectionStatus>>;
  roles?: Mapping[];
  users?: Mapping[];
  accounts?: string[];
  problems?: string[];
  /** Words the explanation must contain. */
  says?: string[];
}

function expected(row: Row): Summary {
  const sections = Object.fromEntries(
    SECTION_NAMES.map((n) => [n, row.sections?.[n] ?? (n in row.data ? "parsed" : "absent")]),
  ) as Summary["sections"];
  return {
    sections,
    roles: row.roles ?? [],
    users: row.users ?? [],
    accounts: row.accounts ?? [],
    problems: [...(row.problems ?? [])].sort(),
  };
}

const ROWS: Row[] = [
  // ---- Loading: sections are independent -----------------------------------------------------
  {
    rule: "a mapRoles that fails to parse contributes nothing, node roles included; mapUsers and mapAccounts still load",
    source: "configmap.go ParseMap (ToJSON error: that section stays empty); PR #607 (closed unmerged)",
    data: {
      mapRoles: `${NODE_ENTRY}- rolearn: [unclosed\n`,
      mapUsers: BREAKGLASS_ENTRY,
      mapAccounts: "- '111122223333'\n",
    },
    sections: { mapRoles: "unparseable" },
    users: [[BREAKGLASS, "breakglass-admin", ["system:masters"]]],
    accounts: ["111122223333"],
  },
  {
    rule: "a broken mapUsers drops only the users",
    source: "configmap.go ParseMap",
    data: { mapRoles: NODE_ENTRY, mapUsers: '- userarn: "unterminated\n' },
    sections: { mapUsers: "unparseable" },
    roles: [[NODE, EC2_USERNAME, NODE_GROUPS]],
  },
  {
    rule: "a broken mapAccounts drops only the accounts",
    source: "configmap.go ParseMap (yaml.Unmarshal error)",
    data: { mapRoles: NODE_ENTRY, mapAccounts: "- [unclosed\n" },
    sections: { mapAccounts: "unparseable" },
    roles: [[NODE, EC2_USERNAME, NODE_GROUPS]],
  },
  {
    rule: 'empty, whitespace-only and "" sections mean no entries, not an error',
    source: 'configmap.go isSkippable (TrimSpace == "" or `""`)',
    data: { mapRoles: "", mapUsers: "  \n\t\n", mapAccounts: '""' },
    sections: { mapRoles: "empty", mapUsers: "empty", mapAccounts: "empty" },
  },
  {
    rule: "'' and a YAML null mean no entries too; [] is an empty list",
    source: "reference notes (''); YAMLToJSON gives null and json.Unmarshal(null) leaves the slice empty",
    data: { mapRoles: "''", mapUsers: "~\n", mapAccounts: "[]\n" },
    sections: { mapRoles: "empty", mapUsers: "empty" },
  },
  {
    rule: "no data at all (or a deleted ConfigMap) maps nothing",
    source: "configmap.go startLoadConfigMap (watch.Deleted saves empty mappings)",
    data: {},
  },
  {
    rule: "a section that is a single value, not a list, is unparseable",
    source: "configmap.go ParseMap (json.Unmarshal of a string into []RoleMapping fails)",
    data: { mapRoles: "just-a-string\n", mapUsers: BREAKGLASS_ENTRY },
    sections: { mapRoles: "unparseable" },
    users: [[BREAKGLASS, "breakglass-admin", ["system:masters"]]],
    says: ['"just-a-string" where a list of entries is expected'],
  },
  {
    rule: "a JSON object where the list belongs is unparseable",
    source:
      "k8s.io/apimachinery util/yaml ToJSON (a '{' prefix is passed as JSON; an object does not fit []RoleMapping)",
    data: { mapRoles: `{"rolearn": "${NODE}", "username": "x", "groups": []}` },
    sections: { mapRoles: "unparseable" },
    says: ["starts with '{', so it is read as JSON"],
  },

  // ---- Keys ---------------------------------------------------------------------------------
  {
    rule: "top-level keys are case-sensitive: mapusers is ignored, and reported",
    source: 'configmap.go ParseMap reads m["mapUsers"]; yaml_test.go aws-auth-lower-case-top-keys.yaml',
    data: { mapRoles: NODE_ENTRY, mapusers: BREAKGLASS_ENTRY },
    roles: [[NODE, EC2_USERNAME, NODE_GROUPS]],
    problems: ["ignored-key data mapusers"],
    says: ['did you mean "mapUsers"'],
  },
  {
    rule: "entry keys are case-insensitive: RoLeArN, UsErNaMe, gRoUpS, UserARN",
    source:
      "yaml_test.go aws-auth-crazy-case-keys.yaml / open-source-case-keys.yaml; Go encoding/json field matching",
    data: {
      mapRoles: `- RoLeArN: ${NODE}\n  UsErNaMe: ${EC2_USERNAME}\n  gRoUpS:\n    - system:bootstrappers\n    - system:nodes\n`,
      mapUsers: `- UserARN: ${BREAKGLASS}\n  Username: breakglass-admin\n  GROUPS: [system:masters]\n`,
    },
    roles: [[NODE, EC2_USERNAME, NODE_GROUPS]],
    users: [[BREAKGLASS, "breakglass-admin", ["system:masters"]]],
  },
  {
    rule: "two spellings of one key: the later one in sorted key order wins (RoleArn < rolearn, Username < username, Groups < groups)",
    source:
      "sigs.k8s.io/yaml YAMLToJSON (json.Marshal sorts map keys) then encoding/json decodes keys in that order",
    data: {
      mapRoles: `- rolearn: ${NODE}\n  RoleArn: ${DEV}\n  username: second\n  Username: first\n  groups: [view-only]\n  Groups: [system:masters]\n`,
    },
    roles: [[NODE, "second", ["view-only"]]],
  },
  {
    rule: "a later spelling that is null or mistyped leaves the earlier spelling's value",
    source:
      "encoding/json decode.go literalStore (null into a string is a no-op; a type error leaves the field)",
    data: { mapRoles: `- RoleArn: ${NODE}\n  rolearn: ~\n  Username: kept\n  username: yes\n  groups: []\n` },
    roles: [[NODE, "kept", []]],
    problems: [`type-mismatch mapRoles#1 ${NODE}`],
    says: [
      "username: boolean true (YAML 1.1 reads yes/no/on/off as booleans) is not a string, so the field keeps an earlier spelling's value",
    ],
  },
  {
    rule: "keys fold like Go's bytes.EqualFold: groupſ (long s) is groups, uſerarn is userarn",
    source: "encoding/json fold.go (U+017F folds to s, U+212A to k)",
    data: {
      mapRoles: `- rolearn: ${DEV}\n  username: dev\n  groupſ:\n    - system:masters\n`,
      mapUsers: `- uſerarn: ${BREAKGLASS}\n  username: bg\n  groups: []\n`,
    },
    roles: [[DEV, "dev", ["system:masters"]]],
    users: [[BREAKGLASS, "bg", []]],
  },
  {
    rule: "duplicate YAML keys inside an entry: the last one wins",
    source: "go-yaml v2 decode.go mapping (non-strict: a repeated key overwrites)",
    data: { mapRoles: `- rolearn: ${NODE}\n  username: first\n  username: second\n  groups: []\n` },
    roles: [[NODE, "second", []]],
  },
  {
    rule: "unknown keys are ignored: a rolarn typo leaves the entry without ARN (dropped), a group typo leaves no groups",
    source: "types.go (only rolearn, sso, username, groups); mapper.go RoleMapping.Validate",
    data: {
      mapRoles: `- rolarn: ${NODE}\n  username: ${EC2_USERNAME}\n  groups: [system:nodes]\n- rolearn: ${DEV}\n  username: dev\n  group:\n    - system:masters\n`,
    },
    roles: [[DEV, "dev", []]],
    problems: ["ignored-key mapRoles#1", "invalid-entry mapRoles#1", `ignored-key mapRoles#2 ${DEV}`],
    says: [
      'key "rolarn" is not one the authenticator reads',
      "entry #1 is dropped: needs one of rolearn or sso",
    ],
  },

  // ---- Per-entry validation -----------------------------------------------------------------
  {
    rule: "a role needs exactly one of rolearn or sso; only the invalid entries are dropped",
    source: "mapper.go RoleMapping.Validate; configmap.go ParseMap (invalid entries skipped one by one)",
    data: {
      mapRoles: `- username: nobody\n  groups: [view-only]\n- rolearn: ${DEV}\n  sso:\n    permissionSetName: Dev\n    accountID: "${ACCOUNT}"\n  username: both\n${NODE_ENTRY}`,
    },
    roles: [[NODE, EC2_USERNAME, NODE_GROUPS]],
    problems: ["invalid-entry mapRoles#1", `invalid-entry mapRoles#2 ${DEV}`],
    says: ["needs one of rolearn or sso", "has both rolearn and sso"],
  },
  {
    rule: "a user needs a non-empty userarn",
    source: "mapper.go UserMapping.Validate",
    data: { mapUsers: `- username: a\n- userarn: ""\n  username: b\n${BREAKGLASS_ENTRY}` },
    users: [[BREAKGLASS, "breakglass-admin", ["system:masters"]]],
    problems: ["invalid-entry mapUsers#1", "invalid-entry mapUsers#2"],
    says: ["userarn must be supplied"],
  },
  {
    rule: "sso entries: accountID must be 12 digits, permissionSetName [\\w+=,.@-]{1,32}, partition a known one",
    source: "mapper.go RoleMapping.Validate",
    data: {
      mapRoles: [
        `- sso: {permissionSetName: Dev, accountID: "12345678901"}\n  username: a\n`,
        `- sso: {permissionSetName: "Has Space", accountID: "${ACCOUNT}"}\n  username: b\n`,
        `- sso: {permissionSetName: ${"P".repeat(33)}, accountID: "${ACCOUNT}"}\n  username: c\n`,
        `- sso: {permissionSetName: Dev, accountID: "${ACCOUNT}", partition: aws-mars}\n  username: d\n`,
        `- sso: {permissionSetName: Dev, accountID: ${ACCOUNT}}\n  username: e\n`,
      ].join(""),
    },
    problems: [
      "invalid-entry mapRoles#1",
      "invalid-entry mapRoles#2",
      "invalid-entry mapRoles#3",
      "invalid-entry mapRoles#4",
      "invalid-entry mapRoles#5",
      "type-mismatch mapRoles#5",
    ],
    says: [
      "sso.accountID '12345678901' is not a valid AWS Account ID",
      "sso.permissionSetName 'Has Space' is not a valid permission set name",
      "sso.partition 'aws-mars' is not a valid AWS partition",
      "sso.accountID: number 12345678901 is not a string",
    ],
  },
  {
    rule: "a valid sso entry is keyed by SSOArnLike and only works behind the SSO feature gate; an explicit partition makes it dead",
    source:
      "mapper.go SSOArnLike/Key (a non-empty partition yields 'arn::iam'), Matches (SSORoleMatchEnabled, off upstream); arnlike.go ArnLike (^section$)",
    data: {
      mapRoles: `- sso:\n    permissionSetName: ViewOnlyAccess\n    accountID: "${ACCOUNT}"\n  username: viewer\n  groups: [view-only]\n- sso:\n    permissionSetName: Admin\n    accountID: "${ACCOUNT}"\n    partition: aws\n  username: admin\n`,
    },
    roles: [[`sso:arn:aws:iam::${ACCOUNT}:role/awsreservedsso_viewonlyaccess_*`, "viewer", ["view-only"]]],
    problems: [
      `sso-feature-gate mapRoles#1 sso:arn:aws:iam::${ACCOUNT}:role/awsreservedsso_viewonlyaccess_*`,
      `dead-entry mapRoles#2 sso:arn::iam::${ACCOUNT}:role/awsreservedsso_admin_*`,
    ],
    says: ["sso.partition 'aws' makes the authenticator build the pattern arn::iam::"],
  },
  {
    rule: "two sso: spellings merge into one matcher, like a pointer decoded twice",
    source: "encoding/json decode.go (an object decodes into the struct a pointer already holds)",
    data: {
      mapRoles: `- SSO: {permissionSetName: Dev}\n  sso: {accountID: "${ACCOUNT}"}\n  username: dev\n`,
    },
    roles: [[`sso:arn:aws:iam::${ACCOUNT}:role/awsreservedsso_dev_*`, "dev", []]],
    problems: [`sso-feature-gate mapRoles#1 sso:arn:aws:iam::${ACCOUNT}:role/awsreservedsso_dev_*`],
  },

  // ---- Type mismatches ----------------------------------------------------------------------
  {
    rule: "groups: system:masters as a scalar leaves groups empty; the entry is kept",
    source:
      "encoding/json (a string does not fit []string: type error, field untouched); configmap.go keeps what parsed",
    data: { mapRoles: `- rolearn: ${DEV}\n  username: dev\n  groups: system:masters\n` },
    roles: [[DEV, "dev", []]],
    problems: [`type-mismatch mapRoles#1 ${DEV}`],
    says: ['groups: "system:masters" is not a list, so the field is empty'],
  },
  {
    rule: "an entry that is not a mapping is a type error and, with no ARN, dropped; a null entry is just dropped",
    source:
      "encoding/json (a string element of []RoleMapping is a type error; null is a no-op), mapper.go Validate",
    data: { mapRoles: `- just-a-string\n-\n${NODE_ENTRY}- rolearn: ${DEV}\n  username: [a, list]\n` },
    roles: [
      [DEV, "", []],
      [NODE, EC2_USERNAME, NODE_GROUPS],
    ],
    problems: [
      "type-mismatch mapRoles#1",
      "invalid-entry mapRoles#1",
      "invalid-entry mapRoles#2",
      `type-mismatch mapRoles#4 ${DEV}`,
    ],
  },
  {
    rule: "YAML 1.1 booleans and numbers in string fields and in groups become empty; quoted they are strings",
    source: "go-yaml v2 resolve.go (yes/on/… are !!bool, 012345678901 a number); encoding/json type errors",
    data: {
      mapRoles: `- rolearn: ${DEV}\n  username: on\n  groups: [yes, "yes", 0x1F, "012", 012345678901, team]\n- rolearn: ${NODE}\n  username: "on"\n`,
      mapUsers: `- userarn: ${BREAKGLASS}\n  username: 012345678901\n  groups: [system:masters]\n`,
    },
    roles: [
      [DEV, "", ["", "yes", "", "012", "", "team"]],
      [NODE, "on", []],
    ],
    users: [[BREAKGLASS, "", ["system:masters"]]],
    problems: [
      `type-mismatch mapRoles#1 ${DEV}`,
      `type-mismatch mapRoles#1 ${DEV}`,
      `type-mismatch mapRoles#1 ${DEV}`,
      `type-mismatch mapRoles#1 ${DEV}`,
      `type-mismatch mapUsers#1 ${BREAKGLASS}`,
    ],
    says: [
      "username: number 12345678901 is not a string",
      'groups: item number 31 is not a string, so it becomes ""',
    ],
  },
  {
    rule: "a rolearn that is a YAML boolean is no ARN: the entry is dropped",
    source: "go-yaml v2 resolve.go; encoding/json; mapper.go Validate",
    data: { mapRoles: "- rolearn: yes\n  username: x\n" },
    problems: ["type-mismatch mapRoles#1", "invalid-entry mapRoles#1"],
  },
  {
    rule: "1e400 overflows a float and stays a string; .inf or .nan anywhere make the whole section unparseable",
    source:
      "go-yaml v2 resolve.go (ParseFloat range error keeps the string); json.Marshal refuses NaN and ±Inf",
    data: {
      mapRoles: `- rolearn: ${DEV}\n  username: 1e400\n`,
      mapUsers: `${BREAKGLASS_ENTRY}  comment: .inf\n`,
    },
    sections: { mapUsers: "unparseable" },
    roles: [[DEV, "1e400", []]],
    says: ["json: unsupported value (NaN or Inf)"],
  },

  // ---- Duplicates ---------------------------------------------------------------------------
  {
    rule: "duplicate role ARNs (case-insensitive): the last entry wins outright, the shadowed one is reported",
    source: "issue #271; mapper.go RoleMapping.Key (strings.ToLower); configmap.go saveMap",
    data: {
      mapRoles: `${role(`arn:aws:iam::${ACCOUNT}:role/Admins`, "admin", ["system:masters"])}${role(`arn:aws:iam::${ACCOUNT}:role/admins`, "viewer", ["view-only"])}`,
    },
    roles: [[`arn:aws:iam::${ACCOUNT}:role/admins`, "viewer", ["view-only"]]],
    problems: [`shadowed-entry mapRoles#1 arn:aws:iam::${ACCOUNT}:role/Admins`],
    says: ["the last one wins outright (aws-iam-authenticator#271)"],
  },
  {
    rule: "exact duplicate user ARNs: the last one wins",
    source: "mapper.go UserMapping.Key (the ARN as written); configmap.go saveMap",
    data: { mapUsers: `${BREAKGLASS_ENTRY}${user(BREAKGLASS, "demoted", ["view-only"])}` },
    users: [[BREAKGLASS, "demoted", ["view-only"]]],
    problems: [`shadowed-entry mapUsers#1 ${BREAKGLASS}`],
  },
  {
    rule: "user ARNs that differ only in case are both kept and flagged ambiguous",
    source:
      "mapper.go UserMapping.Key (as written) and Matches (case-insensitive); configmap.go UserMapping (random map order)",
    data: {
      mapUsers: `${BREAKGLASS_ENTRY}${user(BREAKGLASS.replace("breakglass", "BreakGlass"), "bg-viewer", ["view-only"])}`,
    },
    users: [
      [BREAKGLASS.replace("breakglass", "BreakGlass"), "bg-viewer", ["view-only"]],
      [BREAKGLASS, "breakglass-admin", ["system:masters"]],
    ],
    problems: [
      `ambiguous-user mapUsers#1 ${BREAKGLASS}`,
      `ambiguous-user mapUsers#2 ${BREAKGLASS.replace("breakglass", "BreakGlass")}`,
    ],
    says: ["which one applies is random"],
  },

  // ---- ARNs that never match ----------------------------------------------------------------
  {
    rule: "a role ARN with a path never matches (the SSO aws-reserved form); the path-less AWSReservedSSO_X_Y works",
    source: "issue #268; arn.go Canonicalize (assumed-role → role/NAME, no path)",
    data: {
      mapRoles: `${role(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123456789abcdef`, "dev", ["dev"])}${role(`arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_Dev_0123456789abcdef`, "dev", ["dev"])}`,
    },
    roles: [[`arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_Dev_0123456789abcdef`, "dev", ["dev"]]],
    problems: [
      `dead-entry mapRoles#1 arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123456789abcdef`,
    ],
    says: ["role ARN has a path", "aws-iam-authenticator#268"],
  },
  {
    rule: "an STS assumed-role ARN never matches, in either section",
    source: "arn.go Canonicalize (callers are matched as arn:aws:iam::A:role/NAME)",
    data: {
      mapRoles: role(`arn:aws:sts::${ACCOUNT}:assumed-role/admin/jane`, "jane", ["system:masters"]),
      mapUsers: user(`arn:aws:sts::${ACCOUNT}:assumed-role/admin/joe`, "joe", []),
    },
    problems: [
      `dead-entry mapRoles#1 arn:aws:sts::${ACCOUNT}:assumed-role/admin/jane`,
      `dead-entry mapUsers#1 arn:aws:sts::${ACCOUNT}:assumed-role/admin/joe`,
    ],
    says: ["an STS assumed-role ARN never matches"],
  },
  {
    rule: "ARNs no caller ever has: instance profile, a region, an 11-digit account, a role path in mapUsers, not an ARN",
    source:
      "arn.go Canonicalize (only iam role/user/root and sts federated-user; empty region); server.go doMapping",
    data: {
      mapRoles: [
        role(`arn:aws:iam::${ACCOUNT}:instance-profile/my-node-profile`, EC2_USERNAME, NODE_GROUPS),
        role(`arn:aws:iam:eu-west-1:${ACCOUNT}:role/regional`, "regional", []),
        role("arn:aws:iam::12345678901:role/lost-zero", "lost-zero", []),
        role("my-node-role", "plain-name", []),
      ].join(""),
      mapUsers: user(`arn:aws:iam::${ACCOUNT}:role/team/ops`, "ops", []),
    },
    problems: [
      `dead-entry mapRoles#1 arn:aws:iam::${ACCOUNT}:instance-profile/my-node-profile`,
      `dead-entry mapRoles#2 arn:aws:iam:eu-west-1:${ACCOUNT}:role/regional`,
      "dead-entry mapRoles#3 arn:aws:iam::12345678901:role/lost-zero",
      "dead-entry mapRoles#4 my-node-role",
      `dead-entry mapUsers#1 arn:aws:iam::${ACCOUNT}:role/team/ops`,
    ],
    says: [
      '"iam:instance-profile" is not an identity the authenticator matches',
      'the ARN names a region ("eu-west-1")',
      'account "12345678901" is not a 12-digit AWS account ID',
      '"my-node-role" is not an ARN',
    ],
  },
  {
    rule: "federated users, root, users with a path, a user ARN in mapRoles and a role ARN in mapUsers all match",
    source:
      "arn.go Canonicalize (user, root, federated-user are kept as given); server.go doMapping (roles, then users, by canonical ARN)",
    data: {
      mapRoles: role(`arn:aws:iam::${ACCOUNT}:user/ci`, "ci", ["ci"]),
      mapUsers: [
        user(`arn:aws:sts::${ACCOUNT}:federated-user/bob`, "bob", ["dev"]),
        user(`arn:aws:iam::${ACCOUNT}:root`, "root", ["system:masters"]),
        user(`arn:aws:iam::${ACCOUNT}:user/division/alice`, "alice", ["dev"]),
        user(`arn:aws:iam::${ACCOUNT}:role/ops`, "ops", ["ops"]),
      ].join(""),
    },
    roles: [[`arn:aws:iam::${ACCOUNT}:user/ci`, "ci", ["ci"]]],
    users: [
      [`arn:aws:iam::${ACCOUNT}:role/ops`, "ops", ["ops"]],
      [`arn:aws:iam::${ACCOUNT}:root`, "root", ["system:masters"]],
      [`arn:aws:iam::${ACCOUNT}:user/division/alice`, "alice", ["dev"]],
      [`arn:aws:sts::${ACCOUNT}:federated-user/bob`, "bob", ["dev"]],
    ],
  },

  // ---- Templates ----------------------------------------------------------------------------
  {
    rule: "known templates render in the username and every group",
    source:
      "server.go renderTemplate ({{EC2PrivateDNSName}}, {{AccountID}}, {{SessionName}}, {{SessionNameRaw}}, {{AccessKeyID}})",
    data: {
      mapRoles: `${NODE_ENTRY}- rolearn: ${DEV}\n  username: "dev:{{AccountID}}:{{SessionName}}:{{SessionNameRaw}}:{{AccessKeyID}}"\n  groups: ["team-{{AccountID}}"]\n`,
    },
    roles: [
      [DEV, "dev:{{AccountID}}:{{SessionName}}:{{SessionNameRaw}}:{{AccessKeyID}}", ["team-{{AccountID}}"]],
      [NODE, EC2_USERNAME, NODE_GROUPS],
    ],
  },
  {
    rule: "an unknown template is not rendered: the entry works under the literal name and is flagged (reference notes say 'error at login': the source does not)",
    source: "server.go renderTemplate (only the five known templates are replaced; no error otherwise)",
    data: {
      mapRoles: `- rolearn: ${DEV}\n  username: "dev:{{Foo}}"\n  groups: ["team-{{SessionNme}}", system:masters]\n`,
    },
    roles: [[DEV, "dev:{{Foo}}", ["team-{{SessionNme}}", "system:masters"]]],
    problems: [`unrendered-template mapRoles#1 ${DEV}`],
    says: ["{{Foo}}, {{SessionNme}} is not a template the authenticator knows"],
  },
  {
    rule: "{{EC2PrivateDNSName}} on an IAM user never renders: access is denied",
    source:
      "token.go (users, root and federated users get no session name); server.go renderTemplate (needs an instance id)",
    data: { mapUsers: user(BREAKGLASS, "system:node:{{EC2PrivateDNSName}}", NODE_GROUPS) },
    problems: [`dead-entry mapUsers#1 ${BREAKGLASS}`],
    says: ["{{EC2PrivateDNSName}} needs an EC2 instance's session name"],
  },
  {
    rule: "an unquoted {{SessionName}} is a YAML flow mapping: mapRoles fails to parse and is dropped; mapUsers still loads",
    source: "go-yaml v2 decode.go mapping ('invalid map key'); reference notes",
    data: {
      mapRoles: `${NODE_ENTRY}- rolearn: ${SSO_ADMIN}\n  username: {{SessionName}}\n`,
      mapUsers: BREAKGLASS_ENTRY,
    },
    sections: { mapRoles: "unparseable" },
    users: [[BREAKGLASS, "breakglass-admin", ["system:masters"]]],
    says: ["invalid map key: a mapping used as a key"],
  },

  // ---- YAML the way go-yaml v2 and YAMLToJSON build it -------------------------------------------
  {
    rule: "a `<<` merge overwrites keys written before it and is overwritten by keys after it",
    source: "go-yaml v2 decode.go mapping/merge (merges decode into the map in document order)",
    data: {
      mapRoles: `- rolearn: ${DEV}\n  username: dev\n  groups: [view-only]\n  <<: {groups: [system:masters]}\n- <<: {rolearn: ${NODE}, username: overwritten}\n  username: ${EC2_USERNAME}\n  groups: [system:bootstrappers, system:nodes]\n`,
    },
    roles: [
      [DEV, "dev", ["system:masters"]],
      [NODE, EC2_USERNAME, NODE_GROUPS],
    ],
  },
  {
    rule: "a null or a sequence used as a key makes the section unparseable",
    source:
      "sigs.k8s.io/yaml convertToJSONableObject ('unsupported map key'); go-yaml v2 decode.go ('invalid map key')",
    data: { mapRoles: `${NODE_ENTRY}  ~: nothing\n`, mapUsers: `${BREAKGLASS_ENTRY}  [a, b]: c\n` },
    sections: { mapRoles: "unparseable", mapUsers: "unparseable" },
    says: ["Unsupported map key of type: <nil>", "invalid map key: a sequence used as a key"],
  },
  {
    rule: "only the first YAML document counts, even when a later one is broken",
    source: "go-yaml v2 yaml.Unmarshal (parses one document)",
    data: { mapRoles: `${NODE_ENTRY}---\n- rolearn: [broken\n` },
    roles: [[NODE, EC2_USERNAME, NODE_GROUPS]],
  },
  {
    rule: "JSON-encoded values (aws-cdk) parse like YAML",
    source: "k8s.io/apimachinery util/yaml ToJSON (no '{' prefix: YAMLToJSON; JSON is YAML)",
    data: {
      mapRoles: JSON.stringify([{ rolearn: NODE, username: EC2_USERNAME, groups: NODE_GROUPS }]),
      mapUsers: JSON.stringify(
        [{ userarn: BREAKGLASS, username: "breakglass-admin", groups: ["system:masters"] }],
        null,
        2,
      ),
      mapAccounts: JSON.stringify(["111122223333"]),
    },
    roles: [[NODE, EC2_USERNAME, NODE_GROUPS]],
    users: [[BREAKGLASS, "breakglass-admin", ["system:masters"]]],
    accounts: ["111122223333"],
  },

  // ---- mapAccounts --------------------------------------------------------------------------
  {
    rule: "mapAccounts is a []string: 012345678901 keeps its zero, yes stays yes, null is '', .nan is text; mappings and lists are skipped",
    source:
      "configmap.go ParseMap (yaml.Unmarshal into []string); go-yaml v2 decode.go scalar (a string gets node.value)",
    data: {
      mapAccounts: '- 012345678901\n- "111122223333"\n- yes\n- ~\n- {id: 1}\n- [2]\n- .nan\n- 012345678901\n',
    },
    accounts: ["", ".nan", "012345678901", "111122223333", "yes"],
    problems: ["type-mismatch mapAccounts#5", "type-mismatch mapAccounts#6"],
    says: ["item #5 is a mapping, not an account id; it is skipped"],
  },
  {
    rule: "mapAccounts as a flow list keeps the text too; a single value or a mapping is unparseable",
    source: "configmap.go ParseMap; go-yaml v2 decode.go",
    data: { mapAccounts: "[012345678901, 444455556666]", mapRoles: NODE_ENTRY },
    roles: [[NODE, EC2_USERNAME, NODE_GROUPS]],
    accounts: ["012345678901", "444455556666"],
  },
  {
    rule: "mapAccounts that is one account, not a list, is unparseable",
    source: "go-yaml v2 decode.go (a scalar does not fit []string)",
    data: { mapAccounts: "012345678901\n" },
    sections: { mapAccounts: "unparseable" },
  },
];

describe("aws-auth model: one row per authenticator rule", () => {
  it.each(ROWS)("$rule [$source]", (row) => {
    const model = parseAwsAuth(row.data);
    expect(summarize(model)).toEqual(expected(row));
    for (const words of row.says ?? []) expect(sentences(model)).toContain(words);
  });

  const BOOLEANS = ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"]
    .map((t) => [t, true])
    .concat(
      ["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"].map((t) => [t, false]),
    );

  it.each(BOOLEANS)(
    "YAML 1.1 boolean %s (%s) does not fit a string field or a group [go-yaml v2 resolve.go]",
    (text) => {
      const model = parseAwsAuth({
        mapRoles: `- rolearn: ${DEV}\n  username: ${text}\n  groups: [${text}, '${text}']\n`,
      });
      expect(summarize(model).roles).toEqual([[DEV, "", ["", text]]]);
      expect(model.problems.map((p) => p.kind)).toEqual(["type-mismatch", "type-mismatch"]);
    },
  );

  it.each(["yEs", "oN", "nO!", "Yes please", "t", "f", "1-2", "0x", "12:30:00", "2001-12-14"])(
    "%s is not a YAML 1.1 boolean, number or null: it stays a string [go-yaml v2 resolve.go]",
    (text) => {
      const model = parseAwsAuth({ mapRoles: `- rolearn: ${DEV}\n  username: ${text}\n` });
      expect(summarize(model).roles).toEqual([[DEV, text, []]]);
      expect(model.problems).toEqual([]);
    },
  );
});

describe("the authenticator's own fixtures (pkg/mapper/configmap/yaml, yaml_test.go)", () => {
  const dir = new URL("../fixtures/aws-auth/authenticator/", import.meta.url);
  const load = (name: string) => parseConfigMapManifest(readFileSync(new URL(name, dir), "utf8"));
  const modelOf = (name: string) => {
    const manifest = load(name);
    if (!manifest.ok) throw new Error(manifest.error);
    return parseAwsAuth(manifest.configMap.data);
  };
  const NODE_555 = "arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6";
  const VALID: Summary = {
    sections: { mapRoles: "parsed", mapUsers: "parsed", mapAccounts: "parsed" },
    roles: [[NODE_555, EC2_USERNAME, NODE_GROUPS]],
    users: [["arn:aws:iam::555555555555:user/admin", "admin", ["system:masters"]]],
    accounts: ["555555555555"],
    problems: [],
  };

  it.each(["aws-auth.yaml", "aws-auth-crazy-case-keys.yaml", "aws-auth-open-source-case-keys.yaml"])(
    "%s: the valid mappings (RoLeArN and roleARN are rolearn)",
    (name) => {
      expect(summarize(modelOf(name))).toEqual(VALID);
    },
  );

  it("aws-auth-space-out-of-place.yaml: groups becomes the one string 'system:bootstrappers - system:nodes'", () => {
    const model = modelOf("aws-auth-space-out-of-place.yaml");
    expect(summarize(model)).toEqual({
      ...VALID,
      roles: [[NODE_555, EC2_USERNAME, ["system:bootstrappers - system:nodes"]]],
    });
    // Still a node entry by its username, but it lost system:nodes.
    expect(nodeKindOf(model.roles[0] ?? { username: "", groups: [] })).toBe("ec2");
    expect(model.roles[0]?.groups).not.toContain("system:nodes");
  });

  it.each(["aws-auth-lower-case-top-keys.yaml", "aws-auth-crazy-case-top-keys.yaml"])(
    "%s: top-level keys are case-sensitive, nothing is mapped, every key is reported",
    (name) => {
      const model = modelOf(name);
      expect(summarize(model)).toMatchObject({
        sections: { mapRoles: "absent", mapUsers: "absent", mapAccounts: "absent" },
        roles: [],
        users: [],
        accounts: [],
      });
      expect(model.problems.map((p) => p.kind)).toEqual(["ignored-key", "ignored-key", "ignored-key"]);
    },
  );

  it("aws-auth-missing-bar.yaml: mapRoles is not a string, so the API server refuses the ConfigMap", () => {
    expect(load("aws-auth-missing-bar.yaml")).toEqual({
      ok: false,
      error: "ConfigMap data.mapRoles is not a string",
    });
  });
});

describe("the lab recordings (test/fixtures/audit/lab, copied to test/fixtures/aws-auth/lab-versions.json)", () => {
  const lab = JSON.parse(
    readFileSync(new URL("../fixtures/aws-auth/lab-versions.json", import.meta.url), "utf8"),
  ) as Record<"s02" | "s03" | "s04", { data: Record<string, string> }>;
  const ADMIN: Mapping = [SSO_ADMIN, "sso-admin:{{SessionName}}", ["system:masters"]];
  const USERS: Mapping[] = [[BREAKGLASS, "breakglass-admin", ["system:masters"]]];

  it("s02 (eks:node-manager, unquoted): node and SSO admin roles, the break-glass user, no accounts, no Fargate", () => {
    expect(summarize(parseAwsAuth(lab.s02.data))).toEqual({
      sections: { mapRoles: "parsed", mapUsers: "parsed", mapAccounts: "parsed" },
      roles: [ADMIN, [NODE, EC2_USERNAME, NODE_GROUPS]],
      users: USERS,
      accounts: [],
      problems: [],
    });
  });

  it("s03 (unquoted) and s04 (quoted, groups reordered): the same three roles, Fargate included", () => {
    const s03 = summarize(parseAwsAuth(lab.s03.data));
    expect(s03.roles).toEqual([
      ADMIN,
      [
        FARGATE,
        "system:node:{{SessionName}}",
        ["system:bootstrappers", "system:node-proxier", "system:nodes"],
      ],
      [NODE, EC2_USERNAME, NODE_GROUPS],
    ]);
    const s04 = summarize(parseAwsAuth(lab.s04.data));
    expect(s04.roles[1]).toEqual([
      FARGATE,
      "system:node:{{SessionName}}",
      ["system:bootstrappers", "system:nodes", "system:node-proxier"],
    ]);
    expect(s04.users).toEqual(USERS);
    expect(s04.problems).toEqual([]);
  });
});

describe("nodeKindOf (EKS user guide: node, Fargate and Hybrid Nodes entries)", () => {
  it.each([
    ["EC2 worker node", EC2_USERNAME, NODE_GROUPS, "ec2"],
    ["Windows node", EC2_USERNAME, [...NODE_GROUPS, "eks:kube-proxy-windows"], "ec2"],
    [
      "Fargate pod execution role",
      "system:node:{{SessionName}}",
      [...NODE_GROUPS, "system:node-proxier"],
      "fargate",
    ],
    [
      "Fargate role whatever the group order",
      "system:node:{{SessionName}}",
      ["system:node-proxier", "system:nodes"],
      "fargate",
    ],
    [
      "Hybrid Nodes role ({{SessionName}} without node-proxier)",
      "system:node:{{SessionName}}",
      NODE_GROUPS,
      "ec2",
    ],
    ["node username that lost its groups", EC2_USERNAME, [], "ec2"],
    ["system:nodes under another username", "custom", ["system:nodes"], "ec2"],
    ["an administrator", "admin", ["system:masters"], undefined],
    ["bootstrappers alone", "bootstrap", ["system:bootstrappers"], undefined],
  ] as const)("%s → %s", (_name, username, groups, kind) => {
    expect(nodeKindOf({ username, groups: [...groups] })).toBe(kind);
  });
});

describe("mappingAccount", () => {
  it("is the account of the role, the user, or the sso matcher", () => {
    const model = parseAwsAuth({
      mapRoles: `${role("arn:aws:iam::999988887777:role/partner", "p", [])}- sso: {permissionSetName: Dev, accountID: "111122223333"}\n  username: dev\n`,
      mapUsers: user(BREAKGLASS, "bg", []),
    });
    expect(model.roles.map(mappingAccount)).toEqual(["999988887777", "111122223333"]);
    expect(model.users.map(mappingAccount)).toEqual([ACCOUNT]);
  });
});
