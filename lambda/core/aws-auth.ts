/**
 * The aws-auth ConfigMap as aws-iam-authenticator sees it: which role, user and account mappings
 * are in force, and what the authenticator silently dropped or will never match.
 *
 * Sources (kubernetes-sigs/aws-iam-authenticator): `pkg/mapper/configmap/configmap.go` (ParseMap,
 * saveMap), `pkg/config/types.go` and `mapper.go` (Validate, Key, Matches), `pkg/server/server.go`
 * (templates, canonical ARN lookup). Every rule here is pinned by a test in
 * `test/core/aws-auth.test.ts` that names its source.
 */
import yaml from "js-yaml";
import { accountOf, parseArn, roleArnHasPath } from "./arn.js";
import { parseGoYaml, type YamlValue } from "./yaml11.js";

export const SECTION_NAMES = ["mapRoles", "mapUsers", "mapAccounts"] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export type SectionStatus = "absent" | "empty" | "parsed" | "unparseable";

export interface SectionState {
  status: SectionStatus;
  /** The parser's message when the section is unparseable. */
  error?: string;
}

export interface SsoMatcher {
  permissionSetName: string;
  accountID: string;
  partition: string;
}

export interface RoleMapping {
  /** Lower-cased ARN, or `sso:` + the lower-cased ARN pattern: the authenticator's map key. */
  key: string;
  rolearn: string;
  sso?: SsoMatcher;
  username: string;
  groups: string[];
  /** Position of the entry in mapRoles (0-based), for humans. */
  index: number;
}

export interface UserMapping {
  /** The ARN as written: user entries are keyed case-sensitively. */
  key: string;
  userarn: string;
  username: string;
  groups: string[];
  index: number;
}

export const PROBLEM_KINDS = [
  "invalid-entry",
  "type-mismatch",
  "dead-entry",
  "shadowed-entry",
  "ambiguous-user",
  "ignored-key",
  "sso-feature-gate",
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

/** Something the authenticator drops, ignores or never matches. */
export interface EntryProblem {
  kind: ProblemKind;
  section: SectionName | "data";
  /** Entry position, when the problem is about one entry. */
  index?: number;
  /** The ARN (or key) concerned, when there is one. */
  subject?: string;
  message: string;
}

export interface AwsAuthModel {
  sections: Record<SectionName, SectionState>;
  /** Effective role mappings, one per key (last entry wins), sorted by key. */
  roles: RoleMapping[];
  /** Effective user mappings, one per ARN as written, sorted by key. */
  users: UserMapping[];
  /** Accounts whose every principal authenticates, sorted, unique. */
  accounts: string[];
  problems: EntryProblem[];
}

const KNOWN_TEMPLATES = new Set([
  "EC2PrivateDNSName",
  "AccountID",
  "SessionName",
  "SessionNameRaw",
  "AccessKeyID",
]);
const TEMPLATE = /\{\{([^}]*)\}\}/g;

type JsonObject = { [key: string]: YamlValue };

function isObject(value: YamlValue | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === "object" && !Array.isArray(value);
}

function hasNonFiniteNumber(value: YamlValue): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (Array.isArray(value)) return value.some(hasNonFiniteNumber);
  if (isObject(value)) return Object.values(value).some(hasNonFiniteNumber);
  return false;
}

interface FieldReader {
  problems: string[];
}

/**
 * Go's `encoding/json` into a struct: keys match field names case-insensitively, in the order
 * `YAMLToJSON` emits them (sorted), so a later spelling of the same field wins.
 */
function fieldValues(object: JsonObject): Map<string, YamlValue> {
  const byField = new Map<string, YamlValue>();
  for (const key of Object.keys(object).sort()) byField.set(key.toLowerCase(), object[key] as YamlValue);
  return byField;
}

/** A Go `string` field: null leaves it empty, a non-string is a type error that leaves it empty. */
function readString(fields: Map<string, YamlValue>, name: string, reader: FieldReader): string {
  const value = fields.get(name.toLowerCase());
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  reader.problems.push(`${name}: ${describeYaml(value)} is not a string, so the field is empty`);
  return "";
}

/** A Go `[]string` field: a non-list is a type error (empty); non-string items become "". */
function readStrings(fields: Map<string, YamlValue>, name: string, reader: FieldReader): string[] {
  const value = fields.get(name.toLowerCase());
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    reader.problems.push(`${name}: ${describeYaml(value)} is not a list, so the field is empty`);
    return [];
  }
  return value.map((item) => {
    if (item === null) return "";
    if (typeof item === "string") return item;
    reader.problems.push(`${name}: item ${describeYaml(item)} is not a string, so it becomes ""`);
    return "";
  });
}

function describeYaml(value: YamlValue): string {
  if (Array.isArray(value)) return "a list";
  if (isObject(value)) return "a mapping";
  if (typeof value === "boolean") return `boolean ${value} (YAML 1.1 reads yes/no/on/off as booleans)`;
  if (typeof value === "number") return `number ${value}`;
  return JSON.stringify(value);
}

function unknownTemplates(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((m) => m[1] ?? "").filter((name) => !KNOWN_TEMPLATES.has(name));
}

/** Why an entry that the authenticator keeps can still never grant access, or undefined. */
function deadReason(arn: string, username: string, groups: string[], isRole: boolean): string | undefined {
  const parsed = parseArn(arn);
  if (!parsed) return `"${arn}" is not an ARN, so no caller can match it`;
  if (isRole && roleArnHasPath(arn)) {
    return "role ARN has a path; the authenticator matches the caller's canonical ARN, which never has one (aws-iam-authenticator#268)";
  }
  if (parsed.service === "sts") {
    return "an STS assumed-role ARN never matches: callers are matched by their canonical arn:aws:iam::ACCOUNT:role/NAME";
  }
  const unknown = [username, ...groups].flatMap(unknownTemplates);
  if (unknown.length > 0) {
    return `unknown template ${unknown.map((t) => `{{${t}}}`).join(", ")}: rendering fails at login and access is denied`;
  }
  return undefined;
}

interface SectionParse {
  state: SectionState;
  entries: YamlValue[];
}

function parseListSection(data: Record<string, string>, name: SectionName): SectionParse {
  const text = data[name];
  if (text === undefined) return { state: { status: "absent" }, entries: [] };
  if (text.trim() === "") return { state: { status: "empty" }, entries: [] };
  const parsed = parseGoYaml(text);
  if (!parsed.ok) return { state: { status: "unparseable", error: parsed.error }, entries: [] };
  if (hasNonFiniteNumber(parsed.value)) {
    return { state: { status: "unparseable", error: "json: unsupported value (NaN or Inf)" }, entries: [] };
  }
  if (parsed.value === null) return { state: { status: "empty" }, entries: [] };
  if (!Array.isArray(parsed.value)) {
    return {
      state: {
        status: "unparseable",
        error: `${describeYaml(parsed.value)} where a list of entries is expected`,
      },
      entries: [],
    };
  }
  return { state: { status: "parsed" }, entries: parsed.value };
}

function ssoKey(sso: SsoMatcher): string {
  // Mirrors RoleMapping.SSOArnLike(), including its handling of the partition.
  const partition = sso.partition === "" ? "aws" : "";
  return `sso:arn:${partition}:iam::${sso.accountID}:role/awsreservedsso_${sso.permissionSetName}_*`.toLowerCase();
}

function validateSso(sso: SsoMatcher): string | undefined {
  if (!/^[0-9]{12}$/.test(sso.accountID))
    return `sso.accountID '${sso.accountID}' is not a valid AWS Account ID`;
  if (!/^[\w+=,.@-]{1,32}$/.test(sso.permissionSetName)) {
    return `sso.permissionSetName '${sso.permissionSetName}' is not a valid permission set name`;
  }
  if (!["", "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"].includes(sso.partition)) {
    return `sso.partition '${sso.partition}' is not a valid AWS partition`;
  }
  return undefined;
}

function readSso(fields: Map<string, YamlValue>, reader: FieldReader): SsoMatcher | undefined {
  const value = fields.get("sso");
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    reader.problems.push(`sso: ${describeYaml(value)} is not a mapping, so the field is empty`);
    return undefined;
  }
  const ssoFields = fieldValues(value);
  return {
    permissionSetName: readString(ssoFields, "permissionSetName", reader),
    accountID: readString(ssoFields, "accountID", reader),
    partition: readString(ssoFields, "partition", reader),
  };
}

function parseRoles(entries: YamlValue[], problems: EntryProblem[]): RoleMapping[] {
  const byKey = new Map<string, RoleMapping>();
  entries.forEach((entry, index) => {
    const reader: FieldReader = { problems: [] };
    if (!isObject(entry)) reader.problems.push(`entry is ${describeYaml(entry)}, not a mapping`);
    const fields = isObject(entry) ? fieldValues(entry) : new Map<string, YamlValue>();
    const rolearn = readString(fields, "rolearn", reader);
    const sso = readSso(fields, reader);
    const username = readString(fields, "username", reader);
    const groups = readStrings(fields, "groups", reader);
    for (const message of reader.problems) {
      problems.push({
        kind: "type-mismatch",
        section: "mapRoles",
        index,
        subject: rolearn || undefined,
        message,
      });
    }
    const invalid =
      rolearn === "" && sso === undefined
        ? "needs one of rolearn or sso"
        : rolearn !== "" && sso !== undefined
          ? "has both rolearn and sso; only one may be given"
          : sso
            ? validateSso(sso)
            : undefined;
    if (invalid) {
      problems.push({
        kind: "invalid-entry",
        section: "mapRoles",
        index,
        subject: rolearn || undefined,
        message: `entry #${index + 1} is dropped: ${invalid}`,
      });
      return;
    }
    const key = sso ? ssoKey(sso) : rolearn.toLowerCase();
    const previous = byKey.get(key);
    if (previous) {
      problems.push({
        kind: "shadowed-entry",
        section: "mapRoles",
        index: previous.index,
        subject: previous.rolearn || key,
        message: `entry #${previous.index + 1} is overridden by entry #${index + 1} for the same role (case-insensitive); the last one wins outright (aws-iam-authenticator#271)`,
      });
    }
    byKey.set(key, { key, rolearn, ...(sso ? { sso } : {}), username, groups, index });
  });
  return [...byKey.values()];
}

function parseUsers(entries: YamlValue[], problems: EntryProblem[]): UserMapping[] {
  const byKey = new Map<string, UserMapping>();
  entries.forEach((entry, index) => {
    const reader: FieldReader = { problems: [] };
    if (!isObject(entry)) reader.problems.push(`entry is ${describeYaml(entry)}, not a mapping`);
    const fields = isObject(entry) ? fieldValues(entry) : new Map<string, YamlValue>();
    const userarn = readString(fields, "userarn", reader);
    const username = readString(fields, "username", reader);
    const groups = readStrings(fields, "groups", reader);
    for (const message of reader.problems) {
      problems.push({
        kind: "type-mismatch",
        section: "mapUsers",
        index,
        subject: userarn || undefined,
        message,
      });
    }
    if (userarn === "") {
      problems.push({
        kind: "invalid-entry",
        section: "mapUsers",
        index,
        message: `entry #${index + 1} is dropped: userarn must be supplied`,
      });
      return;
    }
    const previous = byKey.get(userarn);
    if (previous) {
      problems.push({
        kind: "shadowed-entry",
        section: "mapUsers",
        index: previous.index,
        subject: userarn,
        message: `entry #${previous.index + 1} is overridden by entry #${index + 1} for the same user ARN; the last one wins`,
      });
    }
    byKey.set(userarn, { key: userarn, userarn, username, groups, index });
  });
  return [...byKey.values()];
}

/** mapAccounts is decoded by go-yaml v2 straight into []string: scalars keep their text as written. */
function parseAccounts(
  data: Record<string, string>,
  problems: EntryProblem[],
): SectionParse & { accounts: string[] } {
  const section = parseListSection(data, "mapAccounts");
  if (section.state.status !== "parsed") return { ...section, accounts: [] };
  const texts = accountTexts(data.mapAccounts ?? "");
  const accounts: string[] = [];
  section.entries.forEach((entry, index) => {
    if (Array.isArray(entry) || isObject(entry)) {
      problems.push({
        kind: "type-mismatch",
        section: "mapAccounts",
        index,
        message: `item #${index + 1} is ${describeYaml(entry)}, not an account id; it is skipped`,
      });
      return;
    }
    accounts.push(entry === null ? "" : (texts[index] ?? String(entry)));
  });
  return { ...section, accounts };
}

/** The items' source text: go-yaml sets a string field to the scalar as written (`012…` keeps its zero). */
function accountTexts(text: string): Array<string | undefined> {
  const literal = parseGoYamlFailsafe(text);
  return Array.isArray(literal) ? literal.map((item) => (typeof item === "string" ? item : undefined)) : [];
}

function parseGoYamlFailsafe(text: string): unknown {
  try {
    return yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA, json: true });
  } catch {
    return undefined;
  }
}

function markDeadEntries<T extends { key: string; username: string; groups: string[]; index: number }>(
  mappings: T[],
  arnOf: (m: T) => string,
  section: "mapRoles" | "mapUsers",
  problems: EntryProblem[],
): T[] {
  return mappings.filter((mapping) => {
    if (section === "mapRoles" && (mapping as unknown as RoleMapping).sso) return true;
    const reason = deadReason(arnOf(mapping), mapping.username, mapping.groups, section === "mapRoles");
    if (reason === undefined) return true;
    problems.push({
      kind: "dead-entry",
      section,
      index: mapping.index,
      subject: arnOf(mapping),
      message: `entry #${mapping.index + 1} can never grant access: ${reason}`,
    });
    return false;
  });
}

function flagAmbiguousUsers(users: UserMapping[], problems: EntryProblem[]): void {
  const byFolded = new Map<string, UserMapping[]>();
  for (const user of users) {
    const folded = user.userarn.toLowerCase();
    byFolded.set(folded, [...(byFolded.get(folded) ?? []), user]);
  }
  for (const group of byFolded.values()) {
    if (group.length < 2) continue;
    for (const user of group) {
      problems.push({
        kind: "ambiguous-user",
        section: "mapUsers",
        index: user.index,
        subject: user.userarn,
        message: `user ARNs ${group.map((u) => u.userarn).join(" and ")} differ only in case; the authenticator keeps both and which one applies is random`,
      });
    }
  }
}

function flagIgnoredKeys(data: Record<string, string>, problems: EntryProblem[]): void {
  for (const key of Object.keys(data)) {
    const meant = SECTION_NAMES.find((name) => name.toLowerCase() === key.toLowerCase());
    if (meant && meant !== key) {
      problems.push({
        kind: "ignored-key",
        section: "data",
        subject: key,
        message: `data key "${key}" is ignored: top-level keys are case-sensitive (did you mean "${meant}"?)`,
      });
    }
  }
}

const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** What the authenticator would load from this ConfigMap `data`. Total: never throws. */
export function parseAwsAuth(data: Record<string, string> | undefined): AwsAuthModel {
  const source = data ?? {};
  const problems: EntryProblem[] = [];
  flagIgnoredKeys(source, problems);

  const rolesSection = parseListSection(source, "mapRoles");
  const usersSection = parseListSection(source, "mapUsers");
  const accountsSection = parseAccounts(source, problems);

  const allRoles = parseRoles(rolesSection.entries, problems);
  const allUsers = parseUsers(usersSection.entries, problems);
  flagAmbiguousUsers(allUsers, problems);
  const roles = markDeadEntries(allRoles, (r) => r.rolearn, "mapRoles", problems).sort(byKey);
  const users = markDeadEntries(allUsers, (u) => u.userarn, "mapUsers", problems).sort(byKey);
  for (const role of roles) {
    if (role.sso) {
      problems.push({
        kind: "sso-feature-gate",
        section: "mapRoles",
        index: role.index,
        subject: role.key,
        message: `entry #${role.index + 1} (sso) matches only when the authenticator's SSO feature gate is on; upstream it is off`,
      });
    }
  }

  return {
    sections: {
      mapRoles: rolesSection.state,
      mapUsers: usersSection.state,
      mapAccounts: accountsSection.state,
    },
    roles,
    users,
    accounts: [...new Set(accountsSection.accounts)].sort(),
    problems,
  };
}

export const NODE_GROUPS = new Set(["system:bootstrappers", "system:nodes", "system:node-proxier"]);
export const MASTERS_GROUP = "system:masters";

export type NodeKind = "ec2" | "fargate";

/**
 * Which kind of node an entry serves. Worker nodes use `system:node:{{EC2PrivateDNSName}}`, Fargate
 * pod-execution roles `system:node:{{SessionName}}` and `system:node-proxier` (EKS user guide).
 */
export function nodeKindOf(mapping: { username: string; groups: string[] }): NodeKind | undefined {
  const nodeLike = mapping.username.startsWith("system:node:") || mapping.groups.includes("system:nodes");
  if (!nodeLike) return undefined;
  return mapping.username.includes("{{SessionName}}") || mapping.groups.includes("system:node-proxier")
    ? "fargate"
    : "ec2";
}

/** The account of the principal a mapping grants, when it names one. */
export function mappingAccount(mapping: RoleMapping | UserMapping): string | undefined {
  if ("rolearn" in mapping) return mapping.sso ? mapping.sso.accountID : accountOf(mapping.rolearn);
  return accountOf(mapping.userarn);
}
