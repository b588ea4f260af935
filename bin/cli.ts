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
};

const HELP = `aws-auth-guardian: watches, classifies, snapshots and restores the EKS aws-auth ConfigMap.

Commands:
  analyze [FILE…]   judge every write to aws-auth in exported audit logs
  demo              replay the incident the guardian exists for, from recorded events

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
