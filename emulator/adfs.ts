// The AD FS face of the emulated authority (as an Azure Stack Hub that signs in with AD FS has it):
// MSAL, and so the Azure CLI, trusts an `{host}/adfs` authority without asking
// login.microsoftonline.com to discover it, which keeps the real CLI on loopback.

/** The tenant segment of AD FS URLs. */
export const ADFS = 'adfs';

/** `POST /adfs/oauth2/token` (AD FS writes it with a trailing slash in its discovery document). */
export function isAdfsTokenPath(lowerPath: string): boolean {
  return lowerPath === '/adfs/oauth2/token' || lowerPath === '/adfs/oauth2/token/';
}

/** `GET /adfs/.well-known/openid-configuration`, in the shape AD FS 2019 serves. */
export function adfsConfiguration(host: string): Record<string, unknown> {
  const base = `${host}/adfs`;
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth2/authorize/`,
    token_endpoint: `${base}/oauth2/token/`,
    jwks_uri: `${base}/discovery/keys`,
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'client_secret_basic',
      'private_key_jwt',
      'windows_client_authentication',
    ],
    response_types_supported: [
      'code',
      'id_token',
      'code id_token',
      'id_token token',
      'code token',
      'code id_token token',
    ],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'implicit',
      'password',
      'srv_challenge',
      'urn:ietf:params:oauth:grant-type:device_code',
      'device_code',
    ],
    subject_types_supported: ['pairwise'],
    scopes_supported: ['allatclaims', 'openid', 'email', 'profile', 'aza', 'user_impersonation'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256'],
    access_token_issuer: `${host.replace(/^https:/, 'http:')}/adfs/services/trust`,
    claims_supported: [
      'aud',
      'iss',
      'iat',
      'exp',
      'auth_time',
      'nonce',
      'at_hash',
      'c_hash',
      'sub',
      'upn',
      'unique_name',
      'pwd_url',
      'pwd_exp',
      'mfa_auth_time',
      'sid',
      'nbf',
    ],
    microsoft_multi_refresh_token: true,
    userinfo_endpoint: `${base}/userinfo`,
    capabilities: [],
    end_session_endpoint: `${base}/oauth2/logout`,
    frontchannel_logout_supported: true,
    frontchannel_logout_session_supported: true,
    device_authorization_endpoint: `${base}/oauth2/devicecode`,
  };
}
