// A self-signed certificate for loopback, made with the `openssl` binary into a directory the
// caller owns (and removes): an ECDSA P-256 key, as a current site's certificate has, valid for
// 127.0.0.1 and localhost for two days.
//
//   const { cert, key } = await selfSignedCertificate(dir, 'nginx');   // dir/nginx.crt, dir/nginx.key
import { execFile } from 'node:child_process';
import path from 'node:path';

export interface CertificateFiles {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PEM, unencrypted. */
  key: string;
}

/** Writes `dir/NAME.crt` and `dir/NAME.key`; rejects with openssl's output if it fails. */
export function selfSignedCertificate(dir: string, name: string, openssl = 'openssl'): Promise<CertificateFiles> {
  const files = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'];
  return new Promise((resolve, reject) => {
    execFile(openssl, args, { timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${openssl} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(files);
    });
  });
}
