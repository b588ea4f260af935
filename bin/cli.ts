/**
 * The `aws-auth-guardian` command line: commander reads the arguments and writes the help; each
 * command is declared in `bin/commands/registry.ts` and implemented in its own module, loaded on use.
 * This file turns a command's result or error into the exit status.
 */
import { Command, CommanderError } from "commander";
import { oneLine } from "../lambda/core/encode.js";
import packageJson from "../package.json" with { type: "json" };
import { type CommandDeps, type ConfirmIo, processIo, UsageError } from "./commands/io.js";
import { COMMANDS } from "./commands/registry.js";

const DESCRIPTION = "Watches, classifies, snapshots and restores the EKS aws-auth ConfigMap.";

function program(io: ConfirmIo, deps: CommandDeps, done: (code: number) => void): Command {
  const root = new Command("aws-auth-guardian")
    .description(DESCRIPTION)
    .version(packageJson.version, "-V, --version", "print the version")
    // Root options only before the command, so that a command may have its own --version
    // (explain --version picks a stored version of aws-auth).
    .enablePositionalOptions()
    .helpOption("-h, --help", "print this help")
    .helpCommand("help [command]", "print the help of a command")
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .addHelpText("after", '\nRun "aws-auth-guardian COMMAND --help" for a command\'s options.')
    .exitOverride();
  for (const definition of COMMANDS) {
    const command = root
      .command(definition.name)
      .summary(definition.summary)
      .description(definition.description ?? definition.summary)
      .helpOption("-h, --help", "print this help");
    definition.options?.(command);
    if (definition.after) command.addHelpText("after", definition.after);
    command.action(async (...received: unknown[]) => {
      const self = received.at(-1) as Command;
      const run = await definition.load();
      done(await run({ args: self.args, options: self.opts() as never, io, deps }));
    });
  }
  return root;
}

/** Runs one command line (without `node` and the script) and returns the exit status. */
export async function main(
  argv: string[],
  io: ConfirmIo = processIo,
  deps: CommandDeps = {},
): Promise<number> {
  let code = 0;
  try {
    await program(io, deps, (result) => {
      code = result;
    }).parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    // Commander has printed its own message (unknown command or option, with the closest match).
    if (error instanceof CommanderError) return error.exitCode;
    const known = error instanceof UsageError || (error instanceof TypeError && "code" in error);
    // Messages quote what was read (store keys, API server answers): one line each.
    io.err(`error: ${oneLine((error as Error).message)}\n`);
    if (!known && process.env.AWS_AUTH_GUARDIAN_DEBUG) io.err(`${(error as Error).stack}\n`);
    return 1;
  }
}

export { endQuietlyOnBrokenPipe } from "./commands/io.js";
