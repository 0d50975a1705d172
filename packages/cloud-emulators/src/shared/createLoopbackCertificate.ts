import { generate } from 'selfsigned';

/** A self-signed certificate for 127.0.0.1 and localhost, with its key. */
export interface LoopbackCertificate {
  /** PEM certificate; trust it with NODE_EXTRA_CA_CERTS or an SDK's agent option. */
  cert: string;
  /** PEM private key. */
  key: string;
}

/**
 * Generates a fresh certificate at start (never committed): valid for one day, for the loopback
 * names only, so trusting it grants nothing beyond this machine's emulators.
 */
export async function createLoopbackCertificate(): Promise<LoopbackCertificate> {
  const now = new Date();
  const result = await generate([{ name: 'commonName', value: 'novacron-cloud-emulators' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { cert: result.cert, key: result.private };
}
