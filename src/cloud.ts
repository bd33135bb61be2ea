export type CloudName = 'AzureCloud' | 'AzureUSGovernment' | 'AzureChinaCloud';

export interface Cloud {
  name: CloudName;
  armEndpoint: string;
  authorityHost: string;
  oidcAudience: string;
}

const CLOUDS: Record<CloudName, Cloud> = {
  AzureCloud: {
    name: 'AzureCloud',
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    oidcAudience: 'api://AzureADTokenExchange',
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    armEndpoint: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    oidcAudience: 'api://AzureADTokenExchangeUSGov',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    armEndpoint: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    oidcAudience: 'api://AzureADTokenExchangeChina',
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

export function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

/** The AKS Entra server application: the same id in every cloud. */
export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';
