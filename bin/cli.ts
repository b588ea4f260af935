/**
 * The `aws-auth-guardian` command line. Each command lives in `bin/commands/`; this file only
 * dispatches and turns errors into exit codes.
 */
import { ANALYZE_HELP, analyzeCommand } from "./commands/analyze.js";
import { demoCommand } from "./commands/demo.js";
import { type CommandIo, processIo, UsageError } from "./commands/io.js";

type Command = (argv: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  analyze: analyzeCommand,
  demo: demoCommand,
  // Loaded on use: they pull in the Kubernetes client and the AWS SDK, which analyze and demo never need.
  restore: async (argv, io) => (await import("./commands/restore.js")).restoreCommand(argv, io),
  capture: async (argv, io) => (await import("./commands/capture.js")).captureCommand(argv, io),
  verify: async (argv, io) => (await import("./commands/verify.js")).verifyCommand(argv, io),
  history: async (argv, io) => (await import("./commands/history.js")).historyCommand(argv, io),
  show: async (argv, io) => (await import("./commands/history.js")).showCommand(argv, io),
  diff: async (argv, io) => (await import("./commands/history.js")).diffCommand(argv, io),
  migrate: async (argv, io) => (await import("./commands/migrate.js")).migrateCommand(argv, io),
};

const HELP = `aws-auth-guardian: watches, classifies, snapshots and restores the EKS aws-auth ConfigMap.

Commands:
  analyze [FILE…]   judge every write to aws-auth in exported audit logs
  demo              replay the incident the guardian exists for, from recorded events
  restore           put a known-good aws-auth back (through the function, or --direct); exit 1
                    refused or failed, 2 written but not verified
  capture           store the live aws-auth as a version (baseline, content of unseen writes)
  verify            compare the live aws-auth with the latest record; exit 2 on a blind spot
  history           list a cluster's versions in a snapshot store (--store s3://BUCKET|DIR)
  show VERSION      one stored version and its data
  diff A B          what changes for the authenticator between two stored versions
  migrate plan      plan the move from aws-auth to EKS access entries (table, JSON, CloudFormation,
                    CDK, Terraform), with who every principal is today and after
  migrate apply     switch to API_AND_CONFIG_MAP (after you confirm), create the entries, verify

Run "aws-auth-guardian COMMAND --help" for a command's options.

${ANALYZE_HELP}`;

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(`${HELP}\n`);
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`error: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(", ")}\n`);
    return 1;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    const known = error instanceof UsageError || (error instanceof TypeError && "code" in error);
    io.err(`error: ${(error as Error).message}\n`);
    if (!known && process.env.AWS_AUTH_GUARDIAN_DEBUG) io.err(`${(error as Error).stack}\n`);
    return 1;
  }
}
