/**
 * Semantic diff of two aws-auth versions: what changes for the authenticator, not for the text.
 * Quoting, key order, entry order (without duplicates), group order, whitespace, comments and
 * JSON-versus-YAML encoding all vanish because both sides are compared after `parseAwsAuth`.
 */
import {
  type AwsAuthModel,
  type EntryProblem,
  parseAwsAuth,
  type RoleMapping,
  SECTION_NAMES,
  type SectionName,
  type SectionStatus,
  type UserMapping,
} from "./aws-auth.js";

export interface MappingChange<T> {
  key: string;
  before: T;
  after: T;
  username?: { before: string; after: string };
  groupsAdded: string[];
  groupsRemoved: string[];
}

export interface MappingDiff<T> {
  added: T[];
  removed: T[];
  changed: MappingChange<T>[];
}

export interface SectionChange {
  name: SectionName;
  before: SectionStatus;
  after: SectionStatus;
  error?: string;
}

export interface SemanticDiff {
  roles: MappingDiff<RoleMapping>;
  users: MappingDiff<UserMapping>;
  accounts: { added: string[]; removed: string[] };
  sections: SectionChange[];
  problems: { added: EntryProblem[]; removed: EntryProblem[] };
  /** True when the authenticator grants exactly the same access before and after. */
  effectiveEqual: boolean;
  /** True when, in addition, nothing dropped or dead changed: a purely textual rewrite. */
  equivalent: boolean;
}

export const EMPTY_MODEL: AwsAuthModel = parseAwsAuth({});

export function groupSet(groups: string[]): string[] {
  return [...new Set(groups)].sort();
}

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function diffMappings<T extends { key: string; username: string; groups: string[] }>(
  before: T[],
  after: T[],
): MappingDiff<T> {
  const beforeByKey = new Map(before.map((m) => [m.key, m]));
  const afterByKey = new Map(after.map((m) => [m.key, m]));
  const added = after.filter((m) => !beforeByKey.has(m.key));
  const removed = before.filter((m) => !afterByKey.has(m.key));
  const changed: MappingChange<T>[] = [];
  for (const next of after) {
    const previous = beforeByKey.get(next.key);
    if (!previous) continue;
    // The same username and the same groups in the same order: nothing to compare.
    if (previous.username === next.username && sameList(previous.groups, next.groups)) continue;
    const beforeGroups = groupSet(previous.groups);
    const afterGroups = groupSet(next.groups);
    const groupsAdded = afterGroups.filter((g) => !beforeGroups.includes(g));
    const groupsRemoved = beforeGroups.filter((g) => !afterGroups.includes(g));
    const usernameChanged = previous.username !== next.username;
    if (usernameChanged || groupsAdded.length > 0 || groupsRemoved.length > 0) {
      changed.push({
        key: next.key,
        before: previous,
        after: next,
        ...(usernameChanged ? { username: { before: previous.username, after: next.username } } : {}),
        groupsAdded,
        groupsRemoved,
      });
    }
  }
  return { added, removed, changed };
}

/** Identity of a problem that survives reordering: entry numbers are left out. */
function problemIdentity(problem: EntryProblem): string {
  return [problem.kind, problem.section, problem.subject ?? "", problem.message.replace(/#\d+/g, "#")].join(
    "|",
  );
}

function diffProblems(before: EntryProblem[], after: EntryProblem[]) {
  const beforeIds = new Set(before.map(problemIdentity));
  const afterIds = new Set(after.map(problemIdentity));
  return {
    added: after.filter((p) => !beforeIds.has(problemIdentity(p))),
    removed: before.filter((p) => !afterIds.has(problemIdentity(p))),
  };
}

function isEmptyDiff<T>(diff: MappingDiff<T>): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

/** The diff from `before` to `after`; a missing side is aws-auth absent (nothing mapped). */
export function diffModels(before: AwsAuthModel | undefined, after: AwsAuthModel | undefined): SemanticDiff {
  const from = before ?? EMPTY_MODEL;
  const to = after ?? EMPTY_MODEL;
  const roles = diffMappings(from.roles, to.roles);
  const users = diffMappings(from.users, to.users);
  const accounts = {
    added: to.accounts.filter((a) => !from.accounts.includes(a)),
    removed: from.accounts.filter((a) => !to.accounts.includes(a)),
  };
  const sections: SectionChange[] = SECTION_NAMES.flatMap((name) => {
    const b = from.sections[name].status;
    const a = to.sections[name].status;
    const wasUnparseable = b === "unparseable";
    const isUnparseable = a === "unparseable";
    if (wasUnparseable === isUnparseable) return [];
    const error = to.sections[name].error;
    return [{ name, before: b, after: a, ...(error ? { error } : {}) }];
  });
  const problems = diffProblems(from.problems, to.problems);
  const effectiveEqual =
    isEmptyDiff(roles) && isEmptyDiff(users) && accounts.added.length === 0 && accounts.removed.length === 0;
  return {
    roles,
    users,
    accounts,
    sections,
    problems,
    effectiveEqual,
    equivalent:
      effectiveEqual && sections.length === 0 && problems.added.length === 0 && problems.removed.length === 0,
  };
}

/** True when two models grant exactly the same access. */
export function sameEffectiveMappings(a: AwsAuthModel, b: AwsAuthModel): boolean {
  return diffModels(a, b).effectiveEqual;
}
