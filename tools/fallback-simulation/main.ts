/**
 * `npm run simulate:fallback [-- --processes N --seed S --webhooks SHARE]`: the fallback under a
 * simulated day (see simulation.ts), then its figures.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SIMULATION, describeFigures, runFallbackSimulation } from './simulation.ts';

const { values } = parseArgs({
  options: {
    processes: { type: 'string' },
    seed: { type: 'string' },
    webhooks: { type: 'string' },
  },
});
const number = (text: string | undefined, fallback: number) => (text === undefined ? fallback : Number(text));
const options = {
  ...DEFAULT_SIMULATION,
  processes: number(values.processes, DEFAULT_SIMULATION.processes),
  seed: number(values.seed, DEFAULT_SIMULATION.seed),
  webhookShare: number(values.webhooks, DEFAULT_SIMULATION.webhookShare),
  progress: (line: string) => console.error(line),
};
if (!Number.isInteger(options.processes) || options.processes < 1) throw new RangeError('--processes must be a whole number above 0');
if (!(options.webhookShare >= 0 && options.webhookShare <= 1)) throw new RangeError('--webhooks must be a share from 0 to 1');

console.error(`simulating ${options.processes} tracked processes (seed ${options.seed}, ${options.webhookShare * 100}% of webhooks delivered)...`);
const started = performance.now();
const figures = await runFallbackSimulation(options);
console.log(describeFigures(figures));
console.error(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
