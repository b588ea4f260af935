/** The TypeScript model's answers in the oracle's shape, for comparison. */
import {
  type AwsAuthModel,
  parseAwsAuth,
  resolveCaller,
  type SectionName,
} from "../../lambda/core/aws-auth.js";
import type { OracleAnswer, OracleOutput, OracleSection } from "./oracle.js";

const ERROR_KINDS = new Set(["type-mismatch", "invalid-entry"]);

function sectionOf(model: AwsAuthModel, name: SectionName, entries: number): OracleSection["status"] {
  const state = model.sections[name];
  if (state.status === "absent") return "absent";
  if (state.status === "unparseable") return "dropped";
  const errors = model.problems.some((p) => p.section === name && ERROR_KINDS.has(p.kind));
  if (!errors) return "clean";
  return entries === 0 ? "dropped" : "errors";
}

export function modelAnswers(data: Record<string, string>, probes: string[]): OracleOutput {
  const model = parseAwsAuth(data);
  const answers: OracleAnswer[] = probes.map((probe) => {
    const r = resolveCaller(model, probe);
    if (r.decision === "mapped" && r.alternatives) return { decision: "ambiguous", groups: [] };
    if (r.decision === "denied" && r.cause === "invalid-caller") return { decision: "invalid", groups: [] };
    if (r.decision === "denied" && r.cause === "not-mapped") return { decision: "none", groups: [] };
    return { decision: r.decision, ...(r.username ? { username: r.username } : {}), groups: r.groups ?? [] };
  });
  return {
    sections: {
      mapRoles: { status: sectionOf(model, "mapRoles", model.sections.mapRoles.entries ?? 0) },
      mapUsers: { status: sectionOf(model, "mapUsers", model.sections.mapUsers.entries ?? 0) },
      mapAccounts: { status: sectionOf(model, "mapAccounts", model.sections.mapAccounts.entries ?? 0) },
    },
    accounts: model.accounts,
    answers,
  };
}
