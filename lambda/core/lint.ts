/**
 * Checks an aws-auth ConfigMap before it is applied: the content rules of rules.ts, run on the
 * content alone (what the authenticator would drop, ignore, refuse or misread), and with a
 * baseline the grant rules too (what the change gives or takes away). No writer is involved, so the
 * writer rules are not run. Pure and total.
 */
import type { AwsAuthWrite } from "./audit-event.js";
import { type AwsAuthModel, parseAwsAuth } from "./aws-auth.js";
import { diffModels } from "./diff.js";
import { DEFAULT_POLICY, type GuardianPolicy, severityRank } from "./policy.js";
import type { Finding } from "./records.js";
import { BASELINE_RULES, CONTENT_RULES, type RuleContext } from "./rules.js";

/**
 * Content rules judge the data, never the write. Lint has no write: a rule that reads one is a
 * programming error that this makes loud in the tests instead of silently judging a fake writer.
 */
const NO_WRITE = new Proxy({} as AwsAuthWrite, {
  get(_target, property) {
    throw new Error(`a content rule read write.${String(property)}; lint has no write`);
  },
});

export interface LintResult {
  findings: Finding[];
  model: AwsAuthModel;
}

/** The findings for `data`, most severe first; with `baseline`, judged as a change from it. */
export function lintAwsAuth(
  data: Record<string, string> | undefined,
  baseline?: Record<string, string>,
  policy: GuardianPolicy = DEFAULT_POLICY,
): LintResult {
  const model = parseAwsAuth(data);
  const before = baseline ? parseAwsAuth(baseline) : undefined;
  const ctx: RuleContext = {
    write: NO_WRITE,
    policy,
    ...(before ? { before } : {}),
    after: model,
    diff: diffModels(before, model),
  };
  const findings = (before ? CONTENT_RULES : BASELINE_RULES).flatMap((rule) => rule(ctx));
  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  return { findings, model };
}
