/**
 * What the intake handler tells besides its answer: the log lines and the counted events of each
 * outcome, when it takes a request to have arrived, and the deadline it hands on. The handler is
 * driven directly, with a fake acceptor and authenticator, a fixed clock and its logs captured.
 */
import { beforeEach, describe, expect, test } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { AcceptanceOutcome, AcceptanceRequest, NotificationAcceptor } from '../../../lambdas/core/acceptance/accept-notification.ts';
import { OpenAuthenticator, type Authenticator } from '../../../lambdas/core/auth/authenticator.ts';
import { UnauthorizedError } from '../../../lambdas/core/errors.ts';
import { intakeTimeBudget } from '../../../lambdas/contracts/time-budgets.ts';
import { recordingObservability, type RecordingObservability } from '../../../lambdas/adapters/metrics/recording-observability.ts';
import { createIntakeHandler } from '../../../lambdas/intake/intake-handler.ts';
import { lambdaContext, notificationBody, PROCESS_ID, webhookEvent } from '../../support/unit/intake-events.ts';
import { captureOutput } from '../../support/unit/captured-output.ts';

const NOW = Date.parse('2025-06-15T12:00:00.000Z');
const RESPONSE_DEADLINE_MS = 5000;
const MARGIN_MS = intakeTimeBudget(RESPONSE_DEADLINE_MS).responseMarginMs;

const output = captureOutput();
let observed: RecordingObservability;
let requests: AcceptanceRequest[];

beforeEach(() => {
  observed = recordingObservability();
  requests = [];
});

function acceptorAnswering(outcome: AcceptanceOutcome, delayMs = 0): NotificationAcceptor {
  const fake = {
    accept: async (request: AcceptanceRequest) => {
      requests.push(request);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return outcome;
    },
  };
  return fake as unknown as NotificationAcceptor;
}

function handler(
  options: { readonly acceptor?: NotificationAcceptor; readonly authenticator?: Authenticator; readonly responseDeadlineMs?: number } = {},
) {
  const handle = createIntakeHandler({
    authenticator: options.authenticator ?? new OpenAuthenticator(),
    acceptor: options.acceptor ?? acceptorAnswering('accepted'),
    logger: new Logger({ serviceName: 'intake-test', logLevel: 'DEBUG' }),
    responseDeadlineMs: options.responseDeadlineMs ?? RESPONSE_DEADLINE_MS,
    clock: () => NOW,
    observability: observed,
  });
  return async (event: APIGatewayProxyEventV2, context: Context = lambdaContext()) =>
    (await handle(event, context)) as APIGatewayProxyStructuredResultV2;
}

const delivery = (timeEpoch = NOW - 200, body: unknown = notificationBody()) =>
  webhookEvent({ body: typeof body === 'string' ? body : JSON.stringify(body), timeEpoch });

describe('what the intake handler logs and counts', () => {
  test('an accepted notification: one info line with its keys and API Gateway request id, one accepted count', async () => {
    // Act
    const response = await handler()(delivery());

    // Assess
    expect(response.statusCode).toBe(202);
    expect(output.logLines()).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'notification accepted',
        outcome: 'accepted',
        lastEvent: 'EVENT_TYPE_FINISHED',
        processId: PROCESS_ID,
        state: 'PROCESS_STATE_FINISHED',
        flow: 'idlive',
        correlation_id: 'request-1',
      }),
    );
    expect(observed.events.map((event) => event.name)).toEqual(['accepted']);
  });

  test('a duplicate: its own info line and one duplicate count, no accepted count', async () => {
    // Act
    const response = await handler({ acceptor: acceptorAnswering('duplicate') })(delivery());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(output.logLines()).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'notification duplicate', outcome: 'duplicate' }));
    expect(observed.events.map((event) => event.name)).toEqual(['duplicate']);
  });

  test('a notification without lastEvent logs none', async () => {
    // Prepare
    const { lastEvent: _omitted, ...body } = notificationBody();

    // Act
    await handler()(delivery(NOW - 200, body));

    // Assess
    const line = output.logLines().find((entry) => entry.message === 'notification accepted');
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty('lastEvent');
  });

  test("a refusal: a warning with status, error name and reason, counted by its answer's code", async () => {
    // Prepare
    const refusing: Authenticator = {
      authenticate: async () => {
        throw new UnauthorizedError('Basic realm="unico-webhooks"', 'mismatch');
      },
    };

    // Act
    const response = await handler({ authenticator: refusing })(delivery());

    // Assess
    expect(response.statusCode).toBe(401);
    expect(output.logLines()).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: 'delivery refused', status: 401, error: 'UnauthorizedError', reason: 'mismatch' }),
    );
    expect(observed.of('refused')).toEqual([['unauthorized']]);
  });

  test('a refusal without a reason (invalid JSON) logs none', async () => {
    // Act
    const response = await handler()(delivery(NOW - 200, '{"processId":'));

    // Assess
    expect(response.statusCode).toBe(400);
    const line = output.logLines().find((entry) => entry.message === 'delivery refused');
    expect(line).toEqual(expect.objectContaining({ level: 'WARN', status: 400, error: 'InvalidJsonError' }));
    expect(line).not.toHaveProperty('reason');
    expect(observed.of('refused')).toEqual([['invalid_json']]);
  });

  test('an unexpected failure: an error line with the status, nothing counted as refused', async () => {
    // Prepare
    const broken: Authenticator = {
      authenticate: async () => {
        throw new TypeError('a bug');
      },
    };

    // Act
    const response = await handler({ authenticator: broken })(delivery());

    // Assess
    expect(response.statusCode).toBe(500);
    const line = output.logLines().find((entry) => entry.message === 'delivery not taken');
    expect(line).toEqual(expect.objectContaining({ level: 'ERROR', status: 500 }));
    expect(line?.error).toEqual(expect.objectContaining({ name: 'TypeError' }));
    expect(observed.events).toEqual([]);
  });

  test('authentication that overruns the deadline is a transient failure of "authentication"', async () => {
    // Prepare: received so long ago that no time is left for it.
    const event = delivery(NOW - RESPONSE_DEADLINE_MS);

    // Act
    const response = await handler()(event);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(observed.of('dependencyFailed')).toEqual([['authentication', 'transient']]);
    expect(output.logLines()).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'delivery not taken: a dependency is unavailable',
        dependency: 'authentication',
        dependencyFailure: 'transient',
        status: 503,
      }),
    );
  });

  test("one invocation's keys do not reach the next one's log lines", async () => {
    // Prepare
    const handle = handler();
    await handle(delivery());

    // Act
    await handle(delivery(NOW - 200, '{"processId":'));

    // Assess
    const refused = output.logLines().find((entry) => entry.message === 'delivery refused');
    expect(refused).toBeDefined();
    expect(refused).not.toHaveProperty('processId');
  });

  test('the handler races no timer of its own: little time left in the function still lets the work end', async () => {
    // Prepare: the response deadline bounds every wait; a middy early timeout would cut this one.
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 20 };

    // Act
    const response = await handler({ acceptor: acceptorAnswering('accepted', 60) })(delivery(), context);

    // Assess
    expect(response.statusCode).toBe(202);
  });
});

describe('when the request arrived, and the deadline handed on', () => {
  // A deadline long enough that a request received a minute ago still has time left.
  const receivedAt = async (event: APIGatewayProxyEventV2) => {
    const response = await handler({ responseDeadlineMs: 120_000 })(event);
    expect(response.statusCode).toBe(202);
    return requests[0]?.receivedAt;
  };

  test("API Gateway's receive time, and the deadline counts from it less the margin", async () => {
    // Act
    const response = await handler()(delivery(NOW - 1500));

    // Assess
    expect(response.statusCode).toBe(202);
    expect(requests[0]?.receivedAt).toBe(new Date(NOW - 1500).toISOString());
    expect(requests[0]?.deadline.expiresAt).toBe(NOW - 1500 + RESPONSE_DEADLINE_MS - MARGIN_MS);
  });

  test.each([
    ['a minute ago, exactly', NOW - 60_000, NOW - 60_000],
    ['right now', NOW, NOW],
    ['more than a minute ago (a clock that disagrees): now', NOW - 60_001, NOW],
    ['in the future (a clock that disagrees): now', NOW + 1, NOW],
  ])('received %s', async (_, timeEpoch, expected) => {
    expect(await receivedAt(delivery(timeEpoch))).toBe(new Date(expected).toISOString());
  });

  test('an event without a request context: now, and no correlation id', async () => {
    // Prepare
    const { requestContext: _omitted, ...event } = delivery();

    // Act
    const arrived = await receivedAt(event as APIGatewayProxyEventV2);

    // Assess
    expect(arrived).toBe(new Date(NOW).toISOString());
    expect(output.logLines().find((entry) => entry.message === 'notification accepted')).not.toHaveProperty('correlation_id');
  });

  test('a request context without a receive time: now', async () => {
    // Prepare
    const event = delivery();
    const { timeEpoch: _omitted, ...requestContext } = event.requestContext;

    // Act + Assess
    expect(await receivedAt({ ...event, requestContext } as APIGatewayProxyEventV2)).toBe(new Date(NOW).toISOString());
  });
});
