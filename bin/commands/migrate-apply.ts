/**
 * `aws-auth-guardian migrate apply`: carries a migration plan out with the caller's credentials.
 * Switches CONFIG_MAP → API_AND_CONFIG_MAP only after an explicit yes (EKS never switches back),
 * creates the planned entries and their policy associations (an identical entry that is already
 * there is fine, a 409 is not a failure), reads every entry back, records the outcome in the store,
 * and never touches aws-auth: it prints what is left to do by hand.
 */
import { hostname, userInfo } from "node:os";
import type { MigrationAccessEntryApi } from "../../lambda/adapters/migrate-aws.js";
import {
  type AccessEntryState,
  type AuthenticationMode,
  accessEntryDifferences,
} from "../../lambda/core/migrate-eks-rules.js";
import { equivalence, unexplainedDifferences } from "../../lambda/core/migrate-equivalence.js";
import type { MigrationPlan, PlannedEntry } from "../../lambda/core/migrate-plan.js";
import { remainingSteps, renderPlanText } from "../../lambda/core/migrate-render.js";
import type { MigrationRecord } from "../../lambda/core/snapshot-store.js";
import type { ConfirmIo } from "./io.js";
import { processIo, UsageError } from "./io.js";
import { awsFor, buildPlan, type MigrateDeps, type MigrateValues } from "./migrate.js";
import { openStore } from "./store-location.js";

export type AccessEntryWriter = MigrationAccessEntryApi;

export type EntryOutcome = "created" | "already-there" | "differs" | "failed";

export interface AppliedEntry {
  principalArn: string;
  type: string;
  from: string;
  outcome: EntryOutcome;
  /** Read back after the write: the entry and its policies are what the plan wants. */
  verified: boolean;
  detail?: string;
}

export interface ApplyResult {
  cluster: string;
  modeBefore: AuthenticationMode | null;
  modeAfter: AuthenticationMode | null;
  switched: boolean;
  entries: AppliedEntry[];
  outcome: "applied" | "incomplete" | "refused" | "aborted";
  detail?: string;
}

export type ApplyIo = ConfirmIo;

const code = (error: unknown) =>
  (error as { code?: string; name?: string }).code ?? (error as { name?: string }).name;
const text = (error: unknown) => (error as Error).message ?? String(error);

async function readBack(
  api: AccessEntryWriter,
  cluster: string,
  principalArn: string,
): Promise<AccessEntryState | undefined> {
  const entry = await api.describeAccessEntry(cluster, principalArn);
  if (!entry) return undefined;
  const policies = await api.listAssociatedAccessPolicies(cluster, principalArn);
  return {
    principalArn: entry.principalArn,
    type: entry.type,
    ...(entry.username !== undefined ? { username: entry.username } : {}),
    kubernetesGroups: [...entry.kubernetesGroups],
    accessPolicies: policies.map((p) => ({
      policyArn: p.policyArn,
      accessScope: { type: p.accessScope.type, namespaces: [...p.accessScope.namespaces] },
    })),
  };
}

function wanted(entry: PlannedEntry): AccessEntryState {
  return {
    principalArn: entry.principalArn,
    type: entry.type,
    ...(entry.username !== undefined ? { username: entry.username } : {}),
    kubernetesGroups: entry.kubernetesGroups,
    accessPolicies: entry.accessPolicies,
  };
}

/** Creates one entry and its policies idempotently, then reads it back. */
async function applyEntry(
  api: AccessEntryWriter,
  cluster: string,
  entry: PlannedEntry,
): Promise<AppliedEntry> {
  const base = {
    principalArn: entry.principalArn,
    type: entry.type,
    from: `${entry.from.section}#${entry.from.index + 1}`,
  };
  const want = wanted(entry);
  let outcome: EntryOutcome = "created";
  try {
    await api.createAccessEntry(cluster, {
      principalArn: entry.principalArn,
      type: entry.type,
      ...(entry.type === "STANDARD" && entry.username !== undefined ? { username: entry.username } : {}),
      ...(entry.type === "STANDARD" && entry.kubernetesGroups.length > 0
        ? { kubernetesGroups: entry.kubernetesGroups }
        : {}),
    });
  } catch (error) {
    if (code(error) !== "ResourceInUseException") {
      return { ...base, outcome: "failed", verified: false, detail: `CreateAccessEntry: ${text(error)}` };
    }
    // 409: someone (EKS on the mode switch, an earlier run) created it. Fine if it is what we want.
    outcome = "already-there";
  }
  if (outcome === "already-there") {
    const have = await readBack(api, cluster, entry.principalArn).catch(() => undefined);
    const entryOnly = have
      ? accessEntryDifferences({ ...want, accessPolicies: [] }, { ...have, accessPolicies: [] })
      : [];
    if (!have || entryOnly.length > 0) {
      return {
        ...base,
        outcome: "differs",
        verified: false,
        detail: have
          ? `an entry already exists and differs (${entryOnly.join("; ")}); left as it is`
          : "EKS said the entry exists but does not describe it",
      };
    }
  }
  for (const policy of entry.accessPolicies) {
    try {
      await api.associateAccessPolicy(cluster, entry.principalArn, policy.policyArn, policy.accessScope);
    } catch (error) {
      return {
        ...base,
        outcome: "failed",
        verified: false,
        detail: `AssociateAccessPolicy ${policy.policyArn}: ${text(error)}`,
      };
    }
  }
  try {
    const have = await readBack(api, cluster, entry.principalArn);
    if (!have) return { ...base, outcome, verified: false, detail: "read back: EKS has no such entry" };
    const differences = accessEntryDifferences(want, have).filter(
      // A policy associated besides the planned ones is someone else's; the planned ones must be there.
      (d) => !d.endsWith("is associated but not planned"),
    );
    return differences.length === 0
      ? { ...base, outcome, verified: true }
      : { ...base, outcome, verified: false, detail: `read back differs: ${differences.join("; ")}` };
  } catch (error) {
    return { ...base, outcome, verified: false, detail: `read back failed: ${text(error)}` };
  }
}

export interface ApplyOptions {
  cluster: string;
  yes: boolean;
  confirm?: (question: string) => Promise<boolean>;
  /** How long to wait for the mode switch. @default 20 minutes */
  switchTimeoutMs?: number;
  /** @default 10 s */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Rebuilds the plan after the switch, against the entries EKS then has. */
  replan: () => Promise<MigrationPlan>;
  log: (line: string) => void;
}

/** The apply itself, over any access-entry API (EKS, or the in-test fake). */
export async function applyPlan(
  api: AccessEntryWriter,
  initial: MigrationPlan,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const { cluster } = options;
  const modeBefore = initial.authenticationMode;
  const result = (outcome: ApplyResult["outcome"], rest: Partial<ApplyResult> = {}): ApplyResult => ({
    cluster,
    modeBefore,
    modeAfter: rest.modeAfter ?? modeBefore,
    switched: false,
    entries: [],
    outcome,
    ...rest,
  });
  if (modeBefore === null) {
    return result("refused", { detail: "the cluster's authentication mode could not be read; nothing done" });
  }
  const unexplained = unexplainedDifferences(equivalence(initial));
  if (unexplained.length > 0) {
    return result("refused", {
      detail: `the plan changes access it does not explain: ${unexplained.map((u) => `${u.principal}: ${u.message}`).join("; ")}`,
    });
  }
  const toCreate = initial.entries.filter((e) => e.action === "create");
  const question =
    modeBefore === "CONFIG_MAP"
      ? `Switch ${cluster} from CONFIG_MAP to API_AND_CONFIG_MAP (one-way: EKS never switches back) and create ${toCreate.length} access entr${toCreate.length === 1 ? "y" : "ies"}? [y/N] `
      : `Create ${toCreate.length} access entr${toCreate.length === 1 ? "y" : "ies"} in ${cluster}? [y/N] `;
  if (!options.yes) {
    if (!options.confirm) {
      return result("refused", { detail: "no terminal to ask on: pass --yes to apply what is shown above" });
    }
    if (!(await options.confirm(question))) return result("aborted", { detail: "nothing done" });
  }

  let switched = false;
  let modeAfter: AuthenticationMode = modeBefore;
  if (modeBefore === "CONFIG_MAP") {
    try {
      const update = await api.updateAuthenticationMode(cluster, "API_AND_CONFIG_MAP");
      options.log(`switching the authentication mode to API_AND_CONFIG_MAP (update ${update.id})…`);
    } catch (error) {
      return result("incomplete", {
        detail: `UpdateClusterConfig failed, nothing else done: ${text(error)}`,
      });
    }
    const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    const deadline = Date.now() + (options.switchTimeoutMs ?? 20 * 60_000);
    for (;;) {
      const mode = await api
        .describeAccessConfig(cluster)
        .then((c) => c.authenticationMode)
        .catch(() => undefined);
      if (mode === "API_AND_CONFIG_MAP" || mode === "API") {
        modeAfter = mode;
        switched = true;
        break;
      }
      if (Date.now() > deadline) {
        return result("incomplete", {
          detail: "the mode switch did not finish in time; run apply again once the cluster is ACTIVE",
        });
      }
      await sleep(options.pollMs ?? 10_000);
    }
  }
  // After the switch EKS has created node entries of managed node groups and Fargate profiles: plan again.
  const plan = switched ? await options.replan() : initial;
  const entries: AppliedEntry[] = [];
  for (const entry of plan.entries) {
    if (entry.action === "exists") {
      entries.push({
        principalArn: entry.principalArn,
        type: entry.type,
        from: `${entry.from.section}#${entry.from.index + 1}`,
        outcome: "already-there",
        verified: true,
      });
      continue;
    }
    if (entry.action === "differs") {
      entries.push({
        principalArn: entry.principalArn,
        type: entry.type,
        from: `${entry.from.section}#${entry.from.index + 1}`,
        outcome: "differs",
        verified: false,
        detail:
          entry.notes.find((n) => n.startsWith("an access entry already exists")) ??
          "an entry already exists and differs",
      });
      continue;
    }
    const applied = await applyEntry(api, cluster, entry);
    options.log(
      `${applied.outcome.padEnd(13)} ${applied.verified ? "verified" : "NOT verified"}  ${applied.principalArn}${applied.detail ? `: ${applied.detail}` : ""}`,
    );
    entries.push(applied);
  }
  const complete = entries.every((e) => e.verified);
  return { cluster, modeBefore, modeAfter, switched, entries, outcome: complete ? "applied" : "incomplete" };
}

function whoAmI(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return "unknown";
  }
}

async function ttyConfirm(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

export async function applyCommand(values: MigrateValues, io: ApplyIo, deps: MigrateDeps): Promise<number> {
  if (values.offline) throw new UsageError("apply needs AWS: --offline is for plan");
  if (values.format && values.format !== "text") throw new UsageError("--format is for plan");
  const online = { ...values, aws: true };
  const plan = await buildPlan(online, deps, io);
  io.out(renderPlanText(plan));
  const env = deps.env ?? process.env;
  const api = awsFor(deps, env)(values.region).eks;
  const confirm =
    io.confirm?.bind(io) ??
    (io === processIo && process.stdin.isTTY && process.stderr.isTTY ? ttyConfirm : undefined);
  const result = await applyPlan(api, plan, {
    cluster: plan.cluster,
    yes: values.yes === true,
    ...(confirm ? { confirm } : {}),
    replan: () => buildPlan(online, deps, io),
    log: (line) => io.err(`${line}\n`),
    ...(deps.applyTiming ?? {}),
  });

  const storeSpec = values.store;
  if (storeSpec && result.outcome !== "aborted") {
    const opened = await openStore(storeSpec, { env, mustExist: false });
    const record: MigrationRecord = {
      ...result,
      cluster: plan.cluster,
      at: (deps.now ?? (() => new Date()))().toISOString(),
      by: whoAmI(),
      source: plan.source,
    };
    const key = await opened.store.putMigration(record);
    io.err(`recorded: ${opened.store.locate(key)}\n`);
  }

  io.out(`\n### Apply: ${result.outcome}${result.detail ? ` (${result.detail})` : ""}\n\n`);
  if (result.switched) io.out(`Authentication mode: ${result.modeBefore} → ${result.modeAfter}\n`);
  for (const e of result.entries) {
    io.out(
      `- ${e.outcome}${e.verified ? ", verified" : ", NOT verified"}: ${e.principalArn} (${e.type}, from ${e.from})${e.detail ? `: ${e.detail}` : ""}\n`,
    );
  }
  if (result.outcome === "applied" || result.outcome === "incomplete") {
    io.out("\nWhat is left (aws-auth was not touched):\n");
    remainingSteps(plan).forEach((step, i) => {
      io.out(`${i + 1}. ${step}\n`);
    });
  }
  return result.outcome === "applied" ? 0 : 1;
}
