/** TLS for every connection of the cluster: files given on the command line, and `mesos dev --tls`'s local CA. */
export { TlsError, TlsFiles, type ServerTls, loadCa, loadServerTls } from './files.js';
export { type LocalCa, localNames, makeLocalCa } from './local-ca.js';
export { type GetReply, httpGet } from './get.js';
