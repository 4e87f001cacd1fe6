/** iperf3 between two test namespaces: a one-shot server, waited for until it listens. */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { nsExec } from './netns.js';

const execFileP = promisify(execFile);

async function waitListening(ns: string, port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (nsExec(ns, ['ss', '-ltnH', `sport = :${port}`]).trim() !== '') return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`iperf3 server on port ${port} in ${ns} did not start listening`);
}

/** Result of one iperf3 run. */
export interface IperfResult {
  /** Bits per second the receiver counted. */
  receivedBps: number;
  sentBps: number;
}

/**
 * Runs `iperf3 -c` from clientNs to serverIp:port for `seconds` (TCP), with a one-shot server
 * in serverNs; returns the receiver's rate.
 */
export async function iperf(
  clientNs: string,
  serverNs: string,
  serverIp: string,
  port: number,
  seconds = 3,
  extra: string[] = [],
): Promise<IperfResult> {
  const server = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-1', '-p', String(port)], {
    stdio: 'ignore',
  });
  try {
    await waitListening(serverNs, port);
    const { stdout } = await execFileP(
      'ip',
      [
        'netns',
        'exec',
        clientNs,
        'iperf3',
        '-c',
        serverIp,
        '-p',
        String(port),
        '-t',
        String(seconds),
        '-J',
        ...extra,
      ],
      { maxBuffer: 16 << 20 },
    );
    const j = JSON.parse(stdout) as {
      end: { sum_received: { bits_per_second: number }; sum_sent: { bits_per_second: number } };
    };
    return { receivedBps: j.end.sum_received.bits_per_second, sentBps: j.end.sum_sent.bits_per_second };
  } finally {
    if (server.exitCode === null) server.kill();
  }
}
