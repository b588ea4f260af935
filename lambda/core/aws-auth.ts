/**
 * The aws-auth ConfigMap as aws-iam-authenticator sees it: which role, user and account mappings
 * are in force, and what the authenticator silently dropped or will never match.
 *
 * Sources (kubernetes-sigs/aws-iam-authenticator): `pkg/mapper/configmap/configmap.go` (ParseMap,
 * saveMap), `pkg/config/types.go` and `mapper.go` (Validate, Key, Matches), `pkg/arn/arn.go`
 * (Canonicalize), `pkg/token/token.go` (session names), `pkg/server/server.go` (templates, lookup).
 * Decoding follows Go's `encoding/json` into those structs (`decode.go` object/array/literalStore,
 * `fold.go`). Every rule here is pinned by a test in `test/core/aws-auth.test.ts` that names its
 * source.
 */
import { accountOf, canonicalizeCaller, goEqualFold, parseArn } from "./arn.js";
import { decodeGoStringList, type YamlValue, yamlToJson } from "./yaml11.js";

export const SECTION_NAMES = ["mapRoles", "mapUsers", "mapAccounts"] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export type SectionStatus = "absent" | "empty" | "parsed" | "unparseable";

export interface SectionState {
  status: SectionStatus;
  /** The parser's message when the section is unparseable. */
  error?: string;
  /** How many entries (items for mapAccounts) the authenticator decoded, valid or not. */
  entries?: number;
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
  /** `{{Name}}` the authenticator does not render: it stays in the username or group as written. */
  "unrendered-template",
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
  /**
   * Every entry the authenticator keeps and looks callers up in (valid, the last one per key),
   * dead ones included, in section order: what `resolveCaller` searches.
   */
  lookup: { roles: RoleMapping[]; users: UserMapping[] };
}

const KNOWN_TEMPLATES = new Set([
  "EC2PrivateDNSName",
  "AccountID",
  "SessionName",
  "SessionNameRaw",
  "AccessKeyID",
]);

type JsonObject = { [key: string]: YamlValue };

function isObject(value: YamlValue | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === "object" && !Array.isArray(value);
}

function describeYaml(value: YamlValue): string {
  if (Array.isArray(value)) return "a list";
  if (isObject(value)) return "a mapping";
  if (typeof value === "boolean") return `boolean ${value} (YAML 1.1 reads yes/no/on/off as booleans)`;
  if (typeof value === "number") return `number ${value}`;
  return JSON.stringify(value);
}

// ---- Go encoding/json into the authenticator's structs ---------------------------------------

type GoFieldKind = "string" | "strings" | "struct";

interface GoField {
  name: string;
  kind: GoFieldKind;
  fields?: GoFields;
}

/** The struct's JSON field names (pkg/config/types.go tags), by folded name. */
type GoFields = Map<string, GoField>;

interface GoStruct {
  values: Map<string, string | string[] | GoStruct>;
}

interface DecodeReport {
  typeErrors: string[];
  unknownKeys: string[];
}

/**
 * Go's case folding for field names (`encoding/json` fold.go: a key matches a field when
 * `bytes.EqualFold` says so): ASCII letters fold to lower case, and so do the two non-ASCII runes
 * whose fold set holds an ASCII letter, U+017F (long s) and U+212A (Kelvin sign).
 */
function goFold(key: string): string {
  if (!FOLDABLE.test(key)) return key;
  return key.replace(/[A-Z\u017f\u212a]/g, (c) =>
    c === "\u017f" ? "s" : c === "\u212a" ? "k" : c.toLowerCase(),
  );
}

const FOLDABLE = /[A-Z\u017f\u212a]/;
const NON_ASCII = /[\u0080-\uffff]/;

/** Go's `strings.ToLower` for the characters where JavaScript's `toLowerCase` differs. */
function goLower(text: string): string {
  // ASCII folds the same either way; beyond it, lower each code point on its own (no final sigma).
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  return [...text].map((c) => (c === "\u0130" ? "i" : c.toLowerCase())).join("");
}

function fieldsOf(spec: Array<[string, GoFieldKind, GoFields?]>): GoFields {
  return new Map(
    spec.map(([name, kind, fields]) => [goFold(name), { name, kind, ...(fields ? { fields } : {}) }]),
  );
}

const SSO_FIELDS = fieldsOf([
  ["permissionSetName", "string"],
  ["accountID", "string"],
  ["partition", "string"],
]);
// pkg/config/types.go:46-80 (v0.7.18): both structs also carry `userid`, which nothing reads.
const ROLE_FIELDS = fieldsOf([
  ["rolearn", "string"],
  ["sso", "struct", SSO_FIELDS],
  ["username", "string"],
  ["groups", "strings"],
  ["userid", "string"],
]);
const USER_FIELDS = fieldsOf([
  ["userarn", "string"],
  ["username", "string"],
  ["groups", "strings"],
  ["userid", "string"],
]);

/** Go's `sort.Strings` order (bytes of UTF-8, i.e. code points), which `json.Marshal` gives map keys. */
function compareGoStrings(a: string, b: string): number {
  // UTF-16 order is code-point order up to the first differing unit when both are below the
  // surrogates; anything else (surrogates, one string a prefix of the other) takes the long way.
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    const p = a.charCodeAt(i);
    const q = b.charCodeAt(i);
    if (p === q) continue;
    if (p < 0xd800 && q < 0xd800) return p - q;
    break;
  }
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * `json.Unmarshal` of one JSON object into a struct. `YAMLToJSON` emits keys sorted, so the
 * decoder sees them in that order and a later spelling of a field overwrites an earlier one, with
 * Go's rules: `null` leaves a string as it was and resets a list or a pointer; a value of the wrong
 * type is a type error that leaves the field as it was; a list decodes into the previous list's
 * elements, so a `null` or mistyped item keeps the item an earlier spelling had at that position
 * (`decode.go` array); a mapping for a pointer to a struct decodes into the struct already there.
 */
function decodeStruct(
  object: JsonObject,
  fields: GoFields,
  report: DecodeReport,
  into: GoStruct = { values: new Map() },
  prefix = "",
): GoStruct {
  const keys = Object.keys(object);
  // Insertion sort: an entry has a handful of keys, and Array#sort allocates for each call.
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && compareGoStrings(keys[j] as string, key) > 0) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  for (const key of keys) {
    // A key spelled as its field's folded name is that name folded (the usual, lower-case one).
    const field = fields.get(key) ?? fields.get(goFold(key));
    if (!field) {
      report.unknownKeys.push(`${prefix}${key}`);
      continue;
    }
    const value = object[key] as YamlValue;
    const previous = into.values.get(field.name);
    if (field.kind === "string") {
      if (value === null) continue;
      if (typeof value === "string") into.values.set(field.name, value);
      else
        report.typeErrors.push(
          `${prefix}${field.name}: ${describeYaml(value)} is not a string, ${kept(previous)}`,
        );
    } else if (field.kind === "strings") {
      if (value === null) into.values.delete(field.name);
      else if (!Array.isArray(value))
        report.typeErrors.push(
          `${prefix}${field.name}: ${describeYaml(value)} is not a list, ${kept(previous)}`,
        );
      else {
        const before = Array.isArray(previous) ? previous : [];
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) {
          const item = value[i] as YamlValue;
          if (typeof item === "string") items.push(item);
          else {
            if (item !== null) {
              report.typeErrors.push(
                `${prefix}${field.name}: item ${describeYaml(item)} is not a string, so it becomes ""`,
              );
            }
            items.push(before[i] ?? "");
          }
        }
        into.values.set(field.name, items);
      }
    } else if (value === null) {
      into.values.delete(field.name);
    } else if (!isObject(value)) {
      report.typeErrors.push(
        `${prefix}${field.name}: ${describeYaml(value)} is not a mapping, ${kept(previous)}`,
      );
    } else {
      const struct = previous !== undefined && !Array.isArray(previous) && typeof previous !== "string";
      into.values.set(
        field.name,
        decodeStruct(
          value,
          field.fields ?? new Map(),
          report,
          struct ? previous : undefined,
          `${prefix}${field.name}.`,
        ),
      );
    }
  }
  return into;
}

/** What a type error leaves in the field, for its message. */
function kept(previous: unknown): string {
  return previous === undefined ? "so the field is empty" : "so the field keeps an earlier spelling's value";
}

function stringField(struct: GoStruct, name: string): string {
  const value = struct.values.get(name);
  return typeof value === "string" ? value : "";
}

function stringsField(struct: GoStruct, name: string): string[] {
  const value = struct.values.get(name);
  return Array.isArray(value) ? value : [];
}

/** One element of `[]RoleMapping`/`[]UserMapping`: anything but a JSON object is a type error. */
function decodeEntry(entry: YamlValue, fields: GoFields, report: DecodeReport): GoStruct {
  if (isObject(entry)) return decodeStruct(entry, fields, report);
  // A null element decodes to the zero struct without error (`literalStore`: null is a no-op).
  if (entry !== null) report.typeErrors.push(`entry is ${describeYaml(entry)}, not a mapping`);
  return { values: new Map() };
}

function entryProblems(
  report: DecodeReport,
  section: "mapRoles" | "mapUsers",
  index: number,
  subject: string,
  known: string,
  problems: EntryProblem[],
): void {
  for (const message of report.typeErrors) {
    problems.push({ kind: "type-mismatch", section, index, ...(subject ? { subject } : {}), message });
  }
  for (const key of report.unknownKeys) {
    problems.push({
      kind: "ignored-key",
      section,
      index,
      ...(subject ? { subject } : {}),
      message: `entry #${index + 1}: key "${key}" is not one the authenticator reads (${known}); it is ignored`,
    });
  }
}

// ---- What never matches ---------------------------------------------------------------------

/**
 * Adds to `unknown` the names in `text` that are not known templates and not in it yet, in order;
 * the list is made when the first one is found.
 */
function unknownTemplates(text: string, unknown: string[] | undefined): string[] | undefined {
  // The matches of /\{\{([^}]*)\}\}/g, left to right: "{{", then everything up to the first "}", which must
  // start "}}"; where that fails, the search goes on from the next character.
  let open = text.indexOf("{{");
  while (open >= 0) {
    const close = text.indexOf("}", open + 2);
    if (close < 0) break;
    if (text.charCodeAt(close + 1) === 0x7d) {
      const name = text.slice(open + 2, close);
      if (!KNOWN_TEMPLATES.has(name) && !unknown?.includes(name)) {
        unknown ??= [];
        unknown.push(name);
      }
      open = text.indexOf("{{", close + 2);
    } else {
      open = text.indexOf("{{", open + 1);
    }
  }
  return unknown;
}

/**
 * `arn:aws:iam::` + 12 digits + `:role/` + a name without "/": partition aws, service iam, no
 * region, a 12-digit account, resource type role and a path without "/", which deadReason accepts.
 */
function isPlainRoleArn(arn: string): boolean {
  if (!arn.startsWith("arn:aws:iam::") || !arn.startsWith(":role/", 25)) return false;
  for (let i = 13; i < 25; i++) {
    const c = arn.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return arn.indexOf("/", 31) < 0;
}

/**
 * Why an entry that the authenticator keeps can never grant access, or undefined. A caller is
 * looked up by its canonical ARN (`pkg/arn/arn.go` Canonicalize; `server.go` doMapping), compared
 * case-insensitively (`mapper.go` Matches), which is always one of `arn:P:iam::A:role/NAME` (from
 * an assumed role: never a path), `arn:P:iam::A:user/PATH/NAME`, `arn:P:iam::A:root` or
 * `arn:P:sts::A:federated-user/NAME`, with an empty region and a 12-digit account. Roles are
 * looked up before users with the same canonical ARN, so either section may hold any of them.
 */
function deadReason(arn: string, username: string, groups: string[]): string | undefined {
  // The usual entry, arn:aws:iam::ACCOUNT:role/NAME with a 12-digit account and no path, passes
  // every check below; it is recognised without taking the ARN apart.
  if (isPlainRoleArn(arn)) return undefined;
  // Matching is strings.EqualFold over the whole ARN (mapper.go:73-76, 123-126), prefix included.
  const parsed = parseArn(arn.startsWith("arn:") || !/^arn:/i.test(arn) ? arn : `arn:${arn.slice(4)}`);
  if (!parsed) return `"${arn}" is not an ARN, so no caller can match it`;
  if (!PARTITIONS.includes(parsed.partition.toLowerCase())) {
    return `partition "${parsed.partition}" is not one the authenticator accepts for a caller (arn.go checkPartition)`;
  }
  const service = parsed.service.toLowerCase();
  const type = parsed.resourceType.toLowerCase();
  if (service === "iam" && type === "role" && parsed.resourcePath.includes("/")) {
    return "role ARN has a path; the authenticator matches the caller's canonical ARN, which never has one (aws-iam-authenticator#268)";
  }
  if (service === "sts" && type === "assumed-role") {
    return "an STS assumed-role ARN never matches: callers are matched by their canonical arn:aws:iam::ACCOUNT:role/NAME";
  }
  const identity =
    (service === "iam" && (type === "role" || type === "user" || type === "root")) ||
    (service === "sts" && type === "federated-user");
  if (!identity) {
    return `"${parsed.service}:${parsed.resourceType}" is not an identity the authenticator matches (only IAM roles, IAM users, root and STS federated users)`;
  }
  if (parsed.region !== "")
    return `the ARN names a region ("${parsed.region}"); a caller's canonical ARN never does`;
  if (!/^[0-9]{12}$/.test(parsed.account)) {
    return `account "${parsed.account}" is not a 12-digit AWS account ID (a lost leading zero?), so no caller matches`;
  }
  // pkg/token/token.go gives users, root and federated users no session name; renderTemplate then
  // refuses {{EC2PrivateDNSName}} ("SessionName did not contain an instance id") and denies access.
  if (type !== "role" && [username, ...groups].some((t) => t.includes("{{EC2PrivateDNSName}}"))) {
    return "{{EC2PrivateDNSName}} needs an EC2 instance's session name, which an IAM user, root or federated user never has: rendering fails and access is denied";
  }
  return undefined;
}

interface SectionParse {
  state: SectionState;
  entries: YamlValue[];
}

/**
 * `configmap.go` isSkippable (in the versions that have it): empty, whitespace, `""` and `''`
 * mean "no entries". Without it, `""` decodes to a JSON string that does not fit the list: no
 * entries either.
 */
function isSkippable(text: string): boolean {
  const trimmed = goTrimSpace(text);
  return trimmed === "" || trimmed === '""' || trimmed === "''" || trimmed === "``";
}

/** Go's `unicode.IsSpace` (which `strings.TrimSpace` and `bytes.TrimLeftFunc` use): not JS's `\s`. */
function isGoSpace(unit: number): boolean {
  return (
    (unit >= 0x09 && unit <= 0x0d) ||
    unit === 0x20 ||
    unit === 0x85 ||
    unit === 0xa0 ||
    unit === 0x1680 ||
    (unit >= 0x2000 && unit <= 0x200a) ||
    unit === 0x2028 ||
    unit === 0x2029 ||
    unit === 0x202f ||
    unit === 0x205f ||
    unit === 0x3000
  );
}

function goTrimSpace(text: string): string {
  let from = 0;
  let to = text.length;
  while (from < to && isGoSpace(text.charCodeAt(from))) from++;
  while (to > from && isGoSpace(text.charCodeAt(to - 1))) to--;
  return from === 0 && to === text.length ? text : text.slice(from, to);
}

function parseListSection(data: Record<string, string>, name: "mapRoles" | "mapUsers"): SectionParse {
  const text = data[name];
  if (text === undefined) return { state: { status: "absent" }, entries: [] };
  if (isSkippable(text)) return { state: { status: "empty" }, entries: [] };
  // k8s.io/apimachinery util/yaml ToJSON (configmap.go:129,154): text whose first non-space
  // character is "{" is taken as JSON as it is, and JSON that starts with "{" is an object (or
  // invalid): json.Unmarshal into a list fails and no entry is kept.
  if (goTrimSpace(text).startsWith("{")) {
    return {
      state: {
        status: "unparseable",
        error:
          "the text starts with '{', so it is read as JSON, and a JSON object (or invalid JSON) is not a list of entries",
      },
      entries: [],
    };
  }
  // json.Marshal refuses NaN and ±Inf anywhere in the document: YAMLToJSON fails as a whole.
  const parsed = yamlToJson(text);
  if (!parsed.ok) return { state: { status: "unparseable", error: parsed.error }, entries: [] };
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
  return { state: { status: "parsed", entries: parsed.value.length }, entries: parsed.value };
}

/** pkg/endpoints/partitions.go:23-32 (v0.7.18). */
export const PARTITIONS = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
];

function ssoKey(sso: SsoMatcher): string {
  // Mirrors RoleMapping.SSOArnLike(), including its handling of the partition (a non-empty
  // partition yields "arn::iam::…", mapper.go).
  const partition = sso.partition === "" ? "aws" : "";
  return `sso:arn:${partition}:iam::${sso.accountID}:role/awsreservedsso_${sso.permissionSetName}_*`.toLowerCase();
}

/**
 * mapper.go SSOArnLike writes the partition only when none is given ("aws"); any explicit
 * partition leaves it empty ("arn::iam::…"), and arnlike.go ArnLike matches each section with
 * ^…$, so the empty partition never matches a caller: the entry is dead even with the gate on.
 */
function ssoDeadReason(sso: SsoMatcher): string | undefined {
  if (sso.partition === "") return undefined;
  return `sso.partition '${sso.partition}' makes the authenticator build the pattern arn::iam::… (mapper.go SSOArnLike), whose empty partition matches no caller`;
}

function validateSso(sso: SsoMatcher): string | undefined {
  if (!/^[0-9]{12}$/.test(sso.accountID))
    return `sso.accountID '${sso.accountID}' is not a valid AWS Account ID`;
  if (!/^[\w+=,.@-]{1,32}$/.test(sso.permissionSetName)) {
    return `sso.permissionSetName '${sso.permissionSetName}' is not a valid permission set name`;
  }
  if (sso.partition !== "" && !PARTITIONS.includes(sso.partition)) {
    return `sso.partition '${sso.partition}' is not a valid AWS partition`;
  }
  return undefined;
}

function ssoOf(struct: GoStruct): SsoMatcher | undefined {
  const sso = struct.values.get("sso");
  if (sso === undefined || typeof sso === "string" || Array.isArray(sso)) return undefined;
  return {
    permissionSetName: stringField(sso, "permissionSetName"),
    accountID: stringField(sso, "accountID"),
    partition: stringField(sso, "partition"),
  };
}

function parseRoles(entries: YamlValue[], problems: EntryProblem[]): RoleMapping[] {
  const byKey = new Map<string, RoleMapping>();
  // One report for every entry, emptied once its problems are recorded.
  const report: DecodeReport = { typeErrors: [], unknownKeys: [] };
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index] as YamlValue;
    const struct = decodeEntry(entry, ROLE_FIELDS, report);
    const rolearn = stringField(struct, "rolearn");
    const sso = ssoOf(struct);
    const username = stringField(struct, "username");
    const groups = stringsField(struct, "groups");
    entryProblems(report, "mapRoles", index, rolearn, "rolearn, sso, username, groups", problems);
    report.typeErrors.length = 0;
    report.unknownKeys.length = 0;
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
        ...(rolearn ? { subject: rolearn } : {}),
        message: `entry #${index + 1} is dropped: ${invalid}`,
      });
      continue;
    }
    const key = sso ? ssoKey(sso) : rolearn.toLowerCase();
    // configmap.go:242-244 keys MapStore.roles by RoleMapping.Key() (mapper.go:94-99): the
    // lower-cased ARN or the SSO pattern, one key space, so a literal role ARN equal to an SSO
    // pattern and that sso entry overwrite each other.
    const goKey = sso ? key.slice("sso:".length) : NON_ASCII.test(rolearn) ? goLower(rolearn) : key;
    const previous = byKey.get(goKey);
    if (previous) {
      problems.push({
        kind: "shadowed-entry",
        section: "mapRoles",
        index: previous.index,
        subject: previous.rolearn || key,
        message: `entry #${previous.index + 1} is overridden by entry #${index + 1} for the same role (case-insensitive); the last one wins outright (aws-iam-authenticator#271)`,
      });
    }
    // The last one wins outright: it takes the place of the one it overrides at the end.
    if (previous) byKey.delete(goKey);
    byKey.set(
      goKey,
      sso ? { key, rolearn, sso, username, groups, index } : { key, rolearn, username, groups, index },
    );
  }
  return [...byKey.values()];
}

function parseUsers(entries: YamlValue[], problems: EntryProblem[]): UserMapping[] {
  const byKey = new Map<string, UserMapping>();
  // One report for every entry, emptied once its problems are recorded.
  const report: DecodeReport = { typeErrors: [], unknownKeys: [] };
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index] as YamlValue;
    const struct = decodeEntry(entry, USER_FIELDS, report);
    const userarn = stringField(struct, "userarn");
    const username = stringField(struct, "username");
    const groups = stringsField(struct, "groups");
    entryProblems(report, "mapUsers", index, userarn, "userarn, username, groups", problems);
    report.typeErrors.length = 0;
    report.unknownKeys.length = 0;
    if (userarn === "") {
      problems.push({
        kind: "invalid-entry",
        section: "mapUsers",
        index,
        message: `entry #${index + 1} is dropped: userarn must be supplied`,
      });
      continue;
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
  }
  return [...byKey.values()];
}

/**
 * mapAccounts is decoded by go-yaml v2 straight into []string (`configmap.go` ParseMap,
 * `yaml.Unmarshal`): scalars keep their text as written (`012…` keeps its zero), mapping or list
 * items are type errors and left out, and it is never converted to JSON (`.nan` is just text).
 */
function parseAccounts(data: Record<string, string>, problems: EntryProblem[]) {
  const text = data.mapAccounts;
  if (text === undefined) return { state: { status: "absent" } as SectionState, accounts: [] };
  if (isSkippable(text)) return { state: { status: "empty" } as SectionState, accounts: [] };
  const decoded = decodeGoStringList(text);
  if (!decoded.ok) {
    return { state: { status: "unparseable", error: decoded.error } as SectionState, accounts: [] };
  }
  for (const { index, kind } of decoded.skipped) {
    problems.push({
      kind: "type-mismatch",
      section: "mapAccounts",
      index,
      message: `item #${index + 1} is a ${kind === "mapping" ? "mapping" : "list"}, not an account id; it is skipped`,
    });
  }
  if (decoded.items === null) return { state: { status: "empty" } as SectionState, accounts: [] };
  return {
    state: { status: "parsed", entries: decoded.items.length } as SectionState,
    accounts: decoded.items,
  };
}

function markDeadEntries<T extends { key: string; username: string; groups: string[]; index: number }>(
  mappings: T[],
  arnOf: (m: T) => string,
  section: "mapRoles" | "mapUsers",
  problems: EntryProblem[],
): T[] {
  return mappings.filter((mapping) => {
    const sso = section === "mapRoles" ? (mapping as unknown as RoleMapping).sso : undefined;
    const reason = sso ? ssoDeadReason(sso) : deadReason(arnOf(mapping), mapping.username, mapping.groups);
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

/**
 * server.go renderTemplate replaces only the known templates; anything else in `{{…}}` stays in
 * the username or group as written (no error), so access is granted under that literal name.
 */
function flagUnrenderedTemplates(
  mappings: Array<RoleMapping | UserMapping>,
  section: "mapRoles" | "mapUsers",
  problems: EntryProblem[],
): void {
  for (const mapping of mappings) {
    // Unknown names in order of first appearance, each once.
    let unknown = unknownTemplates(mapping.username, undefined);
    for (const text of mapping.groups) unknown = unknownTemplates(text, unknown);
    if (unknown === undefined) continue;
    const subject = "rolearn" in mapping ? mapping.rolearn || mapping.key : mapping.userarn;
    problems.push({
      kind: "unrendered-template",
      section,
      index: mapping.index,
      subject,
      message: `entry #${mapping.index + 1}: ${unknown.map((t) => `{{${t}}}`).join(", ")} is not a template the authenticator knows; it stays in the username or group as written`,
    });
  }
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
  const roles = markDeadEntries(allRoles, (r) => r.rolearn || r.key, "mapRoles", problems).sort(byKey);
  const users = markDeadEntries(allUsers, (u) => u.userarn, "mapUsers", problems).sort(byKey);
  flagUnrenderedTemplates(roles, "mapRoles", problems);
  flagUnrenderedTemplates(users, "mapUsers", problems);
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
    lookup: { roles: allRoles, users: allUsers },
  };
}

export const NODE_GROUPS = new Set(["system:bootstrappers", "system:nodes", "system:node-proxier"]);
export const MASTERS_GROUP = "system:masters";

export type NodeKind = "ec2" | "fargate";

/**
 * Which kind of node an entry serves. Worker nodes use `system:node:{{EC2PrivateDNSName}}`, Fargate
 * pod-execution roles `system:node:{{SessionName}}` with `system:node-proxier` (EKS user guide).
 * Only `system:node-proxier` tells Fargate apart: EKS Hybrid Nodes roles also use
 * `system:node:{{SessionName}}`, with the groups of a worker node, and count as "ec2" (a node role).
 */
export function nodeKindOf(mapping: { username: string; groups: string[] }): NodeKind | undefined {
  const nodeLike = mapping.username.startsWith("system:node:") || mapping.groups.includes("system:nodes");
  if (!nodeLike) return undefined;
  return mapping.groups.includes("system:node-proxier") ? "fargate" : "ec2";
}

/** The account of the principal a mapping grants, when it names one. */
export function mappingAccount(mapping: RoleMapping | UserMapping): string | undefined {
  if ("rolearn" in mapping) return mapping.sso ? mapping.sso.accountID : accountOf(mapping.rolearn);
  return accountOf(mapping.userarn);
}

// ---- Who a caller becomes ------------------------------------------------------------------

export type CallerDecision = "mapped" | "account" | "denied";

/** Why a caller is denied: machine-readable, with the sentence in `reason`. */
export type DenialCause = "not-mapped" | "invalid-caller" | "template";

export interface EntryRef {
  section: "mapRoles" | "mapUsers";
  index: number;
}

export interface CallerResolution {
  decision: CallerDecision;
  via?: "role" | "user" | "account";
  /** The username as mapped, before templates render (for `account`: the canonical ARN). */
  username?: string;
  groups?: string[];
  entry?: EntryRef;
  reason?: string;
  cause?: DenialCause;
  /** The ARN the authenticator looks up (arn.go Canonicalize), when the caller ARN is one it accepts. */
  canonicalArn?: string;
  /**
   * Other entries that match the same caller with a different answer: the authenticator iterates
   * a Go map and takes the first match, so which one applies is random.
   */
  alternatives?: Array<EntryRef & { username: string; groups: string[] }>;
}

/** server.go:67 instanceIDPattern: what `{{EC2PrivateDNSName}}` needs as the session name. */
const INSTANCE_ID = /^i-(?:[0-9A-Za-z_]{8}|[0-9A-Za-z_]{17})$/;

function sameGrant(a: { username: string; groups: string[] }, b: { username: string; groups: string[] }) {
  return (
    a.username === b.username &&
    a.groups.length === b.groups.length &&
    a.groups.every((g, i) => g === b.groups[i])
  );
}

/**
 * Who the caller becomes, exactly as aws-iam-authenticator answers it: `server.go:476-505`
 * doMapping over the ConfigMap mapper (`pkg/mapper/configmap/mapper.go:46-69` Map: roles first,
 * then users, `strings.EqualFold` on the lower-cased canonical ARN, `mapper.go:73-90,123-126`),
 * then mapAccounts; a match whose `{{EC2PrivateDNSName}}` cannot render for this session is
 * denied, with no fall-through (`server.go:529-547`). SSO entries never match (feature gate off).
 * Total: never throws.
 */
export function resolveCaller(model: AwsAuthModel, callerArn: string): CallerResolution {
  const caller = canonicalizeCaller(callerArn);
  if (!caller.ok) {
    return { decision: "denied", cause: "invalid-caller", reason: caller.error };
  }
  const subject = caller.canonical.toLowerCase();
  const roleMatches = model.lookup.roles
    .filter((r) => !r.sso && r.rolearn !== "" && goEqualFold(r.rolearn, subject))
    .map((r) => ({ section: "mapRoles" as const, index: r.index, username: r.username, groups: r.groups }));
  const matches =
    roleMatches.length > 0
      ? roleMatches
      : model.lookup.users
          .filter((u) => goEqualFold(u.userarn, subject))
          .map((u) => ({
            section: "mapUsers" as const,
            index: u.index,
            username: u.username,
            groups: u.groups,
          }));
  const first = matches[0];
  if (first) {
    const alternatives = matches.slice(1).filter((m) => !sameGrant(m, first));
    const via = first.section === "mapRoles" ? ("role" as const) : ("user" as const);
    const entry = { section: first.section, index: first.index };
    const base = {
      via,
      username: first.username,
      groups: [...first.groups],
      entry,
      canonicalArn: caller.canonical,
      ...(alternatives.length > 0 ? { alternatives } : {}),
    };
    const needsInstance = [first.username, ...first.groups].some((t) => t.includes("{{EC2PrivateDNSName}}"));
    if (needsInstance && !INSTANCE_ID.test(caller.session)) {
      return {
        decision: "denied",
        cause: "template",
        reason: `${first.section} entry #${first.index + 1} uses {{EC2PrivateDNSName}}, which needs an EC2 instance id as the session name (got ${caller.session === "" ? "no session name" : JSON.stringify(caller.session)}): rendering fails and the authenticator denies access without trying anything else`,
        ...base,
      };
    }
    return {
      decision: "mapped",
      ...base,
      ...(alternatives.length > 0
        ? {
            reason:
              "several entries match this caller with different answers; the authenticator picks one at random",
          }
        : {}),
    };
  }
  if (model.accounts.includes(caller.account)) {
    return {
      decision: "account",
      via: "account",
      username: caller.canonical,
      groups: [],
      canonicalArn: caller.canonical,
      reason: `account ${caller.account} is listed in mapAccounts: any principal of it authenticates as its ARN, with no groups`,
    };
  }
  return {
    decision: "denied",
    cause: "not-mapped",
    canonicalArn: caller.canonical,
    reason: `no entry in mapRoles or mapUsers matches ${caller.canonical}, and account ${caller.account || "(none)"} is not in mapAccounts`,
  };
}
