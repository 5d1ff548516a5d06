// The `socd` command.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { EmbeddedStoreError } from '../store/embedded/error.js';
import { registerExtract } from './commands/extract.js';
import { registerImport } from './commands/import.js';
import { registerIngest } from './commands/ingest.js';
import { registerKeys } from './commands/keys.js';
import { registerLifecycle } from './commands/lifecycle.js';
import { registerMigrate } from './commands/migrate.js';
import { registerServe } from './commands/serve.js';
import { registerSources } from './commands/sources.js';
import { registerWorker } from './commands/worker.js';
import { CliError } from './context.js';

export function buildProgram(): Command {
  const program = new Command('socd')
    .description('socdefenders: self-hostable threat intelligence')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerMigrate(program);
  registerKeys(program);
  registerImport(program);
  registerSources(program);
  registerIngest(program);
  registerWorker(program);
  registerExtract(program);
  registerLifecycle(program);
  return program;
}

/** Errors the user can act on are printed as one line; anything else with its stack. */
export async function run(argv: string[] = process.argv): Promise<void> {
  // A reader that stops early (`socd extract … | head`) closes the pipe: stop quietly, as Unix
  // tools do. What a command stores is committed before it prints.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    const code = (error as NodeJS.ErrnoException).code;
    const known =
      error instanceof CliError ||
      error instanceof ConfigError ||
      error instanceof EmbeddedStoreError ||
      // The port is taken, or not ours to listen on.
      code === 'EADDRINUSE' ||
      code === 'EACCES';
    process.stderr.write(`socd: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    process.exitCode = 1;
  }
}
