import type { LocalEndpoints } from './local-stack.ts';
import type { LogFormat } from './log-output.ts';

/** The few lines `npm start` prints when ready: where to send webhooks and what Unico's form needs. */
export function readySummary(
  endpoints: LocalEndpoints,
  endpointsFile: string | null,
  logFormat: LogFormat = 'json',
  runProcessor = true,
): string {
  const lines = [
    'Unico webhook receiver: local stack ready',
    `  webhook      POST ${endpoints.webhookUrl}`,
    `  auth         ${describeAuth(endpoints)}`,
    `  intake queue ${endpoints.sqs.intakeQueueUrl} (SQS endpoint ${endpoints.sqs.endpoint})`,
    `  claims       table ${endpoints.dynamodb.tables.claims} (DynamoDB endpoint ${endpoints.dynamodb.endpoint})`,
    ...(endpoints.trackingUrl === null
      ? []
      : [`  tracking     PUT|GET ${endpoints.trackingUrl}/{processId}, POST .../journey-finished (open here; IAM in AWS)`]),
    runProcessor
      ? `  results      ${endpoints.sqs.resultsQueueUrl} (one CloudEvent per finished process)`
      : '  processor    off (RUN_PROCESSOR=false): notifications stay on the intake queue',
  ];
  if (runProcessor && endpoints.processor !== null) {
    lines.push(`  budget       ${endpoints.processor.unicoMaxRps} calls/s to Unico (UNICO_MAX_RPS): results events come at most that fast`);
  }
  if (endpoints.unicoSimulator !== null) {
    lines.push(`  unico        local simulator (${endpoints.unicoSimulator.contract} contract), admin API ${endpoints.unicoSimulator.adminUrl}`);
  }
  if (endpointsFile !== null) lines.push(`  endpoints    ${endpointsFile}`);
  lines.push(
    endpointsFile !== null
      ? `  rehearse     npx unico-sim check --endpoints ${endpointsFile}`
      : `  rehearse     npx unico-sim check --url ${endpoints.webhookUrl} --auth '${simAuth(endpoints)}'${oauth2Flags(endpoints)}`,
  );
  if (endpointsFile !== null && runProcessor) {
    lines.push(`  read         npx unico-sim results --endpoints ${endpointsFile} (results events, as a consumer takes them)`);
  }
  lines.push(
    logFormat === 'text'
      ? '  logs         one line per delivery below (LOG_FORMAT=json: JSON as in AWS; POWERTOOLS_LOG_LEVEL=WARN: problems only)'
      : '  logs         JSON lines as in AWS on stdout (LOG_FORMAT=text: one short line per delivery)',
  );
  lines.push('Ctrl+C stops it.');
  return lines.join('\n');
}

function describeAuth(endpoints: LocalEndpoints): string {
  const { auth } = endpoints;
  switch (auth.mode) {
    case 'none':
      return 'none (development only: anybody may post)';
    case 'oauth2':
      return `oauth2: in Unico's form, provider URL ${auth.tokenUrl}, ClientId ${auth.clientId}, Secret ${auth.clientSecret}`;
    default:
      return `${auth.mode}: in Unico's form, choose ${auth.mode === 'basic' ? 'Basic' : 'API Key'} and type ${auth.unico} (unico-sim --auth ${simAuth(endpoints)})`;
  }
}

/** unico-sim's --auth: the mode, then what Unico's form holds. */
const simAuth = (endpoints: LocalEndpoints) =>
  endpoints.auth.mode === 'basic' || endpoints.auth.mode === 'apikey' ? `${endpoints.auth.mode}:${endpoints.auth.unico}` : endpoints.auth.mode;

function oauth2Flags(endpoints: LocalEndpoints): string {
  const { auth } = endpoints;
  if (auth.mode !== 'oauth2') return '';
  return ` --oauth2-token-url ${auth.tokenUrl} --client-id ${auth.clientId} --client-secret ${auth.clientSecret}`;
}
