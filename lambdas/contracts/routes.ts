/** The HTTP routes the receiver serves, the same in API Gateway and in the local stack. */

/** Where Unico posts its webhooks. */
export const WEBHOOK_PATH = '/webhooks/unico';

/** Contract 3: the integrator's backend tells which processes to watch (IAM-authorised in AWS). */
export const TRACKING_ROUTES = {
  /** PUT: start tracking; GET: its status. */
  process: '/processes/{processId}',
  /** POST: the person reached the end of the journey: check soon. */
  journeyFinished: '/processes/{processId}/journey-finished',
} as const;
