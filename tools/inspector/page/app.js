// The local inspector's page: plain DOM, no framework, no build step. Live data arrives as
// server-sent events from /inspector/api/events; actions go through the small JSON API.
import { drawRateChart } from '/inspector/chart.js';

const $ = (selector) => document.querySelector(selector);
const rows = new Map(); // delivery id -> { delivery, row }
let contract = 'web-sdk';
let openDeliveryId;
let openProcessId;
let revealed = false;

async function api(path, { method = 'GET', body } = {}) {
  const response = await fetch(`/inspector/api/${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  let json;
  try { json = text === '' ? undefined : JSON.parse(text); } catch { json = text; }
  if (!response.ok) throw new Error(`${response.status}: ${json?.error ?? text}`);
  return json;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

const clock = (iso) => {
  const date = new Date(iso);
  return `${date.toTimeString().slice(0, 8)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
};

// Deliveries -------------------------------------------------------------------------------------

function deliveryRow(delivery) {
  const outcome = element('td', { class: `outcome ${delivery.outcome}` }, delivery.outcome);
  if (delivery.reason) outcome.append(' ', element('span', { class: 'reason' }, `· ${delivery.reason}`));
  if (delivery.replayOf) outcome.append(' ', element('span', { class: 'replay' }, `↻ replay of #${delivery.replayOf}`));
  const row = element(
    'tr',
    { 'data-delivery-id': String(delivery.id), 'data-outcome': delivery.outcome, 'data-process-id': delivery.processId ?? '' },
    element('td', { class: 'mono' }, clock(delivery.receivedAt)),
    element('td', {}, element('span', { class: `badge ${delivery.outcome}` }, String(delivery.status))),
    outcome,
    element('td', { class: 'mono' }, delivery.processId ?? '–'),
    element('td', { class: 'mono' }, (delivery.state ?? '–').replace(/^PROCESS_STATE_/, '')),
    element('td', {}, delivery.flow ?? '–'),
    element('td', { class: 'num mono' }, `${delivery.latencyMs} ms`),
  );
  row.addEventListener('click', () => openDelivery(delivery.id));
  return row;
}

function addDelivery(delivery, fresh) {
  if (rows.has(delivery.id)) return;
  const row = deliveryRow(delivery);
  rows.set(delivery.id, { delivery, row });
  const body = $('#deliveries tbody');
  // Newest first, by arrival (answers of concurrent deliveries come in any order).
  const key = (entry) => [Date.parse(entry.receivedAt), entry.id];
  const [at, id] = key(delivery);
  const next = [...body.children].find((other) => {
    const [otherAt, otherId] = key(rows.get(Number(other.dataset.deliveryId)).delivery);
    return otherAt < at || (otherAt === at && otherId < id);
  });
  body.insertBefore(row, next ?? null);
  if (fresh) row.classList.add('fresh');
  applyFilter(row);
  updateCount();
}

function matches(delivery) {
  const processFilter = $('#filter-process').value.trim().toLowerCase();
  const statusFilter = $('#filter-status').value;
  return (!processFilter || (delivery.processId ?? '').includes(processFilter)) && (!statusFilter || delivery.outcome === statusFilter);
}

function applyFilter(only) {
  const entries = only ? [rows.get(Number(only.dataset.deliveryId))] : rows.values();
  for (const { delivery, row } of entries) row.hidden = !matches(delivery);
  updateCount();
}

function updateCount() {
  const shown = [...rows.values()].filter(({ row }) => !row.hidden).length;
  $('#delivery-count').textContent = shown === rows.size ? `${rows.size}` : `${shown} of ${rows.size}`;
  $('#no-deliveries').hidden = rows.size > 0;
}

function requestText(request) {
  const headers = Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`).join('\n');
  return `${request.method} ${request.path}\n${headers}\n\n${pretty(request.body)}`;
}

function responseText(status, response) {
  const headers = Object.entries(response.headers).map(([name, value]) => `${name}: ${value}`).join('\n');
  return `HTTP ${status}\n${headers}\n\n${pretty(response.body)}`;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

async function openDelivery(id) {
  openDeliveryId = id;
  for (const { row } of rows.values()) row.classList.toggle('selected', Number(row.dataset.deliveryId) === id);
  const detail = await api(`deliveries/${id}`);
  $('#detail').hidden = false;
  $('#detail-title').textContent = `Delivery #${detail.id} · ${detail.status} ${detail.outcome}${detail.reason ? ` (${detail.reason})` : ''}`;
  $('#detail-request').textContent = requestText(detail.request);
  $('#detail-response').textContent = responseText(detail.status, detail.response);
  if (detail.processId) await openProcess(detail.processId, false);
  else $('#process-view').hidden = true;
}

// Processes --------------------------------------------------------------------------------------

const json = (value) => (value === undefined || value === null ? '–' : JSON.stringify(value, null, 2));

async function openProcess(processId, reveal) {
  openProcessId = processId;
  revealed = reveal;
  $('#detail').hidden = false;
  $('#process-view').hidden = false;
  // Never show the previous process's claims and outcome under this one while its view loads.
  $('#process-id').textContent = processId;
  for (const id of ['#process-detected-by', '#process-claims', '#process-intake', '#process-results', '#process-simulator']) $(id).textContent = 'loading…';
  await showProcess(processId);
}

/** Fills the process view; nothing when the panel was closed or moved to another process meanwhile. */
async function showProcess(processId) {
  const reveal = revealed;
  const view = await api(`processes/${processId}${reveal ? '?reveal=1' : ''}`);
  if (view.processId !== openProcessId || $('#detail').hidden) return;
  $('#process-id').textContent = processId;
  $('#process-detected-by').textContent = view.detectedBy ?? 'not yet';
  $('#process-claims').textContent = Array.isArray(view.claims) && view.claims.length === 0 ? 'no claim' : json(view.claims);
  $('#process-intake').textContent = view.intakeMessages.length === 0 ? 'none seen by the processor' : json(view.intakeMessages.map((message) => message.body));
  $('#process-results').textContent = view.resultsEvents.length === 0 ? 'none published yet' : json(view.resultsEvents.map((message) => message.body));
  $('#process-simulator').textContent = view.simulator === null ? 'real Unico: no simulator' : view.simulator.status === 200 ? json(view.simulator.process) : `${view.simulator.status}: ${json(view.simulator.process)}`;
  $('#reveal').textContent = reveal ? 'Hide personal data' : 'Reveal personal data';
}

let processReload;
function processChanged(processId) {
  if (processId !== openProcessId || $('#detail').hidden) return;
  clearTimeout(processReload);
  processReload = setTimeout(() => {
    if (processId === openProcessId && !$('#detail').hidden) showProcess(processId).catch(showError);
  }, 150);
}

// Queues and Unico -------------------------------------------------------------------------------

const QUEUES = [
  ['intake', 'intake'],
  ['intakeDlq', 'intake DLQ'],
  ['results', 'results'],
  ['resultsDlq', 'results DLQ'],
];

function renderQueues(depths) {
  const box = $('#queues');
  box.replaceChildren(
    ...QUEUES.map(([name, label]) => {
      const depth = depths[name];
      const dlq = name.endsWith('Dlq');
      const card = element(
        'div',
        { class: `queue${dlq ? ' dlq' : ''}${depth && depth.visible + depth.inFlight > 0 ? ' nonempty' : ''}`, 'data-queue': name },
        element('div', { class: 'name' }, label),
        element('div', { class: 'depth' }, depth === null ? '?' : String(depth.visible), ' ', element('small', {}, depth === null ? 'no answer' : `${depth.inFlight} in flight`)),
      );
      if (dlq) {
        const button = element('button', { type: 'button', class: 'secondary small', disabled: !depth || depth.visible === 0 }, 'Redrive');
        button.addEventListener('click', () => redrive(name, button));
        card.append(button);
      }
      return card;
    }),
  );
}

async function redrive(name, button) {
  button.disabled = true;
  try {
    const { moved } = await api(`queues/${name}/redrive`, { method: 'POST' });
    say(`redrive: ${moved} message${moved === 1 ? '' : 's'} moved back from the ${name === 'intakeDlq' ? 'intake' : 'results'} DLQ`);
  } catch (error) {
    showError(error);
  }
}

function renderUnico(unico) {
  if (unico === null) {
    $('#unico-stats').textContent = 'no simulator (real Unico)';
    return;
  }
  const { stats, budget, rate } = unico;
  const stat = (label, value) => element('div', { class: 'stat' }, element('b', {}, String(value)), label);
  const byStatus = Object.entries(stats.byStatus).map(([status, count]) => `${count} × ${status}`).join(', ') || '–';
  $('#unico-stats').replaceChildren(
    stat('token requests', stats.tokenRequests),
    stat('GetProcess', stats.getProcessRequests),
    stat(`peak/s (budget ${budget ?? '–'})`, stats.peakRequestsInAnySecond),
    stat('GetProcess answers', byStatus),
    stat('webhooks sent', stats.webhooks.sent),
    stat('faults pending', stats.faultsPending),
  );
  drawRateChart($('#rate-chart'), rate, budget);
}

// Simulator actions ------------------------------------------------------------------------------

function say(text) {
  const message = $('#unico-message');
  message.classList.remove('error');
  message.textContent = text;
}

function showError(error) {
  const message = $('#unico-message');
  message.classList.add('error');
  message.textContent = error instanceof Error ? error.message : String(error);
}

function outcomeTemplate(processId) {
  if (contract === 'api') {
    return { id: processId, status: 3, unicoId: { result: 'yes' }, identityFraudsters: { result: 'no' }, liveness: 1, score: 90 };
  }
  return {
    id: processId,
    flow: 'id',
    state: 'PROCESS_STATE_CREATED',
    result: 'PROCESS_RESULT_OK',
    createdAt: new Date().toISOString(),
    person: { duiType: 'DUI_TYPE_BR_CPF', duiValue: '00000000191', friendlyName: 'Pessoa de Teste' },
  };
}

function newProcessId() {
  $('#sim-process-id').value = crypto.randomUUID();
  $('#sim-outcome').value = JSON.stringify(outcomeTemplate($('#sim-process-id').value), null, 2);
}

function processIdInput() {
  const processId = $('#sim-process-id').value.trim().toLowerCase();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(processId)) throw new Error('processId must be a UUID');
  return processId;
}

function simulatorAction(button, action) {
  $(button).addEventListener('click', async () => {
    try {
      say(await action(processIdInput()));
    } catch (error) {
      showError(error);
    }
  });
}

simulatorAction('#sim-set', async (processId) => {
  let outcome;
  try { outcome = JSON.parse($('#sim-outcome').value); } catch { throw new Error('the outcome must be JSON'); }
  await api(`unico/processes/${processId}`, { method: 'PUT', body: outcome });
  return `outcome set for ${processId} (no webhook sent)`;
});
simulatorAction('#sim-finish', async (processId) => {
  const answer = await api(`processes/${processId}/finish`, { method: 'POST' });
  return `${processId} finished; webhook ${answer.webhook}`;
});
simulatorAction('#sim-finish-quiet', async (processId) => {
  await api(`processes/${processId}/finish?webhook=false`, { method: 'POST' });
  return `${processId} finished, no webhook sent (as when Unico's is lost)`;
});
simulatorAction('#sim-webhook', async (processId) => {
  const answer = await api(`unico/processes/${processId}/webhook`, { method: 'POST' });
  return `webhook for ${processId}: ${answer.webhook}`;
});
simulatorAction('#sim-open', async (processId) => {
  await openProcess(processId, false);
  return `process ${processId}`;
});

$('#fault-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const number = (selector) => ($(selector).value === '' ? undefined : Number($(selector).value));
  const fault = {
    target: $('#fault-target').value,
    status: number('#fault-status'),
    retryAfter: number('#fault-retry-after'),
    delayMs: number('#fault-delay'),
    count: number('#fault-count') ?? 1,
  };
  try {
    await api('unico/faults', { method: 'POST', body: fault });
    say(`fault injected: ${JSON.stringify(fault)}`);
  } catch (error) {
    showError(error);
  }
});
$('#fault-clear').addEventListener('click', async () => {
  try {
    await api('unico/faults', { method: 'DELETE' });
    say('faults cleared');
  } catch (error) {
    showError(error);
  }
});

// Detail panel -----------------------------------------------------------------------------------

function closeDetail() {
  $('#detail').hidden = true;
  openDeliveryId = undefined;
  openProcessId = undefined;
  clearTimeout(processReload);
  for (const { row } of rows.values()) row.classList.remove('selected');
}
$('#detail-close').addEventListener('click', closeDetail);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !$('#detail').hidden) closeDetail();
});
$('#replay').addEventListener('click', async () => {
  if (openDeliveryId === undefined) return;
  try {
    const answer = await api(`deliveries/${openDeliveryId}/replay`, { method: 'POST' });
    say(`replay of #${openDeliveryId}: ${answer.status} ${answer.body?.status ?? answer.body?.error ?? ''}`);
  } catch (error) {
    showError(error);
  }
});
$('#reveal').addEventListener('click', () => openProcessId && openProcess(openProcessId, !revealed).catch(showError));
$('#filter-process').addEventListener('input', () => applyFilter());
$('#filter-status').addEventListener('change', () => applyFilter());
$('#sim-new-id').addEventListener('click', newProcessId);

// Start ------------------------------------------------------------------------------------------

function connect() {
  const events = new EventSource('/inspector/api/events');
  events.addEventListener('open', () => {
    $('#live').textContent = 'live';
    $('#live').className = 'live on';
    // Whatever arrived while the stream was down.
    api('deliveries').then(({ deliveries }) => deliveries.forEach((delivery) => addDelivery(delivery, false))).catch(showError);
  });
  events.addEventListener('error', () => {
    $('#live').textContent = 'offline';
    $('#live').className = 'live off';
  });
  events.addEventListener('delivery', (event) => {
    const delivery = JSON.parse(event.data);
    addDelivery(delivery, true);
    if (delivery.processId) processChanged(delivery.processId);
  });
  events.addEventListener('process', (event) => processChanged(JSON.parse(event.data).processId));
  events.addEventListener('tick', (event) => {
    const { queues, unico } = JSON.parse(event.data);
    renderQueues(queues);
    renderUnico(unico);
  });
}

async function start() {
  const overview = await api('overview');
  contract = overview.unico?.contract ?? 'web-sdk';
  $('#target').textContent = `POST ${overview.webhookUrl} · auth ${overview.authMode}${overview.processor ? ` · processor at ${overview.unicoMaxRps} calls/s to Unico` : ' · processor off'}`;
  $('#unico-contract').textContent = overview.unico ? `(${overview.unico.contract} contract)` : '(off: real Unico)';
  for (const form of ['#process-form', '#fault-form']) $(form).hidden = overview.unico === null;
  newProcessId();
  connect();
}

start().catch(showError);
