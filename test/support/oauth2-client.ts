/** Fetches an access token with the client-credentials grant, as Unico does (client_secret_basic). */
export async function fetchAccessToken(
  tokenUrl: string,
  clientId: string,
  clientSecret: string,
  style: 'basic' | 'post' = 'basic',
): Promise<{ status: number; token?: string }> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (style === 'basic') {
    const encode = (value: string) => encodeURIComponent(value);
    headers.authorization = `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
  }
  const response = await fetch(tokenUrl, { method: 'POST', headers, body: form });
  const body = (await response.json()) as { access_token?: string };
  return { status: response.status, ...(body.access_token ? { token: body.access_token } : {}) };
}
