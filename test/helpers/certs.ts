// Certificates for the TLS tests (and the bench's TLS contenders), made with the `openssl` binary in
// a temporary directory, or one the caller gives: a CA, and
// server or client certificates (EC P-256 keys) signed by it or by themselves, valid for localhost
// and 127.0.0.1, or with validity dates in the past.
//
//   const openssl = findExecutable('openssl');   // in a test: needOpenssl(t) (tls-client.ts)
//   const certs = testCertificates(openssl);
//   const ca = await certs.ca('clients');
//   const server = await certs.issue('server', { cn: 'localhost' });
//   const client = await certs.issue('alice', { issuer: ca });
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './wire.ts';

const run = promisify(execFile);

export interface CertFiles {
  cert: string;
  key: string;
}

export interface IssueOptions {
  /** The subject's CN (default the name). */
  cn?: string;
  /** The CA that signs it; default: signed by its own key. */
  issuer?: CertFiles;
  /** Validity dates in the past (expired a few years ago). */
  expired?: boolean;
}

export interface TestCertificates {
  /** Where the files are (removed by remove()). */
  dir: string;
  openssl: string;
  /** A CA certificate and key called `name`. */
  ca(name: string): Promise<CertFiles>;
  /** A certificate and key called `name`. */
  issue(name: string, options?: IssueOptions): Promise<CertFiles>;
  remove(): void;
}

/** The maker of test certificates, with the `openssl` binary at `openssl`, writing them in `dir`. */
export function testCertificates(openssl: string, dir = tempDir('nuwsgi-tls-')): TestCertificates {
  let serial = 0;
  const file = (name: string) => path.join(dir, name);

  async function newKey(name: string): Promise<string> {
    const key = file(`${name}.key`);
    await run(openssl, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    return key;
  }

  return {
    dir,
    openssl,
    async ca(name) {
      const key = await newKey(name);
      const cert = file(`${name}.crt`);
      await run(openssl, ['req', '-x509', '-new', '-key', key, '-out', cert, '-days', '30', '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
      return { cert, key };
    },
    async issue(name, options = {}) {
      const key = await newKey(name);
      const csr = file(`${name}.csr`);
      const cert = file(`${name}.crt`);
      const extensions = file(`${name}.ext`);
      fs.writeFileSync(extensions, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
      await run(openssl, ['req', '-new', '-key', key, '-out', csr, '-subj', `/O=nuwsgi tests/CN=${options.cn ?? name}`]);
      const signer = options.issuer ?? { cert: '', key };
      if (options.expired) {
        await signWithDates(openssl, dir, csr, cert, signer, extensions, ++serial);
      } else {
        const by = options.issuer === undefined ? ['-signkey', key] : ['-CA', signer.cert, '-CAkey', signer.key, '-set_serial', String(++serial)];
        await run(openssl, ['x509', '-req', '-in', csr, '-out', cert, '-days', '30', '-extfile', extensions, ...by]);
      }
      return { cert, key };
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `openssl x509` cannot date a certificate in the past; `openssl ca` can, given a minimal setup. */
async function signWithDates(openssl: string, dir: string, csr: string, cert: string, signer: CertFiles,
  extensions: string, serial: number): Promise<void> {
  const ca = path.join(dir, `ca-${serial}`);
  fs.mkdirSync(ca);
  fs.writeFileSync(path.join(ca, 'index.txt'), '');
  fs.writeFileSync(path.join(ca, 'serial'), `${serial.toString(16).padStart(2, '0')}\n`);
  const config = path.join(ca, 'openssl.cnf');
  fs.writeFileSync(config, [
    '[ca]', 'default_ca = test', '[test]', `database = ${ca}/index.txt`, `new_certs_dir = ${ca}`,
    `serial = ${ca}/serial`, 'default_md = sha256', 'policy = any', '[any]', 'commonName = supplied', '',
  ].join('\n'));
  const by = signer.cert === '' ? ['-selfsign'] : ['-cert', signer.cert];
  await run(openssl, ['ca', '-batch', '-config', config, '-keyfile', signer.key, ...by, '-in', csr, '-out', cert,
    '-notext', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extfile', extensions]);
}
