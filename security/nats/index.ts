export { type AccountNats, type Claims, JwtError, type OperatorNats, type SubjectPermission, type UserNats, base32, decodeJwt, encodeJwt, formatCreds, parseCreds } from './jwt.js';
export { type FrameworkStore, type Party, PARTIES, type Permissions, checkName, parseStore, permissionsFor } from './permissions.js';
export { type IssuedUser, Keystore, KeystoreError } from './keystore.js';
export { type CredsIdentity, authenticatorOf, credsIdentity, readCredsFile } from './creds.js';
export { type ServerAuth, PushError, pushAccount, serverAuth } from './server-auth.js';
export { NKey, NKeyError, credsAuthenticatorOf, verifyNKey } from './nkey.js';
