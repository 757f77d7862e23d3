/**
 * The simulator's request log (`GET {admin}/requests`) as a chart's series: requests to Unico in
 * each of the last `seconds` wall-clock seconds, GetProcess and token apart, beside the budget.
 */
export interface LoggedApiRequest {
  readonly at: number;
  readonly kind: 'token' | 'getProcess';
}

export interface RateSeries {
  /** Epoch second of the first bar. */
  readonly from: number;
  readonly getProcess: number[];
  readonly token: number[];
}

export function rateSeries(requests: readonly LoggedApiRequest[], now: number, seconds = 60): RateSeries {
  const last = Math.floor(now / 1000);
  const from = last - seconds + 1;
  const getProcess = new Array<number>(seconds).fill(0);
  const token = new Array<number>(seconds).fill(0);
  for (const request of requests) {
    const index = Math.floor(request.at / 1000) - from;
    if (index < 0 || index >= seconds) continue;
    if (request.kind === 'token') token[index] = (token[index] ?? 0) + 1;
    else getProcess[index] = (getProcess[index] ?? 0) + 1;
  }
  return { from, getProcess, token };
}
