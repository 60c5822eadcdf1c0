/**
 * HTTP authentication and authorization as Apache Mesos does them: Basic credentials
 * (`--credentials`), the `--authenticate_http_*` realms, and the local authorizer's ACLs
 * (`--acls`). Everything but load.ts is pure.
 */
export { Credential, CredentialsError, parseCredentials, pickCredential } from './credentials.js';
export { type BasicResult, type CredentialStore, basicHeader, credentialStore, parseBasic } from './basic.js';
export { type AuthOutcome, type HttpAuthConfig, type Realm, AGENT_REALMS, MASTER_REALMS, OPEN, authenticate, required } from './authn.js';
export { type AclAction, type Acls, type Decision, ALLOW_ALL, AclsError, ENFORCED, authorize, denial, parseAcls, restricts } from './acls.js';
export { viewableState } from './views.js';
export { type AuthorizedOperations, type DeniedTask, authorizeOperations, operationChecks } from './operations.js';
export { loadAcls, loadClientCredential, loadCredentials } from './load.js';
