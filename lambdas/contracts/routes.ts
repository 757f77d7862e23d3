/** The HTTP routes the receiver serves, the same in API Gateway and in the local stack. */

/** Where Unico posts its webhooks. */
export const WEBHOOK_PATH = '/webhooks/unico';
