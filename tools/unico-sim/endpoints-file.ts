/**
 * The local stack's endpoints file (`.local/endpoints.json`, written by `npm start`): where to
 * deliver and with which credentials, so a rehearsal needs no copying of URLs and secrets.
 */
import { readFileSync } from 'node:fs';
import { UNICO_CONTRACTS, type UnicoContractName } from '../../lambdas/contracts/unico-api.ts';
import { UsageError } from './errors.ts';
import type { LocalStackInfo } from './local-unico.ts';

export interface EndpointsTarget {
  readonly url: string | undefined;
  /** The auth in Unico's notation, e.g. `basic:user:pass`. */
  readonly auth: string | undefined;
  readonly tokenUrl: string | undefined;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  /** The stack behind webhookUrl: its Unico simulator and its processor's budget. */
  readonly localStack: LocalStackInfo;
  /** Where its results events are. */
  readonly sqs: { readonly endpoint: string; readonly region: string; readonly resultsQueueUrl: string } | undefined;
}

export function readEndpointsFile(path: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): EndpointsTarget {
  let text: string;
  try {
    text = read(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`cannot read --endpoints ${path} (${typeof code === 'string' ? code : 'unreadable'}); is the local stack running (npm start)? `
      + 'It writes the file named by its LOCAL_ENDPOINTS_FILE (default .local/endpoints.json) and removes it on stop');
  }
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    throw new UsageError(`--endpoints ${path} is not JSON`);
  }
  return endpointsTarget(file);
}

/**
 * Reads `{ webhookUrl, auth: { mode, unico, tokenUrl?, clientId?, clientSecret? }, unicoSimulator?,
 * processor? }`, where `unico` is what Unico's form holds (`USER:PASS`, `HEADER:VALUE`, `VALUE`).
 */
export function endpointsTarget(file: unknown): EndpointsTarget {
  const record = asRecord(file);
  const auth = asRecord(record?.auth);
  const mode = text(auth?.mode);
  const unico = text(auth?.unico);
  let spec: string | undefined;
  if (mode === 'none' || mode === 'oauth2') {
    spec = mode;
  } else if (mode !== undefined && unico !== undefined) {
    // Files written before `unico` held the form value alone carry the whole notation.
    spec = unico.toLowerCase().startsWith(`${mode}:`) ? unico : `${mode}:${unico}`;
  }
  return {
    url: text(record?.webhookUrl),
    auth: spec,
    tokenUrl: text(auth?.tokenUrl),
    clientId: text(auth?.clientId),
    clientSecret: text(auth?.clientSecret),
    localStack: localStackInfo(record),
    sqs: resultsQueue(asRecord(record?.sqs)),
  };
}

function resultsQueue(sqs: Record<string, unknown> | undefined): EndpointsTarget['sqs'] {
  const endpoint = text(sqs?.endpoint);
  const region = text(sqs?.region);
  const resultsQueueUrl = text(sqs?.resultsQueueUrl);
  return endpoint === undefined || region === undefined || resultsQueueUrl === undefined ? undefined : { endpoint, region, resultsQueueUrl };
}

function localStackInfo(record: Record<string, unknown> | undefined): LocalStackInfo {
  const simulator = asRecord(record?.unicoSimulator);
  const adminUrl = text(simulator?.adminUrl);
  const contract = text(simulator?.contract);
  const unicoMaxRps = asRecord(record?.processor)?.unicoMaxRps;
  return {
    // Without a contract the shape of a registered process is unknown: register nothing.
    simulator: adminUrl !== undefined && isContract(contract) ? { adminUrl, contract } : undefined,
    unicoMaxRps: typeof unicoMaxRps === 'number' && unicoMaxRps > 0 ? unicoMaxRps : undefined,
  };
}

function isContract(value: string | undefined): value is UnicoContractName {
  return (UNICO_CONTRACTS as readonly string[]).includes(value ?? '');
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
