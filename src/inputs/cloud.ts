export type CloudName = 'AzureCloud' | 'AzureUSGovernment' | 'AzureChinaCloud';

export interface Cloud {
  name: CloudName;
  armEndpoint: string;
  authorityHost: string;
  oidcAudience: string;
  /**
   * The audience ARM tokens are issued for (the CLI's `active_directory_resource_id`): ARM accepts
   * it and its own URL, but this is the one every Azure tool asks for.
   */
  armAudience: string;
}

const CLOUDS: Record<CloudName, Cloud> = {
  AzureCloud: {
    name: 'AzureCloud',
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    oidcAudience: 'api://AzureADTokenExchange',
    armAudience: 'https://management.core.windows.net/',
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    armEndpoint: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    oidcAudience: 'api://AzureADTokenExchangeUSGov',
    armAudience: 'https://management.core.usgovcloudapi.net/',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    armEndpoint: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    oidcAudience: 'api://AzureADTokenExchangeChina',
    armAudience: 'https://management.core.chinacloudapi.cn/',
  },
};

export const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[];

export function lookupCloud(name: string): Cloud | undefined {
  const key = CLOUD_NAMES.find((n) => n.toLowerCase() === name.toLowerCase());
  return key ? CLOUDS[key] : undefined;
}

/** True when the authority is one of the public clouds' own hosts (instance discovery works there). */
export function isKnownAuthority(authorityHost: string): boolean {
  return CLOUD_NAMES.some((n) => sameOrigin(CLOUDS[n].authorityHost, authorityHost));
}

/** The `.default` scope of a resource, as Entra expects it (no trailing slash before `/.default`). */
export function defaultScope(resource: string): string {
  return `${resource.replace(/\/+$/, '')}/.default`;
}

/**
 * The `.default` scope of a token audience, written as Entra documents it for audiences that end
 * in a slash: `https://management.core.windows.net/` becomes `https://management.core.windows.net//.default`.
 */
export function audienceScope(audience: string): string {
  return `${audience}/.default`;
}

export function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

/** The AKS Entra server application: the same id in every cloud. */
export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';
