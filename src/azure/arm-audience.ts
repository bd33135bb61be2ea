// Which audience to ask Entra for when calling ARM. The public clouds document theirs; a custom
// `arm-endpoint` (Azure Stack Hub, a private cloud) names its own in its metadata document, which is
// where `az cloud register` and the Azure SDKs read it.
import { audienceScope } from '../inputs/cloud.ts';
import { displayUrl, type Transport } from '../network/http.ts';
import { isRecord, parseJson } from '../base/json.ts';
import type { Endpoints } from '../inputs/settings.ts';

/** The metadata API version the Azure SDKs use for `{arm}/metadata/endpoints`. */
const METADATA_API_VERSION = '2022-09-01';

function metadataUrl(armEndpoint: string): string {
  return `${armEndpoint}/metadata/endpoints?api-version=${METADATA_API_VERSION}`;
}

/**
 * The `.default` scope for ARM tokens. For a custom endpoint this reads its metadata (one
 * unauthenticated GET); when the endpoint has none, it falls back to the endpoint itself and says so.
 */
export async function resolveArmScope(
  endpoints: Pick<Endpoints, 'armEndpoint' | 'armAudience'>,
  transport: Transport,
  log: (line: string) => void,
): Promise<string> {
  if (endpoints.armAudience) return audienceScope(endpoints.armAudience);
  const url = metadataUrl(endpoints.armEndpoint);
  const answer = await transport.send('GET', url, undefined, () =>
    Promise.resolve({ accept: 'application/json' }),
  );
  const audience = answer.status === 200 ? firstAudience(parseJson(answer.text)) : undefined;
  if (audience) {
    log(`ARM token audience ${audience} (from ${displayUrl(url)}).`);
    return audienceScope(audience);
  }
  const fallback = `${endpoints.armEndpoint}/`;
  log(
    `${displayUrl(url)} named no token audience (HTTP ${answer.status}); asking for tokens for ${fallback}.`,
  );
  return audienceScope(fallback);
}

/**
 * `authentication.audiences[0]`, from the one-cloud document (2022-09-01 and the 2015-01-01 form)
 * or the first entry of a list of clouds. Only a printable value without spaces is taken: it is
 * sent to Entra as part of a scope and shown in the log.
 */
export function firstAudience(metadata: unknown): string | undefined {
  const cloud = Array.isArray(metadata) ? (metadata as unknown[])[0] : metadata;
  if (!isRecord(cloud) || !isRecord(cloud.authentication)) return undefined;
  const audiences = cloud.authentication.audiences;
  const first: unknown = Array.isArray(audiences) ? (audiences as unknown[])[0] : undefined;
  if (typeof first !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(first)) return undefined;
  return first;
}
