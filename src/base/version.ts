declare const __ACTION_VERSION__: string | undefined;

/** Set by the bundler from package.json; `dev` when the sources run unbundled (unit tests). */
const ACTION_VERSION = typeof __ACTION_VERSION__ === 'string' ? __ACTION_VERSION__ : 'dev';

export const USER_AGENT = `aks-operation-action/${ACTION_VERSION} (node ${process.version}; ${process.platform})`;
