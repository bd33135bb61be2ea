// The official Azure SDK for JavaScript pointed at a private cloud (here the emulator) as its
// documentation says: a credential whose authority host is not looked up in Entra's public list,
// and a ContainerServiceClient with the cloud's endpoint. Everything else keeps its defaults.
// Shared by the benchmark's SDK clients and the tests that run the SDK against the emulator.
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ClientSecretCredential } from '@azure/identity';

export interface SdkSignIn {
  armEndpoint: string;
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export function sdkCredential(signIn: SdkSignIn): ClientSecretCredential {
  return new ClientSecretCredential(signIn.tenantId, signIn.clientId, signIn.clientSecret, {
    authorityHost: signIn.authorityHost,
    disableInstanceDiscovery: true,
  });
}

/**
 * A client for one subscription. `endpointScope`: ask for tokens for the endpoint's own audience
 * (as the action does for a custom arm-endpoint, which names it in its metadata); without it the
 * SDK asks for its default, the public cloud's audience.
 */
export function sdkClient(
  signIn: SdkSignIn,
  subscriptionId: string,
  options: { credential?: ClientSecretCredential; endpointScope?: boolean } = {},
): ContainerServiceClient {
  // The modular (TypeSpec) client takes `endpoint` and `credentials.scopes` for a custom cloud.
  return new ContainerServiceClient(options.credential ?? sdkCredential(signIn), subscriptionId, {
    endpoint: signIn.armEndpoint,
    ...(options.endpointScope
      ? { credentials: { scopes: [`${signIn.armEndpoint.replace(/\/$/, '')}/.default`] } }
      : {}),
  });
}
