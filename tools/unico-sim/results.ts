/**
 * `unico-sim results`: reads the local stack's results queue as a consumer would, and prints the
 * events it takes: the last step of a rehearsal, without writing a consumer first. Events of the
 * processIds asked for are taken (deleted); any other event is put back untouched when it ends.
 */
import { ChangeMessageVisibilityBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { UnicoSimError } from './errors.ts';

export interface ResultsConfig {
  readonly sqs: { readonly endpoint: string; readonly region: string; readonly resultsQueueUrl: string };
  /** Only these processIds' events (lower-case); empty: any event. */
  readonly processIds: readonly string[];
  /** Stop after this many events. */
  readonly count: number;
  /** Give up after this long. */
  readonly waitMs: number;
}

export interface QueueMessage {
  readonly body: string;
  readonly receiptHandle: string;
}

/** The three calls a consumer makes; tests pass a fake. */
export interface ResultsQueue {
  receive(waitSeconds: number): Promise<QueueMessage[]>;
  remove(message: QueueMessage): Promise<void>;
  /** Makes the messages visible again at once, for other consumers. */
  release(messages: readonly QueueMessage[]): Promise<void>;
  close(): void;
}

export interface ResultsReport {
  readonly events: readonly unknown[];
  readonly wanted: number;
  readonly waitedMs: number;
}

export function sqsResultsQueue(sqs: ResultsConfig['sqs']): ResultsQueue {
  // The emulators take any credentials; a real queue's come from the usual AWS chain instead.
  const local = /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(sqs.endpoint);
  const client = new SQSClient({
    endpoint: sqs.endpoint,
    region: sqs.region,
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  const queueUrl = sqs.resultsQueueUrl;
  return {
    receive: async (waitSeconds) => {
      const { Messages = [] } = await client.send(new ReceiveMessageCommand({
        QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds, VisibilityTimeout: 60,
      }));
      return Messages.map((message) => ({ body: message.Body ?? '', receiptHandle: message.ReceiptHandle ?? '' }));
    },
    remove: async (message) => {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle }));
    },
    release: async (messages) => {
      for (let start = 0; start < messages.length; start += 10) {
        await client.send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.slice(start, start + 10).map((message, index) => ({
            Id: String(index), ReceiptHandle: message.receiptHandle, VisibilityTimeout: 0,
          })),
        }));
      }
    },
    close: () => client.destroy(),
  };
}

/**
 * Takes events until `count` matched or the wait ends. Events of other processes are held while
 * it reads on (a FIFO queue hands out other groups only while these are held) and then released.
 */
export async function readResults(config: ResultsConfig, queue: ResultsQueue, clock: () => number = Date.now): Promise<ResultsReport> {
  const started = clock();
  const events: unknown[] = [];
  const held: QueueMessage[] = [];
  const wanted = new Set(config.processIds);
  try {
    while (events.length < config.count) {
      const leftMs = config.waitMs - (clock() - started);
      if (leftMs <= 0) break;
      const messages = await queue.receive(Math.min(20, Math.ceil(leftMs / 1000)));
      for (const message of messages) {
        const event = parseEvent(message.body);
        if (events.length < config.count && (wanted.size === 0 || wanted.has(event.processId ?? ''))) {
          events.push(event.value);
          await queue.remove(message);
        } else {
          held.push(message);
        }
      }
    }
  } catch (error) {
    throw new UnicoSimError(`cannot read the results queue ${config.sqs.resultsQueueUrl}: ${error instanceof Error ? error.message : String(error)} `
      + '(is the local stack running?)');
  } finally {
    await queue.release(held).catch(() => undefined);
    queue.close();
  }
  return { events, wanted: config.count, waitedMs: clock() - started };
}

function parseEvent(body: string): { value: unknown; processId: string | undefined } {
  try {
    const value = JSON.parse(body) as { subject?: unknown; data?: { processId?: unknown } };
    const processId = typeof value.data?.processId === 'string' ? value.data.processId : typeof value.subject === 'string' ? value.subject : undefined;
    return { value, processId: processId?.toLowerCase() };
  } catch {
    return { value: body, processId: undefined };
  }
}

/** Each event as indented JSON, then a line when fewer came than asked for. */
export function formatResults(report: ResultsReport): { stdout: string; stderr: string } {
  const stdout = report.events.map((event) => `${JSON.stringify(event, null, 2)}\n`).join('');
  const stderr = report.events.length < report.wanted
    ? `unico-sim: ${report.events.length} of ${report.wanted} results event${report.wanted === 1 ? '' : 's'} within ${Math.round(report.waitedMs / 1000)} s `
      + '(the processor makes one GetProcess call per finished process, at most UNICO_MAX_RPS a second: wait longer with --wait)\n'
    : '';
  return { stdout, stderr };
}
