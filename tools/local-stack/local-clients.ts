/**
 * SDK client settings for the local stack's emulators (or the external services that replace
 * them): the region, dummy credentials, and the intake's socket pool.
 */
import { awsClientOptions } from '../../lambdas/adapters/aws/client-options.ts';
import type { IntakeTimeBudget } from '../../lambdas/contracts/time-budgets.ts';

export const LOCAL_REGION = 'us-east-1';
/** The emulators accept any credentials; fixed dummies keep the SDK from looking for real ones. */
const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function emulatorClientConfig(emulator: { readonly endpoint: string }) {
  return { endpoint: emulator.endpoint, region: LOCAL_REGION, credentials: EMULATOR_CREDENTIALS };
}

/**
 * Sockets one local SDK client may open at once, and keep open when idle: above Unico's 500
 * deliveries in flight. The SDK's default pool is 50 sockets per client, and a request waiting
 * for one has its connect timeout running; Node's agent keeps only 256 idle sockets by default,
 * so after each burst past that it would close the rest and open them again on the next.
 */
export const LOCAL_MAX_SOCKETS = 1000;

/**
 * The intake's SDK settings as in AWS (attempts, connect and request timeouts from the deadline),
 * with a socket pool large enough for every delivery in flight. In AWS each instance serves one
 * delivery at a time and never waits for a socket; locally one client serves them all, and with
 * the default pool deliveries past the 50th would wait and time out: failures AWS does not have.
 */
export function localClientOptions(budget: IntakeTimeBudget) {
  const options = awsClientOptions(budget.awsCalls);
  return {
    ...options,
    requestHandler: { ...options.requestHandler, httpAgent: { maxSockets: LOCAL_MAX_SOCKETS, maxFreeSockets: LOCAL_MAX_SOCKETS } },
  };
}
