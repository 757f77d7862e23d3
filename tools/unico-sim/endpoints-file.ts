/**
 * The local stack's endpoints file (`.local/endpoints.json`, written by `npm start`): where to
 * deliver and with which credentials, so a rehearsal needs no copying of URLs and secrets.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './errors.ts';

export interface EndpointsTarget {
  readonly url: string | undefined;
  /** The auth in Unico's notation, e.g. `basic:user:pass`. */
  readonly auth: string | undefined;
  readonly tokenUrl: string | undefined;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
}

export function readEndpointsFile(path: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): EndpointsTarget {
  let text: string;
  try {
    text = read(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`cannot read --endpoints ${path} (${typeof code === 'string' ? code : 'unreadable'}); is the local stack running (npm start)?`);
  }
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    throw new UsageError(`--endpoints ${path} is not JSON`);
  }
  return endpointsTarget(file);
}

/** Reads `{ webhookUrl, auth: { mode, unico, tokenUrl?, clientId?, clientSecret? } }`. */
export function endpointsTarget(file: unknown): EndpointsTarget {
  const record = asRecord(file);
  const auth = asRecord(record?.auth);
  const mode = text(auth?.mode);
  const unico = text(auth?.unico);
  let spec: string | undefined;
  if (mode === 'none' || mode === 'oauth2') {
    spec = mode;
  } else if (mode !== undefined && unico !== undefined) {
    // `unico` is what one enters in Unico's form: "user:pass", "header:value" or "value".
    spec = unico.toLowerCase().startsWith(`${mode}:`) ? unico : `${mode}:${unico}`;
  }
  return {
    url: text(record?.webhookUrl),
    auth: spec,
    tokenUrl: text(auth?.tokenUrl),
    clientId: text(auth?.clientId),
    clientSecret: text(auth?.clientSecret),
  };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
