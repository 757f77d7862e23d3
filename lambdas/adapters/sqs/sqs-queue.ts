import type { SQSClient } from '@aws-sdk/client-sqs';

export interface SqsQueueOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
}

/** One SQS queue reached through one client: what every queue adapter here starts from. */
export abstract class SqsQueue {
  protected readonly client: SQSClient;
  protected readonly queueUrl: string;

  constructor(options: SqsQueueOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
  }
}
