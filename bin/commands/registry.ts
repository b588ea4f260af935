/**
 * Every command of the CLI, in the order `--help` lists them. An entry declares the command's
 * arguments, options and help text, and loads its implementation only when it runs, so that
 * `--help` and the commands that need neither the AWS SDK nor the Kubernetes client start fast.
 *
 * To add a command: write `bin/commands/NAME.ts` exporting a `CommandRun`, and add an entry here.
 */
import { type Command, Option } from "commander";
import type { CommandRun } from "./io.js";
import { clusterAccessOptions, collect, jsonOption, storeOptions } from "./options.js";

export interface CommandDefinition {
  /** Name and operands as commander reads them: `show <version>`, `analyze [files...]`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** What `COMMAND --help` says above the options. @default - the summary */
  description?: string;
  /** What `COMMAND --help` says below the options (exit status, notes). */
  after?: string;
  options?(command: Command): void;
  /** The implementation, imported on use. */
  load(): Promise<CommandRun<never>>;
}

const STORE_HELP = `
VERSION, A and B are record ids as history prints them, or last-good, latest, previous.
--cluster may be left out when the store holds a single cluster.
--access-entries reads the cluster's access-entry records (history --access-entries lists their ids).`;

/** `--access-entries` of history, show and diff. */
function accessEntriesOption(command: Command): Command {
  return command.option(
    "--access-entries",
    "the cluster's EKS access-entry records (one per access-entry call, with the whole picture read back) instead of its aws-auth versions",
  );
}

export const COMMANDS: CommandDefinition[] = [
  {
    name: "analyze [files...]",
    summary: "judge every write to aws-auth in exported audit logs",
    description: `Reads audit events (raw lines, a CloudWatch Logs subscription event, the decoded payload, or the JSON printed by \`aws logs filter-log-events\`; gzip allowed) from FILEs in the order given, or stdin, and judges every write to kube-system/aws-auth.`,
    after: `
Ends with what it read (audit events, writes to aws-auth, unusable lines) on stderr.

Exit status: 0 when it ran (dangerous findings included); 2 when --fail-on matched; 1 when nothing in the
input was usable, or with --fail-on when any line was unusable or no event was read (unless --allow-unusable).`,
    options: (command) =>
      command
        .option("--baseline <file>", "aws-auth before the first event (kubectl get cm aws-auth -o yaml|json)")
        .option("--account <id>", "the cluster's AWS account (default: the CloudWatch payload's owner)")
        .option("--cluster <name>", "cluster name when the input does not carry its log group")
        .option(
          "--trusted-writer <pattern>",
          "IAM ARN pattern allowed to write aws-auth (repeatable; * is a wildcard), matched against arn:aws:iam::ACCOUNT:role/NAME",
          collect,
        )
        .addOption(
          new Option("--format <format>", "text timeline or one JSON object per write")
            .choices(["text", "json"])
            .default("text"),
        )
        .option(
          "--fail-on <classes>",
          "exit 2 when a write has one of these classes, comma-separated (e.g. dangerous); repeatable. Unusable input, or none, then fails the run (exit 1)",
          collect,
        )
        .option(
          "--allow-unusable",
          "with --fail-on: judge what could be read and pass despite unusable lines",
        )
        .option(
          "--store <location>",
          "also file every write judged, as the deployed guardian does, in this snapshot store (a local folder, or s3://BUCKET[/prefix]); needs --cluster",
        )
        .option("--region <region>", "AWS region of an s3:// store (default: the AWS SDK's)")
        .option(
          "--max-record-mb <megabytes>",
          "the longest line or pretty-printed JSON document read (default 64); a longer one is an unusable line",
        ),
    load: async () => (await import("./analyze.js")).analyzeCommand,
  },
  {
    name: "explain <arn>",
    summary: "who a caller becomes in the cluster, and why (or why it cannot get in)",
    description:
      "Answers, exactly as aws-iam-authenticator would, who the caller ARN (aws sts get-caller-identity --query Arn) becomes: which aws-auth entry matched, or why none does (not mapped, a path in the role ARN, a section the authenticator drops, a later duplicate, a template that cannot render). With --store, the cluster's latest access-entry record is asked too, as EKS decides: an access entry wins over aws-auth for the same IAM principal, mode API ignores aws-auth, CONFIG_MAP ignores access entries; the cluster's creator (the way in of last resort) is named.",
    after: `
Sources (exactly one):
  --configmap FILE|-          kubectl get cm -n kube-system aws-auth -o yaml|json
  --store LOCATION --cluster NAME [--version VERSION]   a stored version (default: latest)
  --direct --kubeconfig FILE [--context NAME] [--cluster NAME]
                                                         the live ConfigMap; with --cluster also the live
                                                         access entries (EKS API, your AWS credentials)

Exit status: 0 the caller gets in, 2 it is denied, 1 unusable input.`,
    options: (command) =>
      command
        .option("--configmap <file>", "aws-auth manifest, or - for stdin")
        .option("--store <location>", "snapshot store: s3://BUCKET[/prefix] or a local folder")
        .option(
          "--cluster <name>",
          "cluster in the store (default: the only one it holds); with --direct, the EKS cluster whose live access entries are asked too",
        )
        .option(
          "--version <version>",
          "stored version: a record id, latest, last-good or previous (default: latest)",
        )
        .option("--region <region>", "AWS region of the S3 store (default: the AWS SDK's)")
        .option("--direct", "read the live aws-auth through --kubeconfig")
        .option("--kubeconfig <file>", "kubeconfig to use with --direct")
        .option("--context <name>", "kubeconfig context (default: its current context)")
        .addOption(new Option("--format <format>", "text or JSON").choices(["text", "json"]).default("text")),
    load: async () => (await import("./explain.js")).explainCommand,
  },
  {
    name: "lint <file>",
    summary: "check an aws-auth manifest before it is applied",
    description:
      "Checks an aws-auth ConfigMap (a file, or - for stdin: kubectl apply --dry-run=client -o yaml, a rendered Terraform or Helm manifest) with the guardian's content rules: sections the authenticator drops or only partly reads (tabs, YAML 1.1 values, broken YAML), dead and shadowed entries, mapAccounts, eks: usernames. With --baseline, also what the change grants or takes away (system:masters, node roles, foreign accounts).",
    after: `
Exit status: 0 nothing at or above --fail-severity, 2 findings at or above it, 1 unusable input.`,
    options: (command) =>
      command
        .option(
          "--baseline <file>",
          "the aws-auth it replaces (kubectl get cm -n kube-system aws-auth -o yaml)",
        )
        .option("--account <id>", "the cluster's AWS account (other accounts' principals are foreign)")
        .addOption(
          new Option("--fail-severity <severity>", "lowest severity that fails the check")
            .choices(["info", "low", "medium", "high", "critical"])
            .default("high"),
        )
        .addOption(new Option("--format <format>", "text or JSON").choices(["text", "json"]).default("text")),
    load: async () => (await import("./lint.js")).lintCommand,
  },
  {
    name: "demo",
    summary: "replay the incident the guardian exists for, from recorded events (no AWS needed)",
    description:
      "Replays the incident the guardian exists for, from audit events recorded on a real API server with EKS's audit policy, and files every write in a local snapshot store, so that history, show, diff, report and restore --direct can be tried on it.",
    options: (command) =>
      void command.option(
        "--store <dir>",
        "the snapshot store folder to file the writes in (default: a new temporary folder)",
      ),
    load: async () => (await import("./demo.js")).demoCommand,
  },
  {
    name: "restore",
    summary: "put a known-good aws-auth back (through the function, or --direct)",
    description: `Puts a known version of kube-system/aws-auth back. First a dry run prints the change it would make (live → version); then, after you confirm (or with --yes), it writes exactly that object, reads it back and verifies it. If aws-auth changes between the dry run and the write, nothing is written.

Refused unless --force: a version classified dangerous, a section that does not parse, a version that would remove every system:masters mapping or every node mapping the live aws-auth has. Always refused: a version without content (a recorded deletion or unverified write), or another ConfigMap.`,
    after: `
Through the cluster-access function (default):
  aws-auth-guardian restore --cluster NAME [--to last-good|previous|VERSION]
Direct, with your own access (when the function cannot be used):
  aws-auth-guardian restore --direct --kubeconfig FILE [--context NAME]
                            (--store s3://BUCKET[/prefix] | --store DIR | --snapshot FILE)
Access entries (re-creates deleted entries and policies, removes added ones; never the guardian's own
entry, never the last admin path):
  aws-auth-guardian restore --access-entries --cluster NAME [--to last-good|VERSION]
  aws-auth-guardian restore --access-entries --direct --cluster NAME --store s3://BUCKET|DIR

Exit status: 0 restored (or nothing to do, or a dry run that would go ahead); 1 refused, aborted or
failed before anything was verified; 2 written but the read-back did not match the version.`,
    options: (command) =>
      clusterAccessOptions(command)
        .option("--to <version>", "last-good (default), previous, latest or a version id (see history)")
        .option(
          "--snapshot <file>",
          'with --direct: restore this file instead: a stored version record, or a ConfigMap as "kubectl get cm aws-auth -n kube-system -o yaml|json" prints it',
        )
        .option("--dry-run", "only show what would be written, and the exact object")
        .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
        .option("--force", "go ahead despite the refusals that can be overridden (recorded)")
        .option("--reason <text>", "why, kept in the restore record and the notification")
        .option(
          "--access-entries",
          "restore the cluster's EKS access entries and their policies instead of aws-auth (--direct: with your own AWS credentials and --store)",
        ),
    load: async () => (await import("./restore.js")).restoreCommand,
  },
  {
    name: "capture",
    summary: "store the live aws-auth as a version (baseline, content of unseen writes)",
    description: `Reads the live kube-system/aws-auth and files it in the snapshot store as a version, classified against the history (the first capture is the baseline). A resourceVersion already stored is not stored twice. A live object that differs from the latest record without an audit event, or an aws-auth that is gone while the latest record is a version, is reported and alerted (blind spot).`,
    after: `
Examples:
  aws-auth-guardian capture --cluster NAME [--reason TEXT]
  aws-auth-guardian capture --direct --kubeconfig FILE --store s3://BUCKET[/prefix]|DIR [--cluster NAME]

Exit status: 0 captured (or already stored, or nothing to capture), 1 on errors.`,
    options: (command) =>
      clusterAccessOptions(command).option("--reason <text>", "why, kept with the captured version"),
    load: async () => (await import("./capture.js")).captureCommand,
  },
  {
    name: "verify",
    summary: "compare the live aws-auth with the latest record; exit 2 on a blind spot",
    description: `Compares the live kube-system/aws-auth with the latest record in the snapshot store. A live object that differs from it, or an aws-auth that is gone while the latest record is a version, was written without the guardian seeing the audit event: it is stored and alerted as a blind spot. With an empty store the live object becomes the baseline.`,
    after: `
Examples:
  aws-auth-guardian verify --cluster NAME
  aws-auth-guardian verify --direct --kubeconfig FILE --store s3://BUCKET[/prefix]|DIR [--cluster NAME]

Exit status: 0 in sync (or baseline taken), 2 blind spot found, 1 on errors.`,
    options: (command) => void clusterAccessOptions(command),
    load: async () => (await import("./verify.js")).verifyCommand,
  },
  {
    name: "rules",
    summary: "every finding the classifier can report: id, severity, class, meaning, example",
    options: (command) =>
      void command.addOption(
        new Option("--format <format>", "a line per rule, JSON, or the Markdown of docs/rules.md")
          .choices(["text", "json", "markdown"])
          .default("text"),
      ),
    load: async () => (await import("./rules.js")).rulesCommand,
  },
  {
    name: "history",
    summary: "list a cluster's versions in a snapshot store",
    description:
      "Every record of the cluster's aws-auth, oldest first: id, time, kind, class and who wrote it (or why it was captured), the latest and last-good pointers, then the restores. With --access-entries, the access-entry records instead: id, time, state (verified, or unverified when the picture could not be read), class and the call (who, which API, for which principal), headed by the facts discovery and verify filed (mode, creator, whether a trail records management events).",
    after: STORE_HELP,
    options: (command) => void accessEntriesOption(jsonOption(storeOptions(command))),
    load: async () => (await import("./history.js")).historyCommand,
  },
  {
    name: "show <version>",
    summary: "one stored version and its data",
    description:
      "One record: how it was judged, then every data string exactly as stored. With --access-entries, one access-entry record: the call, its findings, then the mode and every entry with its groups and access policies.",
    after: STORE_HELP,
    options: (command) => void accessEntriesOption(jsonOption(storeOptions(command))),
    load: async () => (await import("./history.js")).showCommand,
  },
  {
    name: "diff <a> <b>",
    summary: "what changes for the authenticator between two stored versions",
    description:
      'What changes for the authenticator from A to B (a deletion counts as "no aws-auth"). With --access-entries, what changes in the access entries (entries, groups, policies and their scopes, the mode).',
    after: STORE_HELP,
    options: (command) => void accessEntriesOption(jsonOption(storeOptions(command))),
    load: async () => (await import("./history.js")).diffCommand,
  },
  {
    name: "report",
    summary: "the cluster's history as one self-contained HTML page",
    description:
      "Writes one HTML page (no external assets, no script) of the cluster's aws-auth history and, where the store holds them, its access-entry records: a timeline coloured by class, who wrote each version and from where, the semantic diff and findings of each, the last good version and the restore command of every good one.",
    after: `
Example (no AWS needed):
  aws-auth-guardian demo --store ./demo-store
  aws-auth-guardian report --store ./demo-store --cluster demo -o demo.html`,
    options: (command) =>
      void storeOptions(command).option("-o, --output <file>", "the HTML file to write (- for stdout)"),
    load: async () => (await import("./report.js")).reportCommand,
  },
  {
    name: "migrate <action>",
    summary: "plan (migrate plan) or apply (migrate apply) the move from aws-auth to EKS access entries",
    description: `Moves aws-auth's mappings to EKS access entries exactly as the authenticator reads them today: duplicates resolved, dead and shadowed entries left behind, system:masters kept as cluster admin (AmazonEKSClusterAdminPolicy) with its other groups, node and Fargate roles as node entries. "plan" prints what would be created, what cannot be and why, and who every principal is today and after the move. "apply" switches CONFIG_MAP → API_AND_CONFIG_MAP after you confirm (one-way), creates the entries and their policies (an identical existing entry is fine), reads each back, records the outcome in --store, and never edits aws-auth.

Read aws-auth from one of: --snapshot FILE (kubectl get cm aws-auth -n kube-system -o yaml|json, or a stored version), --store S (its latest version), or --direct --kubeconfig FILE (the live object).`,
    after: `
Examples:
  aws-auth-guardian migrate plan --cluster prod --snapshot aws-auth.yaml            # offline
  aws-auth-guardian migrate plan --cluster prod --store s3://BUCKET --usage-days 90 --format json
  aws-auth-guardian migrate plan --cluster prod --store s3://BUCKET --format terraform > access-entries.tf
  aws-auth-guardian migrate apply --cluster prod --store s3://BUCKET

With a snapshot, plan asks AWS nothing unless --aws; otherwise it asks IAM (each principal's real
ARN, and whether it still exists), EKS (mode and existing entries) and, with --usage-days, the
authenticator log. A failed lookup is a warning, never a failed run.

Exit status: plan 0; apply 0 when every entry is in place and verified, 1 otherwise (refused,
aborted, failed or not verified).`,
    options: (command) =>
      command
        .option("--cluster <name>", "the EKS cluster (with --store: default the only one it holds)")
        .option("--snapshot <file>", "read aws-auth from this file")
        .option(
          "--store <location>",
          "snapshot store, s3://BUCKET[/prefix] or a folder: read its latest version; apply records the outcome there",
        )
        .option(
          "--to <version>",
          "with --store as the source: the version to plan from (default latest; last-good, previous or an id)",
        )
        .option("--direct", "read the live aws-auth through your own --kubeconfig")
        .option("--kubeconfig <file>", "kubeconfig for --direct")
        .option("--context <name>", "kubeconfig context (default: its current context)")
        .addOption(
          new Option("--format <format>", "plan output")
            .choices(["text", "json", "cloudformation", "cdk", "terraform"])
            .default("text"),
        )
        .option("--offline", "ask AWS nothing (the default with --snapshot)")
        .option("--aws", "with --snapshot: ask AWS anyway")
        .option("--usage-days <days>", "mark entries nobody used in this many days (authenticator log)")
        .option("--account <id>", "the cluster's account; principals of other accounts are not looked up")
        .option("--region <region>", "AWS region of the cluster (default: the AWS SDK's)")
        .option(
          "-y, --yes",
          "apply: switch the mode and create without asking (required without a terminal)",
        ),
    load: async () => (await import("./migrate.js")).migrateCommand,
  },
];
