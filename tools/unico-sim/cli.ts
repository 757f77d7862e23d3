/**
 * unico-sim's entry point as a function: arguments in, text out, exit code back. The bin file
 * only wires it to the process; tests call it in-process with their own streams and clock.
 */
import { readFileSync } from 'node:fs';
import { checkExitCode, formatCheckText, runCheck } from './check.ts';
import { runDeliver } from './deliver.ts';
import { UnicoSimError, UsageError } from './errors.ts';
import { createHttpSender, monotonicClock, type Clock, type HttpSender } from './http-sender.ts';
import { defaultNotificationSource, type NotificationSource } from './notifications.ts';
import { MAIN_HELP, parseCommandLine } from './options.ts';
import { ProgressLine } from './progress.ts';
import { formatResults, readResults, sqsResultsQueue, type ResultsConfig, type ResultsQueue } from './results.ts';
import { realSleep, type Random, type Sleep } from './retry.ts';
import { runServe, SERVE_HELP, SERVE_USAGE_LINE, untilTerminationSignal } from './serve/serve-command.ts';
import { deliverExitCode, formatSummaryText } from './summary.ts';

/** The package's version: unico-sim ships with the receiver. */
export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (the progress line is drawn only then). */
  readonly stderrIsTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `serve` runs until this resolves (default: the process's SIGINT or SIGTERM). */
  readonly untilStopped?: () => Promise<void>;
}

/** What tests may replace; the defaults are the real network, clock and randomness. */
export interface CliDeps {
  readonly send: HttpSender;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
  readonly source: NotificationSource;
  readonly readFile: ((path: string) => string) | undefined;
  /** The results queue `results` reads. */
  readonly resultsQueue: (sqs: ResultsConfig['sqs']) => ResultsQueue;
}

export function defaultCliDeps(): CliDeps {
  return {
    send: createHttpSender(monotonicClock),
    clock: monotonicClock,
    sleep: realSleep,
    random: Math.random,
    source: defaultNotificationSource,
    readFile: undefined,
    resultsQueue: sqsResultsQueue,
  };
}

export async function main(argv: readonly string[], io: CliIo, overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps: CliDeps = { ...defaultCliDeps(), ...overrides };
  try {
    const [first, second] = argv;
    if (first === 'serve') {
      return await runServe(argv.slice(1), {
        stdout: io.stdout,
        env: io.env,
        untilStopped: io.untilStopped ?? untilTerminationSignal,
        ...(deps.readFile === undefined ? {} : { readFile: deps.readFile }),
      });
    }
    if (first === '--version' || first === '-V' || first === 'version') {
      io.stdout(`unico-sim ${VERSION}\n`);
      return EXIT_OK;
    }
    if ((first === 'help' || first === '--help' || first === '-h') && second === 'serve') {
      io.stdout(SERVE_HELP);
      return EXIT_OK;
    }
    const command = parseCommandLine(argv, { env: io.env, ...(deps.readFile === undefined ? {} : { readFile: deps.readFile }) });
    switch (command.kind) {
      case 'help':
        io.stdout(command.text === MAIN_HELP ? withServeCommand(MAIN_HELP) : command.text);
        return EXIT_OK;
      case 'deliver': {
        const progress = new ProgressLine(io.stderr, command.progress && io.stderrIsTty, deps.clock);
        const summary = await runDeliver(command.config, { ...deps, progress });
        io.stdout(command.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummaryText(summary));
        return deliverExitCode(summary);
      }
      case 'check': {
        const report = await runCheck(command.config, deps);
        io.stdout(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheckText(report));
        return checkExitCode(report);
      }
      case 'results': {
        const report = await readResults(command.config, deps.resultsQueue(command.config.sqs), deps.clock);
        const { stdout, stderr } = formatResults(report);
        io.stdout(stdout);
        if (stderr !== '') io.stderr(stderr);
        return stderr === '' ? EXIT_OK : EXIT_FAILED;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`unico-sim: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UnicoSimError) {
      io.stderr(`unico-sim: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

/** The main help with the serve command listed after the others. */
function withServeCommand(help: string): string {
  const lines = help.split('\n');
  const lastCommand = lines.findLastIndex((line) => /^ {2}unico-sim (deliver|check) /.test(line));
  if (lastCommand === -1) return `${help}\nAlso:\n${SERVE_USAGE_LINE}\n`;
  lines.splice(lastCommand + 1, 0, SERVE_USAGE_LINE);
  return lines.join('\n');
}
