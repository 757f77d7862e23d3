/**
 * The endpoints file belongs to the local stack that wrote it, for as long as that stack runs: a
 * second stack started from the same folder must neither overwrite it nor delete it on stop, or
 * every tool pointed at the file would talk to the wrong stack, or to none.
 *
 * The file carries its writer's `pid`. It is live while that process runs (`process.kill(pid, 0)`
 * succeeds); a file whose writer is gone, or without a pid, is a leftover of a stack that was
 * killed, and is replaced.
 */
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatAuthSpec, type AuthSpec } from '../../lambdas/contracts/auth-notation.ts';
import { ConfigurationError } from '../../lambdas/core/errors.ts';

/**
 * What to type in Unico's webhook form once its auth type is chosen (the file's `auth.unico`):
 * `USER:PASS` for Basic, `HEADER:VALUE` or `VALUE` for an API key. unico-sim's `--auth` and
 * WEBHOOK_AUTH take the same value behind the mode: `basic:USER:PASS`.
 */
export function unicoFormValue(spec: AuthSpec): string {
  const notation = formatAuthSpec(spec);
  return spec.mode === 'basic' || spec.mode === 'apikey' ? notation.slice(spec.mode.length + 1) : notation;
}

/** Who holds the file: the writer's pid and the webhook URL it serves, for the message. */
export interface EndpointsFileOwner {
  readonly pid: number;
  readonly webhookUrl: string | undefined;
}

/** Whether a process runs; EPERM means it runs as another user. */
export type ProcessAlive = (pid: number) => boolean;

export const isProcessAlive: ProcessAlive = (pid) => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed stack that nobody has reaped yet (a zombie) still answers signal 0, but serves nothing.
  return !isZombie(pid);
};

/** On Linux, whether /proc says the process has exited and waits to be reaped; elsewhere false. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** The running stack that holds the file, or undefined when it is missing or a leftover. */
export async function liveOwnerOf(file: string, alive: ProcessAlive = isProcessAlive): Promise<EndpointsFileOwner | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { pid, webhookUrl } = (typeof content === 'object' && content !== null ? content : {}) as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  return { pid, webhookUrl: typeof webhookUrl === 'string' ? webhookUrl : undefined };
}

/** The refusal a second stack gets, naming the setting that gives it a file of its own. */
export function endpointsFileInUse(file: string, owner: EndpointsFileOwner): ConfigurationError {
  const serving = owner.webhookUrl === undefined ? '' : `, serving ${owner.webhookUrl}`;
  return new ConfigurationError('the local stack cannot start', [
    `LOCAL_ENDPOINTS_FILE: ${file} belongs to a local stack that is still running (pid ${owner.pid}${serving}); `
      + 'stop that one, or give this one its own file and port: LOCAL_ENDPOINTS_FILE=.local/second.json PORT=0 npm start',
  ]);
}

/** Fails early, before anything starts, when a running stack holds the file. */
export async function assertEndpointsFileFree(file: string, alive: ProcessAlive = isProcessAlive): Promise<void> {
  const owner = await liveOwnerOf(file, alive);
  if (owner !== undefined) throw endpointsFileInUse(file, owner);
}

/** The file as written: the endpoints and the pid of the process that owns it. */
export interface OwnedEndpointsFile {
  /** Removes the file, only if it still holds what this stack wrote. */
  release(): Promise<void>;
}

/**
 * Writes the file unless a running stack holds it. The text goes to a temporary file first and
 * is linked into place, which fails when the file exists: readers never see half a file, and of
 * two stacks racing for it, one wins.
 */
export async function writeOwnedEndpointsFile(
  file: string,
  endpoints: object,
  pid: number = process.pid,
  alive: ProcessAlive = isProcessAlive,
): Promise<OwnedEndpointsFile> {
  const text = `${JSON.stringify({ ...endpoints, pid }, null, 2)}\n`;
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${pid}.${Date.now()}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temporary, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
        const owner = await liveOwnerOf(file, alive);
        if (owner !== undefined) throw endpointsFileInUse(file, owner);
        await rm(file, { force: true });
      }
    }
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  return {
    release: async () => {
      const now = await readFile(file, 'utf8').catch(() => undefined);
      if (now === text) await rm(file, { force: true });
    },
  };
}
