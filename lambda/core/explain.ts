/**
 * Why a caller gets into the cluster as what, or why not, from the aws-auth data alone: the answer
 * `aws-auth-guardian explain` prints for the operator who cannot get in. Pure and total. The
 * aws-auth part is one function so that other sources (EKS access entries) can be asked first and
 * this one after.
 */
import { canonicalizeCaller, goEqualFold, parseArn } from "./arn.js";
import {
  type AwsAuthModel,
  type CallerResolution,
  parseAwsAuth,
  resolveCaller,
  SECTION_NAMES,
  type SectionName,
} from "./aws-auth.js";
import { entryLines, syntaxErrorLine } from "./yaml11.js";

/** One reason, for humans, with the place it refers to when there is one. */
export interface ExplainNote {
  kind:
    | "matched"
    | "template"
    | "ambiguous"
    | "account"
    | "not-mapped"
    | "invalid-caller"
    | "section-dropped"
    | "path-arn"
    | "shadowed"
    | "dropped-entry"
    | "dead-entry";
  message: string;
  section?: SectionName;
  /** 0-based entry index in its section. */
  index?: number;
  /** 1-based line within the section's text. */
  line?: number;
}

export interface AwsAuthExplanation {
  caller: string;
  resolution: CallerResolution;
  /** The first note says what happens; the others why, or what else names this caller. */
  notes: ExplainNote[];
}

function roleNameOf(canonical: string): string | undefined {
  const parsed = parseArn(canonical);
  return parsed?.resourceType === "role" ? parsed.resourcePath : undefined;
}

function lineOf(data: Record<string, string>, section: SectionName, index: number): number | undefined {
  const text = data[section];
  return text === undefined ? undefined : entryLines(text)?.[index];
}

function where(section: SectionName, index: number, line: number | undefined): string {
  return `${section} entry #${index + 1}${line ? ` (line ${line} of ${section})` : ""}`;
}

/** The aws-auth answer for one caller ARN, and why. Total: never throws. */
export function explainAwsAuth(
  data: Record<string, string> | undefined,
  callerArn: string,
): AwsAuthExplanation {
  const source = data ?? {};
  const model: AwsAuthModel = parseAwsAuth(source);
  const resolution = resolveCaller(model, callerArn);
  const notes: ExplainNote[] = [];
  const canonical = canonicalizeCaller(callerArn);
  const at = (section: SectionName, index: number) => lineOf(source, section, index);

  switch (resolution.decision) {
    case "mapped": {
      const { section, index } = resolution.entry ?? { section: "mapRoles" as const, index: 0 };
      notes.push({
        kind: "matched",
        section,
        index,
        line: at(section, index),
        message: `${callerArn} is matched by ${where(section, index, at(section, index))}: username "${resolution.username}", groups [${(resolution.groups ?? []).join(", ")}] (templates such as {{SessionName}} are filled in at login).`,
      });
      for (const alt of resolution.alternatives ?? []) {
        notes.push({
          kind: "ambiguous",
          section: alt.section,
          index: alt.index,
          line: at(alt.section, alt.index),
          message: `${where(alt.section, alt.index, at(alt.section, alt.index))} matches too, as "${alt.username}": the authenticator picks one of them at random on each login.`,
        });
      }
      break;
    }
    case "account":
      notes.push({ kind: "account", message: `${callerArn} is not mapped, but ${resolution.reason}.` });
      break;
    default: {
      const kind =
        resolution.cause === "template"
          ? "template"
          : resolution.cause === "invalid-caller"
            ? "invalid-caller"
            : "not-mapped";
      notes.push({
        kind,
        ...(resolution.entry
          ? {
              section: resolution.entry.section,
              index: resolution.entry.index,
              line: at(resolution.entry.section, resolution.entry.index),
            }
          : {}),
        message: `${callerArn} is denied: ${resolution.reason ?? "not mapped"}.`,
      });
    }
  }
  if (!canonical.ok) return { caller: callerArn, resolution, notes };

  // Sections the authenticator threw away: whoever was in them is not.
  for (const section of SECTION_NAMES) {
    const state = model.sections[section];
    if (state.status !== "unparseable") continue;
    const text = source[section] ?? "";
    const line = syntaxErrorLine(text);
    const name = roleNameOf(canonical.canonical) ?? canonical.canonical;
    const mentioned = text.toLowerCase().includes(name.toLowerCase());
    const tab = line !== undefined && (text.split(/\r\n|\r|\n/)[line - 1] ?? "").includes("\t");
    notes.push({
      kind: "section-dropped",
      section,
      ...(line ? { line } : {}),
      message: `${section} is dropped as a whole${line ? ` at line ${line}` : ""}: ${state.error ?? "it does not parse"}${tab ? ` (line ${line} holds a tab character, which go-yaml does not accept there, even on a blank or comment line)` : ""}. Every entry in it is ignored${mentioned ? `, including the one that names ${name}` : ""}.`,
    });
  }

  // Entries that name this caller but never match it, or no longer count.
  const role = roleNameOf(canonical.canonical);
  for (const problem of model.problems) {
    if (problem.section === "data" || problem.index === undefined) continue;
    const subject = problem.subject ?? "";
    const line = at(problem.section, problem.index);
    const place = where(problem.section, problem.index, line);
    const sameArn = subject !== "" && goEqualFold(subject, canonical.canonical);
    if (problem.kind === "dead-entry") {
      const parsed = parseArn(/^arn:/i.test(subject) ? `arn:${subject.slice(4)}` : subject);
      const samePathName =
        role !== undefined &&
        parsed?.resourceType.toLowerCase() === "role" &&
        parsed.resourcePath.includes("/") &&
        goEqualFold(parsed.resourcePath.split("/").at(-1) ?? "", role) &&
        parsed.account === canonical.account;
      if (samePathName) {
        notes.push({
          kind: "path-arn",
          section: problem.section,
          index: problem.index,
          ...(line ? { line } : {}),
          message: `${place} names ${subject}, with a path: the authenticator matches ${canonical.canonical}, which never has one, so that entry never matches (aws-iam-authenticator#268). Write ${canonical.canonical} instead.`,
        });
      } else if (sameArn) {
        notes.push({
          kind: "dead-entry",
          section: problem.section,
          index: problem.index,
          ...(line ? { line } : {}),
          message: `${place}: ${problem.message}.`,
        });
      }
    } else if (problem.kind === "shadowed-entry" && sameArn) {
      notes.push({
        kind: "shadowed",
        section: problem.section,
        index: problem.index,
        ...(line ? { line } : {}),
        message: `${place} names this caller too, but ${problem.message.replace(/^entry #\d+ /, "it ")}.`,
      });
    } else if (problem.kind === "invalid-entry" && sameArn) {
      notes.push({
        kind: "dropped-entry",
        section: problem.section,
        index: problem.index,
        ...(line ? { line } : {}),
        message: `${place}: ${problem.message}.`,
      });
    }
  }
  return { caller: callerArn, resolution, notes };
}
