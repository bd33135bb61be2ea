// A MODEL of Azure CLI's request sequence and polling, written with plain node:https. It is not
// Azure CLI (no Python start-up, no token cache, no output formatting); it makes the same calls at
// the same times, as azure-cli's sources have them:
//
// `az aks command invoke` (acs/custom.py aks_runcommand):
//   mc = client.get(rg, name)                        -> GET {cluster}           (aadProfile check)
//   client.begin_run_command(..., polling_interval=5, retry_total=0).result(300)
//                                                    -> POST {cluster}/runCommand
//   azure-core LROBasePolling._poll (LocationPolling): one GET of the Location at once, then
//   sleep(Retry-After, else 5 s) and GET again while it answers 202; 200 ends it, no final GET.
//   result(300): the CLI gives up 300 s after the POST. retry_total=0: any error ends the run.
//
// `az aks operation-abort` (aks_operation_abort):
//   instance = client.get(rg, name)                  -> GET {cluster}
//   client.begin_abort_latest_operation(rg, name)    -> POST {cluster}/abort
//   ARMPolling (AzureAsyncOperationPolling, else LocationPolling): one GET of Azure-AsyncOperation
//   at once, then sleep(Retry-After, else the SDK's polling_interval of 30 s) and GET again until
//   Succeeded/Failed/Canceled; after Succeeded a final GET of the Location (POST, final-state-via
//   location). Canceled/Failed make azure-core raise "Operation failed or canceled".
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromEnv } from './config.ts';

const RUN_COMMAND_INTERVAL_S = 5;
const SDK_POLLING_INTERVAL_S = 30;
const RESULT_TIMEOUT_MS = 300_000;
const API_VERSION = '2024-09-01';
const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const config = fromEnv();
const agent = new Agent({ keepAlive: true });

function call(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function getToken(): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: config.clientId,
    client_secret: config.clientSecret,
    scope: `${config.armEndpoint}/.default`,
  }).toString();
  const answer = await call(
    'POST',
    `${config.authorityHost}/${config.tenantId}/oauth2/v2.0/token`,
    { 'content-type': 'application/x-www-form-urlencoded' },
    form,
  );
  if (answer.status !== 200) throw new Error(`token: HTTP ${answer.status} ${answer.body}`);
  return (JSON.parse(answer.body) as { access_token: string }).access_token;
}

const token = await getToken();

async function arm(method: string, url: string, body?: unknown): Promise<Answer> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const answer = await call(
    method,
    url,
    {
      authorization: `Bearer ${token}`,
      ...(text === undefined ? {} : { 'content-type': 'application/json' }),
    },
    text,
  );
  // retry_total=0 (run command) and azure-core's _raise_if_bad_http_status_and_method.
  if (![200, 201, 202, 204].includes(answer.status)) {
    throw new Error(`${method} ${new URL(url).pathname}: HTTP ${answer.status} ${answer.body}`);
  }
  return answer;
}

const header = (answer: Answer, name: string): string | undefined => {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
};
const retryAfterSeconds = (answer: Answer): number | undefined => {
  const value = Number(header(answer, 'retry-after'));
  return Number.isFinite(value) && value > 0 ? value : undefined;
};

const clusterUrl = `${config.armEndpoint}/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${config.cluster}`;
const withApi = (path: string): string => `${clusterUrl}${path}?api-version=${API_VERSION}`;

async function commandInvoke(command: string): Promise<string> {
  await arm('GET', withApi(''));
  const started = await arm('POST', withApi('/runCommand'), { command, context: '' });
  const deadline = Date.now() + RESULT_TIMEOUT_MS;
  let url = header(started, 'location');
  if (started.status !== 202 || !url) return `HTTP ${started.status}`;
  let last = await arm('GET', url);
  while (last.status === 202) {
    url = header(last, 'location') ?? url;
    const waitMs = (retryAfterSeconds(last) ?? RUN_COMMAND_INTERVAL_S) * 1000;
    if (Date.now() + waitMs > deadline) {
      await sleep(Math.max(0, deadline - Date.now()));
      return 'gave up after 300 s (poller.result(300))';
    }
    await sleep(waitMs);
    last = await arm('GET', url);
  }
  const properties = (JSON.parse(last.body) as { properties?: Record<string, unknown> }).properties;
  return `provisioningState=${String(properties?.provisioningState)} exitCode=${String(properties?.exitCode)}`;
}

async function operationAbort(): Promise<string> {
  await arm('GET', withApi(''));
  const started = await arm('POST', withApi('/abort'));
  const asyncUrl = header(started, 'azure-asyncoperation');
  const locationUrl = header(started, 'location');
  const pollUrl = asyncUrl ?? locationUrl;
  if (!pollUrl) return `HTTP ${started.status}, nothing to poll`;
  const statusOf = (answer: Answer): string =>
    asyncUrl
      ? String((JSON.parse(answer.body) as { status?: string }).status ?? '')
      : answer.status === 202
        ? 'InProgress'
        : 'Succeeded';
  let last = await arm('GET', pollUrl);
  while (!TERMINAL.has(statusOf(last).toLowerCase())) {
    await sleep((retryAfterSeconds(last) ?? SDK_POLLING_INTERVAL_S) * 1000);
    last = await arm('GET', pollUrl);
  }
  const status = statusOf(last);
  if (status.toLowerCase() === 'succeeded' && asyncUrl && locationUrl)
    await arm('GET', locationUrl);
  return `abort: ${status}`;
}

try {
  console.log(
    config.command === undefined ? await operationAbort() : await commandInvoke(config.command),
  );
} finally {
  agent.destroy();
}
