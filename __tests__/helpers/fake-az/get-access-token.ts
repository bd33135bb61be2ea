import { parseArgs } from 'node:util';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => !['account', 'get-access-token'].includes(arg)),
  options: {
    output: { type: 'string' },
    resource: { type: 'string' },
    tenant: { type: 'string' },
    subscription: { type: 'string' },
  },
});
const tenant = values.tenant ?? process.env.FAKE_AZ_TENANT_ID!;
const response = await fetch(`${process.env.FAKE_AZ_AUTHORITY_HOST}/${tenant}/oauth2/v2.0/token`, {
  method: 'POST',
  body: new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: process.env.FAKE_AZ_CLIENT_ID!,
    client_secret: process.env.FAKE_AZ_CLIENT_SECRET!,
    scope: `${values.resource!.replace(/\/+$/, '')}/.default`,
  }),
});
const body = (await response.json()) as {
  access_token?: string;
  expires_in?: number;
  error_description?: string;
};
if (!response.ok || !body.access_token) {
  console.error(`ERROR: ${body.error_description ?? response.statusText}`);
  process.exit(1);
}
const expiresOn = Math.floor(Date.now() / 1000) + (body.expires_in ?? 3600);
console.log(
  JSON.stringify({
    accessToken: body.access_token,
    expiresOn: new Date(expiresOn * 1000).toISOString().replace('T', ' ').replace('Z', ''),
    expires_on: expiresOn,
    tenant,
    tokenType: 'Bearer',
  }),
);
