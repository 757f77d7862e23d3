#!/usr/bin/env node
/**
 * unico-sim: delivers webhooks exactly as Unico IDCloud does, to rehearse and certify an endpoint,
 * and runs a local Unico (token endpoint, GetProcess, admin API).
 *   unico-sim deliver --url URL --auth SPEC [--count N] [--concurrency C] ...
 *   unico-sim check   --url URL --auth SPEC
 *   unico-sim serve   [--port N] [--receiver-url URL --receiver-auth SPEC] ...   (until SIGINT/SIGTERM)
 * Run `unico-sim --help` for everything.
 */
import { main } from '../tools/unico-sim/cli.ts';
import { untilTerminationSignal } from '../tools/unico-sim/serve/serve-command.ts';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
  env: process.env,
  untilStopped: untilTerminationSignal,
});
